"""Every numeric parameter declares its paper-sane range in its declaration (`field(...,
range="[lo, hi]")`), and a value outside it is refused in one line naming the key and the range
before anything trains: a walk over every study's Params and RunParams and every spec dataclass
fails on a numeric field without one."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import get_args, get_origin, get_type_hints

import pytest

from overfit_tui.core.errors import SpecError
from overfit_tui.core.presets import parse_set
from overfit_tui.core.spec import parse_range, range_problem
from overfit_tui.core.specs import DataSpec, GroupSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.studies import STUDIES, get_study
from overfit_tui.studies.groups import load_group


def _numeric(tp) -> bool:
    if tp in (int, float):
        return True
    if get_origin(tp) in (typing.Union, types.UnionType, tuple):
        return any(_numeric(a) for a in get_args(tp) if a is not Ellipsis)
    return False


def _spec_classes() -> list[type]:
    """Every spec dataclass a preset or a stored run is built from, nested ones included."""
    roots = [DataSpec, ModelSpec, TrainSpec, Seeds, RunSpec, GroupSpec]
    for name in STUDIES:
        study = get_study(name)
        roots += [study.Params, study.RunParams]
    seen: list[type] = []
    while roots:
        cls = roots.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for tp in get_type_hints(cls).values():
            roots += [a for a in (tp, *get_args(tp)) if dataclasses.is_dataclass(a) and isinstance(a, type)]
    return seen


def _numeric_fields():
    for cls in _spec_classes():
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if _numeric(hints[f.name]):
                yield cls, f


def test_every_numeric_field_of_every_spec_and_study_declares_a_range():
    fields = list(_numeric_fields())
    assert len(fields) > 100  # the walk reached every study
    missing = [f"{cls.__module__}.{cls.__qualname__}.{f.name}" for cls, f in fields if "range" not in f.metadata]
    assert not missing, "numeric fields without range= in their declaration: " + ", ".join(missing)
    for cls, f in fields:
        lo, _, hi, _ = parse_range(f.metadata["range"])
        assert lo < hi, (cls, f.name)
        assert range_problem(f, f.default, f.name) is None, f"{cls.__qualname__}.{f.name}: default out of its range"


@pytest.mark.parametrize(
    "preset, override, key, rng",
    [
        ("double-descent-nn-mnist1d", "params.label_noise=-1", "params.label_noise", "[0, 1]"),
        ("double-descent-nn-mnist1d", "params.label_noise=2", "params.label_noise", "[0, 1]"),
        ("double-descent-nn-mnist1d", "params.label_noise=1e308", "params.label_noise", "[0, 1]"),
        ("double-descent-rff-mnist1d", "params.sigma=1e308", "params.sigma", "[0, 1e6]"),
        ("randomization-mnist1d", "params.corruption=[0.0, 1.5]", "params.corruption[1]", "[0, 1]"),
        ("smoke-mnist1d", "train.momentum=1", "train.momentum", "[0, 1)"),
        ("smoke-mnist1d", "models.width=-3", "models[0].width", "[0, 65536]"),
    ],
)
def test_a_value_out_of_range_is_one_line_naming_the_key_and_the_range(preset, override, key, rng):
    with pytest.raises(SpecError) as info:
        load_group(preset, parse_set([override]))
    msg = str(info.value)
    assert info.value.key == key and f"must be in {rng}" in msg and "\n" not in msg, msg
    assert "--set" in msg or preset in msg


def test_a_stored_run_out_of_range_is_refused_on_import_too():
    study = get_study("double_descent_nn")
    spec = study.expand(load_group("double-descent-nn-mnist1d")[0])[0].to_dict()
    spec["params"]["label_noise"] = 7.0
    with pytest.raises(SpecError, match=r"label_noise.*must be in \[0, 1\]"):
        RunSpec.from_dict(spec, study.RunParams)
    with pytest.raises(SpecError, match=r"must be in \(0, 1e6\]"):
        TrainSpec(lr=-1.0)  # a spec built in code is checked on construction
