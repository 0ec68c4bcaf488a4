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

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.members import TRAIN_FIELDS
from overfit_tui.studies.base import ExecContext, Figure, RunData, Study, Table

GAP = Field("gap", "gen. gap", "%", ".1f", "lower", priority=1)
# The measures, each declared once (key, label); every one is "larger = predicts a larger gap".
# Products of norms are reported as log10 (they overflow otherwise; Kendall's tau is rank-based).
MEASURES = (
    Field("n_params", "params", "", "d", priority=2),
    Field("l2_norm", "l2 norm ||w||", "", ".4g", priority=3),
    Field("dist_init", "dist. from init ||w-w0||", "", ".4g", priority=3),
    Field("log_prod_spec", "log10 prod ||W||2", "", ".4g", priority=3),
    Field("log_l2_margin", "log10 prod ||W||F^2/g^2", "", ".4g", priority=3),
    Field("log_path_margin", "log10 path^2/g^2", "", ".4g", priority=3),
    Field("log_spec_bound", "log10 spectral bound", "", ".4g", priority=2),
    Field("log_sharpness", "log10 1/sigma'^2", "", ".4g", priority=2),
    Field("log_pacbayes", "log10 ||w-w0||^2/4sigma'^2", "", ".4g", priority=3),
)
MEASURE_KEYS = tuple(f.key for f in MEASURES)
EXTRA = (
    Field("margin", "margin g (quantile)", "", ".3g", priority=4),
    Field("sigma_prime", "sigma'", "", ".3g", priority=4),
    Field("measure_seconds", "measure time", "s", ".3g", priority=5),
)
HYPER = ("p", "width", "n_train")  # the swept hyperparameters (RunParams fields), Jiang's Theta_i


@dataclass(frozen=True)
class Params:
    """The sweep (label corruption x width x training-set size) and how the measures are taken."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.5, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels); each label redrawn with prob. p",
        range="[0, 1]",
    )
    widths: tuple[int, ...] = field((64, 256, 1024), "hidden units of the MLP, one model per width", range="[1, 1e6]")
    n_train: tuple[int, ...] = field(
        (0,), "training-set sizes (first n after the data's seeded shuffle); 0 = the data spec's", range="[0, 1e6]"
    )
    margin_quantile: float = field(
        0.05, "the margin g is this quantile of the training margins (Neyshabur et al.: 5th percentile)", range="(0, 1)"
    )
    sharp_rise: float = field(
        0.1, "sigma' keeps the mean perturbed training error within this rise (Jiang et al.: 0.1)", range="(0, 1)"
    )
    sharp_draws: int = field(8, "Gaussian perturbations averaged per sigma (drawn once, reused)", range="[1, 1000]")

    def __post_init__(self):
        check(len(self.corruption) > 0 and len(self.widths) > 0, "corruption", "needs a level and a width")
        for i, p in enumerate(self.corruption):
            check(0.0 <= p <= 1.0, f"corruption[{i}]", "must be in [0, 1]")


@dataclass(frozen=True)
class RunParams:
    """One cell of the sweep, and how its measures are taken."""

    p: float = field(0.0, "label corruption probability", range="[0, 1]")
    width: int = field(256, "hidden units", range="[1, 1e6]")
    n_train: int = field(0, "training samples (0 = all the data spec keeps)", range="[0, 1e6]")
    margin_quantile: float = field(0.05, "quantile of the training margins taken as g", range="(0, 1)")
    sharp_rise: float = field(0.1, "allowed rise of the perturbed training error", range="(0, 1)")
    sharp_draws: int = field(8, "perturbations per sigma", range="[1, 1000]")


class ComplexityMeasures(Study):
    name = "complexity"
    title = "Complexity measures vs the generalization gap"
    paper = (
        "Neyshabur, Bhojanapalli, McAllester, Srebro 2017: Exploring generalization in deep learning; "
        "Jiang, Neyshabur, Mobahi, Krishnan, Bengio 2020: Fantastic generalization measures and where to find them"
    )
    pane = "complexity"
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
                            rp = RunParams(p, w, data.n_train, gp.margin_quantile, gp.sharp_rise, gp.sharp_draws)
                            label = f"w{w} n{data.n_train or 'all'} p={p:g}"
                            if len(group.models) > 1:
                                label = f"d{model.depth} {label}"
                            label += group.seed_tag(seeds)
                            runs.append(RunSpec(self.name, label, data, m, group.train_for(m), seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        from overfit_tui.studies.common import fused_jobs  # common.py imports torch (for now)

        return fused_jobs(runs, on_gpu)

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        from overfit_tui.studies.complexity.train import execute

        execute(self, runs, ctx)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        from overfit_tui.studies.complexity.figures import figures

        return figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        from overfit_tui.studies.complexity.figures import tables

        return tables(runs)

    def claims(self) -> tuple:
        from overfit_tui.studies.complexity.claims import CLAIMS

        return CLAIMS
