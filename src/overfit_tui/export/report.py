"""The reproduction report (`overfit-tui report`): per group, its paper, the claims with the
paper's numbers beside ours and the verdicts, the study's figures as vector plots (seed bands,
the paper's reference lines), its tables, and each run's provenance.

Two forms from one build: a self-contained HTML page (figures inline as SVG, CSS inline: no
fonts, scripts or images fetched from anywhere, so it opens offline and can be mailed), and a
Markdown file with the figures as SVG files beside it.
"""

from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from overfit_tui.core.records import RunRecord
from overfit_tui.export.compare import Comparison
from overfit_tui.export.formats import md_row
from overfit_tui.export.plot import draw, study_figures
from overfit_tui.export.run_data import runs_data
from overfit_tui.export.scorecard import GroupClaims, group_claims
from overfit_tui.store import Store
from overfit_tui.studies import get_study
from overfit_tui.studies.base import Table
from overfit_tui.studies.claims import MARK, evidence_text

PROVENANCE = ("device_name", "torch", "cuda", "python", "host", "overfit_tui")


@dataclass
class Section:
    """One group in the report."""

    group: str
    study: str
    paper: str
    records: list[RunRecord]
    claims: GroupClaims | None
    tables: list[Table]
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (name, title, svg text)
    failed: list[str] = field(default_factory=list)  # figures that could not be drawn, and why


def build(store: Store, groups: list[str], figures_dir: Path) -> list[Section]:
    """Check, tabulate and draw every group; figures go to `figures_dir` as SVG files."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for gid in groups:
        records = store.runs(gid)
        if not records:
            continue
        study = get_study(records[0].study)
        runs = runs_data(records, store.metrics)
        sec = Section(gid, study.name, study.paper, records, group_claims(store, gid, records), study.tables(runs))
        comparison = Comparison(records, {r.id: r.events for r in runs})
        for name, fig, styles, sub in study_figures(comparison):
            if not fig.is_heatmap and not any(len(s.x) for s in fig.series):
                sec.failed.append(f"{fig.title}: no points yet")
                continue
            path = figures_dir / f"{gid}-{name}.svg"
            try:
                draw(fig, path, styles, sub)
            except (ValueError, TypeError, OverflowError) as e:  # one odd figure never sinks the report
                sec.failed.append(f"{fig.title}: {type(e).__name__}: {e}")
                continue
            sec.figures.append((path.name, fig.title, path.read_text()))
        out.append(sec)
    return out


def _seconds(r: RunRecord) -> str:
    if r.ended and r.started:
        return f"{r.ended - r.started:.0f} s"
    return "-"


def _provenance(r: RunRecord) -> str:
    p = r.provenance
    return ", ".join(f"{k} {p[k]}" for k in PROVENANCE if p.get(k))


def _claim_rows(sec: Section) -> list[tuple[str, ...]]:
    if sec.claims is None:
        return []
    return [
        (
            MARK[v.status] + " " + v.status,
            c.text + (" (construction check)" if c.kind == "construction" else ""),
            c.source,
            c.paper or "-",
            v.measured or v.detail,
            evidence_text(c, v),
        )
        for c, v in sec.claims.results
    ]


def _run_rows(sec: Section) -> list[tuple[str, ...]]:
    return [
        (
            r.id,
            r.label,
            r.status,
            (r.spec_hash or "")[:12],
            r.device or "-",
            _seconds(r),
            _provenance(r),
        )
        for r in sec.records
    ]


RUN_COLUMNS = ("run", "label", "status", "spec hash", "device", "time", "provenance")
CLAIM_COLUMNS = ("verdict", "claim", "source", "paper", "measured", "evidence")


# -- Markdown ------------------------------------------------------------------
def _md_table(columns, rows) -> str:
    return "\n".join([md_row(columns), "|" + "---|" * len(columns), *(md_row(row) for row in rows)])


def to_markdown(sections: list[Section], figures_rel: str) -> str:
    out = [f"# overfit-tui reproduction report\n\n{time.strftime('%Y-%m-%d %H:%M')}, {len(sections)} group(s).\n"]
    for sec in sections:
        out.append(f"## {sec.study}: {sec.paper}\n\nGroup `{sec.group}`, {len(sec.records)} runs.\n")
        if sec.claims is not None:
            c = sec.claims
            out.append(f"### Claims ({c.count('holds')} hold, {c.count('fails')} fail, {c.count('pending')} pending)\n")
            out.append(_md_table(CLAIM_COLUMNS, _claim_rows(sec)) + "\n")
        for name, title, _ in sec.figures:
            out.append(f"![{title}]({figures_rel}/{name})\n")
        out += [f"_not drawn: {f}_\n" for f in sec.failed]
        for t in sec.tables:
            rows = [[t.cell(i, j) for j in range(len(row))] for i, row in enumerate(t.rows)]
            out.append(f"### {t.title}\n\n" + _md_table(t.columns, rows) + "\n")
        out.append("### Runs\n\n" + _md_table(RUN_COLUMNS, _run_rows(sec)) + "\n")
    return "\n".join(out)


# -- HTML ----------------------------------------------------------------------
CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.5em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.holds { color: #1a7f37; font-weight: bold; } .fails { color: #cf222e; font-weight: bold; }
.pending { color: #9a6700; } .figs { display: flex; flex-wrap: wrap; gap: 1em; }
.figs figure { margin: 0; width: 520px; } .figs svg { width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; } .muted { color: #666; font-size: 12px; }
"""


def _h(v) -> str:
    return html.escape(str(v))


def _html_table(columns, rows, classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        body.append("<tr>" + "".join(f"<td{cls if j == 0 else ''}>{_h(c)}</td>" for j, c in enumerate(row)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _inline_svg(svg: str) -> str:
    """An SVG file's text as an inline element (its XML prolog and DOCTYPE dropped)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def to_html(sections: list[Section]) -> str:
    buf = io.StringIO()
    w = buf.write
    w(
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>overfit-tui report</title><style>{CSS}</style></head><body>"
    )
    w(f"<h1>overfit-tui reproduction report</h1><p class='muted'>{_h(time.strftime('%Y-%m-%d %H:%M'))}, ")
    w(f"{len(sections)} group(s). Figures are vector plots inline; nothing is loaded from the network.</p>")
    for sec in sections:
        w(
            f"<h2>{_h(sec.study)}: {_h(sec.paper)}</h2><p class='muted'>group {_h(sec.group)}, {len(sec.records)} runs</p>"
        )
        if sec.claims is not None:
            c = sec.claims
            w(f"<h3>Claims: {c.count('holds')} hold, {c.count('fails')} fail, {c.count('pending')} pending</h3>")
            w(_html_table(CLAIM_COLUMNS, _claim_rows(sec), [v.status for _, v in c.results]))
        if sec.figures:
            w("<div class='figs'>")
            for _, title, svg in sec.figures:
                w(f"<figure>{_inline_svg(svg)}<figcaption>{_h(title)}</figcaption></figure>")
            w("</div>")
        for f in sec.failed:
            w(f"<p class='muted'>not drawn: {_h(f)}</p>")
        for t in sec.tables:
            rows = [[t.cell(i, j) for j in range(len(row))] for i, row in enumerate(t.rows)]
            w(f"<h3>{_h(t.title)}</h3>" + _html_table(t.columns, rows))
        w("<h3>Runs and provenance</h3>" + _html_table(RUN_COLUMNS, _run_rows(sec)))
    w("</body></html>\n")
    return buf.getvalue()


def write_report(store: Store, groups: list[str], out: Path) -> list[Path]:
    """`out` ending in .html: that one self-contained page (figures inline). Otherwise a folder
    with report.html, report.md and figures/*.svg. Returns the files written."""
    out = Path(out)
    if out.suffix.lower() == ".html":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            sections = build(store, groups, Path(tmp))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_html(sections))
        return [out]
    figures = out / "figures"
    sections = build(store, groups, figures)
    (out / "report.html").write_text(to_html(sections))
    (out / "report.md").write_text(to_markdown(sections, "figures"))
    return [out / "report.html", out / "report.md", *sorted(figures.glob("*.svg"))]
