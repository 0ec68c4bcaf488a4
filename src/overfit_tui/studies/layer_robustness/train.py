"""How a layer_robustness job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import time

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.hooks import Hook, Hooks
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.layer_robustness.spec import REDRAW_SEED, _summary, checkpoint_name
from overfit_tui.studies.layer_robustness.surgery import VariantEvaluator, find_layers, replace_layer
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, make_member


def redraws(run: RunSpec, input_shape: tuple[int, ...], num_classes: int) -> list[dict]:
    """Re-randomization sources: whole models built from new seeds, so each layer is drawn from
    its own initializer (the distribution it had at epoch 0), one state per draw."""
    seeds = (REDRAW_SEED * (run.seeds.init + 1) + d for d in range(run.params.draws))
    return [build_model(run.model, input_shape, num_classes, s).state_dict() for s in seeds]


class Checkpoints(Hook):
    """Saves every run's weights at its checkpoint epochs (epoch 0 before any step), then, as each
    run ends, evaluates its one-layer variants and adds the robustness summary."""

    def __init__(self, runs: list[RunSpec], members: list[Member], ctx: ExecContext):
        self.runs, self.members, self.ctx = runs, {m.run: m for m in members}, ctx
        self.t0 = time.perf_counter()

    def _emit(self, run: int, name: str, x: float, values: dict) -> None:
        self.ctx.emit(run, PointEvent(name, x, values, time.perf_counter() - self.t0))

    def on_start(self, loop) -> None:
        for run in loop.runs:
            for layer in find_layers(self.members[run].model):  # the heatmap's rows, before any cell
                self._emit(run, "layer", layer.index, {"label": layer.name, "params": layer.params})
            self.ctx.save_checkpoint(run, checkpoint_name(0), loop.state(run))

    def on_epoch_end(self, loop) -> None:
        for run in loop.runs:
            if loop.epoch in self.runs[run].params.checkpoints:
                self.ctx.save_checkpoint(run, checkpoint_name(loop.epoch), loop.state(run))

    def on_done(self, run: int, result) -> None:
        if result.status != Status.FINISHED or result.state is None:
            return
        self.ctx.save_checkpoint(run, "final", result.state)
        t = time.perf_counter()
        extra = self.evaluate(run, result)
        extra["eval_seconds"] = round(time.perf_counter() - t, 2)
        result.extra.update(extra)

    def evaluate(self, run: int, result) -> dict:
        """Every one-layer variant of the run's final model, a layer (one batched pass) at a time."""
        spec, member, ctx = self.runs[run], self.members[run], self.ctx
        p = spec.params
        data = (member.x_train, member.y_train, member.x_test, member.y_test)
        ev = VariantEvaluator(member.model, result.state, data, p.eval_chunk)
        final_tr, final_te = ev.final_errors()
        self._emit(run, "final", result.epochs, {"train_err": final_tr, "test_err": final_te})
        saved = {t: ctx.load_checkpoint(run, checkpoint_name(t)) for t in sorted(p.checkpoints)}
        layers = find_layers(member.model)
        num_classes = result.state[layers[-1].keys[0]].shape[0]
        fresh = redraws(spec, tuple(member.x_train.shape[1:]), num_classes)
        sources = [("rerandomize", d, s) for d, s in enumerate(fresh)]
        sources += [("reinit", t, s) for t, s in saved.items() if s is not None]
        reinit0: dict[int, float] = {}
        rerand: dict[int, list[float]] = {}
        for layer in layers:
            if ctx.should_stop() or ctx.member_cancelled(run):
                result.status = Status.CANCELLED
                break
            errs = ev.errors([replace_layer(layer, s, p.bn_travels) for _, _, s in sources])
            for (kind, x, _), (tr, te) in zip(sources, errs):
                self._emit(run, kind, x, {"layer": layer.index, "train_err": tr, "test_err": te})
                if kind == "reinit" and x == 0:
                    reinit0[layer.index] = te
                elif kind == "rerandomize":
                    rerand.setdefault(layer.index, []).append(te)
        return _summary(final_te, reinit0, rerand, p.threshold, len(layers) * len(sources))


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    ds = load_data(runs[0].data, ctx)
    members = [make_member(run, ds, ctx.device, i) for i, run in enumerate(runs)]
    for i in range(len(runs)):
        ctx.started(i)
    hook = Checkpoints(runs, members, ctx)
    train(members, runs[0].train, Hooks(hook, ctx), augment=runs[0].data.augment, keep_state=True)
