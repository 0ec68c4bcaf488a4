"""A chart's legend, below the plot: one swatch per condition (colour) and per model (marker)
for run curves, one per series for a study figure, the reference lines, and the highlighted
run in bold, and what the faint seed-band lines are with the seeds behind them ('mean ± 95 % CI,
n = 3'). Entries never break inside; a legend that would take more than a few lines
(three, six in a tall panel) is summarised instead of cut."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from overfit_tui.export.style import DIM, Style, color_hex

GLYPHS = ("━━", "••", "xx", "++")  # the look of each model's marker (charts.MARKERS)


def entries(figure, chart, styles: dict[str, Style]) -> list[tuple[str, str, str]]:
    """(glyph, colour, name) triples for the figure's legend."""
    out: list[tuple[str, str, str]] = []
    names = [s.name for s in figure.series]
    if styles and all(n in styles for n in names):
        conds: dict[str, Style] = {}
        models: dict[str, Style] = {}
        seeds = {s.name: s.n_text for s in figure.series}
        for n in names:
            st = styles[n]
            label = f"{st.condition} ({seeds[n]})" if seeds[n] else st.condition
            conds.setdefault(label, st)
            models.setdefault(st.model, st)
        if len(conds) > 3 and all(st.ramp for st in conds.values()):  # a sweep: its range as a gradient
            (first, a), (last, b) = next(iter(conds.items())), list(conds.items())[-1]
            out += [("━━", color_hex(a.color), f"{first} →"), ("━━", color_hex(b.color), last)]
        elif len(conds) > 1 or not (len(models) > 1 and all(models)):  # one condition: the models say it all
            out += [("━━", color_hex(st.color), c) for c, st in conds.items()]
        if len(models) > 1 and all(models):
            out += [(GLYPHS[st.dash % len(GLYPHS)], color_hex(DIM), m) for m, st in models.items()]
    else:
        for i, s in enumerate(figure.series):
            if not s.like:  # drawn in another series' colour: one entry below says what they are
                out.append(("•" if s.points else "━━", color_hex(chart.color_of(i, s)), s.legend_name()))
        like = next((s for s in figure.series if s.like), None)
        if like is not None:
            out.append(("•", color_hex(DIM), f"{like.name.removeprefix(like.like).strip()} (colour: as its line)"))
    out += [("┊", color_hex(DIM), text) for _, text in (*figure.vlines, *figure.hlines) if text]
    note = chart.plan.band if getattr(chart, "plan", None) is not None else ""
    if note:
        out.append(("┄┄", color_hex(DIM), f"band: {note}"))
    return out


def with_highlight(items: list, highlight: str | None, styles: dict[str, Style]) -> list:
    """The highlighted series' own entry marked ▶ (it appeared twice: '▶ true labels ━━ true
    labels'); a name the legend does not list comes first."""
    if not highlight:
        return items
    st = styles.get(highlight)
    mine = {highlight, *((st.condition, st.model) if st else ())}
    at = next((j for j, (_, _, name) in enumerate(items) if name.split(" (n=")[0] in mine), None)
    if at is None:
        return [("▶", color_hex(st.color) if st else "white", highlight), *items]
    _, color, name = items[at]
    return [*items[:at], ("▶", color, name), *items[at + 1 :]]


class Legend(Static):
    DEFAULT_CSS = "Legend { padding: 0 1; color: $text-muted; }"

    _args = None

    def on_resize(self) -> None:
        self.reflow()

    def reflow(self) -> None:
        """Lay the last legend out again: its width and its panel's height decide the wrapping
        and whether it is summarised, and both are known only after layout."""
        if self._args is not None:
            self.show(*self._args)

    def show(self, figure, chart, styles: dict[str, Style]) -> None:
        self._args = (figure, chart, styles)
        if figure is None or chart.message:
            self._set(Text(""))
            return
        items = with_highlight(entries(figure, chart, styles), chart.highlight, styles)
        text = Text()
        width = max(self.size.width - 2, 20) if self.size.width else 200
        line, lines = 0, 1
        for glyph, color, name in items:
            piece = len(glyph) + 1 + len(name) + 2
            if line and line + piece > width:
                text.append("\n")
                line, lines = 0, lines + 1
            text.append(glyph, style=color)
            text.append(f" {name}  ", style="bold" if glyph == "▶" else "")
            line += piece
        room = 6 if (self.parent and self.parent.size.height >= 20) else 3  # the plot keeps most of the panel
        if lines > room:
            n = len(figure.series)
            dim = color_hex(DIM)
            models = sum(1 for g, c, _ in items if g in GLYPHS and c == dim)
            conds = sum(1 for g, c, _ in items if g == "━━" and c != dim)
            what = f"{conds} conditions by colour" + (f", {models} models by marker" if models else "")
            short = f"{conds} conditions" + (f", {models} models" if models else "")
            options = (f"{n} curves: {what}; highlight a run to pick its curve out", f"{n} curves: {what}")
            options += (f"{n} curves: {short}", f"{n} curves")
            note = chart.plan.band if getattr(chart, "plan", None) is not None else ""
            if note:  # what the bands are is worth more than the hint and the curve count
                compact = note.removeprefix("mean ± ").removeprefix("mean, ").replace(", n = ", ", n=")
                options = tuple(f"{o} · band: {note}" for o in options[1:]) + (
                    f"{n} curves · band: {compact}",
                    f"band: {note}",
                    f"band: {compact}",
                )
            text = Text(next((o for o in options if len(o) <= width), options[-1]))
        self._set(text)

    def _set(self, text: Text) -> None:
        if text != getattr(self, "_text", None):  # an update re-lays out the screen: only on change
            self._text = text
            self.update(text)
            # an explicit height: the plot above is laid out against it at once, whichever of
            # the legend's and the panel's resizes arrives first
            self.styles.height = text.plain.count("\n") + 1 if text.plain else 0
