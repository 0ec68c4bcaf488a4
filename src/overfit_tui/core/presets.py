"""Presets: TOML files that override a study's defaults (reading, listing, `--set` parsing).

Turning one into a validated GroupSpec needs its study: see studies/groups.py.

Where they come from, first match of a name wins: the user's own (HOME/presets/*.toml, then
`<config>/presets/*.toml` beside the settings file, ~/.config/overfit-tui/presets on Linux),
then the shipped ones (the checkout's presets/, overfit_tui/presets/ in a wheel). Listings put
the user's under their own heading; one that does not load is listed with its one-line error
(file, key, reason) and hides nothing else.

Top-level keys: study, name, description, device (what it was sized for: "cpu" or "gpu"), seeds,
and the tables [data], [train],
[params] and [[models]]. Every error names the file, the key and the reason. Only a
regular file of at most PRESET_MAX bytes is read (a FIFO or a device named x.toml is
refused, not waited on), and values nest at most DEPTH_MAX levels.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from overfit_tui.core.errors import PresetError, SpecError, did_you_mean, printable, show
from overfit_tui.core.ids import check_name
from overfit_tui.core.paths import NotRegularFile, open_regular, package_presets_dir
from overfit_tui.core.spec import check_depth, set_path

TOP_KEYS = ("study", "name", "description", "device", "seeds", "data", "train", "params", "models")
DEVICES = ("cpu", "gpu")  # what a preset was sized for (`device`); unset: MNIST-1D and synthetic data are CPU
PRESET_MAX = 1 << 20  # bytes: a preset is a page of TOML
SET_SOURCE = "--set"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class Preset:
    """A preset file and what it says."""

    name: str
    path: Path
    study: str
    description: str
    raw: dict
    mine: bool = False  # the user's own (HOME/presets, <config>/presets), not a shipped one
    error: str = ""  # why it does not load ('' = it does): one line naming the file, the key and the reason


def config_presets_dir() -> Path:
    """The user's presets beside the settings file: `<config>/presets` (the XDG config dir)."""
    from overfit_tui.core.config import config_path

    return config_path().parent / "presets"


def user_presets_dirs(extra: Path | None = None) -> list[Path]:
    """The user's preset folders, first match wins: `extra` (HOME/presets), then `<config>/presets`."""
    dirs = [d for d in (extra, config_presets_dir()) if d]
    return [d for i, d in enumerate(dirs) if d.is_dir() and d.resolve() not in {x.resolve() for x in dirs[:i]}]


def presets_dirs(extra: Path | None = None) -> list[Path]:
    """Where presets are looked up, first match wins: the user's folders, then the shipped ones."""
    shipped = package_presets_dir()
    return [*user_presets_dirs(extra), *([shipped] if shipped.is_dir() else [])]


def read_text_file(path: Path, limit: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; PresetError naming the path otherwise."""
    where = printable(path, 200)
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise PresetError(f"{where}: {size:,} bytes; {what}s are at most {limit:,} bytes")
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise PresetError(f"{where}: no such {what}") from None
    except NotRegularFile:
        raise PresetError(f"{where}: not a regular file") from None
    except OSError as e:
        raise PresetError(f"{where}: cannot read it ({e.strerror or e})") from None
    if len(data) > limit:
        raise PresetError(f"{where}: {what}s are at most {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PresetError(f"{where}: not UTF-8 text (byte {e.start})") from None


def read_preset(path: Path) -> Preset:
    text = read_text_file(Path(path), PRESET_MAX, "preset file")
    where = printable(path, 200)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PresetError(f"{where}: not valid TOML: {printable(e, 200)}") from None
    except RecursionError:
        raise PresetError(f"{where}: not valid TOML: nested too deeply") from None
    try:
        check_depth(raw)
    except SpecError as e:
        raise e.with_source(str(path)) from None
    if "study" not in raw:
        raise SpecError("study", "missing: every preset names its study", str(path))
    if not isinstance(raw["study"], str):
        raise SpecError("study", f"expected a study name, got {show(raw['study'])}", str(path))
    name = raw.get("name", Path(path).stem)
    if "name" in raw:
        check_name(name, "name", str(path))
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError("description", f"expected a string, got {show(description)}", str(path))
    if raw.get("device", "cpu") not in DEVICES:
        raise SpecError("device", f"expected one of {', '.join(DEVICES)}, got {show(raw['device'])}", str(path))
    return Preset(name if isinstance(name, str) else Path(path).stem, Path(path), raw["study"], description, raw)


def list_presets(extra: Path | None = None) -> list[Preset]:
    """Every preset, the user's first (`mine`), each name once; one that does not load is kept
    with its `error` (study '?'), so a listing can say why without hiding the others."""
    seen, out = set(), []
    mine = set(user_presets_dirs(extra))
    for d in presets_dirs(extra):
        for f in sorted(d.glob("*.toml")):
            if f.stem not in seen:
                seen.add(f.stem)
                try:
                    p = read_preset(f)
                    out.append(Preset(p.name, p.path, p.study, p.description, p.raw, d in mine))
                except (PresetError, SpecError) as e:
                    out.append(
                        Preset(f.stem, f, "?", "(does not load: run `overfit-tui check` on it)", {}, d in mine, str(e))
                    )
                except OSError:
                    continue  # vanished or unreadable while listing
    return out


def preset_errors(presets: list[Preset]) -> list[str]:
    """One line per preset that does not load: the file, the key and the reason."""
    return [p.error for p in presets if p.error]


def find_preset(name_or_path: str, extra: Path | None = None) -> Preset:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return read_preset(p)
    presets = {pr.name: pr for pr in list_presets(extra)}
    if name_or_path not in presets:
        raise PresetError(f"no preset '{name_or_path}', {did_you_mean(name_or_path, presets)}")
    return presets[name_or_path]


def parse_set(items: list[str]) -> dict:
    """`--set train.lr=0.1 --set params.corruption=[0,1]` -> nested overrides (values parsed as TOML).

    Keys are dotted words (at most 4); a value that is not TOML is taken as a bare string."""
    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise SpecError(item, "expected key=value, e.g. train.lr=0.05", SET_SOURCE)
        parts = key.split(".")
        if len(parts) > 4 or not all(_KEY.fullmatch(p) for p in parts):
            raise SpecError(key, "not a key: dotted words such as train.lr or params.corruption", SET_SOURCE)
        if len(value) > PRESET_MAX:
            raise SpecError(key, f"the value is longer than {PRESET_MAX:,} characters", SET_SOURCE)
        try:
            doc = tomllib.loads(f"v = {value}")
        except tomllib.TOMLDecodeError:
            doc = {"v": value}  # a bare word: a string
        except RecursionError:
            raise SpecError(key, "the value is nested too deeply", SET_SOURCE) from None
        if set(doc) != {"v"}:
            raise SpecError(key, "one value per --set (the value sets other keys)", SET_SOURCE)
        parsed = doc["v"]
        try:
            check_depth(parsed, key)
        except SpecError as e:
            raise e.with_source(SET_SOURCE) from None
        out = set_path(out, key, parsed)
    return out


def set_keys(overrides: dict, prefix: str = "") -> list[str]:
    """The dotted keys an override dict sets (to tell a `--set` error from a preset error)."""
    out = []
    for k, v in overrides.items():
        if isinstance(v, dict) and v:
            out += set_keys(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}")
    return out
