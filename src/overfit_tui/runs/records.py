"""Building run and group records from specs (what the store holds about each run)."""

from __future__ import annotations

import time

from overfit_tui.core.ids import new_group_id, new_run_id
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.core.status import Status
from overfit_tui.store.schema import group_record


def new_group_record(group: GroupSpec, preset: str | None, preset_path: str | None) -> dict:
    return group_record(
        new_group_id(group.name), group.name, group.study, preset, group.to_dict(), group.hash, preset_path=preset_path
    )


def new_run_records(group_id: str, runs: list[RunSpec], jobs: list[list[int]], preset: str | None) -> list[dict]:
    job_of = {i: j for j, job in enumerate(jobs) for i in job}
    now = time.time()
    out = []
    for i, run in enumerate(runs):
        out.append(
            {
                "id": new_run_id(run.hash),
                "group": group_id,
                "index": i,
                "job": job_of[i],
                "study": run.study,
                "preset": preset,
                "label": run.label,
                "spec": run.to_dict(),
                "spec_hash": run.hash,
                "status": Status.QUEUED,
                "pid": None,
                "device": None,
                "created": now,
                "started": None,
                "ended": None,
                "summary": {},
                "provenance": {},
                "error": None,
                "tags": [],
                "notes": "",
            }
        )
    return out
