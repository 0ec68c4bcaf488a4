"""Writers for a Comparison: CSV (long form), JSON (full records and series), Markdown
(summary, the studies' tables, spec diff, provenance), and figures as SVG or PNG (one
file per figure, drawn by export/plot.py). Deterministic for the same runs: sorted keys,
stable order, no timestamps of the export itself."""

from __future__ import annotations

import csv
import io
import json
import math

from overfit_tui.core.errors import OverfitError, did_you_mean
from overfit_tui.export.compare import Comparison
from overfit_tui.export.plot import write_figures
from overfit_tui.export.run_data import runs_data
from overfit_tui.studies import get_study


def to_csv(c: Comparison) -> str:
    """Long form: one row per summary value ('summary.<key>') and per curve point."""
    diff = c.diff
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # a spec key that differs between runs gets its own column, named `spec.<key>` where it would
    # repeat a fixed column (study, group): a CSV header never names two columns alike
    fixed = ("run", "group", "study", "label", "metric", "step", "epoch", "wall", "value")
    w.writerow([*fixed, *(f"spec.{k}" if k in fixed else k for k in diff)])
    fields = c.fields()
    for i, r in enumerate(c.records):
        extra = [_cell(v[i]) for v in diff.values()]
        s = r.summary
        for f in fields:
            if f.key in s:
                w.writerow([r.id, r.group, r.study, r.label, f"summary.{f.key}", "", "", "", s[f.key], *extra])
        for e in c.events.get(r.id, []):
            kind = e.get("kind")
            if kind == "point":
                for k, v in sorted(e.get("values", {}).items()):
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        w.writerow(
                            [
                                r.id,
                                r.group,
                                r.study,
                                r.label,
                                f"{e['name']}.{k}",
                                e.get("x"),
                                "",
                                e.get("wall"),
                                v,
                                *extra,
                            ]
                        )
                continue
            for k in ("train_loss", "train_acc", "test_loss", "test_acc"):
                if k in e:
                    name = f"{k}" if kind == "eval" else f"{k}_running"
                    w.writerow(
                        [
                            r.id,
                            r.group,
                            r.study,
                            r.label,
                            name,
                            e.get("step"),
                            e.get("epoch"),
                            e.get("wall"),
                            e[k],
                            *extra,
                        ]
                    )
    return buf.getvalue()


def _cell(v):
    return json.dumps(list(v)) if isinstance(v, tuple) else v


def to_json(c: Comparison) -> str:
    """Strict JSON: a NaN or infinite value (a diverged run's loss) is written as null."""
    payload = {
        "format": "overfit-tui-export/1",
        "runs": [{"record": r.to_dict(), "events": c.events.get(r.id, [])} for r in c.records],
    }
    return json.dumps(_null_non_finite(payload), indent=1, sort_keys=True, allow_nan=False)


def _null_non_finite(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _null_non_finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_null_non_finite(x) for x in v]
    return v


def _study_tables(c: Comparison) -> list[str]:
    """Each study's own tables (e.g. Table 1 of Zhang et al.) for the exported runs."""

    out = []
    for name in sorted({r.study for r in c.records}):
        recs = [r for r in c.records if r.study == name]
        runs = runs_data(recs, lambda rid: c.events.get(rid, []))
        for t in get_study(name).tables(runs):
            out += ["", f"## {t.title}", "", md_row(t.columns), "|" + "---|" * len(t.columns)]
            out += [md_row(t.cell(i, j) for j in range(len(row))) for i, row in enumerate(t.rows)]
    return out


def md_cell(v) -> str:
    """A Markdown table cell: pipes escaped (a header like `norm ||w||` must not split the
    row), newlines folded."""
    return str(v).replace("|", "\\|").replace("\n", " ")


def md_row(cells) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def to_markdown(c: Comparison) -> str:
    names, fields, rows, best = c.names, c.fields(), c.summary_cells(), c.best()
    out = [f"# Comparison of {len(c.records)} runs", ""]
    out += [md_row(["run", "name", "status", *(f.header for f in fields)]), "|---|---|---|" + "---|" * len(fields)]
    for i, (r, row) in enumerate(zip(c.records, rows)):
        cells = []
        for j, txt in enumerate(row):
            cells.append(f"**{txt}**" if best.get(fields[j].key) == i else txt)
        out.append(md_row([r.id, names[i], r.status, *cells]))
    out += _study_tables(c)
    out += ["", "## Spec differences", ""]
    diff = c.diff
    if diff:
        out += [md_row(["key", *(r.id for r in c.records)]), "|---|" + "---|" * len(c.records)]
        for k, vals in diff.items():
            out.append(md_row([k, *(_cell(v) for v in vals)]))
    else:
        out.append("The runs share one spec.")
    out += ["", "## Provenance", ""]
    for r in c.records:
        p = r.provenance
        out.append(
            f"- `{r.id}` ({r.label}, group `{r.group}`, spec hash `{r.spec_hash}`): "
            + ", ".join(f"{k} {p[k]}" for k in sorted(p))
        )
    return "\n".join(out) + "\n"


WRITERS = {"csv": to_csv, "json": to_json, "md": to_markdown}
FORMATS = (*WRITERS, "svg", "png")


def write(c: Comparison, fmt: str, path) -> list:
    """Write the comparison as `fmt` to `path`; figures (svg, png) go to one file per figure
    named `<path stem>-<figure>.<fmt>`. Returns the paths written."""
    from pathlib import Path

    if fmt in ("svg", "png"):
        return write_figures(c, Path(path), fmt)
    if fmt not in WRITERS:
        raise OverfitError(f"unknown export format '{fmt}', {did_you_mean(fmt, FORMATS)}")
    Path(path).write_text(WRITERS[fmt](c))
    return [Path(path)]
