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

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.mdl import figures as mdl_figures
from overfit_tui.studies.shared.jobs import fusable_spec


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

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


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.1, 0.2, 0.5, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels), one run each",
        range="[0, 1]",
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """Label conditions and the chunking and training of the prequential code."""

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
class RunParams(Settings):
    """One label condition (the code's settings are the group's)."""

    p: float = field(0.0, "label corruption probability", range="[0, 1]")


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
                    rp = RunParams(p=p, **carry(Settings, g))
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

    def claims(self) -> tuple[Claim, ...]:
        return mdl_figures.CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return mdl_figures.figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return mdl_figures.tables(runs, self.field)
