"""Building run and group records from specs (what the store holds about each run)."""

from __future__ import annotations

import secrets
import time

from overfit_tui.core.specs import GroupSpec, RunSpec


def new_group_record(group: GroupSpec, preset: str | None, preset_path: str | None) -> dict:
    gid = f"{group.name}-{time.strftime('%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    return {
        "id": gid,
        "name": group.name,
        "study": group.study,
        "preset": preset,
        "preset_path": preset_path,
        "spec": group.to_dict(),
        "spec_hash": group.hash,
        "created": time.time(),
        "scheduler_pid": None,
        "tags": [],
        "notes": "",
    }


def new_run_records(group_id: str, runs: list[RunSpec], jobs: list[list[int]], preset: str | None) -> list[dict]:
    job_of = {i: j for j, job in enumerate(jobs) for i in job}
    now = time.time()
    out = []
    for i, run in enumerate(runs):
        out.append(
            {
                "id": f"{run.hash[:8]}-{secrets.token_hex(2)}",
                "group": group_id,
                "index": i,
                "job": job_of[i],
                "study": run.study,
                "preset": preset,
                "label": run.label,
                "spec": run.to_dict(),
                "spec_hash": run.hash,
                "status": "queued",
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
