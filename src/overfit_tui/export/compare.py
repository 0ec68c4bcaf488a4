"""A comparison of runs: what differs between their specs, names by those differences,
summary rows with the best value per column, and aligned curves. Headless and deterministic."""

from __future__ import annotations

import math
from dataclasses import dataclass

from overfit_tui.core.records import RunRecord
from overfit_tui.core.schema import Field
from overfit_tui.studies import fields_for

ALIGN = ("step", "epoch", "wall")
MAX_PARTS = 2  # a name adds at most this many differing keys to the label (the spec diff has them all)


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = tuple(v) if isinstance(v, list) else v
    return out


def spec_diff(records: list[RunRecord]) -> dict[str, list]:
    """Keys whose values differ between the runs (spec, plus study and group), with each run's value."""
    flats = [{"study": r.study, "group": r.group, **flatten(r.spec_data)} for r in records]
    keys = sorted({k for f in flats for k in f})
    diff = {k: [f.get(k) for f in flats] for k in keys if len({repr(f.get(k)) for f in flats}) > 1}
    diff.pop("label", None)
    if set(diff) - {"group"}:
        diff.pop("group", None)  # the group only names runs when nothing else tells them apart
    return diff


def legend_names(records: list[RunRecord]) -> list[str]:
    """Each run named by its label plus what else differs (e.g. 'random labels · lr=0.02'):
    the label already says the condition; the rest of the spec diff tells groups apart."""
    diff = {k: v for k, v in spec_diff(records).items() if not k.startswith("params.") and _between_groups(records, v)}
    keys = sorted(diff, key=lambda k: (k not in ("study", "group"), not k.startswith("model."), k))
    short = _short_keys(keys)
    names = []
    for i, r in enumerate(records):
        parts = [
            _short(diff[k][i]) if k in ("study", "group") else f"{short[k]}={_short(diff[k][i])}"
            for k in keys[:MAX_PARTS]
        ]
        more = " …" if len(keys) > MAX_PARTS else ""
        names.append(" · ".join([r.label, *([", ".join(parts) + more] if parts else [])]))
    if len(set(names)) < len(names):  # still ambiguous (e.g. reruns): add the id
        names = [f"{n} [{r.id[:8]}]" for n, r in zip(names, records)]
    return names


def _between_groups(records: list[RunRecord], values: list) -> bool:
    """True if a key is constant inside each group: then labels (which describe a run within
    its group) do not say it, and the name must."""
    seen: dict[str, str] = {}
    return all(seen.setdefault(r.group, repr(v)) == repr(v) for r, v in zip(records, values))


def _short_keys(keys: list[str]) -> dict[str, str]:
    """'train.lr' -> 'lr' unless two keys would share a last part ('model.width', 'data.width')."""
    last = [k.split(".")[-1] for k in keys]
    return {k: (p if last.count(p) == 1 else k) for k, p in zip(keys, last)}


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple):
        return "[" + ",".join(_short(x) for x in v) + "]"
    return str(v)


@dataclass
class Comparison:
    records: list[RunRecord]
    events: dict[str, list[dict]]
    skipped_lines: int = 0  # damaged metric lines left out (store/metrics.py)

    @property
    def names(self) -> list[str]:
        return legend_names(self.records)

    @property
    def diff(self) -> dict[str, list]:
        return spec_diff(self.records)

    def fields(self) -> list[Field]:
        """The summary fields the runs' studies declare and at least one run reports."""
        present = {k for r in self.records for k in r.summary}
        return [f for f in fields_for(dict.fromkeys(r.study for r in self.records)) if f.key in present]

    def summary_columns(self) -> list[str]:
        return [f.key for f in self.fields()]

    def summary_cells(self) -> list[list[str]]:
        """The summary rows as text: values, n/a where a run's study has no such field, 'not
        started' for a run that ended before it trained."""
        fields = self.fields()
        return [[f.cell(r.summary, r.status, bool(r.started)) for f in fields] for r in self.records]

    def summary_rows(self) -> list[list]:
        cols = self.summary_columns()
        return [[r.summary.get(c) for c in cols] for r in self.records]

    def best(self) -> dict[str, int]:
        """Column -> index of the best run (highest accuracy, lowest everything else)."""
        out = {}
        rows = self.summary_rows()
        for j, f in enumerate(self.fields()):
            win = f.best([row[j] for row in rows])
            if win is not None:
                out[f.key] = next(i for i, row in enumerate(rows) if row[j] == win)
        return out

    def curve(self, run_id: str, kind: str, key: str, align: str = "step") -> tuple[list, list]:
        pts = [
            (e.get(align), e.get(key))
            for e in self.events.get(run_id, [])
            if e.get("kind") == kind and e.get(key) is not None
        ]
        pts = [p for p in pts if _finite(p[0]) and _finite(p[1])]  # a diverged run's NaN/inf points are dropped
        return [p[0] for p in pts], [p[1] for p in pts]

    def groups(self) -> list[str]:
        return sorted({r.group for r in self.records})


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
