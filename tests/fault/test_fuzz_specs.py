"""Fuzzing presets and `--set` values (hypothesis): every input gives a valid spec (that
expands to runs and round-trips) or one line naming the file (or --set), the key and the
reason; never a traceback, never a hang. Then the gaps the issue listed, one by one."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overfit_tui.core.errors import OverfitError, PresetError, SpecError
from overfit_tui.core.presets import parse_set, read_preset
from overfit_tui.core.specs import DataSpec, ModelSpec, RunSpec, TrainSpec
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import load_group

FUZZ = settings(
    max_examples=150,
    deadline=5000,  # ms per input: a guard against hangs and blow-ups (a valid input takes ~1 ms)
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

BASE = {
    "study": "randomization",
    "name": "fuzz",
    "data": {"name": "mnist1d", "n_train": 300},
    "models": [{"name": "mlp", "width": 16}, {"name": "mlp", "width": 32, "depth": 2}],
    "train": {"lr": 0.05, "epochs": 2},
    "seeds": [0, 1],
    "params": {"corruption": [0.0, 1.0], "inputs": []},
}
_names = lambda cls: [f.name for f in dataclasses.fields(cls)]
KEYS = {
    "": ["study", "name", "description", "seeds", "data", "train", "params", "models", "lr", "trian"],
    "data": [*_names(DataSpec), "nme"],
    "train": [*_names(TrainSpec), "lrr"],
    "models": [*_names(ModelSpec), "widht"],
    "params": [*_names(get_study("randomization").Params), "corruptoin"],
}

scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2, 2**63, 10**12, 300, 4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -0.0, 1e-320, 0.5, 0.05, 1e6]),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["../../x", "/abs", "[/]", "[bold]", "a\x00b", "", ".", "mnist", "mlp", "cnn1d", "sgd", "labels"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
hostile = values | st.just(list(range(3000))) | st.just([[[[[[[[[[1]]]]]]]]]])
plausible = st.one_of(  # values a field could take, so that many fuzzed inputs are valid specs
    st.integers(0, 5000),
    st.floats(0, 1),
    st.sampled_from(["mnist1d", "mlp", "linear", "sgd", "adam", "ce", "mse", "shuffled_pixels", "fuzz-2"]),
    st.lists(st.floats(0, 1), min_size=1, max_size=4, unique=True),
    st.lists(st.integers(0, 100), min_size=1, max_size=3, unique=True),
)
anything = st.integers(0, 2).flatmap(lambda i: hostile if i == 0 else plausible)


def toml_value(v) -> str:
    """Inline TOML for any JSON-like value (inline tables and arrays are valid TOML anywhere)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")) if not math.isfinite(v) else repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a basic string; a lone surrogate makes invalid TOML, which must be an error too
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_doc(d: dict) -> str:
    return "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in d.items()) + "\n"


@st.composite
def presets(draw) -> dict:
    """BASE with 1-4 keys set to fuzzed values (or removed), anywhere in the preset."""
    raw = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(sorted(KEYS)))
        key = draw(st.text(max_size=6) if draw(st.integers(0, 5)) == 0 else st.sampled_from(KEYS[section]))
        delete = draw(st.integers(0, 9)) == 0
        value = None if delete else draw(anything)
        sub = raw.get(section) if section else raw
        if section == "models":
            tables = [m for m in sub if isinstance(m, dict)] if isinstance(sub, list) else []
        elif isinstance(sub, dict):
            tables = [sub]
        else:
            tables = []
            if not delete:
                raw[section] = value  # the whole table replaced by a value
        for t in tables:
            if delete:
                t.pop(key, None)
            else:
                t[key] = value
    return raw


def check_outcome(path: Path, overrides: dict | None = None) -> str:
    """'ok' (a spec that expands and round-trips) or 'error' (one clear line); anything else fails the test."""
    try:
        group, _ = load_group(str(path), overrides)
    except OverfitError as e:
        msg = str(e)
        assert "\n" not in msg and len(msg) < 1200, msg
        assert str(path) in msg or "--set" in msg, msg  # names the file, or the --set it came from
        if isinstance(e, SpecError):
            assert "key '" in msg and e.reason, msg  # (a TOML key may itself be the empty string)
        else:
            assert isinstance(e, PresetError), msg
        return "error"
    study = get_study(group.study)
    runs = study.expand(group)
    assert runs and study.jobs(runs)
    again = RunSpec.from_dict(json.loads(json.dumps(runs[0].to_dict())), study.RunParams)
    assert again == runs[0] and again.hash == runs[0].hash
    assert math.isfinite(group.train.lr) and group.seeds and len(set(group.seeds)) == len(group.seeds)
    return "ok"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(raw=presets())
def test_fuzzed_presets_give_a_spec_or_one_clear_line(raw, scratch):
    path = scratch / "fuzzed.toml"
    path.write_text(toml_doc(raw), encoding="utf-8", errors="surrogatepass")
    check_outcome(path)


_dotted = st.sampled_from([f"{s}.{k}" if s else k for s in KEYS for k in KEYS[s]])
set_keys = st.integers(0, 7).flatmap(lambda i: st.text(max_size=10) if i == 0 else _dotted)  # mostly real keys
set_values = st.one_of(anything.map(toml_value), anything.map(toml_value), st.text(max_size=20))


@FUZZ
@given(items=st.lists(st.tuples(set_keys, set_values), min_size=1, max_size=3))
def test_fuzzed_set_values_give_a_spec_or_one_clear_line(items, scratch):
    path = scratch / "base.toml"
    if not path.exists():
        path.write_text(toml_doc(BASE))
    try:
        overrides = parse_set([f"{k}={v}" for k, v in items])
    except SpecError as e:
        assert e.source == "--set" and "\n" not in str(e)
        return
    check_outcome(path, overrides)


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzzed_bytes_as_a_preset_file(data, scratch):
    path = scratch / "bytes.toml"
    path.write_bytes(data)
    try:
        read_preset(path)
    except (PresetError, SpecError) as e:
        assert "\n" not in str(e) and str(path) in str(e)


# -- the gaps of issue 10, each a clear error (or, for models, applied to all) --------------


@pytest.mark.parametrize(
    "override, key, reason",
    [
        ("train=5", "train", "expected a table"),
        ("data=[1, 2]", "data", "expected a table"),
        ('study=["x"]', "study", "expected a study name"),
        ("train.lr=inf", "train.lr", "finite"),
        ("train.lr=nan", "train.lr", "finite"),
        ("train.weight_decay=inf", "train.weight_decay", "finite"),
        ("seeds=[]", "seeds", "expected a non-empty list"),
        ("seeds=[3, 3]", "seeds", "listed twice"),
        ("seeds=[{init = 1, noise = -1}]", "seeds[0].noise", "must be in"),
        ("seeds=[-1]", "seeds[0]", "must be in"),
        ("data.n_train=1e12", "data.n_train", "at most 60,000"),
        ("models.width=1e9", "models[0].width", "must be in [0, 65536]"),
        ("train.lr=1e308", "train.lr", "must be in (0, 1e6]"),
        ("train.epochs=1e30", "train.epochs", "out of range"),
        ("params.corruption=[0.5, 0.5]", "params.corruption[1]", "listed twice"),
        ('name="../../../../escape"', "name", "not a valid id"),
        ('name="/abs/path"', "name", "not a valid id"),
        ('name="a\\u0000b"', "name", "not a valid id"),
        ('train.lr="[/]"', "train.lr", "expected a number"),
    ],
)
def test_issue_gaps_are_clear_errors(override, key, reason):
    with pytest.raises(SpecError) as info:
        load_group("smoke-mnist1d", parse_set([override]))
    msg = str(info.value)
    assert info.value.key == key and reason in msg, msg
    assert "smoke-mnist1d.toml with --set" in msg and "\n" not in msg


def test_a_group_with_no_runs_is_a_clear_error():
    """Every condition list emptied by --set: one line, not a group that never trains."""
    with pytest.raises(SpecError) as info:
        load_group("smoke-mnist1d", parse_set(["params.corruption=[]", "params.inputs=[]"]))
    assert info.value.key == "params" and "no runs" in str(info.value)


def test_set_on_models_applies_to_every_model(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(toml_doc(BASE))
    group, _ = load_group(str(path), parse_set(["models.width=64"]))
    assert [m.width for m in group.models] == [64, 64] and group.models[1].depth == 2  # nothing dropped
    group, _ = load_group("smoke-mnist1d", parse_set(["models.width=48"]))  # over the study's default models
    assert [m.width for m in group.models] == [48]


def test_huge_lists_nesting_and_odd_files_fail_fast(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(toml_doc({**BASE, "params": {"corruption": [i / 200_000 for i in range(200_000)], "inputs": []}}))
    with pytest.raises(PresetError, match="preset files are at most"):
        load_group(str(big))
    with pytest.raises(SpecError, match="at most 1000 in one list"):
        load_group("smoke-mnist1d", {"params": {"corruption": [i / 5000 for i in range(5000)]}})
    deep = tmp_path / "deep.toml"
    deep.write_text("study = 'randomization'\nx = " + "[" * 3000 + "]" * 3000 + "\n")
    with pytest.raises((PresetError, SpecError), match="deep"):
        load_group(str(deep))
    with pytest.raises(SpecError, match=r"nested too deeply|nested more than"):
        parse_set(["params.corruption=" + "[" * 3000 + "]" * 3000])
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(PresetError, match="not a regular file"):
        load_group(str(folder))
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(PresetError, match="not a regular file"):  # refused, not waited on
        load_group(str(fifo))
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"study = '\xff\xfe'\n")
    with pytest.raises(PresetError, match="not UTF-8"):
        load_group(str(binary))
