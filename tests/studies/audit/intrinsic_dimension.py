"""Null and power cases of the intrinsic dimension claims (Li et al. 2018).

Groups are expanded through the study's own `expand` (3 seeds, no bisection, a log grid of
16 points per decade up to the smallest model's D, so a seed's d_int90 is read to within 15 %,
as the presets' half-decade grid plus 3 bisection steps do). Each (model, variant, seed) sweep
reaches 90 % of its own baseline from its own d_int90 on: the paper's value times seed noise,
log10 sd 0.04 shared by a seed's sweeps (one init and projection seed) and 0.04 of its own
(d_int90 spread by about 13 % per seed, grid included: MNIST-1D's seeds spread it by 15-25 %).
A sweep that never crosses is made by a d_int90 above its largest d.

Effects are the paper's MNIST numbers: FC D / d_int90 266x, LeNet 153x; shuffled labels 253x
the true labels' (750 -> 190,000 on FC 784-200-200-10, here the 2x512 MLP, D = 288,778);
d_int90 x1.3 over 24x of D (x1.23 over our 12.5x); LeNet 1.9x below FC (relative); shuffled
pixels LeNet x4.8, FC x1.
"""

from __future__ import annotations

import math
import random

from tests.studies.audit import Case
from tests.studies.synth import fill, group_runs, seed

STUDY = "intrinsic_dimension"
MLP = {"name": "mlp", "width": 256, "depth": 2}  # D = 78,858
CNN = {"name": "cnn1d", "width": 64}  # D = 28,298
NARROW, WIDE = {"name": "mlp", "width": 128, "depth": 2}, {"name": "mlp", "width": 512, "depth": 2}
D = {("mlp", 128): 23_050, ("mlp", 256): 78_858, ("mlp", 512): 288_778, ("cnn1d", 64): 28_298}
SHARED, OWN = 0.04, 0.04


def _dims(top: int, low: int) -> list[int]:
    return [round(10 ** (k / 16)) for k in range(32, 96) if low <= 10 ** (k / 16) <= top]


def _group(models: list[dict], variants: list[str], low: int) -> list[dict]:
    top = min(D[(m["name"], m["width"])] for m in models)
    return group_runs(
        {
            "study": STUDY,
            "name": "audit",
            "data": {"name": "mnist1d"},
            "models": models,
            "train": {"optimizer": "adam", "lr": 0.01, "batch_size": 128, "epochs": 30, "target_train_acc": 0.0},
            "params": {
                "dims": _dims(top, low),
                "refine": 0,
                "projection": "fastfood",
                "variants": variants,
                "absolute": 0.6,
            },
            "seeds": [0, 1, 2],
        }
    )


def _gen(models: list[dict], variants: list[str], d90, low: int = 100):
    """d90(model_key, variant) -> the sweep's mean d_int90 (None: never crosses); the grid from `low`."""
    specs = _group(models, variants, low)

    def gen(rng: random.Random):
        shared = {i: rng.gauss(0, SHARED) for i in range(3)}
        own: dict[tuple, float | None] = {}
        for spec in specs:
            m, v, s = spec["model"], spec["params"]["variant"], seed(spec)
            k = ((m["name"], m["width"]), v, s)
            if k not in own:
                mean = d90(k[0], v)
                own[k] = None if mean is None else mean * 10 ** (shared[s] + rng.gauss(0, OWN))

        def summary(spec):
            m, p = spec["model"], spec["params"]
            key = (m["name"], m["width"])
            cross = own[(key, p["variant"], seed(spec))]
            out = {"D": D[key]}
            base = 0.7
            if p["role"] == "baseline":
                acc = base
            else:
                out["d"] = p["d"]
                acc = base if cross is not None and p["d"] >= cross else 0.5
            return out | {"final_test_acc": acc, "final_train_acc": acc}

        return fill(specs, summary)

    return gen


def _ratio(ratios: dict):
    """d90 = D / ratio per model; ratios: model key -> D / d_int90."""
    return lambda key, v: D[key] / ratios[key]


BOTH = [MLP, CNN]
PAPER_FAR = _gen(BOTH, ["true"], _ratio({("mlp", 256): 266, ("cnn1d", 64): 153}))
FAR_AT_BAR = _gen(BOTH, ["true"], _ratio({("mlp", 256): 100, ("cnn1d", 64): 100}))
FAR_OLD_BAR = _gen(BOTH, ["true"], _ratio({("mlp", 256): 10, ("cnn1d", 64): 300}))  # one model 10x: the old bar
FAR_NEVER = _gen(BOTH, ["true"], lambda key, v: None if key[0] == "mlp" else D[key] / 300)  # MLP never crosses

LABELS = [WIDE]


def _labels(factor: float):
    return _gen(LABELS, ["true", "shuffled_labels"], lambda key, v: 750 * (1 if v == "true" else factor))


PAPER_LABELS = _labels(253)
LABELS_SAME = _labels(1)
LABELS_X2 = _labels(2)  # the old bar: x2 held at x2.006
LABELS_AT_BAR = _labels(100)

FAMILY = [NARROW, MLP, WIDE]


def _widths(exponent: float):
    """d_int90 ∝ D ** exponent (0: constant), from 10,000 at the narrowest."""
    return _gen(FAMILY, ["true"], lambda key, v: 10_000 * (D[key] / D[("mlp", 128)]) ** exponent, low=1000)


PAPER_WIDTHS = _widths(math.log(1.3) / math.log(24))  # the paper: x1.3 over 24x of D
WIDTHS_PROPORTIONAL = _widths(1.0)  # d grows with D: D / d constant
WIDTHS_SQRT = _widths(0.5)
WIDTHS_AT_BAR = _widths(math.log(2) / math.log(D[("mlp", 512)] / D[("mlp", 128)]))  # x2 at the widest

PAPER_CNN = _gen(BOTH, ["true"], lambda key, v: 5000 if key[0] == "mlp" else 5000 / 1.9, low=1000)  # 525 / 275
CNN_SAME = _gen(BOTH, ["true"], lambda key, v: 5000, low=1000)
CNN_WORSE = _gen(BOTH, ["true"], lambda key, v: 5000 if key[0] == "mlp" else 8000, low=1000)

VARIANTS = ["true", "shuffled_pixels"]


def _pixels(cnn: float, mlp: float):
    return _gen(
        BOTH, VARIANTS, lambda key, v: 1500 * ((cnn if key[0] == "cnn1d" else mlp) if v != "true" else 1), low=1000
    )


PAPER_PIXELS = _pixels(1400 / 290, 1.0)
PIXELS_NONE = _pixels(1.0, 1.0)
PIXELS_BOTH = _pixels(4.8, 4.8)  # the MLP hurt as much: not the CNN's prior
PIXELS_SMALL = _pixels(1.5, 1.0)  # the CNN hurt x1.5, under the x2 bar (exactly at the bar: 6 % of 200 draws)

CASES = {
    "far-below-D": Case(
        nulls={
            "D / d at the 100x bar": FAR_AT_BAR,
            "one model at 10x (old bar)": FAR_OLD_BAR,
            "never crosses": FAR_NEVER,
        },
        effect=PAPER_FAR,
        note="nulls: D / d_int90 = 100x (the bar), one model at 10x, a sweep that never crosses; effect: 266x / 153x",
    ),
    "shuffled-labels-larger": Case(
        nulls={"same d": LABELS_SAME, "x2 (old bar)": LABELS_X2, "x100 (the bar)": LABELS_AT_BAR},
        effect=PAPER_LABELS,
        note="nulls: shuffled = true, x2 (the old bar), x100 (the bar); effect: x253 (750 -> 190,000)",
    ),
    "width-constant": Case(
        nulls={"d ∝ D": WIDTHS_PROPORTIONAL, "d ∝ √D": WIDTHS_SQRT, "x2 at the widest (the bar)": WIDTHS_AT_BAR},
        effect=PAPER_WIDTHS,
        note="nulls: d_int90 ∝ D, ∝ √D, x2 at the widest; effect: x1.3 over 24x of D (x1.23 over 12.5x)",
    ),
    "cnn-fewer": Case(
        nulls={"same d": CNN_SAME, "CNN needs more": CNN_WORSE},
        effect=PAPER_CNN,
        note="nulls: CNN = MLP, CNN 1.6x above; effect: CNN 1.9x below (the paper's relative 525 / 275)",
    ),
    "shuffled-pixels-hurt-cnn": Case(
        nulls={"nothing changes": PIXELS_NONE, "both hurt x4.8": PIXELS_BOTH, "CNN x1.5 (under the bar)": PIXELS_SMALL},
        effect=PAPER_PIXELS,
        note="nulls: no variant moves, the MLP hurt as much as the CNN, the CNN x1.5 (under the x2 bar); effect: CNN x4.8, MLP x1",
    ),
}
