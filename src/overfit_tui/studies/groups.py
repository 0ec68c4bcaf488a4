"""Presets and stored specs turned into validated specs, against their study's own parameters.

`group_from_dict` merges a preset (plus `--set` overrides) over its study's defaults and
validates every key; `load_group` finds a preset by name or path; `run_spec_from_dict`
rebuilds a stored run's spec. They live here, above core, because they need the registry.
"""

from __future__ import annotations

import re
from pathlib import Path

from overfit_tui.core.errors import OverfitError, SpecError, did_you_mean, show
from overfit_tui.core.ids import check_name
from overfit_tui.core.presets import TOP_KEYS, Preset, find_preset, set_keys
from overfit_tui.core.spec import LIST_MAX, _coerce, check_depth, deep_merge, from_dict
from overfit_tui.core.specs import DataSpec, GroupSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.studies import STUDIES, get_study


def group_from_dict(raw: dict, source: str | None = None) -> GroupSpec:
    """Validate a preset's contents (plus overrides) against its study; errors name `source`."""
    try:
        if not isinstance(raw, dict):
            raise SpecError("preset", f"expected a table of preset keys, got {show(raw)}")
        check_depth(raw)
        for key in raw:
            if key not in TOP_KEYS:
                raise SpecError(str(key), f"unknown key, {did_you_mean(key, TOP_KEYS)}")
        if not isinstance(raw.get("study", ""), str):
            raise SpecError("study", f"expected a study name, got {show(raw['study'])}")
        study = get_study(raw.get("study", ""))
        merged = deep_merge(study.default_group(), {k: v for k, v in raw.items() if k not in ("models", "device")})
        models_raw = raw.get("models", merged.get("models", [{}]))
        if isinstance(models_raw, dict):
            models_raw = [models_raw]
        if not isinstance(models_raw, list) or not models_raw:
            raise SpecError("models", f"expected one or more [[models]] tables, got {show(models_raw)}")
        if len(models_raw) > LIST_MAX:
            raise SpecError("models", f"{len(models_raw)} tables: at most {LIST_MAX}")
        group = GroupSpec(
            study=study.name,
            name=check_name(raw.get("name", study.name)),
            data=from_dict(DataSpec, merged.get("data"), "data."),
            models=tuple(from_dict(ModelSpec, m, f"models[{i}].") for i, m in enumerate(models_raw)),
            train=from_dict(TrainSpec, merged.get("train"), "train."),
            seeds=_seeds(merged.get("seeds", [0])),
            params=from_dict(study.Params, merged.get("params"), "params."),
            description=_coerce(str, raw.get("description", ""), "description"),
        )
        study.validate(group)
        if not study.expand(group):  # e.g. every condition list emptied by --set
            raise SpecError("params", "the group expands to no runs: give at least one condition to run")
        return group
    except SpecError as e:
        raise e.with_source(source) if source else e from None


def load_group(name_or_path: str, overrides: dict | None = None, extra: Path | None = None) -> tuple[GroupSpec, Preset]:
    """A preset by name or path, with `--set` overrides; an error names the file, or `--set` when it came from one.

    `--set models.KEY=...` sets KEY on every model of the preset (or of the study's defaults)."""
    preset = find_preset(name_or_path, extra)
    overrides = overrides or {}
    base = preset.raw
    if isinstance(overrides.get("models"), dict) and "models" not in base and preset.study in STUDIES:
        base = {**base, "models": get_study(preset.study).default_group().get("models", [{}])}
    raw = deep_merge(base, overrides)
    try:
        return group_from_dict(raw), preset
    except SpecError as e:
        from_set = _from_set(e.key, set_keys(overrides))
        raise e.with_source(f"{preset.path} with --set" if from_set else str(preset.path)) from None


def _from_set(key: str, keys: list[str]) -> bool:
    k = re.sub(r"\[\d+\]", "", key)
    return any(k == s or k.startswith(s + ".") or s.startswith(k + ".") for s in keys)


def _seeds(raw) -> tuple[Seeds, ...]:
    """`seeds = [0, 1, 2]` (each replicate's init, order and noise seeds equal), or tables that
    set them apart, e.g. `seeds = [{init = 0, noise = 7}, {init = 1, noise = 7}]` (same label noise)."""
    if not isinstance(raw, list) or not raw:
        raise SpecError(
            "seeds", f"expected a non-empty list of integers or {{init, order, noise}} tables, got {show(raw)}"
        )
    if len(raw) > LIST_MAX:
        raise SpecError("seeds", f"{len(raw)} seeds: at most {LIST_MAX}")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            out.append(from_dict(Seeds, item, f"seeds[{i}]."))
        else:
            seed = _coerce(int, item, f"seeds[{i}]")
            try:
                out.append(Seeds.same(seed))
            except SpecError as e:
                raise SpecError(f"seeds[{i}]", e.reason) from None
    if len(set(out)) < len(out):
        raise SpecError("seeds", "a replicate is listed twice (its runs would be identical)")
    return tuple(out)


def run_spec_from_dict(data: dict) -> RunSpec:
    """A stored run's spec, its params validated by its study."""
    return RunSpec.from_dict(data, get_study(data["study"]).RunParams)


def checked_presets(presets: list[Preset]) -> list[Preset]:
    """The user's presets validated against their study as a run would be (an unknown key, a
    wrong type): one that fails carries its one-line error; the shipped ones are tested already."""
    from dataclasses import replace

    out = []
    for p in presets:
        if p.mine and not p.error:
            try:
                group_from_dict(p.raw, str(p.path))
            except OverfitError as e:
                p = replace(p, error=str(e))
        out.append(p)
    return out
