"""How a mdl job trains (the runner side: torch and the engine)."""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.specs import RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import EVAL_CHUNK
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies.mdl.spec import mix_bits, timesteps, uniform_bits
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.data import load_data, randomize


@torch.no_grad()
def code_bits(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """-log2 p(y|x) summed over the examples (eval mode, float64 sums)."""
    model.eval()
    total = 0.0
    for i in range(0, len(x), EVAL_CHUNK):
        logp = torch.log_softmax(model(x[i : i + EVAL_CHUNK]).double(), -1)
        total -= logp.gather(1, y[i : i + EVAL_CHUNK, None]).sum().item()
    return total / math.log(2)


class EarlyStop(Hook):
    """Keeps each run's state with the lowest held-out loss; stops a run after `patience`
    evaluations without improvement, or when the user cancels it."""

    def __init__(self, ctx: ExecContext, patience: int):
        self.ctx, self.patience = ctx, patience
        self.loop = None
        self.best: dict[int, float] = {}
        self.state: dict[int, dict] = {}
        self.wait: dict[int, int] = {}
        self.steps: dict[int, int] = {}

    def on_start(self, loop) -> None:
        self.loop = loop

    def on_event(self, run: int, event) -> None:
        if getattr(event, "kind", "") != "eval":
            return
        self.steps[run] = event.step
        if math.isfinite(event.test_loss) and event.test_loss < self.best.get(run, math.inf):
            self.best[run], self.wait[run] = event.test_loss, 0
            self.state[run] = self.loop.state(run)
        else:
            self.wait[run] = self.wait.get(run, 0) + 1

    def member_cancelled(self, run: int) -> bool:
        return self.wait.get(run, 0) >= self.patience or self.ctx.member_cancelled(run)

    def should_stop(self) -> bool:
        return self.ctx.should_stop()


@torch.no_grad()
def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum(
        (model(x[i : i + EVAL_CHUNK]).argmax(-1) == y[i : i + EVAL_CHUNK]).sum().item()
        for i in range(0, len(x), EVAL_CHUNK)
    )
    return correct / len(x)


def _fit_prefix(study, runs, live, streams, prefix, c, k, ctx):
    """Train one model per live run on its first `prefix` labels (held-out tail for early
    stopping); returns the models at their best held-out state, and the hook."""
    rp = runs[live[0]].params
    n_val = min(prefix - 1, max(1, round(rp.held_out * prefix)))  # at least one label each side
    n_tr = prefix - n_val
    spec = runs[live[0]].train
    bs = min(spec.batch_size, n_tr)
    per_epoch = math.ceil(n_tr / bs)
    every = math.ceil(rp.eval_steps / per_epoch)
    epochs = max(spec.epochs, math.ceil(rp.min_steps / per_epoch))
    spec = replace(spec, batch_size=bs, epochs=epochs, eval_every=every, log_every=per_epoch, target_train_acc=0.0)
    members = []
    for i in live:
        run, (x, y) = runs[i], streams[i]
        model = build_model(run.model, x.shape[1:], k, run.seeds.init * 1009 + c).to(ctx.device)
        seed = run.seeds.order * 1009 + c
        members.append(Member(model, x[:n_tr], y[:n_tr], x[n_tr:prefix], y[n_tr:prefix], seed, run=i, seed=seed))
    stop = EarlyStop(ctx, rp.patience)
    train(members, spec, stop)
    models = {}
    for m in members:
        if m.run in stop.state:
            m.model.load_state_dict(stop.state[m.run])
        models[m.run] = m.model
    return models, stop


def _emit(study, ctx, i, start, end, bits, cum, k, uniform, steps=0, extra=None) -> None:
    values = {
        "start": start,
        "size": end - start,
        "bits": bits,
        "bits_per_example": bits / (end - start),
        "cum_kbits": cum / 1000,
        "uniform_cum_kbits": uniform_bits(end, k) / 1000,
        "uniform": int(uniform),  # the uniform code was the cheaper one for this chunk
        "steps": steps,
        **(extra or {}),
    }
    ctx.emit(i, PointEvent("chunk", float(end), values, 0.0))


def _summary(study, total: dict, bounds: list[int], coded: int, k: int) -> dict:
    """The codelength of the first `coded` chunks (all of them unless the run was cancelled)."""
    sent = bounds[coded - 1]
    return {
        "codelength_kbits": total["bits"] / 1000,
        "uniform_kbits": uniform_bits(sent, k) / 1000,
        "compression_ratio": total["bits"] / uniform_bits(sent, k),
        "last_test_acc": total["last_test_acc"],
        "uniform_chunks": total["uniform_chunks"],
        "chunks": coded,
        "n": sent,
    }


def execute(study, runs: list[RunSpec], ctx: ExecContext) -> None:
    base = load_data(runs[0].data, ctx)
    n, k = len(base.y_train), base.num_classes
    rp = runs[0].params
    bounds = timesteps(n, rp.first_fraction, rp.growth)
    streams, totals, live = {}, {}, []
    for i, run in enumerate(runs):
        ds = randomize(base, "labels", run.params.p, run.seeds.noise)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(run.seeds.order))
        streams[i] = (ds.x_train[order].to(ctx.device), ds.y_train[order].to(ctx.device))
        ctx.started(i)
        totals[i] = {"bits": uniform_bits(bounds[0], k), "uniform_chunks": 1, "last_test_acc": None}
        _emit(study, ctx, i, 0, bounds[0], totals[i]["bits"], totals[i]["bits"], k, True)
        live.append(i)
    test = base.to(ctx.device)
    coded = 1  # chunks coded so far, for every live run
    for c in range(1, len(bounds)):
        if ctx.should_stop() or not live:
            break
        prefix, end = bounds[c - 1], bounds[c]
        models, stop = _fit_prefix(study, runs, live, streams, prefix, c, k, ctx)
        for i in list(live):
            if ctx.member_cancelled(i):
                live.remove(i)
                ctx.finish(i, Status.CANCELLED, _summary(study, totals[i], bounds, c, k))
                continue
            held = stop.best.get(i, math.inf) / math.log(2)
            x, y = streams[i][0][prefix:end], streams[i][1][prefix:end]
            model_bits, flat = code_bits(models[i], x, y), uniform_bits(end - prefix, k)
            bits = mix_bits(model_bits, flat) if runs[i].params.mixture else model_bits
            totals[i]["bits"] += bits
            totals[i]["uniform_chunks"] += int(flat < model_bits)
            totals[i]["last_test_acc"] = _accuracy(models[i], test.x_test, test.y_test)
            extra = {"model_bits": model_bits, "held_out_bits": held if math.isfinite(held) else None}
            _emit(
                study, ctx, i, prefix, end, bits, totals[i]["bits"], k, flat < model_bits, stop.steps.get(i, 0), extra
            )
        coded = c + 1
    for i in live:
        status = Status.FINISHED if coded == len(bounds) else Status.CANCELLED
        ctx.finish(i, status, _summary(study, totals[i], bounds, coded, k))
