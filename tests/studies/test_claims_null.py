"""The null audit: every claim of every study fails on data with no effect and holds on data
with the paper's effect.

For each claim, `tests/studies/audit/<study>.py` gives one or more null generators (flat with
seed noise, monotone, arms identical up to noise, levels shuffled: whatever "no effect" means
for that claim) and a generator with the paper's effect size. Over >= 200 draws of each null
the claim may hold at most 5 % of the time; over the effect draws it must hold >= 80 % of the
time. The rates a claim declares (`Claim.fpr`, `Claim.power`, shown on the Scorecard) must be
what is measured here. A new claim cannot land without its cases: the first test fails.

`python -m tests.studies.test_claims_null` prints the table in docs/claims.md.
"""

from __future__ import annotations

import importlib
import pkgutil
import random

import pytest

from overfit_tui.studies import STUDIES, get_study
from overfit_tui.studies.claims import evaluate
from tests.studies import audit

MAX_FPR = 0.05
MIN_POWER = 0.80
DECLARED_SLACK = 0.03  # a claim's declared rates may differ from the measured ones by this much


def _modules():
    for m in pkgutil.iter_modules(audit.__path__):
        yield importlib.import_module(f"{audit.__name__}.{m.name}")


CASES = {(mod.STUDY, cid): case for mod in _modules() for cid, case in mod.CASES.items()}
ALL_CLAIMS = [(name, c.id) for name in STUDIES.names() for c in get_study(name).claims()]


def _claim(study: str, cid: str):
    return next(c for c in get_study(study).claims() if c.id == cid)


def hold_rate(study: str, cid: str, gen, draws: int, salt: str) -> float:
    claim = _claim(study, cid)
    held = 0
    for i in range(draws):
        rng = random.Random(f"{study}/{cid}/{salt}/{i}")
        ((_, v),) = evaluate([claim], gen(rng))
        held += v.status == "holds"
    return held / draws


def rates(study: str, cid: str) -> tuple[dict[str, float], dict[str, float]]:
    case = CASES[(study, cid)]
    nulls = {name: hold_rate(study, cid, g, case.draws, name) for name, g in case.nulls.items()}
    effects = {case.effect_name: hold_rate(study, cid, case.effect, max(100, case.draws // 2), "effect")}
    effects |= {name: hold_rate(study, cid, g, max(100, case.draws // 2), name) for name, g in case.extra.items()}
    return nulls, effects


def test_every_claim_has_a_null_and_a_power_case():
    missing = sorted(set(ALL_CLAIMS) - set(CASES))
    stale = sorted(set(CASES) - set(ALL_CLAIMS))
    assert not missing, f"claims without a null audit: {missing}"
    assert not stale, f"audit cases for claims that do not exist: {stale}"
    for key, case in CASES.items():
        assert case.nulls, f"{key}: no null case"
        assert case.draws >= 200, f"{key}: fewer than 200 null draws"


@pytest.mark.parametrize(("study", "cid"), ALL_CLAIMS, ids=[f"{s}:{c}" for s, c in ALL_CLAIMS])
def test_claim_fails_on_null_data_and_holds_with_the_papers_effect(study, cid):
    if (study, cid) not in CASES:
        pytest.fail(f"{study}:{cid} has no null audit (tests/studies/audit/{study}.py)")
    nulls, effects = rates(study, cid)
    for name, fpr in nulls.items():
        assert fpr <= MAX_FPR, f"{study}:{cid} holds on {100 * fpr:.1f} % of '{name}' null groups"
    for name, power in effects.items():
        assert power >= MIN_POWER, f"{study}:{cid} holds on only {100 * power:.1f} % of '{name}' groups"
    claim = _claim(study, cid)
    assert claim.fpr is not None and claim.power is not None, f"{study}:{cid} declares no fpr/power"
    assert abs(claim.fpr - max(nulls.values())) <= DECLARED_SLACK, (study, cid, claim.fpr, nulls)
    assert abs(claim.power - min(effects.values())) <= DECLARED_SLACK, (study, cid, claim.power, effects)


def table() -> str:
    """docs/claims.md's audit table: every claim, its margin, its worst null rate and its power."""
    lines = [
        "| study | claim | kind | margin | null FPR (worst null) | power |",
        "|---|---|---|---|---|---|",
    ]
    for study, cid in ALL_CLAIMS:
        c = _claim(study, cid)
        if (study, cid) not in CASES:
            lines.append(f"| {study} | {cid} | {c.kind} | {c.margin} | not audited | not audited |")
            continue
        nulls, effects = rates(study, cid)
        worst = max(nulls, key=nulls.get)
        lines.append(
            f"| {study} | {cid} | {c.kind} | {c.margin.replace('|', '/')} | {100 * nulls[worst]:.1f} % ({worst}) "
            f"| {100 * min(effects.values()):.1f} % |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
