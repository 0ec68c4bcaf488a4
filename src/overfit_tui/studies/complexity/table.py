"""The complexity measures of any finished runs, as a typed table (no torch): what goes in
(`RunInput`: a stored run and its folder), what comes out (`MeasureRow` per run, `TauRow` per
measure) and the ranking of each measure against the generalization gap over those runs.

The measuring itself (loading each run's saved weights and data, torch) is `on_runs.py`; this
module is what the app, the CLI and the exports read. A measure is `None` where it does not
apply (no net, no weights, inputs that cannot be rebuilt): the row's `note` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from overfit_tui.core.records import RunRecord
from overfit_tui.core.specs import DataSpec, ModelSpec
from overfit_tui.core.status import Status
from overfit_tui.studies.complexity.fields import MEASURES
from overfit_tui.studies.complexity.figures import NULL_DRAWS, tau_of
from overfit_tui.studies.complexity.rank import null_band

MIN_RUNS = 3  # fewer measured runs than this rank nothing: the tau row says "too few"
NO_NET = frozenset({"kernel", "double_descent_rff", "expressivity"})  # closed forms: no trained net


@dataclass(frozen=True)
class RunInput:
    """A stored run as the measures read it: what it trained and where its files are."""

    run_id: str
    label: str
    study: str
    status: Status
    data: DataSpec
    model: ModelSpec
    init_seed: int
    summary: dict  # its stored summary (final accuracies, `gap` where the study reports it)
    folder: Path  # its run folder (weights under checkpoints/weights/)
    params: dict = field(default_factory=dict)  # its study's run parameters as stored

    @classmethod
    def of(cls, rec: RunRecord, folder: Path) -> RunInput:
        spec = rec.spec
        return cls(
            rec.id, rec.label, rec.study, rec.status, spec.data, spec.model, spec.seeds.init, rec.summary, folder
        )

    @property
    def gap(self) -> float | None:
        """Train accuracy (on the labels it trained on) minus test accuracy: the complexity study's gap."""
        s = self.summary
        if isinstance(s.get("gap"), (int, float)):
            return float(s["gap"])
        tr, te = s.get("final_train_acc"), s.get("final_test_acc")
        return float(tr) - float(te) if isinstance(tr, (int, float)) and isinstance(te, (int, float)) else None


@dataclass(frozen=True)
class MeasureRow:
    """One run: its gap and each measure (key -> value; None where it does not apply)."""

    run_id: str
    label: str
    study: str
    gap: float | None
    values: dict = field(default_factory=dict)
    note: str = ""  # "" when every measure was taken; else why some or all are missing


@dataclass(frozen=True)
class TauRow:
    """One measure ranked against the gap: Kendall's tau-b over the runs that have both, and the
    95 % quantile of tau with the gap permuted across those runs (the measure ranks the gap only
    above it)."""

    key: str
    label: str
    n: int
    tau: float | None
    band: float | None
    note: str = ""  # "too few runs (n < 3)" or "constant" where no tau exists

    @property
    def ranks(self) -> bool | None:
        return None if self.tau is None or self.band is None else self.tau > self.band


@dataclass(frozen=True)
class MeasureTable:
    rows: tuple[MeasureRow, ...]
    taus: tuple[TauRow, ...]

    @property
    def measured(self) -> int:
        """Runs with at least one measure."""
        return sum(1 for r in self.rows if any(v is not None for v in r.values.values()))

    def columns(self) -> tuple[str, ...]:
        return ("run", "label", "study", "gap", *(f.key for f in MEASURES), "note")

    def cells(self) -> list[list]:
        """The per-run table as plain values (None where missing), in `columns()` order."""
        return [
            [r.run_id, r.label, r.study, r.gap, *(r.values.get(f.key) for f in MEASURES), r.note] for r in self.rows
        ]

    def tau_columns(self) -> tuple[str, ...]:
        return ("measure", "runs", "tau", "tau null 95 %", "ranks the gap", "note")

    def tau_cells(self) -> list[list]:
        out = []
        for t in self.taus:
            ranks = "" if t.ranks is None else ("yes" if t.ranks else "no")
            out.append([t.key, t.n, t.tau, t.band, ranks, t.note])
        return out


def rank(rows: list[MeasureRow], draws: int = NULL_DRAWS, seed: int = 0) -> tuple[TauRow, ...]:
    """Kendall's tau of each measure with the gap over the rows that have both, with its
    permutation null (the complexity study's `rank.null_band`, the same draws)."""
    out = []
    for f in MEASURES:
        pts = [
            ({"run": r.run_id}, float(r.values[f.key]), float(r.gap))
            for r in rows
            if r.gap is not None and isinstance(r.values.get(f.key), (int, float))
        ]
        if len(pts) < MIN_RUNS:
            out.append(TauRow(f.key, f.label, len(pts), None, None, f"too few runs ({len(pts)} < {MIN_RUNS})"))
            continue
        t = tau_of(pts)
        band = null_band(pts, tau_of, None, draws, seed) if t is not None else None
        out.append(TauRow(f.key, f.label, len(pts), t, band, "" if t is not None else "constant: nothing to rank"))
    return tuple(out)


def fmt(v) -> str:
    """A cell as text: numbers to 4 significant digits, None as '-'."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
