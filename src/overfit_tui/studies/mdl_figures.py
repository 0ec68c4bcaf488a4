"""The prequential-MDL study's figures, tables and claims, from stored runs (studies/mdl.py).

Cumulative codelength vs examples transmitted (log x) with the uniform code beside it; bits
per label in each chunk (a learning curve in bits, log2 K marked); compression ratio vs label
corruption; and a table of codelengths beside Blier & Ollivier's Table 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from overfit_tui.core.schema import Field, Stat
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.claims import Claim, Verdict, finished, pending, stat_of, verdict
from overfit_tui.studies.memorization_figures import point_series
from overfit_tui.studies.replicates import replicates, scalar_series, stat

# Blier & Ollivier 2018, Table 1 (CIFAR-10: 50,000 labels, 10 classes); MNIST's ratio is about 2 %.
PAPER_CIFAR10 = {"uniform_kbits": 166.0, "codelength_kbits": 45.3}
PAPER_CIFAR10_RATIO = PAPER_CIFAR10["codelength_kbits"] / PAPER_CIFAR10["uniform_kbits"]
PAPER_MNIST_RATIO = 0.02


def _model(r: RunData) -> str:
    m = r.spec.get("model", {})
    return f"mlp {m.get('depth')}x{m.get('width') or 512}" if m.get("name") == "mlp" else str(m.get("name"))


def _uniform_series(runs: list[RunData]) -> Series | None:
    for r in runs:
        pts = r.points("chunk")
        if pts:
            xs = (0.0, *(p["x"] for p in pts))
            return Series("uniform code", xs, (0.0, *(p["values"]["uniform_cum_kbits"] for p in pts)))
    return None


def _classes(runs: list[RunData]) -> int | None:
    for r in runs:
        for p in r.points("chunk"):
            v = p["values"]
            return round(2 ** (v["uniform_cum_kbits"] * 1000 / p["x"]))
    return None


def figures(runs: list[RunData]) -> list[Figure]:
    if not any(r.points("chunk") for r in runs):
        return []
    k = _classes(runs) or 10
    uniform = _uniform_series(runs)
    cum = (*point_series(runs, "chunk", "cum_kbits"), *((uniform,) if uniform else ()))
    per = tuple(point_series(runs, "chunk", "bits_per_example"))
    out = [
        Figure("codelength", "Prequential codelength vs labels sent", "examples transmitted", "kbits", cum, xlog=True),
        Figure(
            "per_chunk",
            "Bits per label in each chunk",
            "examples transmitted (chunk end)",
            "bits / label",
            per,
            xlog=True,
            hlines=((math.log2(k), f"uniform: log2 {k}"),),
        ),
    ]
    done = [r for r in runs if r.summary.get("compression_ratio") is not None]
    if done:
        by_model: dict[str, list[RunData]] = {}
        for r in done:
            by_model.setdefault(_model(r), []).append(r)
        series = tuple(
            scalar_series(m, rs, lambda r: r.spec["params"]["p"], lambda r: r.summary.get("compression_ratio"))
            for m, rs in by_model.items()
        )
        refs = (
            (1.0, "uniform code"),
            (PAPER_CIFAR10_RATIO, "Blier & Ollivier CIFAR-10"),
            (PAPER_MNIST_RATIO, "Blier & Ollivier MNIST"),
        )
        out.append(
            Figure("ratio", "Compression ratio vs label corruption", "label corruption p", "ratio", series, hlines=refs)
        )
    return out


def tables(runs: list[RunData], field: Callable[[str], Field]) -> list[Table]:
    keys = ("uniform_kbits", "codelength_kbits", "compression_ratio", "last_test_acc")
    rows = [(name, *(field(k).format(stat(rs, k)) for k in keys)) for name, rs in replicates(runs)]
    if not rows:
        return []
    ratio = PAPER_CIFAR10_RATIO
    rows.append(("paper: CIFAR-10 (Blier & Ollivier, Table 1)", "166", "45.3", f"{ratio:.3f}", "-"))
    rows.append(("paper: MNIST (Blier & Ollivier)", "199", "-", f"~{PAPER_MNIST_RATIO:.2f}", "-"))
    cols = ("labels", *(field(k).header for k in keys))
    return [Table("Prequential vs uniform codelength", cols, tuple(rows), (None, *map(field, keys)))]


# -- the paper's claims (studies/claims.py), checked on a group's finished runs -------------
TRUE_RATIO_MAX = 0.8  # "far below uniform": the paper's ratios are 0.27 (CIFAR-10) and about 0.02 (MNIST)
RANDOM_RATIO_MIN = 0.95  # random labels cannot be compressed: within a few percent of the uniform code


def _ratios(runs: list[RunData]) -> dict[str, dict[float, Stat]]:
    """Per model, the compression ratio (mean over seeds) at each corruption level."""
    groups: dict[tuple[str, float], list[RunData]] = {}
    for r in finished(runs):
        groups.setdefault((_model(r), float(r.spec["params"]["p"])), []).append(r)
    out: dict[str, dict[float, Stat]] = {}
    for (model, p), rs in sorted(groups.items()):
        s = stat_of(rs, "compression_ratio")
        if s is not None:
            out.setdefault(model, {})[p] = s
    return out


def _check_level(runs: list[RunData], p: float, ok: Callable[[float], bool], rule: str) -> Verdict:
    parts, good = [], True
    for model, d in _ratios(runs).items():
        if p in d:
            good &= ok(d[p].mean)
            parts.append(f"{model}: {d[p].mean:.3f}" + (f" ± {d[p].std:.3f}" if d[p].n > 1 else ""))
    if not parts:
        return pending(f"no finished run at p = {p:g} yet")
    return verdict(good, "; ".join(parts), rule)


def _check_grows(runs: list[RunData]) -> Verdict:
    parts, good = [], True
    for model, d in _ratios(runs).items():
        if len(d) < 2:
            continue
        vals = [s.mean for s in d.values()]
        good &= all(b >= a - 0.02 for a, b in itertools.pairwise(vals)) and vals[-1] > vals[0]
        parts.append(f"{model}: " + " -> ".join(f"{v:.2f}" for v in vals))
    if not parts:
        return pending("needs finished runs at two corruption levels or more")
    return verdict(good, "; ".join(parts), "ratio non-decreasing in p (0.02 tolerance), highest p above p = 0")


CLAIMS = (
    Claim(
        "true-compresses",
        "True labels compress far below the uniform code.",
        "Table 1",
        "ratio 0.27 (CIFAR-10), ~0.02 (MNIST)",
        lambda runs: _check_level(runs, 0.0, lambda v: v < TRUE_RATIO_MAX, f"ratio < {TRUE_RATIO_MAX}"),
    ),
    Claim(
        "random-incompressible",
        "Random labels do not compress: a net that fits them cannot predict the next ones.",
        "prequential code, with Zhang et al. 2017",
        "ratio ≈ 1",
        lambda runs: _check_level(runs, 1.0, lambda v: v > RANDOM_RATIO_MIN, f"ratio > {RANDOM_RATIO_MIN}"),
    ),
    Claim(
        "grows-with-corruption",
        "The codelength grows with the fraction of corrupted labels.",
        "with Zhang et al. 2017 (corrupted labels)",
        "",
        _check_grows,
    ),
)
