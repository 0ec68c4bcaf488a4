"""The claims of Li et al. 2018 ("Measuring the intrinsic dimension of objective
landscapes"), checked on an intrinsic-dimension group: d_int90 far below D, larger for
shuffled labels, roughly constant across the widths of one family, smaller for a
convolutional net than for an MLP, and the convolutional net's advantage lost on shuffled
pixels.

Every check reads the relative d_int90 (the paper's definition: the smallest measured d
reaching 90 % of the directly trained baseline), per seed, from the sweeps of
studies/intdim_view.py. Only complete sweeps count: a (model, variant, seed) with a run
still queued or running is left out, so a half-measured grid (whose crossing may not have
been reached yet) never decides a claim. A seed whose sweep never crosses is known only as
"d_int90 > the largest measured d": the checks use that bound where it decides the claim,
and say pending where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from overfit_tui.core.spec import from_dict
from overfit_tui.core.specs import ModelSpec
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, Verdict, pending, verdict
from overfit_tui.studies.intdim_view import Sweep, seed_tag, sweeps

ACTIVE = ("queued", "running")  # the store's active statuses (studies never import the store)
FAR_BELOW = 10  # "far below D": D / d_int90 at least this
LABELS_FACTOR = 2  # shuffled labels need at least this many times the true labels' d_int90
WIDTH_SPREAD = 2  # "roughly constant": the family's d_int90 within this factor across widths
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
    key = lambda r: (str(r.spec.get("model")), (r.spec.get("params") or {}).get("variant", "true"), seed_tag(r.spec))
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
    out = {}
    for r in runs:
        m = from_dict(ModelSpec, r.spec.get("model"))
        name = f"{m.name} depth {m.depth}" if m.name == "mlp" else m.name
        extra = [f"{k}={v}" for k, v in vars(replace(m, width=0)).items() if k not in ("name", "width", "depth")]
        plain = [f"{k}={v}" for k, v in vars(ModelSpec(m.name)).items() if k not in ("name", "width", "depth")]
        out[m.label] = name + "".join(f" {e}" for e, p in zip(extra, plain, strict=True) if e != p)
    return out


def _is_conv(sw: Sweep) -> bool:
    return any(c in sw.model.lower() for c in CONV)


def _check_far_below(runs: list[RunData]) -> Verdict:
    ds = [d for d in dints(runs) if d.sweep.variant != "shuffled_labels" and d.sweep.D]
    if not ds:
        return pending("no complete true-label or shuffled-pixel sweep yet")
    fails, unknown, parts = [], [], []
    for d in ds:
        D, name = d.sweep.D, d.sweep.name
        if d.known:
            ratio = D / d.mean
            parts.append(f"{name}: {d.text()} of D = {D:,} ({ratio:,.0f}x)")
            if ratio < FAR_BELOW:
                fails.append(name)
        elif D / d.low < FAR_BELOW:  # even the lower bound leaves D / d_int90 under the bar
            parts.append(f"{name}: {d.text()} of D = {D:,} (< {D / d.low:,.1f}x)")
            fails.append(name)
        else:
            parts.append(f"{name}: {d.text()} of D = {D:,} (not reached)")
            unknown.append(name)
    rule = f"D / d_int90 (relative, mean over seeds) >= {FAR_BELOW} for every sweep but shuffled labels"
    if fails:
        return verdict(False, "; ".join(parts), f"{rule}; fails: {', '.join(fails)}")
    if unknown:
        return Verdict("pending", "; ".join(parts), f"{rule}; the sweep never crossed: extend params.dims")
    return verdict(True, "; ".join(parts), rule)


def _check_labels(runs: list[RunData]) -> Verdict:
    pairs = [(t.sweep.model, t, s) for t, s in _variant_pairs(dints(runs), "shuffled_labels")]
    if not pairs:
        return pending("needs complete true-label and shuffled-label sweeps of one model")
    ok, parts, unknown = True, [], False
    for model, true, shuf in pairs:
        if not true.known:
            unknown = True
            parts.append(f"{model}: true labels never cross ({true.text()})")
            continue
        need = LABELS_FACTOR * true.mean
        holds = shuf.low >= need and (not shuf.hits or min(shuf.hits) > max(true.hits))
        if shuf.known or holds:  # a lower bound above the bar decides it
            ok &= holds
        else:
            unknown = True
        factor = f"{shuf.mean / true.mean:,.1f}x" if shuf.known else f">= {shuf.low / true.mean:,.1f}x"
        parts.append(f"{model}: shuffled {shuf.text()} (train acc) vs true {true.text()} (test acc), {factor}")
    rule = (
        f"shuffled labels' d_int90 (on training accuracy, as the paper) >= {LABELS_FACTOR}x the true labels' "
        "(test accuracy), every shuffled seed above every true one"
    )
    if ok and unknown:
        return Verdict("pending", "; ".join(parts), f"{rule}; a sweep never crossed: extend params.dims")
    return verdict(ok, "; ".join(parts), rule)


def _check_widths(runs: list[RunData]) -> Verdict:
    """On the widths whose every seed crossed. A width that never crossed cannot repair a
    failure among the others (it only widens the spread and cannot undo a fall of D / d),
    so the verdict is pending only when the crossed widths alone would hold."""
    family = _family(runs)
    fams: dict[str, list[Dint]] = {}
    for d in dints(runs):
        if d.sweep.variant == "true" and d.sweep.D:
            fams.setdefault(family.get(d.sweep.model, d.sweep.model), []).append(d)
    fams = {f: sorted(ds, key=lambda d: d.sweep.D) for f, ds in fams.items() if len({d.sweep.D for d in ds}) >= 2}
    if not fams:
        return pending("needs complete true-label sweeps of one family at two or more widths")
    ok, parts, missing = True, [], []
    for f, all_ds in fams.items():
        missing += [d.sweep.name for d in all_ds if not d.known]
        ds = [d for d in all_ds if d.known]
        cells = ", ".join(
            f"{d.sweep.model} {d.text()}" + (f" (D/d {d.sweep.D / d.mean:,.0f})" if d.known else "") for d in all_ds
        )
        if len(ds) < 2:
            parts.append(f"{f}: {cells}")
            continue
        ratios = [d.sweep.D / d.mean for d in ds]
        spread = max(d.mean for d in ds) / min(d.mean for d in ds)
        ok &= all(b > a for a, b in pairwise(ratios)) and spread <= WIDTH_SPREAD
        d_span = ds[-1].sweep.D / ds[0].sweep.D
        parts.append(f"{f}: {cells}; crossed widths: D x{d_span:,.1f}, d_int90 x{spread:,.2f}")
    rule = f"within a family, D / d_int90 grows with D and d_int90 stays within a factor {WIDTH_SPREAD}"
    if ok and missing:
        return Verdict("pending", "; ".join(parts), f"{rule}; never crossed: {', '.join(missing)} (extend params.dims)")
    if ok and not any("crossed widths" in p for p in parts):
        return pending("needs two widths of one family whose every seed crossed")
    return verdict(ok, "; ".join(parts), rule)


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
    text = "; ".join(f"{d.sweep.model} {d.text()}" for d in conv + mlp)
    rule = "every convolutional net's mean d_int90 below every MLP's (relative, true labels)"
    if any(not d.known for d in conv):  # a conv net that never crossed
        if all(d.known for d in mlp) and min(d.low for d in conv) >= max(d.mean for d in mlp):
            return verdict(False, text, rule)
        return Verdict("pending", text, f"{rule}; a sweep never crossed: extend params.dims")
    worst_conv = max(d.mean for d in conv)
    best_mlp = min(d.low for d in mlp)
    return verdict(worst_conv < best_mlp, text, rule)


def _check_pixels(runs: list[RunData]) -> Verdict:
    """At a fixed accuracy (the paper's numbers use one global threshold, 90 % on MNIST):
    the relative form would compare each variant with its own, lower, baseline."""
    pairs = _variant_pairs(dints(runs, "absolute"), "shuffled_pixels")
    if not any(_is_conv(t.sweep) for t, _ in pairs) or all(_is_conv(t.sweep) for t, _ in pairs):
        return pending("needs complete true-label and shuffled-pixel sweeps of a convolutional net and an MLP")
    rel = {t.sweep.model: (t, s) for t, s in _variant_pairs(dints(runs), "shuffled_pixels")}
    parts, conv, mlp = [], [], []
    for t, s in pairs:
        if not t.known or (not s.known and not _is_conv(s.sweep)):  # a CNN's bound may decide
            return pending(f"{s.sweep.model}: a sweep never crossed the absolute threshold: extend params.dims")
        growth = (s.mean if s.known else s.low) / t.mean
        (conv if _is_conv(s.sweep) else mlp).append((growth, s.known))
        sign = "x" if s.known else ">= x"
        text = f"{t.sweep.model}: {t.text()} -> {s.text()} ({sign}{growth:,.2f})"
        if (r := rel.get(t.sweep.model)) and r[0].known and r[1].known:
            text += f", relative {r[0].text()} -> {r[1].text()} (x{r[1].mean / r[0].mean:,.2f})"
        parts.append(text)
    absolute = ", ".join(sorted({f"{t.sweep.absolute:.0%}" for t, _ in pairs}))
    rule = (
        f"d_int at the absolute threshold ({absolute} accuracy): shuffled pixels raise every convolutional "
        "net's (ratio > 1) by more than every MLP's"
    )
    ok = min(g for g, _ in conv) > max(1.0, max(g for g, _ in mlp))
    if not ok and not all(k for _, k in conv):  # a lower bound that does not decide
        return Verdict("pending", "; ".join(parts), f"{rule}; a sweep never crossed: extend params.dims")
    return verdict(ok, "; ".join(parts), rule)


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
    ),
    Claim(
        "shuffled-labels-larger",
        "Memorizing shuffled labels needs a far larger subspace than learning the true ones.",
        "Sec. 3.3, Table 1",
        "MNIST FC: 190,000 (shuffled labels, training accuracy) vs 750",
        _check_labels,
    ),
    Claim(
        "width-constant",
        "Within one family, d_int90 stays roughly constant as the width grows, so D / d_int90 grows with D.",
        "Fig. 3",
        "MNIST FC: D varies 24x, d_int90 about 1.3x",
        _check_widths,
    ),
    Claim(
        "cnn-fewer",
        "A convolutional net needs fewer dimensions than a fully connected one on the same data.",
        "Table 1",
        "MNIST LeNet 290 vs FC 750 (absolute 90 %; relative: 275 vs 525)",
        _check_cnn_fewer,
    ),
    Claim(
        "shuffled-pixels-hurt-cnn",
        "Shuffling the pixels raises the d a convolutional net needs to reach a fixed accuracy, not an FC net's.",
        "Table 1",
        "MNIST (absolute 90 %): LeNet 290 -> 1,400, FC 750 -> 750",
        _check_pixels,
    ),
)
