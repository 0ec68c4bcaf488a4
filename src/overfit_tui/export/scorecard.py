"""The reproduction scorecard: each group's claims with their verdicts, as data for the CLI
(`overfit-tui claims`), the app's Claims panel and Scorecard screen, and the report."""

from __future__ import annotations

from dataclasses import dataclass

from overfit_tui.store import Store
from overfit_tui.studies import STUDIES, get_study
from overfit_tui.studies.claims import Claim, Verdict, evaluate
from overfit_tui.studies.figures import run_data


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
                    "text": c.text,
                    "source": c.source,
                    "paper": c.paper,
                    "status": v.status,
                    "measured": v.measured,
                    "detail": v.detail,
                }
                for c, v in self.results
            ],
        }


def group_claims(store: Store, group_id: str, records: list[dict] | None = None) -> GroupClaims | None:
    """The claims of the group's study checked on its runs (None for a study without claims)."""
    records = store.runs(group_id) if records is None else records
    if not records or records[0]["study"] not in STUDIES:
        return None
    study = get_study(records[0]["study"])
    claims = study.claims()
    if not claims:
        return None
    runs = run_data(store, records)
    timed = [r for r in records if r.get("ended") and r.get("started")]
    wall = (
        max(r["ended"] for r in timed) - min(r["started"] for r in timed) if timed else 0.0
    )  # first start to last end
    devices = tuple(sorted({r.get("device") for r in records if r.get("device")}))
    return GroupClaims(group_id, study.name, study.paper, tuple(evaluate(claims, runs)), devices, round(wall, 1))


def latest_groups(store: Store) -> list[str]:
    """The newest group of each study that has a finished run (the scorecard's default rows),
    from the store's index: only active groups' files are opened (their counts move)."""
    index = store.index()
    latest: dict[str, str] = {}
    for gid in sorted(index, key=lambda g: index[g]["created"], reverse=True):
        e = index[gid]
        if e["study"] in latest:
            continue
        if (e["active"] and any(r["status"] == "finished" for r in store.runs(gid))) or (
            not e["active"] and e["counts"].get("finished")
        ):
            latest[e["study"]] = gid
    order = {name: i for i, name in enumerate(STUDIES.names())}
    return [g for s, g in sorted(latest.items(), key=lambda kv: order.get(kv[0], 99))]
