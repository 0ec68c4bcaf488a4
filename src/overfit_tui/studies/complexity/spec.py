"""The complexity-measures sweep: what it is (no torch).

Each run trains an MLP on labels corrupted with probability p (Zhang et al. 2017's
randomization) at one width and one training-set size until its training error reaches the
stopping criterion (train.target_train_acc: Neyshabur et al. 2017 and Jiang et al. 2020
compare networks at a fixed training error or loss), keeping its initial weights; then the
runner computes the complexity measures of the trained net (measures.py) and reports them
as summary numbers beside the generalization gap (train accuracy on the labels it was
trained on minus test accuracy on clean labels). Figures, tables and claims rank the
measures against the gap over the group's runs (Kendall's tau and Jiang's granulated tau).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.complexity.claims import CLAIMS
from overfit_tui.studies.complexity.fields import EXTRA, GAP, MEASURES
from overfit_tui.studies.complexity.figures import figures, tables
from overfit_tui.studies.shared.jobs import fused_jobs


@dataclass(frozen=True)
class Settings:
    """How every run of a group takes its measures: declared once, for Params and RunParams alike."""

    margin_quantile: float = field(
        0.05, "the margin g is this quantile of the training margins (Neyshabur et al.: 5th percentile)", range="(0, 1)"
    )
    sharp_rise: float = field(
        0.1, "sigma' keeps the mean perturbed training error within this rise (Jiang et al.: 0.1)", range="(0, 1)"
    )
    sharp_draws: int = field(8, "Gaussian perturbations averaged per sigma (drawn once, reused)", range="[1, 1000]")


@dataclass(frozen=True)
class Sweep:
    """The sweep: label corruption x width x training-set size."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.5, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels); each label redrawn with prob. p",
        range="[0, 1]",
    )
    widths: tuple[int, ...] = field((64, 256, 1024), "hidden units of the MLP, one model per width", range="[1, 1e6]")
    n_train: tuple[int, ...] = field(
        (0,), "training-set sizes (first n after the data's seeded shuffle); 0 = the data spec's", range="[0, 1e6]"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(len(self.corruption) > 0 and len(self.widths) > 0, "corruption", "needs a level and a width")
        for i, p in enumerate(self.corruption):
            check(0.0 <= p <= 1.0, f"corruption[{i}]", "must be in [0, 1]")


@dataclass(frozen=True)
class RunParams(Settings):
    """One cell of the sweep."""

    p: float = field(0.0, "label corruption probability", range="[0, 1]")
    width: int = field(256, "hidden units", range="[1, 1e6]")
    n_train: int = field(0, "training samples (0 = all the data spec keeps)", range="[0, 1e6]")


class ComplexityMeasures(Study):
    name = "complexity"
    title = "Complexity measures vs the generalization gap"
    paper = (
        "Neyshabur, Bhojanapalli, McAllester, Srebro 2017: Exploring generalization in deep learning; "
        "Jiang, Neyshabur, Mobahi, Krishnan, Bengio 2020: Fantastic generalization measures and where to find them"
    )
    pane = "randomization"  # Zhang et al. 2017 ask which complexity measure explains generalization
    Params = Params
    RunParams = RunParams
    summary_fields = (
        TRAIN_FIELDS["final_train_acc"],
        TRAIN_FIELDS["final_test_acc"],
        GAP,
        TRAIN_FIELDS["steps_to_fit"],
        *MEASURES,
        *EXTRA,
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d", "n_train": 1000},
            "models": [{"name": "mlp", "depth": 1}],
            "train": {
                "optimizer": "sgd",
                "lr": 0.01,
                "momentum": 0.9,
                "lr_decay": 1.0,
                "batch_size": 128,
                "epochs": 1500,
                "target_train_acc": 0.99,
            },
            "seeds": [0, 1, 2],
        }

    def validate(self, group: GroupSpec) -> None:
        check(all(m.name == "mlp" for m in group.models), "models", "the sweep sets an MLP's width: use name = 'mlp'")
        check(
            group.train.target_train_acc > 0,
            "train.target_train_acc",
            "the measures compare nets at a fixed train error: set a stopping criterion",
        )

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        gp = group.params
        runs = []
        for model in group.models:
            for n in gp.n_train:
                data = replace(group.data, n_train=n) if n else group.data
                for w in gp.widths:
                    m = replace(model, width=w)
                    for seeds in group.seeds:
                        for p in gp.corruption:
                            rp = RunParams(p=p, width=w, n_train=data.n_train, **carry(Settings, gp))
                            label = f"w{w} n{data.n_train or 'all'} p={p:g}"
                            if len(group.models) > 1:
                                label = f"d{model.depth} {label}"
                            label += group.seed_tag(seeds)
                            runs.append(RunSpec(self.name, label, data, m, group.train_for(m), seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return fused_jobs(runs, on_gpu)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return tables(runs)

    def claims(self) -> tuple:
        return CLAIMS
