"""Saved view settings: each pane's chart metric, smoothing, log y, seed band and hidden run-table
columns, kept between launches of the app (as LEET keeps `wandb-leet.json`).

One small JSON file in the home (`HOME/view.json`: a home's panes are its own), rewritten whole
(atomically) when a setting changes. A file that cannot be read or does not hold what it should
is set aside as `view.json.corrupt` with a one-line warning, and the panes start from their
defaults: a view setting is never worth a crash. Unknown panes and keys are dropped, bad
values replaced by defaults, each silently (they are the app's own file).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from overfit_tui.core.bands import KINDS

FILE = "view.json"
VERSION = 1


@dataclass(frozen=True)
class PaneView:
    """What a pane shows, as the user last left it."""

    metric: str = ""  # the curves' metric key (charts.METRICS: 'train_loss', 'test_acc', ...); '' = the first
    smoothing: float = 0.0  # EMA weight in [0, 1) (0 = off)
    flip_log: bool = False  # log y flipped from the figure's own scale
    band: str = ""  # seed band kind (core/bands.py); '' = the settings file's `band`
    hidden: tuple[str, ...] = ()  # run-table column keys the user hid ('s:final_test_acc', 'device', ...)

    @classmethod
    def from_dict(cls, raw: object) -> PaneView:
        """The valid part of `raw`; anything else falls back to its default."""
        if not isinstance(raw, dict):
            return cls()
        out = cls()
        m, s, f, b, h = (raw.get(k.name) for k in fields(cls))
        if isinstance(m, str) and len(m) <= 64:
            out = replace(out, metric=m)
        if isinstance(s, int | float) and not isinstance(s, bool) and 0 <= s < 1:
            out = replace(out, smoothing=float(s))
        if isinstance(f, bool):
            out = replace(out, flip_log=f)
        if b in KINDS:
            out = replace(out, band=b)
        if isinstance(h, list) and all(isinstance(k, str) and len(k) <= 64 for k in h):
            out = replace(out, hidden=tuple(dict.fromkeys(h))[:64])
        return out


class ViewSettings:
    """Every pane's saved view, read once and written on each change."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.warning: str | None = None  # set when the file was set aside (the app shows it once)
        self.panes: dict[str, PaneView] = self._read()

    def _read(self) -> dict[str, PaneView]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as e:
            return self._set_aside(f"cannot read it ({type(e).__name__})")
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as e:
            return self._set_aside(f"not JSON ({e.msg if hasattr(e, 'msg') else 'too deep'})")
        if not isinstance(raw, dict) or not isinstance(raw.get("panes"), dict):
            return self._set_aside("not a view settings file")
        return {str(k)[:64]: PaneView.from_dict(v) for k, v in raw["panes"].items()}

    def _set_aside(self, why: str) -> dict[str, PaneView]:
        aside = self.path.with_name(self.path.name + ".corrupt")
        try:
            os.replace(self.path, aside)
            where = f"moved to {aside.name}"
        except OSError:
            where = "left in place"
        self.warning = f"view settings {self.path}: {why}; {where}, starting from the defaults"
        return {}

    def get(self, pane: str) -> PaneView:
        return self.panes.get(pane, PaneView())

    def set(self, pane: str, **changes) -> PaneView:
        """Change a pane's view and write the file (a failed write is only lost settings)."""
        view = replace(self.get(pane), **changes)
        if view != self.get(pane):
            self.panes[pane] = view
            self._write()
        return view

    def _write(self) -> None:
        payload = {"version": VERSION, "panes": {k: asdict(v) for k, v in sorted(self.panes.items())}}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only home: the views last this session only


def view_settings(app) -> ViewSettings:
    """The app's view settings (read on first use, from its home)."""
    vs = getattr(app, "_view_settings", None)
    if vs is None:
        vs = ViewSettings(Path(app.home.root) / FILE)
        app._view_settings = vs
        if vs.warning:
            app.notify(vs.warning, severity="warning", timeout=30, markup=False)
    return vs


def apply_theme(app) -> None:
    """The settings file's `theme`, when it names one of the app's themes (else one warning line)."""
    from overfit_tui.core.config import load_config
    from overfit_tui.core.errors import OverfitError, did_you_mean

    try:
        theme = load_config().theme
    except OverfitError:  # reported where the home was resolved
        return
    if not theme:
        return
    if theme in app.available_themes:
        app.theme = theme
    else:
        hint = did_you_mean(theme, sorted(app.available_themes))
        app.notify(
            f"settings file: theme '{theme}' is not a theme ({hint})", severity="warning", timeout=30, markup=False
        )
