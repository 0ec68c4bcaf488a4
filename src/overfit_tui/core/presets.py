"""Presets: TOML files that override a study's defaults (reading, listing, `--set` parsing).

Turning one into a validated GroupSpec needs its study: see studies/groups.py.

Top-level keys: study, name, description, seeds, and the tables [data], [train],
[params] and [[models]]. Every error names the file, the key and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from overfit_tui.core.errors import PresetError, SpecError, did_you_mean
from overfit_tui.core.paths import package_presets_dir
from overfit_tui.core.spec import set_path

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
