"""A parameter form generated from a study's spec: one typed input per field, the default
shown, the field's help as its tooltip, validation messages inline."""

from __future__ import annotations

import dataclasses
import tomllib

from textual.app import ComposeResult
from textual.containers import VerticalScroll
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
    """Fields of the selected preset; `group()` validates and returns the GroupSpec."""

    DEFAULT_CSS = """
    SpecForm { height: 1fr; }
    SpecForm Label.key { color: $text-muted; margin-top: 0; }
    SpecForm Input { height: 1; margin-bottom: 1; }
    SpecForm Static.error { color: $error; height: auto; }
    SpecForm Static.source { color: $text-muted; height: auto; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.preset: Preset | None = None
        self.inputs: dict[str, Input] = {}

    def compose(self) -> ComposeResult:
        yield Static("choose a preset", classes="source", id="form-source")
        yield Static("", classes="error", id="form-error")

    def load(self, preset: Preset) -> None:
        self.preset = preset
        self.query("Label.key, Input").remove()
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
        self.inputs = {}
        for section, cls, names in COMMON:
            for name in names:
                widgets += self._field(f"{section}.{name}", values[section][name], field_help(cls, name))
        for f in dataclasses.fields(study.Params):
            widgets += self._field(f"params.{f.name}", values["params"][f.name], f.metadata.get("help", ""))
        widgets += self._field("seeds", values["seeds"], "seeds: one replicate of every run per seed")
        self.mount_all(widgets)

    def _field(self, key: str, value, help: str) -> list:
        inp = Input(_toml(value), name=key, tooltip=help, compact=True)
        self.inputs[key] = inp
        return [Label(key, classes="key"), inp]

    def overrides(self) -> dict:
        out: dict = {}
        for key, inp in self.inputs.items():
            out = set_path(out, key, _parse(inp.value))
        return out

    def group(self) -> GroupSpec | None:
        """The validated group, or None with the error shown next to its field."""
        if self.preset is None:
            return None
        for inp in self.inputs.values():
            inp.remove_class("-invalid")
        try:
            group = group_from_dict(deep_merge(self.preset.raw, self.overrides()), str(self.preset.path))
        except SpecError as e:
            self.query_one("#form-error", Static).update(f"{e.key}: {e.reason}")
            bad = self.inputs.get(e.key.split("[")[0])
            if bad is not None:
                bad.add_class("-invalid")
            return None
        self.query_one("#form-error", Static).update("")
        return group

    def on_input_changed(self, event: Input.Changed) -> None:
        self.group()  # validate as the user types
