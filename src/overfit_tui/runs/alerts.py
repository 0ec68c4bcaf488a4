"""Alerts: what a researcher wants to hear about without watching, found by comparing polls.

A run that ends (finished, or failed / lost / diverged, said louder), a running run whose
metrics stopped growing for `stall_s` seconds (its worker may hang), and a claim whose verdict
changed. `Alerts` keeps what it last saw and returns only the news; the first look at a run
sets its state without an alert (opening the app on a finished store is no news). Headless:
the app turns alerts into notifications (and a bell when the settings ask for it), `wait`
prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from overfit_tui.core.status import ACTIVE, Status

STALL_S = 600.0  # seconds without a new metric event before a running run is said to stall
BAD = (Status.FAILED, Status.LOST, Status.DIVERGED)


@dataclass(frozen=True)
class RunState:
    """What an alert needs of a run."""

    id: str
    label: str
    status: str
    last_event: float | None = None  # wall time of its newest metric event (None: none yet)


@dataclass(frozen=True)
class Alert:
    """One piece of news, in one line."""

    kind: str  # 'ended', 'bad', 'stalled', 'verdict'
    text: str
    severity: str = "information"  # Textual's notify severities: information, warning, error

    def __str__(self) -> str:
        return self.text


class Alerts:
    """Compares each poll with the last and says what changed."""

    def __init__(self, stall_s: float = STALL_S):
        self.stall_s = stall_s
        self._status: dict[str, str] = {}
        self._stalled: set[str] = set()
        self._verdicts: dict[tuple[str, str], str] = {}

    def runs(self, states: Iterable[RunState], now: float) -> list[Alert]:
        out: list[Alert] = []
        for s in states:
            before = self._status.get(s.id)
            self._status[s.id] = s.status
            if before is not None and before in ACTIVE and s.status not in ACTIVE:
                if s.status in BAD:
                    out.append(Alert("bad", f"run {s.id} ({s.label}) {s.status}", "error"))
                elif s.status == Status.FINISHED:
                    out.append(Alert("ended", f"run {s.id} ({s.label}) finished"))
                else:
                    out.append(Alert("ended", f"run {s.id} ({s.label}) {s.status}", "warning"))
            quiet = s.status == Status.RUNNING and s.last_event is not None and now - s.last_event > self.stall_s
            if quiet and s.id not in self._stalled:
                self._stalled.add(s.id)
                mins = (now - s.last_event) / 60
                out.append(Alert("stalled", f"run {s.id} ({s.label}) has logged nothing for {mins:.0f} min", "warning"))
            elif not quiet:
                self._stalled.discard(s.id)
        return out

    def verdicts(self, group: str, verdicts: Iterable[tuple[str, str]]) -> list[Alert]:
        """(claim id, status) pairs of a group's claims: an alert for each that changed."""
        out = []
        for claim, status in verdicts:
            key = (group, claim)
            before = self._verdicts.get(key)
            self._verdicts[key] = status
            if before is not None and before != status:
                sev = "error" if status == "fails" else "information"
                out.append(Alert("verdict", f"group {group}: claim '{claim}' {before} -> {status}", sev))
        return out
