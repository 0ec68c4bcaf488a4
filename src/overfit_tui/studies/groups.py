"""Presets and stored specs turned into validated specs, against their study's own parameters.

`group_from_dict` merges a preset (plus `--set` overrides) over its study's defaults and
validates every key; `load_group` finds a preset by name or path; `run_spec_from_dict`
rebuilds a stored run's spec. They live here, above core, because they need the registry.
"""

from __future__ import annotations

from pathlib import Path

from overfit_tui.core.errors import SpecError, did_you_mean
from overfit_tui.core.presets import TOP_KEYS, Preset, find_preset
from overfit_tui.core.spec import _coerce, deep_merge, from_dict
from overfit_tui.core.specs import DataSpec, GroupSpec, ModelSpec, RunSpec, Seeds, TrainSpec
from overfit_tui.studies import get_study


def group_from_dict(raw: dict, source: str | None = None) -> GroupSpec:
    """Validate a preset's contents (plus overrides) against its study; errors name `source`."""
    try:
        for key in raw:
            if key not in TOP_KEYS:
                raise SpecError(key, f"unknown key, {did_you_mean(key, TOP_KEYS)}")
        study = get_study(raw.get("study", ""))
        merged = deep_merge(study.default_group(), {k: v for k, v in raw.items() if k != "models"})
        models_raw = raw.get("models", merged.get("models", [{}]))
        if isinstance(models_raw, dict):
            models_raw = [models_raw]
        if not isinstance(models_raw, list) or not models_raw:
            raise SpecError("models", "expected one or more [[models]] tables")
        group = GroupSpec(
            study=study.name,
            name=str(raw.get("name", study.name)),
            data=from_dict(DataSpec, merged.get("data"), "data."),
            models=tuple(from_dict(ModelSpec, m, f"models[{i}].") for i, m in enumerate(models_raw)),
            train=from_dict(TrainSpec, merged.get("train"), "train."),
            seeds=_seeds(merged.get("seeds", [0])),
            params=from_dict(study.Params, merged.get("params"), "params."),
            description=str(raw.get("description", "")),
        )
        study.validate(group)
        return group
    except SpecError as e:
        raise e.with_source(source) if source else e from None


def load_group(name_or_path: str, overrides: dict | None = None, extra: Path | None = None) -> tuple[GroupSpec, Preset]:
    preset = find_preset(name_or_path, extra)
    raw = deep_merge(preset.raw, overrides or {})
    return group_from_dict(raw, str(preset.path)), preset


def _seeds(raw) -> tuple[Seeds, ...]:
    """`seeds = [0, 1, 2]` (each replicate's init, order and noise seeds equal), or tables that
    set them apart, e.g. `seeds = [{init = 0, noise = 7}, {init = 1, noise = 7}]` (same label noise)."""
    if not isinstance(raw, list) or not raw:
        raise SpecError("seeds", f"expected a non-empty list of integers or {{init, order, noise}} tables, got {raw!r}")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            out.append(from_dict(Seeds, item, f"seeds[{i}]."))
        else:
            out.append(Seeds.same(_coerce(int, item, f"seeds[{i}]")))
    if len(set(out)) < len(out):
        raise SpecError("seeds", "a replicate is listed twice (its runs would be identical)")
    return tuple(out)


def run_spec_from_dict(data: dict) -> RunSpec:
    """A stored run's spec, its params validated by its study."""
    return RunSpec.from_dict(data, get_study(data["study"]).RunParams)
