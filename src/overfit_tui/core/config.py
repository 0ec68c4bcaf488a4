"""The user's settings file: defaults for the home, the theme, the seed band and the alert bell.

One TOML file in the XDG config directory (`~/.config/overfit-tui/config.toml` on Linux), or
the file `OVERFIT_TUI_CONFIG` names. Every key is optional; a missing file is no error. A bad
file is refused with one line naming the file, the key and the reason, with the nearest valid
key for a misspelt one ("did you mean 'band'?"), as presets are.

Precedence, for every setting that also has a flag or a variable: the flag, then the
environment variable, then this file, then the built-in default. Who reads what: `home`
core/paths.py; `theme` the app at start (ui/view_settings.py); `band` the panes' charts and the
exported figures; `bell` the app's alerts (ui/alerts.py). Device slots are per home, set with
`overfit-tui queue --cpu N --gpu N` (HOME/queue/state.json), not here.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from overfit_tui.core.errors import SpecError, did_you_mean

BANDS = ("ci", "se", "sd", "range")  # how a seed band is drawn: 95 % t-interval, standard error, sd, min-max


@dataclass(frozen=True)
class Config:
    """What the user set once for every launch of the app and the CLI."""

    home: str = ""  # the default home folder ('' = the XDG data dir); --home and OVERFIT_TUI_HOME win
    theme: str = ""  # a Textual theme name ('' = the app's default)
    band: str = "ci"  # the seed band on charts and figures: ci (mean ± 95 % t-interval), se, sd, range
    bell: bool = False  # ring the terminal bell with each alert (a run ends or stalls, a verdict changes)

    def __post_init__(self):
        if self.band not in BANDS:
            raise SpecError("band", f"'{self.band}' is not a band kind ({did_you_mean(self.band, BANDS)})")


def config_path() -> Path:
    """The settings file in force (it need not exist)."""
    env = os.environ.get("OVERFIT_TUI_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("overfit-tui") / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The settings from `path` (default: `config_path()`); defaults where the file is absent.

    Raises SpecError with one line naming the file, the key and the reason."""
    path = path or config_path()
    if not path.is_file():
        if path.exists():
            raise SpecError("-", "not a regular file (the settings file is TOML)", str(path))
        return Config()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError("-", f"cannot read it ({e})", str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError("-", f"not valid TOML ({e})", str(path)) from None
    known = {f.name: f for f in fields(Config)}
    values = {}
    for key, value in raw.items():
        if key not in known:
            raise SpecError(key, f"unknown setting ({did_you_mean(key, known)})", str(path))
        want = bool if known[key].type == "bool" else int if known[key].type == "int" else str
        if type(value) is not want:  # TOML keeps types: 1 is no bool, "2" no int
            raise SpecError(key, f"expected {want.__name__}, got {type(value).__name__} {value!r}", str(path))
        values[key] = value
    try:
        return Config(**values)
    except SpecError as e:
        raise e.with_source(str(path)) from None


def env_number(name: str, default: float, lo: float, hi: float, integer: bool = False) -> float:
    """The number in the environment variable `name` (`default` where it is unset or empty),
    from `lo` to `hi`. A bad value is refused with one line naming the variable, the value and
    the range: the Ray bounds are read when a module loads, where a ValueError was a traceback
    from every command that can launch."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not lo <= v <= hi or (integer and v != int(v)):
        kind = "a whole number" if integer else "a number"
        raise SpecError(name, f"'{raw}' is not {kind} from {lo:g} to {hi:g}", "environment")
    return int(v) if integer else v
