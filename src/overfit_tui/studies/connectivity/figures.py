"""The connectivity pane's figures and tables, from finished runs (no torch).

Per width: the training loss along t on the straight line and on the trained Bezier curve (and on
the weight-matched line where measured), the mean over pairs with the pairs' min-max band
(Garipov et al. 2018, Fig. 1-2; Draxler et al. 2018, Fig. 4). Across widths: the barriers of
both paths against the first hidden layer's width, with the sample count n marked (Nguyen 2019's
condition), and the test accuracy of the ends, their ensemble and the curve's ensemble.
"""

from __future__ import annotations

from overfit_tui.core.schema import Stat
from overfit_tui.core.status import Status
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.connectivity.fields import FIELDS
from overfit_tui.studies.replicates import replicate_series, scalar_series

PATHS = (("line", "line"), ("curve", "Bezier curve"), ("aligned", "line, B matched to A"))


def width_of(r: RunData) -> int:
    return int(r.params.width or r.model.width or 0)


def by_width(runs: list[RunData]) -> dict[int, list[RunData]]:
    out: dict[int, list[RunData]] = {}
    for r in sorted(runs, key=width_of):
        out.setdefault(width_of(r), []).append(r)
    return out


def path_curve(r: RunData, path: str, key: str) -> tuple[tuple, tuple]:
    pts = sorted((e["x"], e["values"].get(key)) for e in r.points(path) if isinstance(e["values"].get(key), float))
    return tuple(x for x, _ in pts), tuple(y for _, y in pts)


def _path_series(rs: list[RunData], key: str, transform=lambda v: v) -> tuple[Series, ...]:
    out = []
    for path, name in PATHS:
        curves = []
        for r in rs:
            xs, ys = path_curve(r, path, key)
            if xs:
                curves.append((xs, tuple(transform(y) for y in ys)))
        if (s := replicate_series(name, curves)) is not None:
            out.append(s)
    return tuple(out)


def _n_train(runs: list[RunData]) -> int | None:
    return next((r.summary["n_train"] for r in runs if r.summary.get("n_train")), None)


def figures(runs: list[RunData]) -> list[Figure]:
    done = [r for r in runs if r.status == Status.FINISHED]
    n = _n_train(done)
    figs = []
    for w, rs in by_width(runs).items():
        figs.append(
            Figure(
                f"loss-w{w}",
                f"Train loss along the path, width {w}" + (f" (n = {n:,})" if n else ""),
                "t (0 = net A, 1 = net B)",
                "train loss",
                _path_series(rs, "train_loss"),
            )
        )
        figs.append(
            Figure(
                f"err-w{w}",
                f"Test error along the path, width {w}",
                "t (0 = net A, 1 = net B)",
                "test error",
                _path_series(rs, "test_acc", lambda a: 1 - a),
            )
        )
    vl = ((float(n), f"width = n = {n:,}"),) if n else ()
    col = lambda name, key: scalar_series(name, done, width_of, lambda r: r.summary.get(key))
    barriers = [col("line", "line_barrier"), col("Bezier curve", "curve_barrier")]
    if any("aligned_barrier" in r.summary for r in done):
        barriers.append(col("line, B matched to A", "aligned_barrier"))
    figs.append(
        Figure(
            "barrier-width",
            "Train-loss barrier vs first-layer width",
            "first hidden layer width",
            "max on path - mean of ends (nats)",
            tuple(s for s in barriers if s.x),
            xlog=True,
            vlines=vl,
            hlines=((0.0, "no barrier"),),
        )
    )
    figs.append(
        Figure(
            "barrier-err-width",
            "Test-error barrier vs first-layer width",
            "first hidden layer width",
            "max on path - mean of ends (test error)",
            tuple(s for s in (col("line", "line_barrier_err"), col("Bezier curve", "curve_barrier_err")) if s.x),
            xlog=True,
            vlines=vl,
            hlines=((0.0, "no barrier"),),
        )
    )
    figs.append(
        Figure(
            "ensemble-width",
            "Ends, their ensemble, the curve's ensemble",
            "first hidden layer width",
            "test accuracy",
            tuple(
                s
                for s in (
                    col("end points (mean)", "final_test_acc"),
                    col("ensemble A+B", "ends_ens_acc"),
                    col("curve ensemble (21 points)", "curve_ens_acc"),
                    col("curve midpoint", "curve_mid_acc"),
                )
                if s.x
            ),
            xlog=True,
            vlines=vl,
        )
    )
    return figs


def tables(runs: list[RunData]) -> list[Table]:
    done = [r for r in runs if r.status == Status.FINISHED]
    keys = (
        "final_train_acc",
        "final_test_acc",
        "line_barrier",
        "curve_barrier",
        "aligned_barrier",
        "line_barrier_err",
        "curve_barrier_err",
        "ends_ens_acc",
        "curve_ens_acc",
    )
    fields = tuple(FIELDS.get(k) or TRAIN_FIELDS[k] for k in keys)
    rows = []
    for w, rs in by_width(done).items():
        rows.append((str(w), str(len(rs)), *(f.format(Stat.of([r.summary.get(f.key) for r in rs])) for f in fields)))
    return [
        Table(
            "Barriers and ensembles per width, mean ± std over pairs (Garipov et al. 2018, Table 1-2)",
            ("width", "pairs", *(f.header for f in fields)),
            tuple(rows),
        )
    ]
