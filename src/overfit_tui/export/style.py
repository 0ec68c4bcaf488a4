"""Colours and line styles shared by the app's charts and the exported figures.

A run's colour is its condition (what its study sweeps: the spec's `params`), its line
style the rest of its spec (its model; across groups, whatever else differs, such as a
learning rate), and seeds of one condition share both: 18 curves of a randomization
group read as 9 conditions x 2 models. A sweep of one numeric parameter (a width, a
corruption level) is coloured along a ramp, so order shows; anything else gets
categorical colours. Headless: no Textual, no plotting library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from overfit_tui.core.records import RunRecord

RGB = tuple[int, int, int]

# tab10 without its grey (grey means "not highlighted" in the app)
PALETTE: tuple[RGB, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (23, 190, 207),
    (255, 215, 0),
)
# viridis from 0.15 to 1.0: its darkest blues vanish on a dark terminal
RAMP: tuple[RGB, ...] = (
    (70, 50, 126),
    (54, 92, 141),
    (39, 127, 142),
    (31, 161, 135),
    (74, 193, 109),
    (160, 218, 57),
    (253, 231, 37),
)
DIM: RGB = (110, 110, 110)
DASHES = ("-", "--", ":", "-.")  # matplotlib line styles, one per model


@dataclass(frozen=True)
class Style:
    """How one run (or one series) is drawn and named in a legend."""

    color: RGB
    dash: int  # index into DASHES (the app uses a different marker per index)
    condition: str
    model: str  # the name of the line style: a model label, or what else differs ("lr=0.02"); "" = one style
    ramp: bool = False  # the colour follows one numeric parameter (a legend shows the range)


def color_hex(c: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def ramp(t: float) -> RGB:
    """A colour along RAMP for t in [0, 1]."""
    t = min(1.0, max(0.0, t)) * (len(RAMP) - 1)
    i = min(int(t), len(RAMP) - 2)
    f = t - i
    a, b = RAMP[i], RAMP[i + 1]
    return (round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f), round(a[2] + (b[2] - a[2]) * f))


def _model_label(m: dict) -> str:
    if m.get("name") == "mlp":
        return f"mlp {m.get('depth', 1)}x{m.get('width') or 512}"
    return str(m.get("name")) if not m.get("width") else f"{m.get('name')} w{m.get('width')}"


def _key(d: dict) -> str:
    return json.dumps(d, sort_keys=True, default=str)


def _base_label(label: str, spec: dict) -> str:
    """The label without its seed tag (' s1'): replicates are one condition."""
    seeds = spec.get("seeds") or {}
    i, o, n = seeds.get("init"), seeds.get("order"), seeds.get("noise")
    return label.removesuffix(f" s{i}" if i == o == n else f" i{i} o{o} n{n}")


def _common_suffix(labels: list[str]) -> str:
    if len(labels) < 2:
        return labels[0] if labels else ""
    a, b = min(labels), max(labels)
    i = 0
    while i < min(len(a), len(b)) and a[-1 - i] == b[-1 - i]:
        i += 1
    return a[len(a) - i :].lstrip(" :,")


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _rest(spec: dict) -> dict:
    """What a run is besides its condition and seeds."""
    return {k: v for k, v in spec.items() if k not in ("params", "seeds", "label", "study")}


def _rest_names(rests: dict[str, dict], most: int = 2) -> dict[str, str]:
    """Rest key -> name: the model label when only models differ, else the keys that differ
    (the first `most` of them, then '…')."""
    flats = {k: _flat(r) for k, r in rests.items()}
    keys = sorted({k for f in flats.values() for k in f})
    differ = [k for k in keys if len({_key({"v": f.get(k)}) for f in flats.values()}) > 1]
    out = {}
    for k, r in rests.items():
        if all(d.startswith("model.") for d in differ):
            out[k] = _model_label(r.get("model", {}))
        else:
            other = [d for d in differ if not d.startswith("model.")]
            out[k] = ", ".join(f"{d.split('.')[-1]}={flats[k].get(d)}" for d in other[:most]) + (
                " …" if len(other) > most else ""
            )
            if any(d.startswith("model.") for d in differ):
                out[k] = f"{_model_label(r.get('model', {}))}, {out[k]}"
    return out


def _stored_spec(r) -> dict:
    """The spec as stored: a record's `spec_data`, a RunData's `spec`."""
    return r.spec_data if isinstance(r, RunRecord) else r.spec


def run_styles(runs: list, most: int = 2) -> dict[str, Style]:
    """Run id -> Style for runs with `id`, `label` and `spec` (RunData or the store's records);
    a model name lists at most `most` of the settings that differ (a figure file has room for all)."""
    conds: dict[str, list] = {}
    rests: dict[str, dict] = {}
    for r in runs:
        spec = _stored_spec(r)
        conds.setdefault(_key(spec.get("params", {})), []).append(r)
        rests.setdefault(_key(_rest(spec)), _rest(spec))
    models = _rest_names(rests, most)
    colors = _condition_colors([json.loads(k) for k in conds])
    names = {}
    for k, rs in conds.items():
        labels = [_base_label(r.label, _stored_spec(r)) for r in rs]
        names[k] = _common_suffix(labels) if len(set(labels)) > 1 else labels[0]
    model_index = {k: i for i, k in enumerate(models)}
    # a style per rest only where it tells runs of one condition apart (not where it follows
    # the condition, as the width of a width sweep does)
    informative = any(len({_key(_rest(_stored_spec(r))) for r in rs}) > 1 for rs in conds.values())
    is_ramp = colors != [PALETTE[i % len(PALETTE)] for i in range(len(conds))]
    out = {}
    for i, (k, rs) in enumerate(conds.items()):
        for r in rs:
            mk = _key(_rest(_stored_spec(r)))
            dash, model = (model_index[mk], models[mk]) if informative else (0, "")
            # labels with nothing in common (one condition, models differ): the model names them,
            # not the last seed's label ('mlp 3x256 s2' for a 3-seed mean)
            cond = names[k] or ("all runs" if len(conds) == 1 else _base_label(r.label, _stored_spec(r)))
            out[r.id] = Style(colors[i], dash, cond, model, is_ramp)
    return out


def _condition_colors(params: list[dict]) -> list[RGB]:
    """A ramp when the conditions differ in one numeric parameter only, else the palette (cycled)."""
    varying = [k for k in {k for p in params for k in p} if len({_key({"v": p.get(k)}) for p in params}) > 1]
    if len(varying) == 1 and len(params) > 2:
        vals = [p.get(varying[0]) for p in params]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            order = sorted(set(vals))
            return [ramp(order.index(v) / max(1, len(order) - 1)) for v in vals]
    return [PALETTE[i % len(PALETTE)] for i in range(len(params))]


def series_colors(n: int) -> list[RGB]:
    """Colours of a study figure's n series (one per model, test/train, ...)."""
    return [PALETTE[i % len(PALETTE)] for i in range(n)]
