"""Overparameterization, part 1: XOR detection (Brutzkus & Globerson, ICML 2019, "Why do larger
models generalize better? A theoretical perspective via the XOR problem"; the reading-group
notes' §5.3, Fig. 13-15).

Inputs in {±1}^{2d} as d patterns; positive iff some pattern is (1, 1) or (-1, -1). The net
(studies/shared/overparam_nets.py): 2k width-2 stride-2 filters, ReLU, max-pool over patterns, a fixed
output layer (+1 for k filters, -1 for the other k), full-batch gradient descent on the hinge
loss from a small Gaussian init, until the loss is 0 or `train.epochs` steps (one step is one
epoch: full batch); the training loss every `train.log_every` steps, the test set every
`train.eval_every`. One run per k and seed; every k of a seed sees the same training and test
sets (seeds.noise), so the sweep is paired. Each run stores its filters at init and at the end.

Compression (the notes' Fig. 15): the largest net's final filters are clustered by k-means into
`compress_to` centres per sign; a small net starts from the centres and trains like the others.
It is compared with the same small net from random init (the k = compress_to run of the sweep).
`compress` picks the start: the centres as they are ('centres', the notes' reading), and/or each
centre times its cluster's size ('scaled': sum_i relu(w_i . x) ~ n_c relu(c . x), so the small
net starts near the large net's function rather than at the init's tiny scale).

Deviations: the paper's theory uses a leaky ReLU (`params.leak` sets its slope; 0, the default,
is the ReLU of its experiments and the issue) and leaves the data distribution D open; we use a
balanced D: positives uniform over the inputs with
a positive pattern, negatives each pattern from {(1,-1), (-1,1)}. Training and test set sizes
are `data.n_train` / `data.n_test` (data.name 'gaussian' only marks the data as synthetic: none
is loaded). `train.lr` is the step size; batch size, momentum and lr decay are not used (plain GD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec, Seeds
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Series, Study, Table, carry
from overfit_tui.studies.claims import (
    Claim,
    Mean,
    Verdict,
    arms,
    by_seed,
    exceeds,
    fmt_pct,
    paired,
    pending,
    summary,
    too_few_seeds,
    verdict,
)
from overfit_tui.studies.replicates import scalar_series, stat


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    patterns: int = field(6, "d: patterns (pairs of ±1) per input", range="[1, 1000]")
    init_std: float = field(0.02, "std of the Gaussian filter init (small, as the paper)", range="(0, 10]")
    leak: float = field(
        0.0, "negative slope of the activation: 0 = ReLU; the paper's theory uses a leaky ReLU", range="[0, 1)"
    )
    snapshots: bool = field(True, "also store the filters at GD steps 1, 2, 4, 8, ... (their trail over training)")


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    ks: tuple[int, ...] = field(
        (2, 4, 10, 25, 50, 100), "filters per sign k (2k filters in all), one run each", range="[1, 10000]"
    )
    compress_to: int = field(
        2, "k of the compressed net (k-means centres per sign); 0 = no compression run", range="[0, 10000]"
    )
    compress: tuple[Literal["centres", "scaled"], ...] = field(
        ("centres", "scaled"), "compressed starts: the k-means centres, and/or each centre x its cluster's size"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(len(self.ks) > 0 and all(0 < k <= 10_000 for k in self.ks), "ks", "needs k in [1, 10000]")
        check(1 <= self.patterns <= 1000, "patterns", "must be in [1, 1000]")
        check(0 < self.init_std <= 10, "init_std", "must be in (0, 10]")
        check(0 <= self.compress_to <= 10_000, "compress_to", "must be in [0, 10000]")
        check(0 <= self.leak < 1, "leak", "must be in [0, 1)")
        check(
            self.compress_to == 0 or max(self.ks) >= self.compress_to,
            "compress_to",
            f"the largest k ({max(self.ks)}) has fewer filters per sign than {self.compress_to} centres",
        )


@dataclass(frozen=True)
class RunParams(Settings):
    k: int = field(2, "filters per sign", range="[1, 10000]")
    init: Literal["random", "centres", "scaled"] = field(
        "random", "random init, the largest net's k-means centres, or the centres x their cluster sizes"
    )
    source_k: int = field(0, "k of the net whose filters were clustered (compressed only)", range="[0, 10000]")


TEST_ERROR = Field("test_error", "test error", "%", ".1f", "lower", priority=1)
TRAIN_ERROR = Field("train_error", "train error", "%", ".1f", "lower", priority=1)


class OverparamXOR(Study):
    name = "overparam_xor"
    title = "Overparameterization: XOR detection"
    paper = "Brutzkus & Globerson 2019: Why do larger models generalize better? A theoretical perspective via the XOR problem"
    pane = "overparameterization"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("k", "k", "", "d", priority=1),
        Field("init", "init", priority=2),
        TRAIN_ERROR,
        TEST_ERROR,
        Field("final_loss", "hinge loss", "", ".3g", "lower", priority=3),
        TRAIN_FIELDS["steps_to_fit"],
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "gaussian", "n_train": 16, "n_test": 2000},
            "models": [{"name": "linear"}],  # not used: the nets are built here
            "train": {"lr": 0.02, "momentum": 0.0, "lr_decay": 1.0, "epochs": 3000, "log_every": 10, "eval_every": 50},
            "seeds": [0, 1, 2],
        }

    def validate(self, group: GroupSpec) -> None:
        check(group.data.name == "gaussian", "data.name", "XOR data are synthetic: keep data.name = 'gaussian'")
        check(group.data.n_train >= 2 and group.data.n_test >= 2, "data", "n_train and n_test must be >= 2")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        runs = []
        for s in group.seeds:
            for k in sorted(set(p.ks)):
                rp = RunParams(k=k, **carry(Settings, p))
                runs.append(self._run(group, f"k={k}", s, rp))
            big = max(p.ks)
            for how in dict.fromkeys(p.compress) if p.compress_to else ():
                rp = RunParams(k=p.compress_to, init=how, source_k=big, **carry(Settings, p))
                runs.append(self._run(group, f"k={p.compress_to} from k={big} {_START[how]}", s, rp))
        return runs

    def _run(self, group: GroupSpec, label: str, s: Seeds, rp: RunParams) -> RunSpec:
        return RunSpec(self.name, label + group.seed_tag(s), group.data, group.models[0], group.train, s, rp)

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """One job for the group: the nets are tiny, so a worker process per seed would cost more to
        start than it trains (a seed's compressed runs follow its largest net in `runs`' order)."""
        return [list(range(len(runs)))]

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        sweep = [r for r in runs if _init(r) == "random" and "test_error" in r.summary]
        k = lambda r: r.summary["k"]
        figs = [
            Figure(
                "error_vs_k",
                "Test and training error vs k (random init)",
                "k (filters per sign)",
                "error",
                (
                    scalar_series("test", sweep, k, lambda r: r.summary["test_error"]),
                    scalar_series("train", sweep, k, lambda r: r.summary["train_error"]),
                    # no band of its own: it would cover the test band it lies inside; its n per k
                    # (the runs that fit there) is in its legend entry
                    replace(
                        scalar_series(
                            "test, fitted runs only", [r for r in sweep if r.summary["train_error"] == 0], k, _test
                        ),
                        lo=None,
                        hi=None,
                    ),
                ),
                xlog=True,
            )
        ]
        ks = sorted({r.summary["k"] for r in sweep})
        for kk in ks[-1:] + ks[:1] if len(ks) > 1 else ks:
            r = next(r for r in sweep if r.summary["k"] == kk)
            for when in ("init", "final"):
                figs.append(_filter_figure(r, when))
            if kk == ks[-1] and r.points("filters_snap"):
                figs.append(_trail_figure(r))
        return figs

    def tables(self, runs: list[RunData]) -> list[Table]:
        done = [r for r in runs if "test_error" in r.summary]
        comp = [r for r in done if _init(r) != "random"]
        if not comp:
            return []
        small = comp[0].summary["k"]
        source = comp[0].params.source_k
        rows = []
        for name, rs in (
            (f"k={small}, random init", [r for r in done if _init(r) == "random" and r.summary["k"] == small]),
            *((f"k={small}, from k={source} {_START[h]}", [r for r in comp if _init(r) == h]) for h in _START),
            (f"k={source}, random init", [r for r in done if _init(r) == "random" and r.summary["k"] == source]),
        ):
            if rs:
                rows.append((name, stat(rs, "test_error"), stat(rs, "train_error"), stat(rs, "steps"), len(rs)))
        return [
            Table(
                "Compression: a small net from the large net's filter centres (notes Fig. 15)",
                ("net", "test error", "train error", "GD steps", "seeds"),
                tuple(rows),
                (None, TEST_ERROR, TRAIN_ERROR, Field("steps", "steps", "", ".0f"), None),
            )
        ]


_START = {"centres": "centres", "scaled": "centres x size"}


def _test(r: RunData) -> float:
    return r.summary["test_error"]


def _init(r: RunData) -> str:
    return r.params.init


def _filter_figure(r: RunData, when: str) -> Figure:
    pts = r.points(f"filters_{when}")
    series = []
    for sign, name in ((1, "+1 filters (w)"), (-1, "-1 filters (u)")):
        mine = [p["values"] for p in pts if p["values"]["sign"] == sign]
        series.append(Series(name, tuple(v["w1"] for v in mine), tuple(v["w2"] for v in mine), points=True))
    what = "at initialization" if when == "init" else "after training"
    return Figure(
        f"filters_{when}_{r.summary.get('k')}",
        f"Filters {what} ({r.label}): positive patterns (1,1), (-1,-1)",
        "filter[0]",
        "filter[1]",
        tuple(series),
        vlines=((0.0, ""),),
        hlines=((0.0, ""),),
    )


def _trail_figure(r: RunData) -> Figure:
    """Every stored snapshot of the filters at once: their paths from the init to the clusters."""
    pts = r.points("filters_init") + r.points("filters_snap") + r.points("filters_final")
    series = []
    for sign, name in ((1, "+1 filters (w)"), (-1, "-1 filters (u)")):
        mine = [p["values"] for p in pts if p["values"]["sign"] == sign]
        series.append(Series(name, tuple(v["w1"] for v in mine), tuple(v["w2"] for v in mine), points=True))
    steps = sorted({p["x"] for p in r.points("filters_snap")})
    return Figure(
        f"filters_trail_{r.summary.get('k')}",
        f"Filters over training, steps 0, {', '.join(f'{s:g}' for s in steps)} and the end ({r.label})",
        "filter[0]",
        "filter[1]",
        tuple(series),
        vlines=((0.0, ""),),
        hlines=((0.0, ""),),
    )


# -- claims: decisions over seeds (each seed's sweep is paired: same data, inits by k) -------
MIN_FIT_SEEDS = 5  # 'fits' needs every seed at 0: with 5, a net that fits half the time passes 3 %
MIN_FALL = 0.01  # test error must fall by more than 1 point per decade of k (one-sided 95 %)
MIN_GAIN = 0.02  # a compressed start must beat random init by more than 2 points of test error


def _random(r: RunData) -> bool:
    return _init(r) == "random"


def _ks(runs: list[RunData]) -> list[int]:
    return sorted({r.params.k for r in runs if _random(r)})


def _check_fits(runs):
    ks = _ks(runs)
    if not ks:
        return pending("needs: random-init runs")
    got = arms(runs, largest_k=lambda r: _random(r) and r.params.k == ks[-1])
    if isinstance(got, Verdict):
        return got
    errs = by_seed(got["largest_k"], summary("train_error"))
    if (few := too_few_seeds(len(errs), MIN_FIT_SEEDS)) is not None:
        return few
    fitted = sum(v == 0 for v in errs.values())
    m = Mean.of(errs.values())
    ev = m.evidence("every seed at 0", "training error at the largest k")
    return verdict(
        fitted == len(errs),
        f"k={ks[-1]}: {fitted}/{len(errs)} seeds at 0 training error (mean {fmt_pct(m.mean)})",
        f"every seed of k={ks[-1]} at zero training error (>= {MIN_FIT_SEEDS} seeds)",
        ev,
    )


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y on x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def _check_error_falls(runs):
    ks = _ks(runs)
    if len(ks) < 3:
        return pending(f"needs random-init runs at 3 k or more (has {len(ks)})")
    got = arms(runs, **{f"k_{k}": (lambda r, k=k: _random(r) and r.params.k == k) for k in ks})
    if isinstance(got, Verdict):
        return got
    per_seed: dict[tuple, list[tuple[float, float]]] = {}
    for k in ks:
        for s, v in by_seed(got[f"k_{k}"], summary("test_error")).items():
            per_seed.setdefault(s, []).append((math.log10(k), v))
    slopes = [sl for pts in per_seed.values() if len(pts) == len(ks) and (sl := _slope(pts)) is not None]
    fall = Mean.of(-s for s in slopes)  # the fall of test error per decade of k, > 0 when it falls
    if fall is None:
        return pending("no seed has every k yet")
    ends = {k: Mean.of(by_seed(got[f"k_{k}"], summary("test_error")).values()) for k in (ks[0], ks[-1])}
    v = exceeds(fall, MIN_FALL, "fall of test error per decade of k")
    lo, hi = ends[ks[0]], ends[ks[-1]]
    return Verdict(
        v.status,
        f"{v.measured}; k={ks[0]}: {fmt_pct(lo.mean)}, k={ks[-1]}: {fmt_pct(hi.mean)}" if v.measured else "",
        v.detail + f": per-seed least-squares slope of test error on log10 k over k = {ks[0]}..{ks[-1]}",
        v.evidence,
    )


def _check_compression(how: str):
    def check(runs):
        comp = [r for r in runs if _init(r) == how]
        if not comp:
            return pending(f"needs: k from the {_START[how]} (compress = {how!r})")
        small = comp[0].params.k
        got = arms(
            runs,
            compressed=lambda r: _init(r) == how,
            random_init_same_k=lambda r: _random(r) and r.params.k == small,
        )
        if isinstance(got, Verdict):
            return got
        gain = paired(
            by_seed(got["random_init_same_k"], summary("test_error")), by_seed(got["compressed"], summary("test_error"))
        )
        return exceeds(gain, MIN_GAIN, f"k={small}: test error, random init minus {_START[how]} start,")

    return check


CLAIMS = (
    Claim(
        "fits",
        "The large net reaches zero training error.",
        "Fig. 1 / notes Fig. 13",
        "0 %",
        _check_fits,
        margin=f"every seed of the largest k at 0 training error, >= {MIN_FIT_SEEDS} seeds",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "error-falls",
        "Test error falls as the number of filters k grows.",
        "Fig. 1 / notes Fig. 13",
        "lower at k = 50-100 than at k = 2",
        _check_error_falls,
        margin=f"mean over seeds of the per-seed fall of test error per decade of k > {MIN_FALL:g} (one-sided 95 %)",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "compression",
        "A small net started from the large net's filter centres beats the same net from random init.",
        "notes Fig. 15",
        "far lower test error",
        _check_compression("centres"),
        margin=f"paired per seed: test error (random init - centres) > {MIN_GAIN:g} (one-sided 95 %)",
        fpr=0.02,
        power=1.0,
    ),
    Claim(
        "compression-scaled",
        "So does one started from the centres scaled by their cluster sizes (the large net's function).",
        "notes Fig. 15 (our variant)",
        "",
        _check_compression("scaled"),
        margin=f"paired per seed: test error (random init - scaled centres) > {MIN_GAIN:g} (one-sided 95 %)",
        fpr=0.03,
        power=1.0,
    ),
)
