"""Formatting shared by the CLI tables and the TUI run tables (no Textual): progress, ETA
ranges and durations (summary numbers read their declared fields: core/schema.py)."""

from __future__ import annotations

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import ACTIVE, Status


def pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def progress_of(rec: RunRecord, last: dict | None) -> float:
    """Fraction of the run's epoch budget done: 1 once finished (fitted early counts as done),
    the fraction it reached for a run that stopped (cancelled, failed, ...), 0 before it starts."""
    if rec.status == Status.FINISHED:
        return 1.0
    if not last:
        return 0.0
    return min(1.0, last.get("epoch", 0) / max(1, rec.spec.train.epochs))


RECENT = 8  # timed events the pace is measured over: recent enough to follow a slowdown, long enough to be steady


def eta_range(rec: RunRecord, events: list[dict]) -> tuple[float, float] | None:
    """Seconds left for a running run: (if it fits at its recent pace, if it trains its whole budget).

    Remaining steps over this run's measured pace: the pace is the seconds per step between its
    recent timed events (start-up and past evaluation bursts do not count), the budget is
    `train.max_steps` or the epochs at its steps per epoch. Only where the stopping rule is uncertain
    (a `target_train_acc` that training accuracy is rising towards) is it a range; the low end
    extrapolates that rise, per step, to the target. A run with no rise has one ETA: its budget."""
    if rec.status != Status.RUNNING:
        return None
    timed = [e for e in events if e.get("kind") in ("step", "eval") and e.get("wall") and e.get("step")]
    if not timed:
        return None
    last = timed[-1]
    first = timed[-min(len(timed), RECENT)]
    if last["step"] > first["step"] and last["wall"] > first["wall"]:
        pace = (last["wall"] - first["wall"]) / (last["step"] - first["step"])  # seconds per step, recently
    else:
        pace = last["wall"] / last["step"]
    train = rec.spec.train
    per_epoch = last["step"] / last["epoch"] if last.get("epoch") else None
    budgets = [train.max_steps] if train.max_steps else []
    if per_epoch:
        budgets.append(train.epochs * per_epoch)
    if not budgets:
        return None
    left = max(0.0, min(budgets) - last["step"])
    hi = left * pace
    lo = hi
    target = train.target_train_acc
    evals = [e for e in events if e.get("kind") == "eval" and e.get("step") is not None]
    if target and len(evals) >= 2:
        a, b = evals[-max(2, len(evals) // 4)], evals[-1]
        if b["step"] > a["step"]:
            slope = (b["train_acc"] - a["train_acc"]) / (b["step"] - a["step"])  # accuracy per step
            if slope > 0:
                lo = min(hi, max(0.0, (target - b["train_acc"]) / slope) * pace)
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


def middle(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut in the middle: labels differ at their end
    ('gaussian on 8000 ReLU features: true labels' vs '...: random labels'), so the end stays."""
    if len(text) <= width or width < 5:
        return text[:width]
    tail = (width - 1) * 3 // 5  # the end carries the condition: it gets the larger share
    return text[: width - 1 - tail].rstrip() + "…" + text[-tail:].lstrip()


def bar(frac: float, width: int = 5) -> str:
    full = int(frac * width)
    return "█" * full + "░" * (width - full) + f" {100 * frac:3.0f}%"


# a running run's latest evaluation stands in for its final numbers (marked as live)
LIVE = {"final_train_acc": "train_acc", "final_test_acc": "test_acc", "final_train_loss": "train_loss"}
LIVE.update({"final_test_loss": "test_loss"})


def summary_cell(f, r: RunRecord, events: list[dict]) -> str:
    """A summary field's cell: the stored value once the run ended, its latest evaluation
    (suffixed '~') while it trains, '-' before."""
    if r.status not in ACTIVE:
        return f.cell(r.summary, r.status, bool(r.started))
    ev = next((e for e in reversed(events) if e.get("kind") == "eval"), None)
    live = ev.get(LIVE.get(f.key, "")) if ev else None
    return f"{f.format(live)}~" if live is not None else "-"


def status_text(r: RunRecord, pos: int | None = None) -> str:
    """A run's status; a queued run with a place in the home's queue (`pos`) reads `queued #3`,
    one whose worker is starting (`pos` 0) `starting`."""
    if r.status != Status.QUEUED or pos is None:
        return str(r.status)
    return f"queued #{pos}" if pos else "starting"


def runs_table(
    runs: list[RunRecord],
    fields: list,
    events: dict[str, list[dict]],
    width: int,
    title: str = "",
    queue_pos: dict[str, int] | None = None,
):
    """A Rich table of runs for a terminal `width` wide: id, label, status, then (while runs are
    in flight) progress and ETA, then the study's summary fields by priority, then the device.
    Columns that do not fit are dropped whole (and named under the table); a number is never
    cut. `events` holds the metric events of the active runs (for progress and ETA); `queue_pos`
    the queued runs' places in the home's queue."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    active = any(r.status in ACTIVE for r in runs)
    cols: list[tuple[str, list[str], float, bool]] = [  # header, cells, priority, numeric
        ("run", [r.id for r in runs], 0, False),
        ("status", [status_text(r, (queue_pos or {}).get(r.id)) for r in runs], 0, False),
    ]
    if active:
        last = {r.id: next((e for e in reversed(events.get(r.id, [])) if "epoch" in e), None) for r in runs}
        cols.append(("progress", [bar(progress_of(r, last[r.id])) for r in runs], 1.6, True))
        cols.append(("ETA", [fmt_eta(eta_range(r, events.get(r.id, []))) for r in runs], 1.5, True))
    for i, f in enumerate(fields):
        cells = [summary_cell(f, r, events.get(r.id, [])) for r in runs]
        cols.append((f.header, cells, f.priority + i / 100, True))
    cols.append(("device", [r.device or "-" for r in runs], 8, False))

    def need(c) -> int:  # the widest cell, or the header's longest word (headers may wrap)
        return max([cell_len(x) for x in c[1]] + [max(cell_len(w) for w in c[0].split())])

    label_w = min(28, max([len(r.label) for r in runs] + [9]))
    labels = [r.label for r in runs]
    widths = {id(c): (need(c), cell_len(c[0])) for c in cols}  # each column measured once

    def build(kept, label_max: int) -> Table:
        t = Table(title=Text(title) if title else None, box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("run", no_wrap=True, min_width=need(kept[0]))
        t.add_column("condition", no_wrap=True, overflow="ellipsis", max_width=label_max)
        for c in kept[1:]:
            t.add_column(c[0], justify="right" if c[3] else "left", min_width=need(c))
        for i, r in enumerate(runs):  # Text: a label or device is never read as markup
            t.add_row(Text(r.id), Text(middle(r.label, label_max)), *(Text(c[1][i]) for c in kept[1:]))
        return t

    def fits(kept, label_max: int) -> bool:
        return table_width([widths[id(c)] for c in kept], labels, label_max) <= width

    kept = list(cols)
    # first whole columns below the study's essential fields go (progress before ETA), the label
    # kept; then the label shrinks to 14; then the rest go (numbers are never cut)
    while any(c[2] >= 1.5 for c in kept[2:]) and not fits(kept, label_w):
        kept.remove(max(kept[2:], key=lambda c: c[2]))
    while len(kept) > 2 and not fits(kept, 14):
        kept.remove(max(kept[2:], key=lambda c: c[2]))
    label = label_w
    while label > 14 and not fits(kept, label):
        label -= 1
    hidden = [c[0] for c in cols if c not in kept]
    if fits(kept, label):  # every column at its width: the lines Rich would print, without its layout pass
        lines = _fitted_lines(kept, [middle(t, label) for t in labels], label, title)
        if lines is not None:
            return lines, hidden
    return build(kept, label), hidden


def _fitted_lines(kept: list, labels: list[str], label_max: int, title: str):
    """The text of a fitted `runs_table` (a Rich Table with box SIMPLE_HEAD, no edge padding, every
    column at its widest) as one Text: a title centred over the table, the header in bold, a rule,
    a line per run. Rendering it costs a tenth of laying out the Table (10,000 runs: 0.2 s, not 7).
    None where a cell holds a line break or a tab, or starts or ends in a space (the Table handles those)."""
    from rich.cells import cell_len
    from rich.text import Text

    if not all(_plain(x) for xs in ([title], labels, *(c[1] for c in kept)) for x in xs):
        return None
    lw = min(label_max, max([cell_len(t) for t in labels] + [len("condition")]))
    cells = [t if cell_len(t) <= lw else _ellipsis(t, lw) for t in labels]
    cols = [(kept[0][0], kept[0][1], False, None), ("condition", cells, False, lw)] + [
        (c[0], c[1], c[3], None) for c in kept[1:]
    ]
    widths = [w if w is not None else max([cell_len(x) for x in xs] + [cell_len(h)]) for h, xs, _, w in cols]
    last = len(cols) - 1

    def line(values: list[str]) -> list[str]:
        out = []
        for i, (v, (_, _, right, _), w) in enumerate(zip(values, cols, widths)):
            fill = " " * (w - cell_len(v))
            out.append(("" if i == 0 else " ") + (fill + v if right else v + fill) + ("" if i == last else " "))
        return out

    total = sum(widths) + 2 * len(cols) - 2 + last
    if cell_len(title) > total:
        return None  # the Table wraps a long title
    text = Text(no_wrap=True, overflow="crop")
    if title:
        left = (total - cell_len(title)) // 2
        text.append(" " * left + title + " " * (total - left - cell_len(title)) + "\n")
    for i, part in enumerate(line([c[0] for c in cols])):
        text.append(part, style="table.header")
        text.append(" " if i < last else "\n")
    text.append("─" * total)
    for r in range(len(labels)):
        text.append("\n" + " ".join(line([c[1][r] for c in cols])))
    return text


def table_width(cols: list[tuple[int, int]], labels: list[str], label_max: int) -> int:
    """The widest `runs_table` renders (what Rich measures as its maximum), from the widths its
    columns already know: `cols` holds (need, header width) of the run column and of each column
    after the label. A column's `need` is its minimum width (its widest cell, or its header's
    longest word); a header that may wrap still counts whole, as Rich measures a cell at its
    widest. One space pads each side of a column but the table's outer edges; one rules columns."""
    from rich.cells import cell_len

    label = min(label_max, max([cell_len(middle(t, label_max)) for t in labels] + [len("condition")]))
    total = len(cols) + label + 2  # the rules between the len(cols) + 1 columns, the label column
    for i, (need, header) in enumerate(cols):
        total += max(need, header) + (1 if i in (0, len(cols) - 1) else 2)
    return total


def _ellipsis(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, as a Rich column with overflow='ellipsis' cuts it."""
    from rich.text import Text

    t = Text(text)
    t.truncate(width, overflow="ellipsis")
    return t.plain


def _plain(cell: str) -> bool:
    """A cell that prints as it is: one line, no tab, no space at its ends."""
    return cell == cell.strip() and "\n" not in cell and "\r" not in cell and "\t" not in cell
