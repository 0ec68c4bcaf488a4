"""Which runs a listing wants (`RunFilter`: study, group, status, tag, since), checked where it
enters: an unknown study or status, or a time that does not parse, is a one-line error."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from overfit_tui.core.errors import OverfitError, did_you_mean, printable
from overfit_tui.core.records import RunRecord
from overfit_tui.store.schema import STATES

AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class RunFilter:
    """Which runs a listing wants; an empty field matches every run."""

    study: str | None = None
    group: str | None = None
    status: tuple[str, ...] = ()  # any of these
    tag: str | None = None
    since: float | None = None  # created at or after (seconds since 1970)

    def may_match(self, gid: str, entry: dict) -> bool:
        """Whether a group can hold a matching run, from its index entry alone (active groups
        always can: their counts and tags move)."""
        if (self.group and gid != self.group) or (self.study and entry["study"] != self.study):
            return False
        if self.since is not None and entry["last"] < self.since:
            return False
        if entry["active"]:
            return True
        if self.status and not any(entry["counts"].get(s) for s in self.status):
            return False
        return not self.tag or self.tag in entry["tags"]

    def matches(self, rec: RunRecord) -> bool:
        return (
            (not self.study or rec.study == self.study)
            and (not self.group or rec.group == self.group)
            and (not self.status or rec.status in self.status)
            and (not self.tag or self.tag in rec.tags)
            and (self.since is None or rec.created >= self.since)
        )


def parse_since(text: str, now: float | None = None) -> float:
    """Seconds since 1970 from '2025-06-01', '2025-06-01T14:00' (local time) or an age ('30m', '12h', '7d', '2w')."""
    text = text.strip()
    m = AGE.fullmatch(text)
    if m:
        return (time.time() if now is None else now) - float(m.group(1)) * SECONDS[m.group(2)]
    try:
        return datetime.fromisoformat(text).timestamp()
    except (ValueError, OverflowError, OSError):
        raise OverfitError(
            f"--since {printable(text, 60)!r}: give a date (2025-06-01, 2025-06-01T14:00) or an age (30m, 12h, 7d, 2w)"
        ) from None


def run_filter(
    study: str | None = None,
    group: str | None = None,
    status: list[str] | tuple[str, ...] = (),
    tag: str | None = None,
    since: str | None = None,
    studies: Iterable[str] = (),
) -> RunFilter:
    """A `RunFilter` from command-line values; statuses may be repeated or comma separated.
    `studies` are the valid study names (the caller's registry: the store does not import studies)."""
    if study is not None and study not in (names := sorted(studies)):
        raise OverfitError(f"--study {printable(study, 60)!r}: no such study; {did_you_mean(study, names)}")
    states = tuple(s.strip() for v in status for s in v.split(",") if s.strip())
    for s in states:
        if s not in STATES:
            raise OverfitError(f"--status {printable(s, 60)!r}: no such state; {did_you_mean(s, STATES)}")
    return RunFilter(study, group, states, tag, parse_since(since) if since is not None else None)
