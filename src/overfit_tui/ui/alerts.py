"""Alerts in the app: a run that ends (louder when it failed, was lost or diverged), a running run
that has logged nothing for a while, and a claim whose verdict changed, each as a notification,
with the terminal bell when the settings file says `bell = true`.

The detection is runs/alerts.py's (the one `overfit-tui wait` prints); this module only feeds
it the app's cache after each store change. The first look at a run or a group is no news:
opening the app on a finished store says nothing. A group's claims are checked again only
when one of its runs changed state (the pane checks the shown group's claims anyway).
"""

from __future__ import annotations

import time

from overfit_tui.core.records import RunRecord
from overfit_tui.runs.alerts import Alert, Alerts, RunState


def bell_wanted() -> bool:
    """The settings file's `bell` (a bad file was reported where the app started)."""
    from overfit_tui.core.config import load_config
    from overfit_tui.core.errors import OverfitError

    try:
        return load_config().bell
    except OverfitError:
        return False


class AppAlerts:
    """What the app has seen of its runs and claims, and the news since."""

    def __init__(self, bell: bool = False):
        self.alerts = Alerts()
        self.bell = bell
        self._status: dict[str, str] = {}

    def news(self, cache, now: float | None = None) -> list[Alert]:
        now = time.time() if now is None else now
        records = list(cache.records.values())
        states = [RunState(r.id, r.label, r.status, _last_event(r, cache)) for r in records]
        out = self.alerts.runs(states, now)
        changed = {r.group for r in records if self._status.get(r.id) != r.status}
        first = {r.group for r in records if r.id not in self._status and r.active}
        self._status.update((r.id, r.status) for r in records)
        for gid in sorted(changed | first):
            out += self.alerts.verdicts(gid, _verdicts(cache, gid))
        return out


def _last_event(r: RunRecord, cache) -> float | None:
    """Wall time of the run's newest metric event (events carry seconds since its start)."""
    events = cache.events.get(r.id) or []
    if not events or not r.started:
        return None
    wall = events[-1].get("wall")
    return float(r.started) + float(wall) if isinstance(wall, int | float) else None


def _verdicts(cache, gid: str) -> list[tuple[str, str]]:
    """(claim id, status) of the group's claims, on the runs the cache has."""
    from overfit_tui.studies import get_study
    from overfit_tui.studies.claims import evaluate

    records, redone = cache.family_runs(gid)
    records = [r for r in records if r.id not in redone]
    if not records:
        return []
    claims = get_study(records[0].study).claims()
    if not claims:
        return []
    return [(c.id, v.status) for c, v in evaluate(claims, cache.run_data(records))]


def check_alerts(app) -> None:
    """After a store change: each piece of news as a notification (and the bell if asked for)."""
    watcher = getattr(app, "_alerts", None)
    if watcher is None:
        watcher = app._alerts = AppAlerts(bell_wanted())
    news = watcher.news(app.cache)
    for a in news:
        app.notify(a.text, severity=a.severity, timeout=10, markup=False)
    if news and watcher.bell:
        app.bell()
