"""Study 7b: prequential description length (Blier & Ollivier 2018, "The description length
of deep learning models", Sec. 3.3 and Table 1).

The labels of the training set are sent in a random order, chunk by chunk, at timesteps
t_1 < t_2 < ... < t_S = n growing geometrically from `first_fraction` * n (the paper: 0.1 %,
0.2 %, 0.4 %, ...). The first chunk is sent with the uniform code (log2 K bits per label);
every next chunk [t_k, t_k+1) with -log2 p(y|x) under a model trained from scratch on the
t_k labels already sent, early-stopped on the last `held_out` fraction of that prefix (the
state with the lowest held-out loss is kept, the initialization included). The sum is the
prequential codelength, compared with the uniform code n * log2 K: their ratio is the
compression ratio. Labels may be corrupted as in the randomization study (each redrawn
uniformly with probability p): a network fits random labels perfectly (Zhang et al. 2017),
yet cannot compress them, since no prefix predicts the next labels.

`mixture` (on by default) codes each chunk with a Bayesian mixture of the trained model and the
uniform code, weights 1/2 each: -log2(2^-L_model / 2 + 2^-L_uniform / 2) bits, never more
than 1 bit above the better of the two. Without it, a model that is confidently wrong (random
labels, tiny prefixes whose held-out part is one or two labels) can cost far more than the
uniform code; it also caps random labels at the uniform code, hiding that overconfidence, so
the presets turn it off (the paper's code). Blier & Ollivier switch between several architectures and hyperparameters;
here a run uses one architecture, so its codelength is an upper bound on theirs. Same-shaped runs (an MLP per corruption level and seed) train each
chunk's models stacked in one worker; each chunk emits a point event as it is coded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from overfit_tui.core.events import PointEvent
from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.loop import EVAL_CHUNK
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member, train
from overfit_tui.studies import mdl_figures
from overfit_tui.studies.base import ExecContext, Figure, RunData, Study, Table
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.common import fusable_spec, load_data, randomize


@dataclass(frozen=True)
class Params:
    """Label conditions and the chunking and training of the prequential code."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.1, 0.2, 0.5, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels), one run each",
        range="[0, 1]",
    )
    first_fraction: float = field(
        0.001, "end of the first chunk (sent uniformly) as a fraction of n; at least 2", range="(0, 1)"
    )
    growth: float = field(
        2.0, "each timestep is this many times the previous one (the paper doubles)", range="(1, 100]"
    )
    held_out: float = field(
        0.1, "fraction of each prefix held out for early stopping (at least 1 example)", range="(0, 1)"
    )
    eval_steps: int = field(
        20, "gradient steps between two held-out evaluations (rounded up to whole epochs)", range="[1, 1e9]"
    )
    patience: int = field(
        15, "held-out evaluations without improvement before a chunk's training stops", range="[1, 1e6]"
    )
    min_steps: int = field(
        500, "each chunk's model trains at least this many steps (train.epochs otherwise)", range="[0, 1e9]"
    )
    mixture: bool = field(
        True, "code each chunk with a 1/2-1/2 mixture of the model and the uniform code (<= 1 bit more)"
    )

    def __post_init__(self):
        check(len(self.corruption) > 0, "corruption", "needs at least one level")
        for i, p in enumerate(self.corruption):
            check(0.0 <= p <= 1.0, f"corruption[{i}]", "must be in [0, 1]")
        check(0.0 < self.first_fraction < 1.0, "first_fraction", "must be in (0, 1)")
        check(self.growth > 1.0, "growth", "must be > 1")
        check(0.0 < self.held_out < 1.0, "held_out", "must be in (0, 1)")
        check(self.eval_steps > 0, "eval_steps", "must be > 0")
        check(self.patience > 0, "patience", "must be > 0")
        check(self.min_steps >= 0, "min_steps", "must be >= 0")


@dataclass(frozen=True)
class RunParams:
    """One label condition (the code's settings are the group's)."""

    p: float = field(0.0, "label corruption probability", range="[0, 1]")
    first_fraction: float = field(0.001, "first timestep / n", range="(0, 1)")
    growth: float = field(2.0, "timestep growth factor", range="(1, 100]")
    held_out: float = field(0.1, "held-out fraction of each prefix", range="(0, 1)")
    eval_steps: int = field(20, "steps between held-out evaluations", range="[1, 1e9]")
    patience: int = field(15, "evaluations without improvement before stopping", range="[1, 1e6]")
    min_steps: int = field(500, "minimum steps per chunk", range="[0, 1e9]")
    mixture: bool = field(True, "mixture with the uniform code per chunk")


def timesteps(n: int, first_fraction: float, growth: float) -> list[int]:
    """t_1 < t_2 < ... < t_S = n: chunk k is [t_k, t_k+1), the first chunk [0, t_1).

    t_1 = first_fraction * n (at least 2: a model needs one label to train and one held out),
    then each timestep is `growth` times the previous one, rounded, until n."""
    if n < 3:
        raise ValueError("prequential coding needs at least 3 examples")
    out = [min(n, max(2, round(first_fraction * n)))]
    while out[-1] < n:
        out.append(min(n, max(out[-1] + 1, round(out[-1] * growth))))
    return out


def uniform_bits(m: int, k: int) -> float:
    return m * math.log2(k)


def mix_bits(a: float, b: float) -> float:
    """Bits of a 1/2-1/2 Bayesian mixture of two codes that spend a and b bits on the same labels."""
    return min(a, b) + 1.0 - math.log2(1.0 + 2.0 ** -abs(a - b))


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


class PrequentialMDL(Study):
    name = "mdl"
    title = "Prequential description length"
    paper = "Blier & Ollivier 2018: The description length of deep learning models"
    pane = "memorization"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("codelength_kbits", "prequential", "kbits", ".4g", "lower", priority=1),
        Field("uniform_kbits", "uniform", "kbits", ".4g", priority=2),
        Field("compression_ratio", "ratio", "", ".3f", "lower", priority=1),
        Field("last_test_acc", "last model test acc", "%", ".1f", "higher", priority=2),
        Field("uniform_chunks", "chunks cheaper uniform", "", "d", priority=3),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 256, "depth": 1}],
            "train": {"optimizer": "adam", "lr": 3e-3, "lr_decay": 1.0, "batch_size": 64, "epochs": 10},
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        check(group.train.loss == "ce", "train.loss", "prequential coding needs probabilities: use 'ce'")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        g = group.params
        runs = []
        for model in group.models:
            for seeds in group.seeds:
                for p in g.corruption:
                    rp = RunParams(
                        p, g.first_fraction, g.growth, g.held_out, g.eval_steps, g.patience, g.min_steps, g.mixture
                    )
                    label = "true labels" if p == 0 else "random labels" if p == 1 else f"corrupt p={p:g}"
                    if len(group.models) > 1:
                        label = f"{model.label}: {label}"
                    runs.append(
                        RunSpec(self.name, label + group.seed_tag(seeds), group.data, model, group.train, seeds, rp)
                    )
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """Small MLPs with the same settings train each chunk stacked; other runs alone."""
        groups: dict[tuple, list[int]] = {}
        out = []
        for i, r in enumerate(runs):
            if fusable_spec(r, on_gpu):
                groups.setdefault((r.model, r.data, r.train, replace(r.params, p=0.0)), []).append(i)
            else:
                out.append([i])
        return sorted(out + [idx[j : j + 16] for idx in groups.values() for j in range(0, len(idx), 16)])

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
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
            self._emit(ctx, i, 0, bounds[0], totals[i]["bits"], totals[i]["bits"], k, True)
            live.append(i)
        test = base.to(ctx.device)
        coded = 1  # chunks coded so far, for every live run
        for c in range(1, len(bounds)):
            if ctx.should_stop() or not live:
                break
            prefix, end = bounds[c - 1], bounds[c]
            models, stop = self._fit_prefix(runs, live, streams, prefix, c, k, ctx)
            for i in list(live):
                if ctx.member_cancelled(i):
                    live.remove(i)
                    ctx.finish(i, "cancelled", self._summary(totals[i], bounds, c, k))
                    continue
                held = stop.best.get(i, math.inf) / math.log(2)
                x, y = streams[i][0][prefix:end], streams[i][1][prefix:end]
                model_bits, flat = code_bits(models[i], x, y), uniform_bits(end - prefix, k)
                bits = mix_bits(model_bits, flat) if runs[i].params.mixture else model_bits
                totals[i]["bits"] += bits
                totals[i]["uniform_chunks"] += int(flat < model_bits)
                totals[i]["last_test_acc"] = _accuracy(models[i], test.x_test, test.y_test)
                extra = {"model_bits": model_bits, "held_out_bits": held if math.isfinite(held) else None}
                self._emit(
                    ctx, i, prefix, end, bits, totals[i]["bits"], k, flat < model_bits, stop.steps.get(i, 0), extra
                )
            coded = c + 1
        for i in live:
            status = "finished" if coded == len(bounds) else "cancelled"
            ctx.finish(i, status, self._summary(totals[i], bounds, coded, k))

    def _fit_prefix(self, runs, live, streams, prefix, c, k, ctx):
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

    def _emit(self, ctx, i, start, end, bits, cum, k, uniform, steps=0, extra=None) -> None:
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

    def _summary(self, total: dict, bounds: list[int], coded: int, k: int) -> dict:
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

    def claims(self) -> tuple[Claim, ...]:
        return mdl_figures.CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return mdl_figures.figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return mdl_figures.tables(runs, self.field)


@torch.no_grad()
def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum(
        (model(x[i : i + EVAL_CHUNK]).argmax(-1) == y[i : i + EVAL_CHUNK]).sum().item()
        for i in range(0, len(x), EVAL_CHUNK)
    )
    return correct / len(x)
