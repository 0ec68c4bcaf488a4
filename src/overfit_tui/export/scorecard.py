"""The reproduction scorecard: each group's claims with their verdicts and evidence, as data for
the CLI (`overfit-tui claims`), the app's Claims panel and Scorecard screen, and the report.

By default each study is judged on its latest *finished* group (no run queued or running) on
which at least one claim can decide: a 4-run smoke group or a group still training is passed
over, never read as the study's verdict."""

from __future__ import annotations

from dataclasses import dataclass

from overfit_tui.core.records import RunRecord
from overfit_tui.core.status import Status
from overfit_tui.export.run_data import runs_data
from overfit_tui.store import Store
from overfit_tui.studies import STUDIES, get_study
from overfit_tui.studies.claims import Claim, Verdict, evaluate


@dataclass(frozen=True)
class GroupClaims:
    """One group's claims checked: which study, its paper, and (claim, verdict) pairs."""

    group: str
    study: str
    paper: str
    results: tuple[tuple[Claim, Verdict], ...]
    devices: tuple[str, ...]
    seconds: float  # wall time of the group: its first run's start to its last run's end

    def count(self, status: str) -> int:
        return sum(1 for _, v in self.results if v.status == status)

    def to_dict(self) -> dict:
        return {
            "group": self.group,
            "study": self.study,
            "paper": self.paper,
            "devices": list(self.devices),
            "seconds": self.seconds,
            "claims": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "text": c.text,
                    "source": c.source,
                    "paper": c.paper,
                    "margin": c.margin,
                    "null_fpr": c.fpr,
                    "power": c.power,
                    "status": v.status,
                    "measured": v.measured,
                    "detail": v.detail,
                    "evidence": v.evidence.to_dict() if v.evidence else None,
                }
                for c, v in self.results
            ],
        }


def group_claims(store: Store, group_id: str, records: list[RunRecord] | None = None) -> GroupClaims | None:
    """The claims of the group's study checked on its runs (None for a study without claims)."""
    records = store.runs(group_id) if records is None else records
    if not records or records[0].study not in STUDIES:
        return None
    study = get_study(records[0].study)
    claims = study.claims()
    if not claims:
        return None
    runs = runs_data(records, store.metrics)
    timed = [r for r in records if r.ended and r.started]
    wall = max(r.ended for r in timed) - min(r.started for r in timed) if timed else 0.0  # first start to last end
    devices = tuple(sorted({r.device for r in records if r.device}))
    return GroupClaims(group_id, study.name, study.paper, tuple(evaluate(claims, runs)), devices, round(wall, 1))


CANDIDATES = 8  # finished groups per study weighed for the default row (the newest ones)


def decided(gc: GroupClaims | None) -> int:
    """How many of the group's claims reached a verdict (their arms present, enough seeds)."""
    return 0 if gc is None else sum(v.status != "pending" for _, v in gc.results)


def latest_groups(store: Store) -> list[str]:
    """Each study's default group for the scorecard: among its newest finished groups (every
    run ended, one finished), the one on which the most claims can decide (its arms present,
    enough seeds), the newest of those. A smoke group missing the CNN arm, or a group still
    training, never stands for the study while a complete group exists. Read from the store's
    index; only the newest CANDIDATES finished groups of a study are evaluated."""
    index = store.index()
    best: dict[str, tuple[int, str]] = {}
    seen: dict[str, int] = {}
    for gid in sorted(index, key=lambda g: index[g]["created"], reverse=True):
        e = index[gid]
        study = e["study"]
        if e["active"] or not e["counts"].get(Status.FINISHED) or seen.get(study, 0) >= CANDIDATES:
            continue
        seen[study] = seen.get(study, 0) + 1
        has_claims = study in STUDIES and bool(get_study(study).claims())
        n = decided(group_claims(store, gid)) if has_claims else 0
        if study not in best or n > best[study][0]:  # newest first: a tie keeps the newer group
            best[study] = (n, gid)
    latest = {study: gid for study, (_, gid) in best.items()}
    order = {name: i for i, name in enumerate(STUDIES.names())}
    return [g for s, g in sorted(latest.items(), key=lambda kv: order.get(kv[0], 99))]
