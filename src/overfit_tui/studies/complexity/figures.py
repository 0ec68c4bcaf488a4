"""The complexity study's figures and tables from finished runs (no torch): a scatter of each
measure against the generalization gap, coloured by label corruption, and the rank table:
Kendall's tau of each measure with the gap over the sweep, Jiang et al.'s granulated tau per
hyperparameter, and the permutation null band each is held against.

Only runs that reached the stopping criterion (fixed training error) enter the ranks: the
papers compare nets at a fixed training error; the table's title counts those left out.
"""

from __future__ import annotations

from overfit_tui.core.schema import Stat
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.claims import finished, seed_of
from overfit_tui.studies.complexity.fields import GAP, HYPER, MEASURES
from overfit_tui.studies.complexity.rank import Row, granulated, kendall_tau_b, null_band, psi_null

SHORT = {
    "n_params": "params",
    "l2_norm": "l2",
    "dist_init": "dist",
    "log_prod_spec": "spec",
    "log_l2_margin": "l2/g",
    "log_path_margin": "path/g",
    "log_spec_bound": "bound",
    "log_sharpness": "sharp",
    "log_pacbayes": "pb-init",
}  # tick labels of the tau figure (the full labels overlap)
NULL_DRAWS = 200  # permutations behind each null band (seeded: the table is reproducible)


def hyper_of(r: RunData) -> dict:
    p = r.spec.get("params", {})
    return {"p": float(p.get("p", 0.0)), "width": p.get("width"), "n_train": p.get("n_train"), "seed": seed_of(r)}


def fitted(runs: list[RunData]) -> list[RunData]:
    """Finished runs that reached the stopping criterion (the papers' fixed training error)."""
    return [r for r in finished(runs) if r.summary.get("fitted")]


def rows_of(runs: list[RunData], key: str) -> list[Row]:
    """(hyperparameters, measure, gap) of each fitted run that has both numbers."""
    out = []
    for r in fitted(runs):
        m, g = r.summary.get(key), r.summary.get("gap")
        if isinstance(m, (int, float)) and isinstance(g, (int, float)):
            out.append((hyper_of(r), float(m), float(g)))
    return out


def tau_of(rows) -> float | None:
    return kendall_tau_b([m for _, m, _ in rows], [g for _, _, g in rows])


def varying(rows) -> list[str]:
    """The swept hyperparameters that take more than one value in these rows."""
    return [h for h in HYPER if len({hp[h] for hp, _, _ in rows}) > 1]


def psi_band(rows, h: str, seed: int = 0) -> float | None:
    """The null band of psi_h: the gap permuted within each group where only h varies."""
    block = lambda hp: tuple(sorted((k, v) for k, v in hp.items() if k != h))
    return psi_null(rows, [h], h, NULL_DRAWS, seed, within=block)


def figures(runs: list[RunData]) -> list[Figure]:
    out = []
    levels = sorted({hyper_of(r)["p"] for r in fitted(runs)})
    for f in MEASURES:
        rows = rows_of(runs, f.key)
        series = []
        for p in levels:
            pts = [(m, g) for hp, m, g in rows if hp["p"] == p]
            if pts:
                series.append(Series(f"p={p:g}", tuple(m for m, _ in pts), tuple(100 * g for _, g in pts), points=True))
        t = tau_of(rows)
        title = f"{f.label} vs gap" + (f" (tau {t:+.2f}, {len(rows)} runs)" if t is not None else "")
        out.append(Figure(f"gap-{f.key}", title, f.label, "gap (%)", tuple(series)))  # in % as the tables
    taus = [(i, f, tau_of(rows_of(runs, f.key))) for i, f in enumerate(MEASURES)]
    shown = [(i, f, t) for i, f, t in taus if t is not None]
    if shown:
        ticks = tuple((float(i), SHORT.get(f.key, f.key)) for i, f, _ in shown)
        xs = lambda vals: tuple(float(i) for (i, *_), v in zip(shown, vals, strict=True) if v is not None)
        ys = lambda vals: tuple(v for v in vals if v is not None)
        taus_ = [t for *_, t in shown]
        psis = [granulated(rows_of(runs, f.key), HYPER)["all"] for _, f, _ in shown]
        bands = [null_band(rows_of(runs, f.key), tau_of, None, NULL_DRAWS) for _, f, _ in shown]
        series = (
            Series("tau with the gap", xs(taus_), ys(taus_), points=True),
            Series("Psi (granulated)", xs(psis), ys(psis), points=True),
            Series("tau null 95 %", xs(bands), ys(bands), points=True),
        )
        out.append(
            Figure(
                "tau",
                "Kendall tau of each measure with the gap",
                "measure",
                "tau",
                series,
                xticks=ticks,
                hlines=((0.0, "no ranking"),),
            )
        )
    return out


def tables(runs: list[RunData]) -> list[Table]:
    done = finished(runs)
    ok = fitted(runs)
    rows_all = {f.key: rows_of(runs, f.key) for f in MEASURES}
    hyper = varying(next(iter(rows_all.values()), []))
    cols = ("measure", "tau", "tau null 95 %", *(f"psi {h}" for h in hyper), *(f"{h} null 95 %" for h in hyper), "Psi")
    out_rows = []
    for f in MEASURES:
        rows = rows_all[f.key]
        g = granulated(rows, hyper)
        out_rows.append(
            (
                f.label,
                _num(tau_of(rows)),
                _num(null_band(rows, tau_of, None, NULL_DRAWS)),
                *(_num(g.get(h)) for h in hyper),
                *(_num(psi_band(rows, h)) for h in hyper),
                _num(g.get("all")),
            )
        )
    left = len(done) - len(ok)
    title = f"Kendall tau with the gap ({len(ok)} runs at the stopping criterion" + (
        f"; {left} never reached it, left out)" if left else ")"
    )
    means = _means(ok)
    return [Table(title, cols, tuple(out_rows)), means]


def _means(runs: list[RunData]) -> Table:
    """Mean of each measure and the gap per corruption level and width (over seeds and sizes)."""
    cells: dict[tuple, list[RunData]] = {}
    for r in runs:
        hp = hyper_of(r)
        cells.setdefault((hp["p"], hp["width"], hp["n_train"]), []).append(r)

    fields = (GAP, *MEASURES)
    rows = []
    for (p, w, n), rs in sorted(cells.items()):
        rows.append((f"{p:g}", str(w), str(n), *(Stat.of([r.summary.get(f.key) for r in rs]) for f in fields)))
    return Table(
        "Measures per cell (mean ± sd over seeds)",
        ("p", "width", "n", *(f.label for f in fields)),
        tuple(rows),
        (None, None, None, *fields),
    )


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:+.3f}"
