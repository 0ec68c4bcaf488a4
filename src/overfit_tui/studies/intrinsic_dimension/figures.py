"""The intrinsic dimension pane's figures and table, computed from the stored runs as they
finish (so they fill in live): accuracy vs d (log x) with the baseline, 90 % and absolute
lines, d_int90 and D marked; training accuracy vs d; accuracy relative to the baseline;
d_int90 vs D; and the table
of Li et al.'s Table 1 (model, D, d_int90 relative and absolute, D / d_int90, baseline).

A sweep is one (model, variant); its replicates are the seeds. d_int is found per seed
(its own baseline, its own grid and bisection points) and shown as mean ± std over seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from overfit_tui.core.schema import Field, Stat
from overfit_tui.core.status import Status
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.intrinsic_dimension.sweep import RELATIVE, d_int

D_FIELD = Field("D", "D", "", "d")
DINT_FIELD = Field("d_int", "d_int", "", ",.0f", "lower")
RATIO_FIELD = Field("ratio", "D / d_int90", "", ".3g", "higher")
ACC_FIELD = Field("acc", "accuracy", "%", ".1f", "higher")


@dataclass
class Sweep:
    """One (model, variant): its baselines, measured points and d_int per seed."""

    name: str
    model: str
    variant: str
    metric: str  # 'test_acc' or 'train_acc'
    absolute: float
    D: int | None = None
    baseline: dict[str, float] = field(default_factory=dict)  # seed tag -> accuracy
    grid: dict[str, dict[int, float]] = field(default_factory=dict)  # seed tag -> {d: accuracy}
    bisection: dict[str, dict[int, float]] = field(default_factory=dict)
    train_base: dict[str, float] = field(default_factory=dict)  # training accuracy, every variant
    train_pts: dict[str, dict[int, float]] = field(default_factory=dict)
    max_d: int = 0

    def points(self, seed: str) -> dict[int, float]:
        return {**self.grid.get(seed, {}), **self.bisection.get(seed, {})}

    def d_rel(self) -> dict[str, int | None]:
        """d_int90 (relative) per seed with a baseline and some points."""
        return {s: d_int(self.points(s), RELATIVE * b) for s, b in self.baseline.items() if self.points(s)}

    def d_rel_train(self) -> dict[str, int | None]:
        """d_int90 on training accuracy (90 % of the baseline's), per seed."""
        return {s: d_int(self.train_pts[s], RELATIVE * b) for s, b in self.train_base.items() if self.train_pts.get(s)}

    def d_abs(self) -> dict[str, int | None]:
        return {s: d_int(self.points(s), self.absolute) for s in set(self.grid) | set(self.bisection)}


def sweeps(runs: list[RunData]) -> list[Sweep]:
    out: dict[tuple, Sweep] = {}
    for r in runs:
        p, s = r.params, r.summary
        model = r.model.label
        variant = p.variant
        on_train = variant == "shuffled_labels"
        name = model + ("" if variant == "true" else f" {variant.replace('_', ' ')}") + (" (train)" if on_train else "")
        sw = out.setdefault(
            (model, variant),
            Sweep(name, model, variant, "train_acc" if on_train else "test_acc", p.absolute),
        )
        sw.D = s.get("D", sw.D)
        if p.role == "grid":
            sw.max_d = max(sw.max_d, p.d)
        acc = s.get(f"final_{sw.metric}")
        if r.status != Status.FINISHED or not _num(acc):
            continue
        seed = seed_tag(r)
        train_acc = s.get("final_train_acc")
        if p.role == "baseline":
            sw.baseline[seed] = acc
            if _num(train_acc):
                sw.train_base[seed] = train_acc
        elif _num(s.get("d")):
            where = sw.grid if p.role == "grid" else sw.bisection
            where.setdefault(seed, {})[int(s["d"])] = acc
            sw.max_d = max(sw.max_d, int(s["d"]))
            if _num(train_acc):
                sw.train_pts.setdefault(seed, {})[int(s["d"])] = train_acc
    return list(out.values())


def figures(runs: list[RunData]) -> list[Figure]:
    sws = sweeps(runs)
    if not sws:
        return []
    acc_series, rel_series, train_series, hlines, vlines, train_lines = [], [], [], [], [], []
    for sw in sws:
        acc_series += _series(sw.name, sw.grid, sw.bisection, lambda seed, a: a)
        tr = {s: {d: a for d, a in pts.items() if d in sw.grid.get(s, {})} for s, pts in sw.train_pts.items()}
        tb = {s: {d: a for d, a in pts.items() if d in sw.bisection.get(s, {})} for s, pts in sw.train_pts.items()}
        train_series += _series(sw.name.removesuffix(" (train)"), tr, tb, lambda seed, a: a)
        if base_train := Stat.of(list(sw.train_base.values())):
            train_lines.append((base_train.mean, f"baseline {sw.name.removesuffix(' (train)')}"))
        rel_series += _series(
            sw.name,
            {s: v for s, v in sw.grid.items() if s in sw.baseline},
            {s: v for s, v in sw.bisection.items() if s in sw.baseline},
            lambda seed, a, sw=sw: a / sw.baseline[seed] if sw.baseline[seed] else math.nan,
        )
        base = Stat.of(list(sw.baseline.values()))
        if base:
            hlines += [(base.mean, f"baseline {sw.name}"), (RELATIVE * base.mean, f"90 % of baseline {sw.name}")]
        rel = Stat.of([v for v in sw.d_rel().values() if v is not None])
        if rel:
            vlines.append((rel.mean, f"d_int90 {sw.name} = {rel.mean:,.0f}"))
    for model, D in dict.fromkeys((sw.model, sw.D) for sw in sws if sw.D):
        vlines.append((D, f"D {model} = {D:,}"))
    absolutes = sorted({sw.absolute for sw in sws})
    hlines += [(a, f"absolute {a:.0%}") for a in absolutes]
    ylabel = "accuracy (test; train for shuffled labels)"
    marks = tuple(v for v in vlines if v[1].startswith("d_int90"))
    sizes = tuple(v for v in vlines if v[1].startswith("D "))
    return [
        Figure("accuracy", "Accuracy vs subspace dimension d", "d", ylabel, tuple(acc_series), True, False,
               tuple(vlines), tuple(hlines)),
        Figure("train", "Training accuracy vs subspace dimension d", "d", "train accuracy", tuple(train_series),
               True, False, sizes, tuple(train_lines)),
        Figure("relative", "Accuracy relative to the baseline vs d", "d", "accuracy / baseline accuracy",
               tuple(rel_series), True, False, marks, ((1.0, "baseline"), (RELATIVE, "90 % of baseline"))),
        _dint_vs_D(sws),
    ]  # fmt: skip


def _series(name, grid: dict, bisection: dict, y) -> list[Series]:
    """The grid as a line (mean and min-max band over seeds), the bisection as points."""
    out = []
    line = _mean_band(name, {s: {d: y(s, a) for d, a in pts.items()} for s, pts in grid.items()})
    if line:
        out.append(line)
    pts = sorted((d, y(s, a)) for s, ps in bisection.items() for d, a in ps.items())
    if pts:
        out.append(Series(f"{name} bisection", tuple(p[0] for p in pts), tuple(p[1] for p in pts), points=True))
    return out


def _mean_band(name: str, per_seed: dict[str, dict[int, float]]) -> Series | None:
    at: dict[int, list[float]] = {}
    for pts in per_seed.values():
        for d, v in pts.items():
            if _num(v):
                at.setdefault(d, []).append(v)
    if not at:
        return None
    xs = tuple(sorted(at))
    mean = tuple(sum(at[x]) / len(at[x]) for x in xs)
    n = max(len(v) for v in at.values())
    if n == 1:
        return Series(name, xs, mean, points=len(xs) < 2)
    return Series(
        name, xs, mean, points=len(xs) < 2, lo=tuple(min(at[x]) for x in xs), hi=tuple(max(at[x]) for x in xs), n=n
    )


def _dint_vs_D(sws: list[Sweep]) -> Figure:
    """Li et al. Fig. 3: d_int90 against D, one line per variant across models (widths)."""
    by_variant: dict[str, dict[str, dict[int, float]]] = {}
    for sw in sws:
        for seed, v in sw.d_rel().items():
            if v is not None and sw.D:
                by_variant.setdefault(sw.variant, {}).setdefault(seed, {})[sw.D] = float(v)
    series = [
        s for variant, per_seed in by_variant.items() if (s := _mean_band(f"d_int90 {variant}", per_seed)) is not None
    ]
    Ds = sorted({sw.D for sw in sws if sw.D})
    if Ds:
        series.append(Series("d = D", tuple(Ds), tuple(float(D) for D in Ds)))
    return Figure("dint", "d_int90 (relative) vs parameters D", "D", "d_int90", tuple(series), True, True)


def tables(runs: list[RunData]) -> list[Table]:
    sws = sweeps(runs)
    if not sws:
        return []
    absolutes = "/".join(sorted({f"{sw.absolute:.0%}" for sw in sws}))
    cols = (
        "model",
        "variant",
        "D",
        "baseline acc",
        "d_int90 relative (90 % of baseline)",
        f"d_int absolute ({absolutes} acc)",
        "D / d_int90 relative",
        "measured on",
        "d_int90 relative on train acc",
        "seeds",
    )
    rows = []
    for sw in sws:
        rel, ab = sw.d_rel(), sw.d_abs()
        ratios = [sw.D / v for v in rel.values() if v and sw.D]
        rows.append(
            (
                sw.model,
                sw.variant.replace("_", " "),
                D_FIELD.format(sw.D),
                ACC_FIELD.format(Stat.of(list(sw.baseline.values()))),
                _dint_cell(rel, sw.max_d),
                _dint_cell(ab, sw.max_d),
                RATIO_FIELD.format(Stat.of(ratios)),
                "train" if sw.metric == "train_acc" else "test",
                _dint_cell(sw.d_rel_train(), sw.max_d),
                str(len(sw.baseline)),
            )
        )
    title = (
        "Intrinsic dimension: relative = 90 % of the direct baseline (the paper's d_int90); absolute = fixed accuracy"
    )
    return [Table(title, cols, tuple(rows))]


def _dint_cell(per_seed: dict[str, int | None], max_d: int) -> str:
    """mean ± std over the seeds that cross; '> max d' for those whose sweep never does."""
    if not per_seed:
        return "-"
    hit = [v for v in per_seed.values() if v is not None]
    miss = len(per_seed) - len(hit)
    if not hit:
        return f"> {max_d:,} (not reached)"
    text = DINT_FIELD.format(Stat.of(hit))
    return text if not miss else f"{text} ({miss} of {len(per_seed)} seeds > {max_d:,})"


def seed_tag(r: RunData) -> str:
    """A run's replicate: its init, order and noise seeds."""
    return f"{r.seeds.init}-{r.seeds.order}-{r.seeds.noise}"


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
