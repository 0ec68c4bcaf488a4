"""Figures and tables of the layer-robustness study, read from its runs' points.

The paper's heatmap (layers x [re-randomize, checkpoint epochs], cell = test error), the same
as lines (test error vs the checkpoint a layer is reset to, one line per layer, re-randomization
as a point in the layer's colour, apart at the left), and tables: test error, robustness (test error minus the final model's,
with a verdict against the threshold) and train error. Seeds of one model are replicates: cells
are mean ± std over seeds (and over draws for re-randomization), lines carry a min-max band.
Every cell exists from the start (None until evaluated), so the grid fills in live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from overfit_tui.core.schema import Field, Stat
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.replicates import replicates

RND = "rnd"
ERR = Field("err", "error", "%", ".1f", "lower")
DELTA = Field("delta", "test error change", "%", ".1f", "lower")
COUNT = Field("params", "parameters", "", "d")


@dataclass
class Grid:
    """One model's results pooled over its seeds."""

    name: str
    epochs: tuple[int, ...]  # checkpoint columns (after the re-randomization column)
    threshold: float
    chance: float
    layers: dict[int, tuple[str, int]] = field(default_factory=dict)  # index -> (name, parameters)
    test: dict[tuple[int, object], list[float]] = field(default_factory=dict)  # (layer, column) -> values
    delta: dict[tuple[int, object], list[float]] = field(default_factory=dict)  # the same minus the run's final error
    train: dict[tuple[int, object], list[float]] = field(default_factory=dict)
    runs: dict[tuple[int, object], dict[str, list[float]]] = field(default_factory=dict)  # per run (for bands)
    finals: list[float] = field(default_factory=list)  # each run's final test error

    @property
    def columns(self) -> tuple[object, ...]:
        return (RND, *self.epochs)

    def row_label(self, i: int) -> str:
        name, n = self.layers[i]
        return f"{name} ({_count(n)})"

    def stat(self, cells: dict, i: int, col) -> Stat | None:
        return Stat.of(cells.get((i, col), []))


def grids(runs: list[RunData]) -> list[Grid]:
    out = []
    for name, rs in replicates(runs):
        p, data = rs[0].params, rs[0].data
        k = data.gaussian_classes if data.name == "gaussian" else 10
        g = Grid(name, tuple(sorted(p.checkpoints)), p.threshold, 1 - 1 / k)
        for r in rs:
            _add_run(g, r)
        if g.layers:
            out.append(g)
    return out


def _add_run(g: Grid, r: RunData) -> None:
    pts = r.points()
    final = next((e["values"]["test_err"] for e in pts if e["name"] == "final"), None)
    if final is not None:
        g.finals.append(final)
    mine: dict[tuple[int, object], list[float]] = {}
    for e in pts:
        v = e.get("values") or {}
        if e["name"] == "layer":
            g.layers.setdefault(int(e["x"]), (str(v.get("label", e["x"])), int(v.get("params", 0))))
        elif e["name"] in ("reinit", "rerandomize"):
            key = (int(v["layer"]), RND if e["name"] == "rerandomize" else int(e["x"]))
            g.test.setdefault(key, []).append(v["test_err"])
            g.train.setdefault(key, []).append(v["train_err"])
            mine.setdefault(key, []).append(v["test_err"])
            if final is not None:
                g.delta.setdefault(key, []).append(v["test_err"] - final)
    for key, vals in mine.items():
        g.runs.setdefault(key, {})[r.id] = vals


def layer_figures(runs: list[RunData]) -> list[Figure]:
    figs = []
    for g in grids(runs):
        rows = sorted(g.layers)
        matrix = tuple(tuple(_mean(g.test.get((i, c))) for c in g.columns) for i in rows)
        figs.append(
            Figure(
                f"heatmap:{g.name}",
                f"{g.name}: test error with one layer reset",
                "re-randomized, or re-initialized to epoch",
                "layer (parameters)",
                (),
                matrix=matrix,
                rows=tuple(g.row_label(i) for i in rows),
                columns=tuple(str(c) for c in g.columns),
                vrange=(0.0, 1.0),
                vlabel="test error",
            )
        )
        figs.append(_lines(g, rows))
    return figs


def _lines(g: Grid, rows: list[int]) -> Figure:
    """Test error vs the checkpoint a layer is reset to, a line per layer; its re-randomization
    as a point in the layer's colour, set apart left of epoch 0 under its own tick."""
    rnd_x = -max(1.0, 0.1 * max(g.epochs, default=10))  # apart from epoch 0, not a checkpoint
    series, points = [], []
    for j, i in enumerate(rows):
        name = g.layers[i][0]
        xs, ys, lo, hi, ns = [], [], [], [], []
        for t in g.epochs:
            per_run = [sum(v) / len(v) for v in g.runs.get((i, t), {}).values()]
            s = Stat.of(per_run)
            if s is not None:
                xs.append(float(t))
                ys.append(s.mean)
                lo.append(s.lo)
                hi.append(s.hi)
                ns.append(s.n)
        if xs:
            band = {"lo": tuple(lo), "hi": tuple(hi), "n": max(ns), "ns": tuple(ns)} if max(ns) > 1 else {}
            series.append(Series(name, tuple(xs), tuple(ys), **band))
        v = _mean(g.test.get((i, RND)))
        if v is not None:
            # side by side around the tick, one per layer: equal errors (near chance) would hide each other
            dx = (j - (len(rows) - 1) / 2) * 0.012 * (max(g.epochs, default=10) - rnd_x)
            points.append(Series(f"{name} re-randomized", (rnd_x + dx,), (v,), points=True, like=name if xs else ""))
    hl = [(g.chance, "chance")]
    final = _mean(g.finals)
    if final is not None:
        hl += [(final, "final model"), (final + g.threshold, "robustness threshold")]
    return Figure(
        f"reinit:{g.name}",
        f"{g.name}: test error with one layer reset to its checkpoint",
        "checkpoint epoch the layer is reset to (left: re-randomized)",
        "test error",
        (*series, *points),
        hlines=tuple(hl),
        xticks=((rnd_x, "re-rand."), *((float(t), str(t)) for t in g.epochs)) if points else (),
    )


def layer_tables(runs: list[RunData]) -> list[Table]:
    """Per model: test error, robustness (with verdicts), train error."""
    out = []
    for g in grids(runs):
        rows = sorted(g.layers)
        heads = ("re-randomize", *(f"epoch {t}" for t in g.epochs))

        at = f"final model {ERR.format(Stat.of(g.finals))}, chance {ERR.format(g.chance)}"
        thr = DELTA.format(g.threshold)
        deltas = tuple((g.layers[i][0], *(g.stat(g.delta, i, c) for c in g.columns), *_verdicts(g, i)) for i in rows)
        out += [
            Table(
                f"{g.name}: test error with one layer reset ({at})",
                ("layer", "params", *heads),
                _error_rows(g, rows, g.test),
                (None, COUNT, *(ERR,) * len(heads)),
            ),
            Table(
                f"{g.name}: robustness = test error minus the final model's (robust: at most {thr})",
                ("layer", *heads, "re-randomization", "re-initialization"),
                deltas,
                (None, *(DELTA,) * len(heads)),
            ),
            Table(
                f"{g.name}: train error with one layer reset",
                ("layer", "params", *heads),
                _error_rows(g, rows, g.train),
                (None, COUNT, *(ERR,) * len(heads)),
            ),
        ]
    return out


def _error_rows(g: Grid, rows: list[int], cells: dict) -> tuple:
    return tuple((g.layers[i][0], g.layers[i][1], *(g.stat(cells, i, c) for c in g.columns)) for i in rows)


def _verdicts(g: Grid, i: int) -> tuple[str, str]:
    """Whether layer i is robust to re-randomization, and up to which checkpoint it is critical."""

    def critical(col) -> bool | None:
        s = g.stat(g.delta, i, col)
        return None if s is None else s.mean > g.threshold

    rnd = {None: "-", True: "critical", False: "robust"}[critical(RND)]
    seen = [(t, critical(t)) for t in g.epochs if critical(t) is not None]
    bad = [t for t, c in seen if c]
    if not seen:
        return rnd, "-"
    if not bad:
        return rnd, "robust"
    if bad == [t for t, _ in seen][: len(bad)]:
        return rnd, f"critical up to epoch {bad[-1]}"
    return rnd, "critical at epochs " + ", ".join(str(t) for t in bad)


def _mean(vals) -> float | None:
    s = Stat.of(vals or [])
    return None if s is None else s.mean


def _count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.3g}M"
    if n >= 1_000:
        return f"{n / 1e3:.3g}k"
    return str(n)
