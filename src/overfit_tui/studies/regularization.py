"""Study 1b: the regularizer ablation of Zhang et al. 2017, Table 1 (and Table 4).

A grid over data augmentation x weight decay (x BatchNorm x dropout) on true labels,
plus each model with random labels and no regularizer. Summary: the paper's table of
train and test accuracy per setting. Explicit regularizers help test accuracy a little,
and neither their absence prevents generalization nor their presence prevents fitting.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.train import TRAIN_FIELDS, train
from overfit_tui.studies.base import ExecContext, RunData, Study, Table
from overfit_tui.studies.common import load_data, make_member, randomize


@dataclass(frozen=True)
class Params:
    """The grid of explicit regularizers."""

    augment: tuple[bool, ...] = field((True, False), "random crop + flip on/off")
    weight_decay: tuple[float, ...] = field((5e-4, 0.0), "weight decay values")
    batchnorm: tuple[bool, ...] = field((False,), "BatchNorm on/off")
    dropout: tuple[float, ...] = field((0.0,), "dropout probabilities")
    random_labels: bool = field(True, "add one random-label run per model, without regularizers")

    def __post_init__(self):
        for key in ("augment", "weight_decay", "batchnorm", "dropout"):
            check(len(getattr(self, key)) > 0, key, "needs at least one value")


@dataclass(frozen=True)
class RunParams:
    """One cell of the grid."""

    augment: bool = field(False, "random crop + flip")
    weight_decay: float = field(0.0, "weight decay")
    batchnorm: bool = field(False, "BatchNorm")
    dropout: float = field(0.0, "dropout probability")
    p: float = field(0.0, "label corruption (1 = random labels)")


class Regularization(Study):
    name = "regularization"
    title = "Regularizer ablation"
    paper = "Zhang et al. 2017, Table 1: explicit regularization"
    pane = "randomization"
    Params = Params
    RunParams = RunParams
    summary_fields = tuple(TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "epochs"))

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 512, "depth": 1}],
            "train": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "lr_decay": 1.0, "epochs": 100},
            "seeds": [0],
        }

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        g = group.params
        cells = [
            RunParams(a, w, b, d) for a, w, b, d in itertools.product(g.augment, g.weight_decay, g.batchnorm, g.dropout)
        ]
        if g.random_labels:
            cells.append(RunParams(p=1.0))
        runs = []
        for model, seeds, c in itertools.product(group.models, group.seeds, cells):
            m = replace(model, batchnorm=c.batchnorm, dropout=c.dropout)
            t = replace(group.train, weight_decay=c.weight_decay, target_train_acc=1.0 if c.p else 0.0)
            d = replace(group.data, augment=c.augment)
            label = _cell_label(c)
            if len(group.models) > 1:
                label = f"{m.label}: {label}"
            runs.append(RunSpec(self.name, label + group.seed_tag(seeds), d, m, t, seeds, c))
        return runs

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        for i, run in enumerate(runs):
            ds = randomize(load_data(run.data, ctx), "labels", run.params.p, run.seeds.noise)
            ctx.started(i)
            train([make_member(run, ds, ctx.device, i)], run.train, ctx, run.data.augment)

    def tables(self, runs: list[RunData]) -> list[Table]:
        rows = []
        for r in runs:
            p, m = r.spec["params"], r.spec["model"]
            s = r.summary
            rows.append(
                (
                    _model(m),
                    "yes" if p["augment"] else "no",
                    "yes" if p["weight_decay"] else "no",
                    "yes" if p["batchnorm"] else "no",
                    f"{p['dropout']:g}",
                    "random" if p["p"] == 1 else "true",
                    _pct(s.get("final_train_acc")),
                    _pct(s.get("final_test_acc")),
                )
            )
        cols = ("model", "augment", "weight decay", "batchnorm", "dropout", "labels", "train acc", "test acc")
        return [Table("Explicit regularizers (Zhang et al. 2017, Table 1)", cols, tuple(rows))]


def _cell_label(c: RunParams) -> str:
    if c.p:
        return "random labels"
    bits = [
        n for n, on in (("aug", c.augment), ("wd", c.weight_decay), ("bn", c.batchnorm), ("dropout", c.dropout)) if on
    ]
    return "+".join(bits) if bits else "no regularizer"


def _model(m: dict) -> str:
    return f"mlp {m['depth']}x{m['width'] or 512}" if m["name"] == "mlp" else m["name"]


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}"
