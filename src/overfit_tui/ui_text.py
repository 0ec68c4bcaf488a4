"""Formatting shared by the CLI tables and the TUI run tables (no Textual): progress, ETA
ranges and durations (summary numbers read their declared fields: core/schema.py)."""

from __future__ import annotations


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def progress_of(rec: dict, last: dict | None) -> float:
    """Fraction of the run's epoch budget done: 1 once finished (fitted early counts as done),
    the fraction it reached for a run that stopped (cancelled, failed, ...), 0 before it starts."""
    if rec["status"] == "finished":
        return 1.0
    if not last:
        return 0.0
    return min(1.0, last.get("epoch", 0) / max(1, rec["spec"]["train"]["epochs"]))


def eta_range(rec: dict, events: list[dict]) -> tuple[float, float] | None:
    """Seconds left for a running run: (if it fits at its recent pace, if it trains its whole budget).

    Runs stop when they reach `train.target_train_acc`; the first bound extrapolates the
    recent rise of training accuracy to that target, the second assumes the full epoch budget."""
    if rec["status"] != "running":
        return None
    last = next((e for e in reversed(events) if e.get("kind") in ("step", "eval") and e.get("epoch")), None)
    if not last or not last.get("wall"):
        return None
    train = rec["spec"]["train"]
    rate = last["wall"] / last["epoch"]  # seconds per epoch so far
    hi = max(0.0, (train["epochs"] - last["epoch"]) * rate)
    lo = hi
    target = train.get("target_train_acc", 0)
    evals = [e for e in events if e.get("kind") == "eval"]
    if target and len(evals) >= 2:
        a, b = evals[-max(2, len(evals) // 4)], evals[-1]
        if b["epoch"] > a["epoch"]:
            slope = (b["train_acc"] - a["train_acc"]) / (b["epoch"] - a["epoch"])
            if slope > 0:
                lo = min(hi, max(0.0, (target - b["train_acc"]) / slope) * rate)
    return lo, hi


def duration(secs: float) -> str:
    """42s, 12m, 1h05."""
    if secs < 90:
        return f"{secs:.0f}s"
    if secs < 90 * 60:
        return f"{secs / 60:.0f}m"
    return f"{int(secs // 3600)}h{int(secs % 3600 // 60):02d}"


def fmt_eta(rng: tuple[float, float] | None) -> str:
    """'4m', or '1m-4m' when the run may fit (and stop) well before its budget ends."""
    if rng is None:
        return "-"
    lo, hi = rng
    if hi - lo < max(5.0, 0.2 * hi):
        return duration(hi)
    return f"{duration(lo)}-{duration(hi)}"


def bar(frac: float, width: int = 8) -> str:
    full = int(frac * width)
    return "█" * full + "░" * (width - full) + f" {100 * frac:3.0f}%"
