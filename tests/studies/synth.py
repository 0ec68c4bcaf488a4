"""Synthetic groups in a study's own record shape, for the claims' null audit.

`group_runs(study, group)` expands a real preset-shaped group through the study's own
`expand` (cached), so every synthetic run carries the spec a real run of that study would;
`fill(specs, summary, events)` turns them into `RunData` with made-up summaries and events.
A null case draws summaries with no effect (flat with seed noise, arms identical up to noise,
levels shuffled, monotone curves); a power case draws them with the paper's effect size.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import lru_cache

from overfit_tui.studies import get_study
from overfit_tui.studies.base import RunData
from overfit_tui.studies.groups import group_from_dict


@lru_cache(maxsize=256)
def _expand(key: str) -> tuple[str, ...]:
    raw = json.loads(key)
    group = group_from_dict(raw)
    return tuple(json.dumps(r.to_dict()) for r in get_study(group.study).expand(group))


def group_runs(group: dict) -> list[dict]:
    """The run specs (as stored dicts) a group expands to, through its study's own expand."""
    return [json.loads(s) for s in _expand(json.dumps(group, sort_keys=True))]


def seed(spec: dict) -> int:
    """The replicate index of a spec (its init seed)."""
    return int((spec.get("seeds") or {}).get("init", 0))


def fill(
    specs: list[dict],
    summary: Callable[[dict], dict | None],
    events: Callable[[dict], list[dict]] | None = None,
    status: Callable[[dict], str] | None = None,
) -> list[RunData]:
    """RunData for each spec; `summary(spec)` returning None leaves that run out of the group."""
    out = []
    for i, spec in enumerate(specs):
        s = summary(spec)
        if s is None:
            continue
        st = status(spec) if status else "finished"
        ev = events(spec) if events else []
        out.append(RunData(f"r{i:04d}", spec.get("label", f"run {i}"), spec, st, s if st == "finished" else {}, ev))
    return out


def noise(rng: random.Random, sd: float) -> float:
    return rng.gauss(0.0, sd)


def clip01(v: float) -> float:
    return min(1.0, max(0.0, v))


def seed_effects(rng: random.Random, n: int, sd: float) -> dict[int, float]:
    """A random offset per replicate, shared by every arm of that replicate (seed-level noise
    that a paired comparison cancels and an unpaired one does not)."""
    return {i: rng.gauss(0.0, sd) for i in range(n)}
