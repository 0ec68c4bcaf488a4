"""The claims of Li et al. 2018 ("Measuring the intrinsic dimension of objective
landscapes"), checked on an intrinsic-dimension group as decisions with a null: d_int90 far
below D, far larger for shuffled labels, roughly constant across the widths of one family,
smaller for a convolutional net than for an MLP, and raised by shuffled pixels for the
convolutional net only.

Every check reads the relative d_int90 (the paper's definition: the smallest measured d
reaching 90 % of the directly trained baseline of the same model and variant), per seed, from
the sweeps of figures.py, and decides on log10 d over >= 3 seeds, paired by seed
where two sweeps are compared (a seed's sweeps share its init and projection seeds): a
one-sided 95 % t-bound against a margin from the paper (`exceeds`), or a 90 % interval inside
a tolerance (`within`, an equivalence). Several sweeps, widths or models: every one must hold
(intersection-union).

Only complete sweeps count: a (model, variant, seed) with a run still queued or running is
left out. Censoring: a seed whose sweep never crosses has d_int90 somewhere above its largest
measured d, at most D (`(lo, hi)`); a claim is decided at both ends of every censored sweep
and holds (or fails) only where both ends agree, else it is pending ("extend params.dims").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import product

from overfit_tui.core.specs import ModelSpec
from overfit_tui.core.status import ACTIVE
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, Mean, Verdict, all_hold, exceeds, pending, within
from overfit_tui.studies.intrinsic_dimension.figures import Sweep, seed_tag, sweeps

FAR_BELOW = 100  # D / d_int90 above 10^2: the paper's MNIST 153x (LeNet) and 266x (FC), order of magnitude
LABELS_FACTOR = 100  # shuffled / true labels above 10^2: the paper's 190,000 / 750 = 253x, order of magnitude
WIDTH_SPREAD = 2  # "roughly constant": each width's d_int90 within x2 of the narrowest's (the paper: x1.3 over 24x D)
CNN_FACTOR = 1  # fewer: the MLP's d_int90 above the CNN's (the paper: 750 / 290 = 2.6x absolute, 525 / 275 = 1.9x)
PIXELS_FACTOR = 2  # shuffled pixels raise the CNN's d_int90 at least x2 (the paper: LeNet 290 -> 1,400, x4.8)
CONV = ("cnn", "lenet", "conv")  # model names of convolutional nets
WHAT = {"true": "true-label", "shuffled_pixels": "shuffled-pixel", "shuffled_labels": "shuffled-label"}


@dataclass(frozen=True)
class Dint:
    """One sweep's relative d_int90 over its complete seeds: the crossings, and how many
    seeds never crossed (their d_int90 is only known to exceed `max_d`)."""

    sweep: Sweep
    hits: tuple[int, ...]
    misses: int

    @property
    def known(self) -> bool:
        return bool(self.hits) and not self.misses

    @property
    def mean(self) -> float:
        return sum(self.hits) / len(self.hits)

    @property
    def low(self) -> float:
        """A lower bound of the mean: the misses counted at the largest measured d."""
        vals = [*self.hits, *[self.sweep.max_d] * self.misses]
        return sum(vals) / len(vals)

    def text(self) -> str:
        if not self.hits:
            return f"> {self.sweep.max_d:,}"
        spread = ""
        if len(self.hits) > 1:
            std = (sum((h - self.mean) ** 2 for h in self.hits) / (len(self.hits) - 1)) ** 0.5
            spread = f" ± {std:,.0f}"
        n = len(self.hits) + self.misses
        miss = f" ({self.misses} of {n} seeds > {self.sweep.max_d:,})" if self.misses else ""
        return f"{self.mean:,.0f}{spread}{miss}"


def complete(runs: list[RunData]) -> list[RunData]:
    """The runs of the (model, variant, seed) sweeps that have no run queued or running."""
    key = lambda r: (r.model, r.params.variant, seed_tag(r))
    busy = {key(r) for r in runs if r.status in ACTIVE}
    return [r for r in runs if key(r) not in busy]


def dints(runs: list[RunData], form: str = "relative") -> list[Dint]:
    """d_int of every complete sweep with measured points: relative (d_int90, the sweep
    needs a baseline) or absolute (the group's fixed accuracy, `params.absolute`)."""
    out = []
    for sw in sweeps(complete(runs)):
        per_seed = sw.d_rel() if form == "relative" else sw.d_abs()
        if per_seed:
            hits = tuple(sorted(v for v in per_seed.values() if v is not None))
            out.append(Dint(sw, hits, len(per_seed) - len(hits)))
    return out


def _family(runs: list[RunData]) -> dict[str, str]:
    """Model label -> its family, the same model at any width: "mlp depth 2", "cnn1d"
    (with any regularizer named, so a BatchNorm MLP is not the plain MLP's family)."""
    return dict(_family_of(r.model) for r in runs)


@lru_cache(maxsize=1024)
def _family_of(m: ModelSpec) -> tuple[str, str]:
    name = f"{m.name} depth {m.depth}" if m.name == "mlp" else m.name
    extra = [f"{k}={v}" for k, v in vars(replace(m, width=0)).items() if k not in ("name", "width", "depth")]
    plain = [f"{k}={v}" for k, v in vars(ModelSpec(m.name)).items() if k not in ("name", "width", "depth")]
    return m.label, name + "".join(f" {e}" for e, p in zip(extra, plain, strict=True) if e != p)


def _is_conv(sw: Sweep) -> bool:
    return any(c in sw.model.lower() for c in CONV)


Ends = dict[str, tuple[float, float]]  # seed -> (lo, hi): the crossing twice, or (largest measured d, D)


def ends(sw: Sweep, form: str = "relative") -> Ends:
    """Each seed's d_int90 as an interval: (d, d) where the sweep crossed, (largest measured d,
    D) where it never did (censored: d_int90 lies above what was measured, and a subspace is at
    most D)."""
    per_seed = sw.d_rel() if form == "relative" else sw.d_abs()
    out: Ends = {}
    for seed, d in per_seed.items():
        if d is not None:
            out[seed] = (float(d), float(d))
        else:
            top = float(max(sw.points(seed), default=sw.max_d))
            out[seed] = (top, float(max(top, sw.D or top)))
    return out


def _corners(check: Callable[[dict[str, dict[str, float]]], Verdict], by: dict[str, Ends]) -> Verdict:
    """`check` on per-seed values, at both ends of every sweep with a censored seed; holds or
    fails only where every combination of ends agrees, else pending."""
    keys = list(by)
    choices = []
    for k in keys:
        lo = {s: v[0] for s, v in by[k].items()}
        hi = {s: v[1] for s, v in by[k].items()}
        choices.append([lo] if lo == hi else [lo, hi])
    verdicts = [check(dict(zip(keys, combo, strict=True))) for combo in product(*choices)]
    statuses = {v.status for v in verdicts}
    if "pending" in statuses:
        return next(v for v in verdicts if v.status == "pending")
    if len(statuses) == 1:
        return verdicts[0]
    censored = [k for k, c in zip(keys, choices, strict=True) if len(c) > 1]
    v = verdicts[0]
    return Verdict(
        "pending",
        v.measured,
        f"{v.detail}; undecided: {', '.join(censored)} never crossed and its d_int90 could lie anywhere up to D "
        "(extend params.dims)",
        v.evidence,
    )


def _log_ratio(a: dict[str, float], b: dict[str, float]) -> Mean | None:
    """log10(a / b) paired by seed over the seeds both have."""
    return Mean.of(math.log10(a[s] / b[s]) for s in a if s in b and a[s] > 0 and b[s] > 0)


def _f(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def _x(log_mean: Mean | None) -> str:
    """A mean log10 ratio as a factor with its 95 % interval."""
    if log_mean is None:
        return ""
    m = log_mean
    return f" (x{_f(10**m.mean)} [{_f(10**m.lower)}, {_f(10**m.upper)}], n={m.n})"


def _check_far_below(runs: list[RunData]) -> Verdict:
    ds = [d for d in dints(runs) if d.sweep.variant == "true" and d.sweep.D]
    if not ds:
        return pending("no complete true-label sweep yet")
    rule = f"for every true-label sweep: log10(D / d_int90) one-sided 95 % bound > log10 {FAR_BELOW} (>= 3 seeds)"

    def check(vals: dict[str, dict[str, float]]) -> Verdict:
        parts = []
        for d in ds:
            m = Mean.of(math.log10(d.sweep.D / v) for v in vals[d.sweep.name].values())
            v = exceeds(m, math.log10(FAR_BELOW), "log10(D / d_int90)")
            parts.append((f"{d.sweep.name} d_int90 {d.text()} of D = {d.sweep.D:,}{_x(m)}", v))
        return all_hold(parts, rule, rule)

    return _corners(check, {d.sweep.name: ends(d.sweep) for d in ds})


def _check_labels(runs: list[RunData]) -> Verdict:
    pairs = _variant_pairs(dints(runs), "shuffled_labels")
    if not pairs:
        return pending("needs complete true-label and shuffled-label sweeps of one model")
    rule = (
        f"per model: log10(shuffled-label d_int90 (training accuracy, as the paper) / true-label d_int90 (test)), "
        f"paired by seed, one-sided 95 % bound > log10 {LABELS_FACTOR}"
    )

    def check(vals: dict[str, dict[str, float]]) -> Verdict:
        parts = []
        for t, s in pairs:
            m = _log_ratio(vals[s.sweep.name], vals[t.sweep.name])
            v = exceeds(m, math.log10(LABELS_FACTOR), "log10 ratio")
            parts.append((f"{t.sweep.model}: shuffled {s.text()} vs true {t.text()}{_x(m)}", v))
        return all_hold(parts, rule, rule)

    return _corners(check, {d.sweep.name: ends(d.sweep) for p in pairs for d in p})


def _check_widths(runs: list[RunData]) -> Verdict:
    family = _family(runs)
    fams: dict[str, list[Dint]] = {}
    for d in dints(runs):
        if d.sweep.variant == "true" and d.sweep.D:
            fams.setdefault(family.get(d.sweep.model, d.sweep.model), []).append(d)
    fams = {f: sorted(ds, key=lambda d: d.sweep.D) for f, ds in fams.items() if len({d.sweep.D for d in ds}) >= 2}
    if not fams:
        return pending("needs complete true-label sweeps of one family at two or more widths")
    tol = math.log10(WIDTH_SPREAD)
    rule = (
        f"within a family, every width's log10(d_int90 / the narrowest's), paired by seed: 90 % interval inside "
        f"±log10 {WIDTH_SPREAD} (equivalence)"
    )

    def check(vals: dict[str, dict[str, float]]) -> Verdict:
        parts = []
        for ds in fams.values():
            base = ds[0]
            for d in ds[1:]:
                m = _log_ratio(vals[d.sweep.name], vals[base.sweep.name])
                v = within(m, -tol, tol, "log10 ratio")
                span = d.sweep.D / base.sweep.D
                parts.append(
                    (f"{d.sweep.model} {d.text()} vs {base.sweep.model} {base.text()} (D x{span:,.1f}){_x(m)}", v)
                )
        return all_hold(parts, rule, rule)

    return _corners(check, {d.sweep.name: ends(d.sweep) for ds in fams.values() for d in ds})


def _split_conv(runs: list[RunData], variant: str = "true") -> tuple[list[Dint], list[Dint]] | str:
    ds = [d for d in dints(runs) if d.sweep.variant == variant]
    conv, mlp = [d for d in ds if _is_conv(d.sweep)], [d for d in ds if not _is_conv(d.sweep)]
    if not conv or not mlp:
        return f"needs complete {WHAT[variant]} sweeps of a convolutional net and an MLP"
    return conv, mlp


def _check_cnn_fewer(runs: list[RunData]) -> Verdict:
    got = _split_conv(runs)
    if isinstance(got, str):
        return pending(got)
    conv, mlp = got
    rule = (
        "for every (MLP, convolutional net): log10(MLP d_int90 / CNN d_int90), paired by seed, one-sided 95 % bound > 0"
    )

    def check(vals: dict[str, dict[str, float]]) -> Verdict:
        parts = []
        for c in conv:
            for f in mlp:
                m = _log_ratio(vals[f.sweep.name], vals[c.sweep.name])
                v = exceeds(m, math.log10(CNN_FACTOR), "log10 ratio")
                parts.append((f"{f.sweep.model} {f.text()} vs {c.sweep.model} {c.text()}{_x(m)}", v))
        return all_hold(parts, rule, rule)

    return _corners(check, {d.sweep.name: ends(d.sweep) for d in conv + mlp})


def _check_pixels(runs: list[RunData]) -> Verdict:
    """Like with like: each variant's d_int90 against its own baseline (the paper's definition),
    paired by seed; the absolute-threshold numbers are shown beside it."""
    pairs = _variant_pairs(dints(runs), "shuffled_pixels")
    if not any(_is_conv(t.sweep) for t, _ in pairs) or all(_is_conv(t.sweep) for t, _ in pairs):
        return pending("needs complete true-label and shuffled-pixel sweeps of a convolutional net and an MLP")
    absolute = {(t.sweep.model): (t, s) for t, s in _variant_pairs(dints(runs, "absolute"), "shuffled_pixels")}
    tol = math.log10(WIDTH_SPREAD)
    rule = (
        f"log10(shuffled-pixel / true d_int90), each against its own baseline, paired by seed: every CNN's "
        f"one-sided 95 % bound > log10 {PIXELS_FACTOR}, every MLP's 90 % interval inside ±log10 {WIDTH_SPREAD}"
    )

    def check(vals: dict[str, dict[str, float]]) -> Verdict:
        parts = []
        for t, s in pairs:
            m = _log_ratio(vals[s.sweep.name], vals[t.sweep.name])
            conv = _is_conv(t.sweep)
            v = exceeds(m, math.log10(PIXELS_FACTOR), "log10 ratio") if conv else within(m, -tol, tol, "log10 ratio")
            text = f"{t.sweep.model}: {t.text()} -> {s.text()}{_x(m)}"
            if a := absolute.get(t.sweep.model):
                text += f"; at the absolute {a[0].sweep.absolute:.0%}: {a[0].text()} -> {a[1].text()}"
            parts.append((text, v))
        return all_hold(parts, rule, rule)

    return _corners(check, {d.sweep.name: ends(d.sweep) for p in pairs for d in p})


def _variant_pairs(ds: list[Dint], variant: str) -> list[tuple[Dint, Dint]]:
    """(true labels, variant) of every model measured both ways."""
    by_model: dict[str, dict[str, Dint]] = {}
    for d in ds:
        by_model.setdefault(d.sweep.model, {})[d.sweep.variant] = d
    return [(v["true"], v[variant]) for v in by_model.values() if {"true", variant} <= set(v)]


CLAIMS = (
    Claim(
        "far-below-D",
        "Networks train to 90 % of their accuracy in a random subspace of d_int90 dimensions, far fewer than D.",
        "Table 1",
        "MNIST FC 750 of 199,210 (266x), LeNet 290 of 44,426 (153x); CIFAR-10 FC 9,000, LeNet 2,900",
        _check_far_below,
        margin=f"every true-label sweep: D / d_int90 above {FAR_BELOW}x (one-sided 95 % bound of log10(D / d) "
        "over >= 3 seeds; the paper's 153-266x, order of magnitude); censored seeds at both ends",
        fpr=0.0,
        power=0.87,
    ),
    Claim(
        "shuffled-labels-larger",
        "Memorizing shuffled labels needs a far larger subspace than learning the true ones.",
        "Sec. 3.3, Table 1",
        "MNIST FC: 190,000 (shuffled labels, training accuracy) vs 750 (253x)",
        _check_labels,
        margin=f"shuffled / true d_int90 above {LABELS_FACTOR}x (one-sided 95 % bound of the paired log10 ratio "
        "over >= 3 seeds; the paper's 253x, order of magnitude); censored seeds at both ends",
        fpr=0.03,
        power=1.0,
    ),
    Claim(
        "width-constant",
        "Within one family, d_int90 stays roughly constant as the width grows, so D / d_int90 grows with D.",
        "Fig. 3",
        "MNIST FC: D varies 24x, d_int90 about 1.3x",
        _check_widths,
        margin=f"every width's d_int90 within x{WIDTH_SPREAD} of the narrowest's (90 % interval of the paired "
        "log10 ratio over >= 3 seeds inside ±log10 2: an equivalence; the paper's spread is x1.3)",
        fpr=0.025,
        power=0.93,
    ),
    Claim(
        "cnn-fewer",
        "A convolutional net needs fewer dimensions than a fully connected one on the same data.",
        "Table 1",
        "MNIST LeNet 290 vs FC 750 (absolute 90 %; relative: 275 vs 525)",
        _check_cnn_fewer,
        margin="every MLP's d_int90 above every CNN's (one-sided 95 % bound of the paired log10 ratio > 0 over "
        ">= 3 seeds; the paper's effect 1.9-2.6x)",
        fpr=0.03,
        power=1.0,
    ),
    Claim(
        "shuffled-pixels-hurt-cnn",
        "Shuffling the pixels raises a convolutional net's d_int90, not a fully connected net's.",
        "Table 1",
        "MNIST: LeNet 290 -> 1,400 (x4.8), FC 750 -> 750 (x1)",
        _check_pixels,
        margin=f"each variant against its own baseline, paired by seed over >= 3 seeds: the CNN's shuffled / true "
        f"d_int90 above x{PIXELS_FACTOR} (one-sided 95 %), the MLP's within x{WIDTH_SPREAD} (equivalence)",
        fpr=0.0,
        power=1.0,
    ),
)
