"""Summary fields: each number a run reports is declared once, by the code that produces it.

A `Field` says how a summary value reads (label, unit, format), which direction is better,
and how essential its column is when space runs out. Studies list theirs in
`Study.summary_fields`; every table (run table, compare screen, CLI, CSV, Markdown, report)
reads labels, units and formats from here, never from a copied string. `Stat` is a value
aggregated over seeds (mean, spread, n), formatted the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Better = Literal["higher", "lower", ""]


@dataclass(frozen=True)
class Stat:
    """One summary value over several seeds: mean, standard deviation, min, max and n."""

    mean: float
    std: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Stat | None:
        vals = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        vals = [v for v in vals if math.isfinite(v)]
        if not vals:
            return None
        m = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
        return cls(m, sd, min(vals), max(vals), len(vals))


NOT_APPLICABLE = "n/a"  # a finished run whose study does not report this field (a closed-form kernel's steps to fit)
NOT_STARTED = "not started"  # a run that ended (cancelled, failed) before it trained


@dataclass(frozen=True)
class Field:
    """How one summary value is named, formatted and compared."""

    key: str
    label: str
    unit: str = ""  # "%": a fraction in [0, 1] shown as a percentage; other units are printed after the header
    fmt: str = ".4g"  # format spec of the (scaled) number
    better: Better = ""  # which direction wins in a comparison ("" = neither)
    missing: str = "-"  # how a None reads (e.g. "not fitted")
    priority: int = 2  # 1 = always shown; larger numbers are dropped first on a narrow screen

    @property
    def header(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit and self.unit != "%" else self.label

    def scale(self, v: float) -> float:
        return 100 * v if self.unit == "%" else v

    def cell(self, summary: dict, status: str, started: bool) -> str:
        """A run's cell: its value; `missing` where it reported none (a run that never fit);
        n/a where a finished run has no such field; 'not started' for a run that ended unstarted."""
        if self.key in summary:
            return self.format(summary[self.key])
        if status == "finished":
            return NOT_APPLICABLE
        return "-" if started else NOT_STARTED

    def format(self, v: Any) -> str:
        """A table cell: numbers scaled and formatted, a `Stat` as mean ± std (n), None as `missing`."""
        if v is None:
            return self.missing
        suffix = "%" if self.unit == "%" else ""
        if isinstance(v, Stat):
            if v.n == 1:
                return self.format(v.mean)
            return f"{self._num(self.scale(v.mean))} ± {self._num(abs(self.scale(v.std)))}{suffix}"
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return str(v)
        if not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        if isinstance(v, int) and self.unit != "%":
            return f"{v:,}" if abs(v) >= 10_000 else str(v)
        return f"{self._num(self.scale(v))}{suffix}"

    def _num(self, v: float) -> str:
        try:
            return f"{v:{self.fmt}}"
        except ValueError:  # an integer format ('d') given a mean over seeds
            return f"{v:.4g}"

    def best(self, values: list[Any]) -> Any:
        """The winning value among `values` (None when the field has no better direction)."""
        nums = [v.mean if isinstance(v, Stat) else v for v in values]
        nums = [v for v in nums if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
        if not self.better or not nums:
            return None
        return max(nums) if self.better == "higher" else min(nums)


def generic(key: str) -> Field:
    """A field for a key nobody declared (records from older versions): shown, never lost."""
    return Field(key, key.replace("_", " "), priority=9)
