"""Overparameterization, part 2: gradient descent near initialization (Du, Zhai, Poczos, Singh,
ICLR 2019, "Gradient descent provably optimizes over-parameterized neural networks"; the
reading-group notes' §5.2; the paper's Fig. 1 on synthetic data).

A two-layer ReLU net f(x) = m^-1/2 sum_r a_r relu(w_r . x) (studies/shared/overparam_nets.py), first
layer w_r ~ N(0, I) trained, output signs a_r fixed, squared loss 1/2 sum (f - y)^2, full-batch
gradient descent with step `train.lr`, n points uniform on the unit sphere of R^d
(`data.n_train`, `data.gaussian_dim`) with N(0, 1) labels (or random ±1). One run per width m
and seed, all in one worker; every width of a seed fits the same data (seeds.noise). Over
training: the loss (the paper: linear convergence), the largest distance from init
max_r |w_r(t) - w_r(0)| (the paper's Fig. 1c), the fraction of ReLU activation patterns changed
since init (Fig. 1b), and for n <= `gram_max_n` the Gram matrix H(t): its smallest eigenvalue
and its distance |H(t) - H(0)|_2 from init, both over lambda_0 = lambda_min(H^inf), H^inf the
infinite-width Gram matrix (closed form for unit-norm inputs). Every step's loss ratio
|y - u(t+1)|^2 / |y - u(t)|^2 is checked against the theorem's rate 1 - eta lambda_0 / 2.

The theory (Thm. 3.1, Lemmas 3.1-3.3) is about m large compared with n: the claims are decided
on the widths m >= n ("over-parameterized"); widths m < n ("under-parameterized", where the
theory's conditions break) are run and shown beside them, each claim's text says what they do,
but they do not enter the decision.

Deviations: the paper uses n = d = 1000 and m up to a few thousand on a GPU; the CPU preset is
smaller (see its file). `train.epochs` is the number of GD steps; batch size, momentum and lr
decay are not used (plain GD). data.name 'gaussian' marks the data as synthetic: none is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.studies.base import Figure, RunData, Series, Study, carry
from overfit_tui.studies.claims import Claim, Mean, Verdict, arms, by_seed, exceeds, finished, pending, within
from overfit_tui.studies.replicates import replicate_series, replicates, scalar_series


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    labels: Literal["gaussian", "signs"] = field("gaussian", "labels: N(0, 1) (the paper) or random ±1")


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    widths: tuple[int, ...] = field(
        (10, 25, 100, 200, 400, 800, 1600, 3200),
        "hidden units m (a log grid), one run each; m < n: under-parameterized",
        range="[1, 1e6]",
    )
    gram_max_n: int = field(
        200, "track the Gram matrix's smallest eigenvalue when n is at most this", range="[0, 5000]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(len(self.widths) > 0 and all(0 < m <= 1_000_000 for m in self.widths), "widths", "needs m in [1, 1e6]")
        check(0 <= self.gram_max_n <= 5000, "gram_max_n", "must be in [0, 5000]")


@dataclass(frozen=True)
class RunParams(Settings):
    width: int = field(100, "hidden units m", range="[1, 1e6]")
    gram: bool = field(True, "track the Gram matrix's smallest eigenvalue")


MEASURES = {  # point value -> (figure title, y label, log y)
    "loss": ("Training loss (the paper: linear convergence)", "1/2 sum (f - y)^2", True),
    "distance": ("Largest distance from init (Fig. 1c)", "max_r |w_r - w_r(0)|", True),
    "patterns": ("Activation patterns changed since init (Fig. 1b)", "fraction of (i, r)", True),
    "lambda_ratio": ("Smallest Gram eigenvalue over lambda_0 (theory: >= 1/2)", "lambda_min H(t) / lambda_0", False),
    "gram_drift": ("Gram drift over lambda_0 (theory: < 1/4)", "|H(t) - H(0)|_2 / lambda_0", False),
}
FLOOR = 1e-12  # loss ratios are checked while the loss is above this fraction of its start (float64 round-off)
OVER = 1.0  # widths m >= OVER * n are the over-parameterized ones the claims decide on
SLOPE = -0.5  # the theory's exponent of m for the distance from init and the changed patterns
SLOPE_MARGIN = 0.15  # |slope + 1/2| allowed: a max over m units adds ~sqrt(log m) (~0.08 over 100..3200)


class OverparamDu(Study):
    name = "overparam_du"
    title = "Overparameterization: GD near initialization"
    paper = "Du, Zhai, Poczos, Singh 2019: Gradient descent provably optimizes over-parameterized neural networks"
    pane = "overparameterization"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("width", "m", "", "d", priority=1),
        Field("final_loss", "final loss", "", ".3g", "lower", priority=1),
        Field("loss_ratio", "loss / initial", "", ".2e", "lower", priority=2),
        Field("distance", "max distance", "", ".3g", priority=1),
        Field("patterns", "patterns changed", "%", ".2f", priority=1),
        Field("lambda0", "lambda_0 = lambda_min H^inf", "", ".3g", priority=3),
        Field("lambda_h0", "lambda_min H(0) / lambda_0", "", ".3g", priority=3),
        Field("gram_low", "min lambda_min H(t) / lambda_0", "", ".3g", priority=2),
        Field("gram_drift", "max |H(t) - H(0)| / lambda_0", "", ".3g", priority=2),
        Field("contraction", "worst step loss ratio", "", ".4f", priority=2),
        Field("rate_bound", "1 - eta lambda_0 / 2", "", ".4f", priority=3),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "gaussian", "n_train": 100, "gaussian_dim": 200},
            "models": [{"name": "linear"}],  # not used: the nets are built here
            "train": {"lr": 0.5, "momentum": 0.0, "lr_decay": 1.0, "epochs": 1000, "log_every": 10},
            "seeds": [0, 1, 2],
        }

    def validate(self, group: GroupSpec) -> None:
        check(group.data.name == "gaussian", "data.name", "the data are synthetic: keep data.name = 'gaussian'")
        check(group.data.n_train >= 2, "data.n_train", "must be >= 2 (n points on the sphere)")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        gram_on = group.data.n_train <= p.gram_max_n
        return [
            RunSpec(
                self.name,
                f"m={m}" + group.seed_tag(s),
                group.data,
                group.models[0],
                group.train,
                s,
                RunParams(width=m, gram=gram_on, **carry(Settings, p)),
            )
            for s in group.seeds
            for m in sorted(set(p.widths))
        ]

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """One job for the group: seconds of training, less than a worker process per seed costs to start."""
        return [list(range(len(runs)))]

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        figs = []
        for key, (title, ylabel, ylog) in MEASURES.items():
            series = _point_series(runs, key)
            if series or key not in ("lambda_ratio", "gram_drift"):
                figs.append(Figure(f"du_{key}", f"{title}, per width", "GD step", ylabel, series, ylog=ylog))
        done = [r for r in runs if "distance" in r.summary]
        m = lambda r: r.summary["width"]
        final = [
            scalar_series("max distance", done, m, lambda r: r.summary["distance"]),
            scalar_series("patterns changed", done, m, lambda r: r.summary["patterns"]),
        ]
        n = min((r.data.n_train for r in done), default=0)
        ref = _reference(final[0], n)
        figs.append(
            Figure(
                "du_vs_width",
                "Final distance from init and changed patterns vs width (theory: m^-1/2 for m >> n)",
                "width m",
                "final value",
                tuple(final) + ((ref,) if ref else ()),
                xlog=True,
                ylog=True,
                vlines=tuple((float(n), "m = n") for n in {r.data.n_train for r in done}),
            )
        )
        return figs


def _point_series(runs: list[RunData], key: str) -> tuple[Series, ...]:
    """One curve per width: the mean over seeds of a 'du' point value, with a min-max band."""
    out = []
    for name, rs in replicates(runs):
        curves = []
        for r in rs:
            pts = [(p["x"], p["values"][key]) for p in r.points("du") if p["values"].get(key) is not None]
            if pts:
                curves.append((tuple(p[0] for p in pts), tuple(p[1] for p in pts)))
        if (s := replicate_series(name, curves)) is not None:
            out.append(s)
    return tuple(out)


def _reference(s: Series, n: int = 0) -> Series | None:
    """c m^-1/2 through the first point of `s` at m >= n (the first at all if none): the theory's rate, for the eye."""
    if not s.x:
        return None
    i = next((j for j, m in enumerate(s.x) if m >= n), 0)
    if s.y[i] <= 0:
        return None
    c = s.y[i] * math.sqrt(s.x[i])
    return Series("m^-1/2 (theory)", s.x, tuple(c / math.sqrt(m) for m in s.x))


# -- claims: decided over seeds on the over-parameterized widths (m >= n) ------------------------
def _width(r: RunData) -> int:
    return r.params.width


def _over(r: RunData) -> bool:
    return _width(r) >= OVER * r.data.n_train


def _regimes(runs: list[RunData], need: int = 1):
    """{width: finished runs} for the over- and the under-parameterized widths, or a pending
    verdict while an over-parameterized width is missing or unfinished (or there are < need)."""
    over = sorted({_width(r) for r in runs if _over(r)})
    under = sorted({_width(r) for r in runs if not _over(r)})
    if len(over) < need:
        return pending(f"needs ≥ {need} widths m >= n (has {len(over)})")
    got = arms(runs, **{f"m_{m}": (lambda r, m=m: _width(r) == m) for m in over})
    if isinstance(got, Verdict):
        return got
    done_under = {m: finished(runs, lambda r, m=m: _width(r) == m) for m in under}
    return {m: got[f"m_{m}"] for m in over}, {m: rs for m, rs in done_under.items() if rs}


def _per_seed(by_m: dict[int, list[RunData]], value) -> dict[tuple, dict[int, float]]:
    """seed -> {width: value} (None values dropped)."""
    out: dict[tuple, dict[int, float]] = {}
    for m, rs in by_m.items():
        for s, v in by_seed(rs, value).items():
            out.setdefault(s, {})[m] = v
    return out


def _worst(by_m: dict[int, list[RunData]], value) -> Mean | None:
    """Per seed, the smallest value over the widths (a seed missing a width is left out)."""
    seeds = _per_seed(by_m, value)
    return Mean.of(min(vs.values()) for vs in seeds.values() if len(vs) == len(by_m))


def _slope(points: dict[int, float]) -> float | None:
    """Least-squares slope of log value on log m (values <= 0 read as unusable: None)."""
    if len(points) < 2 or any(v <= 0 for v in points.values()):
        return None
    xs = [math.log(m) for m in points]
    ys = [math.log(v) for v in points.values()]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def _slopes(by_m: dict[int, list[RunData]], value) -> Mean | None:
    seeds = _per_seed(by_m, value)
    return Mean.of(s for vs in seeds.values() if len(vs) == len(by_m) and (s := _slope(vs)) is not None)


def _with_under(v: Verdict, under: str) -> Verdict:
    return Verdict(v.status, f"{v.measured}; {under}" if v.measured and under else v.measured, v.detail, v.evidence)


def _under_text(under: dict[int, list[RunData]], what: str, stat) -> str:
    """What the under-parameterized widths show (not decided on)."""
    if not under:
        return ""
    m = stat(under)
    return f"m < n ({', '.join(map(str, under))}): {what} {m.mean:.3g} (n={m.n}, not decided on)" if m else ""


def _falls(key: str, what: str):
    def value(r: RunData) -> float | None:
        v = r.summary.get(key)
        if key == "patterns" and v == 0:  # no change at all: below the resolution 1 / (n m)
            return 0.5 / (r.data.n_train * _width(r))
        return v

    def check(runs):
        got = _regimes(runs, need=3)
        if isinstance(got, Verdict):
            return got
        over, under = got
        slope = _slopes(over, value)
        v = within(
            slope,
            SLOPE - SLOPE_MARGIN,
            SLOPE + SLOPE_MARGIN,
            f"log-log slope of {what} over m = {min(over)}..{max(over)}",
        )
        ends = {m: Mean.of(by_seed(over[m], value).values()) for m in (min(over), max(over))}
        ends_text = ", ".join(f"m={m}: {e.mean:.3g}" for m, e in ends.items() if e)
        low = {**under, min(over): over[min(over)]}
        under_text = (
            _under_text(under, f"slope m = {min(low)}..{min(over)}", lambda _: _slopes(low, value)) if under else ""
        )
        return _with_under(
            Verdict(v.status, f"{v.measured} ({ends_text})" if v.measured else "", v.detail, v.evidence), under_text
        )

    return check


def _check_linear(runs):
    got = _regimes(runs)
    if isinstance(got, Verdict):
        return got
    over, under = got
    slack = lambda r: r.summary["rate_bound"] - r.summary["contraction"]
    v = exceeds(_worst(over, slack), 0.0, "(1 - eta lambda_0 / 2) - worst per-step loss ratio, worst width,")
    return _with_under(v, _under_text(under, "slack", lambda u: _worst(u, slack)))


def _check_gram(runs):
    got = _regimes(runs)
    if isinstance(got, Verdict):
        return got
    over, under = got
    if not any(r.summary.get("gram_low") is not None for rs in over.values() for r in rs):
        return pending("no run with the Gram matrix tracked (n <= gram_max_n)")

    def slack(r: RunData) -> float | None:
        low, drift = r.summary.get("gram_low"), r.summary.get("gram_drift")
        return None if low is None or drift is None else min(low - 0.5, 0.25 - drift)

    v = exceeds(
        _worst(over, slack), 0.0, "min(lambda_min H(t) / lambda_0 - 1/2, 1/4 - |H(t) - H(0)| / lambda_0), worst width,"
    )
    parts = []  # the two halves apart, and the smallest width from which each holds on every seed
    for name, key, f in (
        ("lambda_min H(t) / lambda_0 - 1/2", "gram_low", lambda v: v - 0.5),
        ("1/4 - |H(t) - H(0)| / lambda_0", "gram_drift", lambda v: 0.25 - v),
    ):
        part = lambda r, key=key, f=f: None if r.summary.get(key) is None else f(r.summary[key])
        w = _worst(over, part)
        ok = [m for m in over if all((part(r) or 0) > 0 for r in over[m])]
        tail = [m for m in ok if all(k in ok for k in over if k >= m)]
        if w:
            parts.append(f"{name}: {w.mean:.3g}" + (f", > 0 on every seed from m = {min(tail)}" if tail else ""))
    v = Verdict(v.status, f"{v.measured} [{'; '.join(parts)}]" if v.measured else "", v.detail, v.evidence)
    return _with_under(v, _under_text(under, "slack", lambda u: _worst(u, slack)))


CLAIMS = (
    Claim(
        "loss-linear",
        "For m >= n, GD converges linearly at least at the theorem's rate: every step multiplies "
        "|y - u|^2 by at most 1 - eta lambda_0 / 2 (lambda_0 = lambda_min H^inf).",
        "Thm. 3.1, Fig. 1a",
        "|y - u(k)|^2 <= (1 - eta lambda_0 / 2)^k |y - u(0)|^2",
        _check_linear,
        margin="per seed, the worst width's slack (1 - eta lambda_0 / 2) - max_k ratio; its mean > 0 (one-sided 95 %)",
        fpr=0.0,
        power=1.0,
    ),
    Claim(
        "distance-falls",
        "For m >= n, the largest distance of a w_r from its init falls like m^-1/2.",
        "Fig. 1c, Thm. 3.1 (R')",
        "slope -1/2 on log-log",
        _falls("distance", "max_r |w_r - w_r(0)|"),
        margin=f"per seed, the least-squares log-log slope over every width m >= n; its mean in "
        f"[{SLOPE - SLOPE_MARGIN:g}, {SLOPE + SLOPE_MARGIN:g}] (equivalence, 95 %)",
        fpr=0.0,
        power=0.84,
    ),
    Claim(
        "patterns-fall",
        "For m >= n, the fraction of changed ReLU activation patterns falls like m^-1/2.",
        "Fig. 1b, Lemma 3.2",
        "slope -1/2 on log-log",
        _falls("patterns", "changed patterns"),
        margin=f"per seed, the least-squares log-log slope over every width m >= n; its mean in "
        f"[{SLOPE - SLOPE_MARGIN:g}, {SLOPE + SLOPE_MARGIN:g}] (equivalence, 95 %)",
        fpr=0.0,
        power=0.99,
    ),
    Claim(
        "gram-stable",
        "For m >= n, the Gram matrix stays near its init: |H(t) - H(0)|_2 < lambda_0 / 4 and "
        "lambda_min H(t) >= lambda_0 / 2 all along.",
        "Lemma 3.2 / Thm. 3.1",
        "lambda_min H(t) >= lambda_0 / 2",
        _check_gram,
        margin="per seed, the worst width's slack min(lambda_min H(t) / lambda_0 - 1/2, 1/4 - |H(t) - H(0)|_2 "
        "/ lambda_0); its mean > 0 (one-sided 95 %)",
        fpr=0.0,
        power=1.0,
    ),
)
