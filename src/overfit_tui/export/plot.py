"""Vector figures with matplotlib (SVG, PNG): every study figure of the exported runs, one
file each, and the compared runs' curves overlaid on one axis.

Each file has its axes and units, a legend (by condition and model for run curves, with
n for seed-averaged series), seed bands where a series has them (of the settings file's kind,
95 % t-interval by default, stated on the figure: "mean ± 95 % CI, n = 3"), the paper's reference
lines (interpolation threshold, N = n, ...), log axes as the study declares them. Points
that are not finite (or not positive on a log axis) are dropped and counted in a note.
Headless (Agg backend), deterministic output for the same runs.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

from overfit_tui.core.bands import band_note
from overfit_tui.export.compare import Comparison
from overfit_tui.export.heatmap import draw_heatmap
from overfit_tui.export.mpl import save_quietly
from overfit_tui.export.run_data import runs_data
from overfit_tui.export.style import DASHES, Style, color_hex, run_styles, series_colors
from overfit_tui.studies import get_study
from overfit_tui.studies.base import Figure, Series
from overfit_tui.studies.replicates import base_label

CURVES = (("step", "train_loss", "Training loss"), ("eval", "test_acc", "Test accuracy"))
FORMATS = ("svg", "png")


def _finite(xs, ys, logx: bool, logy: bool) -> tuple[list, list, int]:
    keep = [
        (x, y)
        for x, y in zip(xs, ys)
        if isinstance(x, (int, float))
        and isinstance(y, (int, float))
        and math.isfinite(x)
        and math.isfinite(y)
        and (not logx or x > 0)
        and (not logy or y > 0)
    ]
    return [p[0] for p in keep], [p[1] for p in keep], len(xs) - len(keep)


def draw(
    fig: Figure, path: Path, styles: dict[str, Style] | None = None, subtitle: str = "", band: str | None = None
) -> Path:
    """Write one Figure to `path` (.svg or .png); a heatmap goes to export/heatmap.py. `band`: the
    seed band's kind (core/bands.py; None: the settings file's)."""
    if fig.is_heatmap:
        return draw_heatmap(fig, path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    styles = styles or {}
    band = band or default_band()
    plt.rcParams["svg.hashsalt"] = "overfit-tui"  # stable element ids: the same runs give the same file
    f, ax = plt.subplots(figsize=(7.0, 4.4), layout="constrained")
    dropped = 0
    colors = series_colors(len(fig.series))
    index = {s.name: i for i, s in enumerate(fig.series)}
    banded = False
    for i, s in enumerate(fig.series):
        xs, ys, lost = _finite(s.x, s.y, fig.xlog, fig.ylog)
        dropped += lost
        if not xs:
            continue
        st = styles.get(s.name)
        color = color_hex(st.color if st else colors[index.get(s.like, i)])
        label = None if st or s.like else s.legend_name()
        if s.points:
            ax.plot(xs, ys, "o", color=color, label=label, markersize=5)
        else:
            ax.plot(xs, ys, DASHES[st.dash % len(DASHES)] if st else "-", color=color, label=label, linewidth=1.4)
        edges = s.band(band)
        if edges:  # the seeds' band under the mean
            bx, blo, _ = _finite(s.x, edges[0], fig.xlog, fig.ylog)
            bx2, bhi, _ = _finite(s.x, edges[1], fig.xlog, fig.ylog)
            if bx == bx2 and bx:
                ax.fill_between(bx, blo, bhi, color=color, alpha=0.2, linewidth=0)
                banded = True
    for x, text in fig.vlines:
        if not fig.xlog or x > 0:
            ax.axvline(x, color="0.4", linestyle="--", linewidth=1)
            ax.annotate(text, (x, 1), xycoords=("data", "axes fraction"), xytext=(3, -12), textcoords="offset points")
    for y, text in fig.hlines:
        if not fig.ylog or y > 0:
            ax.axhline(y, color="0.4", linestyle=":", linewidth=1)
            ax.annotate(text, (0, y), xycoords=("axes fraction", "data"), xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log" if fig.xlog else "linear")
    _xticks(ax, fig)
    ax.set_yscale("log" if fig.ylog else "linear")
    ax.set_xlabel(fig.xlabel)
    ax.set_ylabel(fig.ylabel)
    ax.grid(True, alpha=0.3, linewidth=0.6)
    f.suptitle(fig.title, fontsize=12, fontweight="bold")
    said = band_note(fig.series, band) if banded else ""  # the figure states its band, legend or not
    if subtitle or dropped or said:
        note = " · ".join(t for t in (subtitle, said) if t) + (
            f" · {dropped} point(s) not drawn (not finite, or ≤ 0 on a log axis)" if dropped else ""
        )
        ax.set_title("\n".join(textwrap.wrap(note.strip(" ·"), 84)), fontsize=8, color="0.35")  # within the axes' width
    handles = []
    if styles:
        conds: dict[str, tuple[Style, int, int]] = {}  # condition -> its style and the runs behind it
        models: dict[str, Style] = {}
        for s in fig.series:
            if s.name in styles:
                st = styles[s.name]
                lo, hi = (min(s.ns), max(s.ns)) if s.ns else (s.n, s.n)
                first, a, b = conds.get(st.condition, (st, lo, hi))
                conds[st.condition] = (first, min(a, lo), max(b, hi))  # one entry per condition, its n over models
                models.setdefault(st.model, st)
        seen = {
            (c if b <= 1 else f"{c} (n={b})" if a == b else f"{c} (n={a}-{b})"): st for c, (st, a, b) in conds.items()
        }
        many_models = len(models) > 1 and all(models)
        if len(seen) > 1 or not many_models:  # one condition: the models say it all
            handles = [Line2D([], [], color=color_hex(st.color), label=c) for c, st in seen.items()]
        if many_models:
            handles += [
                Line2D([], [], color="0.3", linestyle=DASHES[st.dash % len(DASHES)], label=m)
                for m, st in models.items()
            ]
    entries = handles or ax.get_legend_handles_labels()[0]
    if any(s.like for s in fig.series):  # points drawn in another series' colour: say what they are
        what = next(s.name.removeprefix(s.like).strip(" :,") for s in fig.series if s.like)
        entries.append(Line2D([], [], marker="o", linestyle="", color="0.45", label=f"{what} (colour: as its line)"))
    if banded and entries:
        entries.append(Patch(color="0.6", alpha=0.35, label=f"shaded: {band_note(fig.series, band)}"))
    _legend(f, ax, entries)
    path = Path(path)
    meta = {"Date": None} if path.suffix == ".svg" else {"Software": None}
    save_quietly(f, path, dpi=150, metadata=meta)
    plt.close(f)
    return path


def _legend(f, ax, entries: list) -> None:
    """Inside the axes when short; to the right when it has many short entries; below the axes
    (the figure grows to hold it) when its names are long, each whole, wrapped rather than cut."""
    if not entries:
        return
    longest = max(len(h.get_label()) for h in entries)
    if len(entries) <= 6 and longest <= 40:
        ax.legend(handles=entries, fontsize=8, frameon=False)
    elif longest <= 32:
        ax.legend(handles=entries, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    else:
        for h in entries:
            h.set_label(textwrap.fill(h.get_label(), 90, subsequent_indent="  "))
        lines = sum(h.get_label().count("\n") + 1 for h in entries)
        w, h = f.get_size_inches()
        f.set_size_inches(w, h + 0.17 * lines)
        ax.legend(handles=entries, loc="upper left", bbox_to_anchor=(0, -0.14), fontsize=8, frameon=False)


def _xticks(ax, fig: Figure) -> None:
    """The figure's own ticks; on a log axis over a few x values (k = 2, 4, 10, 25, ...), those
    values, since decades alone (10, 100) leave most points unlabelled."""
    from matplotlib.ticker import NullLocator

    if fig.xticks:
        ax.set_xticks([x for x, _ in fig.xticks], [t for _, t in fig.xticks])
        ax.xaxis.set_minor_locator(NullLocator())
        return
    xs = sorted({x for s in fig.series for x in s.x if isinstance(x, (int, float)) and math.isfinite(x) and x > 0})
    if fig.xlog and 2 <= len(xs) <= 10:
        ax.set_xticks(xs, [f"{x:g}" for x in xs])
        ax.xaxis.set_minor_locator(NullLocator())


def default_band() -> str:
    """The settings file's band kind ('ci' where the file is absent)."""
    from overfit_tui.core.config import load_config

    return load_config().band


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def study_figures(c: Comparison) -> list[tuple[str, Figure, dict[str, Style], str]]:
    """(name, figure, styles, subtitle) of every figure of every study among the runs."""

    out = []
    for study_name in sorted({r.study for r in c.records}):
        study = get_study(study_name)
        recs = [r for r in c.records if r.study == study_name]
        runs = runs_data(recs, lambda rid: c.events.get(rid, []))
        by_id = run_styles(runs, most=8)
        styles = {base_label(r): by_id[r.id] for r in runs}  # seed replicates share one series
        groups = sorted({r.group for r in recs})
        paper = study.paper.split(":")[0]
        sub = f"{paper} · {', '.join(groups)}" if len(groups) <= 2 else f"{paper} · {len(groups)} groups"
        for fig in study.figures(runs):
            if fig.series or fig.is_heatmap:
                out.append((f"{slug(study_name)}-{slug(fig.key)}", fig, styles if fig.key == "loss" else {}, sub))
    return out


def curve_figures(c: Comparison, align: str = "step") -> list[tuple[str, Figure, dict[str, Style], str]]:
    """The compared runs' curves, every run on one axis, named by label and what differs."""

    names = dict(zip((r.id for r in c.records), c.names))
    by_id = run_styles(c.records, most=8)  # colour by condition, line style by model, as the panes do
    styles = {names[i]: st for i, st in by_id.items()}
    out = []
    for kind, key, title in CURVES:
        series = []
        for r in c.records:
            xs, ys = c.curve(r.id, kind, key, align)
            if xs:
                series.append(Series(names[r.id], tuple(xs), tuple(ys)))
        if series:
            sub = f"{len(series)} runs of {', '.join(sorted({r.group for r in c.records}))}"
            fig = Figure(key, f"{title} vs {align}", align, key.replace("_", " "), tuple(series))
            out.append((f"curves-{slug(key)}", fig, styles, sub if len(sub) < 110 else f"{len(series)} runs"))
    return out


def write_figures(c: Comparison, out: Path, fmt: str) -> list[Path]:
    """Every figure as `<out stem>-<name>.<fmt>` beside `out`; returns the files written."""
    out = Path(out)
    base = out.with_suffix("") if out.suffix == f".{fmt}" else out
    paths = []
    for name, fig, styles, sub in [*curve_figures(c), *study_figures(c)]:
        paths.append(draw(fig, base.parent / f"{base.name}-{name}.{fmt}", styles, sub))
    return paths
