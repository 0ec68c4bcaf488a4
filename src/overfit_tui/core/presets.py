"""Presets: TOML files that override a study's defaults, turned into a validated GroupSpec.

Top-level keys: study, name, description, seeds, and the tables [data], [train],
[params] and [[models]]. Every error names the file, the key and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from overfit_tui.core.errors import PresetError, SpecError, did_you_mean
from overfit_tui.core.paths import package_presets_dir
from overfit_tui.core.spec import _coerce, deep_merge, from_dict, set_path
from overfit_tui.core.specs import DataSpec, GroupSpec, ModelSpec, TrainSpec

TOP_KEYS = ("study", "name", "description", "seeds", "data", "train", "params", "models")


@dataclass(frozen=True)
class Preset:
    """A preset file and what it says."""

    name: str
    path: Path
    study: str
    description: str
    raw: dict


def presets_dirs(extra: Path | None = None) -> list[Path]:
    """Where presets are looked up, first match wins: `extra` (the user's HOME/presets), then the package's."""
    dirs = [extra] if extra else []
    dirs.append(package_presets_dir())
    return [d for d in dirs if d and d.is_dir()]


def read_preset(path: Path) -> Preset:
    try:
        raw = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise PresetError(f"{path}: no such preset file") from None
    except tomllib.TOMLDecodeError as e:
        raise PresetError(f"{path}: not valid TOML: {e}") from None
    if "study" not in raw:
        raise SpecError("study", "missing: every preset names its study", str(path))
    return Preset(raw.get("name", Path(path).stem), Path(path), raw["study"], raw.get("description", ""), raw)


def list_presets(extra: Path | None = None) -> list[Preset]:
    seen, out = set(), []
    for d in presets_dirs(extra):
        for f in sorted(d.glob("*.toml")):
            if f.stem not in seen:
                seen.add(f.stem)
                try:
                    out.append(read_preset(f))
                except (PresetError, SpecError):
                    out.append(Preset(f.stem, f, "?", "(does not load: run `overfit-tui check` on it)", {}))
    return out


def find_preset(name_or_path: str, extra: Path | None = None) -> Preset:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return read_preset(p)
    presets = {pr.name: pr for pr in list_presets(extra)}
    if name_or_path not in presets:
        raise PresetError(f"no preset '{name_or_path}', {did_you_mean(name_or_path, presets)}")
    return presets[name_or_path]


def parse_set(items: list[str]) -> dict:
    """`--set train.lr=0.1 --set params.corruption=[0,1]` -> nested overrides (values parsed as TOML)."""
    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SpecError(item, "expected key=value, e.g. train.lr=0.05")
        try:
            parsed = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            parsed = value  # a bare word: a string
        out = set_path(out, key.strip(), parsed)
    return out


def group_from_dict(raw: dict, source: str | None = None) -> GroupSpec:
    """Validate a preset's contents (plus overrides) against its study; errors name `source`."""
    from overfit_tui.studies import get_study

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
            seeds=_coerce(tuple[int, ...], merged.get("seeds", [0]), "seeds"),
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
