"""Formatting of summary numbers shared by the CLI tables and the TUI run table (no Textual)."""

from __future__ import annotations


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def progress_of(rec: dict, last: dict | None) -> float:
    """Fraction of the run's epoch budget done, from its latest event (1 once it has ended)."""
    from overfit_tui.store.store import ENDED

    if rec["status"] in ENDED:
        return 1.0
    if not last:
        return 0.0
    return min(1.0, last.get("epoch", 0) / max(1, rec["spec"]["train"]["epochs"]))
