"""A parameter form generated from a study's spec: one row per field (key, value), grouped by
section, the preset's value shown, the field's help as its tooltip. A value that does not
validate keeps what was typed, is marked, and its error shows on the line below it."""

from __future__ import annotations

import dataclasses
import tomllib

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static

from overfit_tui.core.errors import OverfitError, SpecError
from overfit_tui.core.presets import Preset
from overfit_tui.core.spec import deep_merge, field_help, set_path
from overfit_tui.core.specs import DataSpec, GroupSpec, TrainSpec
from overfit_tui.studies import get_study
from overfit_tui.studies.groups import group_from_dict

COMMON = [("data", DataSpec, ("name", "n_train")), ("train", TrainSpec, ("optimizer", "lr", "batch_size", "epochs"))]


def _toml(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


def _parse(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip().strip('"')


class SpecForm(VerticalScroll):
    """Fields of the selected preset; `group()` validates and returns the GroupSpec. Esc leaves
    a field for the preset list, where the pane's one-letter keys (m f s l g c v) work again:
    inside a field those letters are text."""

    BINDINGS = [Binding("escape", "leave_field", "Leave field")]

    DEFAULT_CSS = """
    SpecForm { height: 1fr; padding: 0 1 0 0; }
    SpecForm Label.section { color: $accent; text-style: bold; margin-top: 1; }
    SpecForm Horizontal.row { height: 1; }
    SpecForm Label.key { color: $text-muted; width: 17; padding-right: 1; }  /* a gap after 'target_train_acc' */
    SpecForm Input { height: 1; width: 1fr; }
    SpecForm Input:focus { background: $accent 35%; text-style: bold; }
    SpecForm Horizontal.row:focus-within Label.key { color: $accent; text-style: bold; }
    SpecForm Input.-invalid { border: none; background: $error 30%; }
    SpecForm Static.field-error { color: $error; height: auto; padding-left: 2; display: none; }
    SpecForm Static.field-error.-shown { display: block; }
    SpecForm Static.error { color: $error; height: auto; }
    SpecForm Static.source { color: $text-muted; height: auto; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.preset: Preset | None = None
        self.inputs: dict[str, Input] = {}
        self.errors: dict[str, Static] = {}  # field key -> the line under it that shows its error
        self._loaded: dict[str, str] = {}  # field key -> the text the preset put there
        self._valid = False  # the form as last validated (or loaded) was valid

    def compose(self) -> ComposeResult:
        yield Static("choose a preset", classes="source", id="form-source")
        yield Static("", classes="error", id="form-error")

    def load(self, preset: Preset) -> None:
        self.preset = preset
        self.query("Label.section, Horizontal.row, Static.field-error").remove()
        try:
            group = group_from_dict(preset.raw, str(preset.path))
        except OverfitError as e:
            self.query_one("#form-error", Static).update(str(e))
            return
        self.query_one("#form-source", Static).update(f"{preset.path.name} · {group.study}")
        self.query_one("#form-error", Static).update("")
        study = get_study(group.study)
        values = group.to_dict()
        widgets = []
        self.inputs, self.errors = {}, {}
        for section, cls, names in COMMON:
            widgets.append(Label(section, classes="section"))
            # the common fields, then every other one the preset sets (max_steps, eval_every, ...)
            set_here = preset.raw.get(section) if isinstance(preset.raw.get(section), dict) else {}
            names = (*names, *(f.name for f in dataclasses.fields(cls) if f.name in set_here and f.name not in names))
            for name in names:
                widgets += self._field(f"{section}.{name}", values[section][name], field_help(cls, name))
        widgets.append(Label(f"params ({study.name})", classes="section"))
        for f in dataclasses.fields(study.Params):
            widgets += self._field(f"params.{f.name}", values["params"][f.name], f.metadata.get("help", ""))
        widgets += self._field("seeds", values["seeds"], "seeds: one replicate of every run per seed")
        self._loaded, self._valid = {k: inp.value for k, inp in self.inputs.items()}, True
        self.mount_all(widgets)

    def _field(self, key: str, value, help: str) -> list:
        inp = Input(_toml(value), name=key, tooltip=f"{key}: {help}", compact=True)
        self.inputs[key] = inp
        short = key.split(".", 1)[-1]
        row = Horizontal(Label(short, classes="key"), inp, classes="row")
        self.errors[key] = Static("", classes="field-error", markup=False)
        return [row, self.errors[key]]

    def _field_error(self, key: str) -> Static:
        return self.errors[key]

    def overrides(self) -> dict:
        out: dict = {}
        for key, inp in self.inputs.items():
            out = set_path(out, key, _parse(inp.value))
        return out

    def group(self) -> GroupSpec | None:
        """The validated group, or None with the error shown next to its field."""
        if self.preset is None:
            return None
        for key, inp in self.inputs.items():
            inp.remove_class("-invalid")
            self._field_error(key).remove_class("-shown")
        try:
            group = group_from_dict(deep_merge(self.preset.raw, self.overrides()), str(self.preset.path))
        except SpecError as e:
            key = e.key.split("[")[0]
            bad = self.inputs.get(key)
            if bad is not None:  # the error goes under its field; the typed text stays visible
                bad.add_class("-invalid")
                self._field_error(key).update(f"↑ {e.reason}")
                self._field_error(key).add_class("-shown")
                self.query_one("#form-error", Static).update(f"fix {key} to run")
            else:
                self.query_one("#form-error", Static).update(f"{e.key}: {e.reason}")
            self._valid = False
            return None
        self.query_one("#form-error", Static).update("")
        self._valid = True
        return group

    def action_leave_field(self) -> None:
        """Focus the preset list beside the form (the pane's keys act again)."""
        target = self.parent.query("#presets") if self.parent else None
        if target:
            target.first().focus()
        else:
            self.screen.set_focus(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        # validate as the user types; not the Changed of each field as a preset's form mounts
        # (one full validation per field: the preset validated as it loaded)
        if self._valid and all(inp.value == self._loaded.get(k) for k, inp in self.inputs.items()):
            return
        self.group()
