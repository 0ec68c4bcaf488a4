"""Specs: validation names the key and suggests the nearest one; dicts round-trip; hashes are stable."""

from __future__ import annotations

import dataclasses

import pytest

from overfit_tui.core.errors import PresetError, SpecError
from overfit_tui.core.presets import parse_set, read_preset
from overfit_tui.core.spec import from_dict, spec_hash, to_dict
from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import group_from_dict, load_group

from ..conftest import BAD, REPO


@pytest.mark.parametrize(
    "fixture, key, reason",
    [
        ("unknown_top_key.toml", "learning_rate", "unknown key"),
        ("unknown_train_key.toml", "train.lrr", "did you mean 'lr'"),
        ("wrong_type.toml", "train.lr", "expected a number"),
        ("out_of_range.toml", "train.momentum", "must be in [0, 1)"),
        ("unknown_study.toml", "study", "did you mean 'randomization'"),
        ("bad_dataset.toml", "data.name", "did you mean 'mnist'"),
        ("models_not_tables.toml", "models", "[[models]]"),
        ("corruption_out_of_range.toml", "params.corruption[1]", "must be in [0, 1]"),
        ("unknown_model_key.toml", "models[0].widht", "did you mean 'width'"),
        ("missing_study.toml", "study", "missing"),
    ],
)
def test_bad_preset_names_file_key_and_reason(fixture, key, reason):
    path = BAD / fixture
    with pytest.raises(SpecError) as info:
        load_group(str(path))
    msg = str(info.value)
    assert info.value.key == key, msg
    assert str(path) in msg and reason in msg


def test_invalid_toml_names_the_file():
    with pytest.raises(PresetError, match=r"not_toml\.toml: not valid TOML"):
        read_preset(BAD / "not_toml.toml")


def test_unknown_preset_suggests_nearest():
    with pytest.raises(PresetError, match="did you mean 'smoke-mnist1d'"):
        load_group("smoke-mnist")


def test_every_shipped_preset_validates():
    presets = sorted((REPO / "presets").glob("*.toml"))
    assert len(presets) >= 6
    for path in presets:
        group, _ = load_group(str(path))
        runs = get_study(group.study).expand(group)
        assert runs, path


def test_specs_round_trip_and_hash_stably():
    group, _ = load_group("randomization-mnist1d")
    runs = get_study(group.study).expand(group)
    for run in runs:
        d = run.to_dict()
        again = RunSpec.from_dict(d, get_study(d["study"]).RunParams)
        assert again == run
        assert again.hash == run.hash
    assert len({r.hash for r in runs}) == len(runs)
    assert spec_hash(DataSpec()) == spec_hash(from_dict(DataSpec, to_dict(DataSpec())))
    # content-based and pinned: a change here means stored ids change meaning (a new field or default does that)
    assert spec_hash(Seeds(1, 2, 3)) == "d0dadd2d49e8"
    assert spec_hash(DataSpec()) == "4c7d5bd1a3c7"


def test_seeds_replicate_or_set_apart():
    g = group_from_dict({"study": "randomization", "seeds": [0, 1], "params": {"corruption": [1.0], "inputs": []}})
    assert g.seeds == (Seeds(0, 0, 0), Seeds(1, 1, 1))
    assert [r.label for r in get_study("randomization").expand(g)] == ["random labels s0", "random labels s1"]
    g = group_from_dict(
        {"study": "randomization", "seeds": [{"init": 0, "noise": 7}, {"init": 1, "order": 1, "noise": 7}]}
    )
    runs = get_study("randomization").expand(g)
    assert {r.seeds.noise for r in runs} == {7} and {r.seeds.init for r in runs} == {0, 1}
    assert runs[0].label.endswith(" i0 o0 n7")
    assert group_from_dict(g.to_dict()) == g  # preset-shaped round trip
    for bad, reason in (
        ([], "non-empty"),
        ([1, 1], "listed twice"),
        (5, "non-empty list"),
        ([{"seed": 1}], "unknown key"),
    ):
        with pytest.raises(SpecError, match=reason):
            group_from_dict({"study": "randomization", "seeds": bad})


def test_specs_are_frozen():
    t = TrainSpec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.lr = 1.0  # type: ignore[misc]


def test_int_accepted_for_float_but_not_bool_for_int():
    assert from_dict(TrainSpec, {"lr": 1}).lr == 1.0
    with pytest.raises(SpecError, match="expected an integer"):
        from_dict(ModelSpec, {"width": True})


def test_set_overrides_parse_toml_values():
    o = parse_set(["train.lr=0.05", "params.corruption=[0, 1]", "data.name=mnist", "seeds=[1,2]"])
    assert o == {"train": {"lr": 0.05}, "params": {"corruption": [0, 1]}, "data": {"name": "mnist"}, "seeds": [1, 2]}
    g = group_from_dict({"study": "randomization", **o})
    assert g.train.lr == 0.05 and g.params.corruption == (0.0, 1.0) and g.seeds == (Seeds.same(1), Seeds.same(2))
