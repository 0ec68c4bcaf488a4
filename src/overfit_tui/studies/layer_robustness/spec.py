"""Study 5: are all layers created equal? (Zhang, Bengio, Singer 2019; JMLR 2022.)

Train a model, saving its weights at chosen epochs (0 = the initialization, through an
`on_start` hook; the others through `on_epoch_end`), then, for every weight layer (a
convolution or linear layer: its weight and bias), with all other layers at their final values:

- re-initialization: set the layer to its checkpoint at epoch t, for each saved t;
- re-randomization: draw the layer afresh from its own initializer (a model built from a new
  seed: the same distribution as at epoch 0, not uniform noise), several draws for a spread;

and evaluate without further training, in eval mode (dropout off, BatchNorm on its running
statistics), on the full train and test sets. Robustness of a layer = the test error after the
operation minus the final model's; a layer is robust below a threshold the user sets (the
paper plots the raw error: the pane shows both). With BatchNorm, `bn_travels` says whether the
BatchNorm after a layer (scale, shift and running statistics) is replaced with it (default)
or stays at its final values.

Checkpoints go through the context (`ctx.save_checkpoint`, weights-only `torch.load` when
read back), so a stored run keeps them under its folder. Evaluations are batched: all variants
of one layer in one vmapped pass (surgery.py), each layer's cells streamed as points.

Deviations: the CPU preset is MNIST-1D (MLP 3x256 and the 1-D CNN, SGD, 60 epochs), not MNIST;
the MNIST preset uses Lilian Weng's optimizer (Adam 5e-4) so her numbers are a reference, and
runs on the 4k subset on CPU. Her script re-randomized with uniform [0, 1) noise and evaluated
with dropout on, both of which this study avoids on purpose. No ResNets.
"""

from __future__ import annotations

from dataclasses import dataclass

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Study, Table, carry
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.layer_robustness.claims import CLAIMS
from overfit_tui.studies.layer_robustness.figures import layer_figures, layer_tables
from overfit_tui.studies.shared.jobs import fused_jobs

REDRAW_SEED = 1_000_003  # re-randomization seeds: REDRAW_SEED * (init seed + 1) + draw, never an init seed


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    checkpoints: tuple[int, ...] = field(
        (0, 1, 2, 3, 5, 10, 20, 40),
        "epochs whose weights are saved; every layer is re-initialized to each (0 = init)",
        range="[0, 1e6]",
    )
    draws: int = field(
        3, "re-randomization draws per layer (fresh seeds of the layer's own initializer)", range="[1, 1000]"
    )
    threshold: float = field(
        0.05, "a layer is robust when the operation raises test error by at most this (0.05 = 5 points)", range="[0, 1]"
    )
    bn_travels: bool = field(
        True,
        "BatchNorm after a layer (scale, shift, running stats) is replaced with it; false: it keeps its final values",
    )
    eval_chunk: int = field(
        16384, "samples x variants per evaluation pass (bounds memory; larger is faster)", range="[1, 1e9]"
    )


@dataclass(frozen=True)
class Params(Settings):
    """What a layer-robustness group saves and evaluates."""

    def __post_init__(self):
        check(0 in self.checkpoints, "checkpoints", "must include 0 (the initialization)")
        check(all(t >= 0 for t in self.checkpoints), "checkpoints", "epochs must be >= 0")
        check(len(set(self.checkpoints)) == len(self.checkpoints), "checkpoints", "an epoch is listed twice")
        check(self.draws >= 1, "draws", "must be >= 1")
        check(0 <= self.threshold <= 1, "threshold", "must be in [0, 1] (a test-error difference)")
        check(self.eval_chunk > 0, "eval_chunk", "must be > 0")


@dataclass(frozen=True)
class RunParams(Settings):
    """One trained model and its layer operations (the group's settings)."""


def checkpoint_name(epoch: int) -> str:
    return f"epoch-{epoch:04d}"


def _summary(final_te: float, reinit0: dict, rerand: dict, threshold: float, variants: int) -> dict:
    later = [e for i, e in reinit0.items() if i > 0]
    return {
        "final_test_err": final_te,
        "reinit0_first_err": reinit0.get(0),
        "reinit0_later_err": max(later) if later else None,
        "rerand_min_err": min(sum(v) / len(v) for v in rerand.values()) if rerand else None,
        "critical_layers": sum(e - final_te > threshold for e in reinit0.values()),
        "variants": variants,
    }


class LayerRobustness(Study):
    name = "layer_robustness"
    title = "Layer robustness: re-initialization and re-randomization"
    paper = "Zhang, Bengio, Singer 2019: Are all layers created equal?"
    pane = "layer_robustness"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        # test errors: the final model; layer 1 re-initialized to epoch 0; the worst other layer
        # re-initialized to epoch 0; the least harmful re-randomization (mean over draws)
        Field("final_test_err", "test err", "%", ".1f", "lower", priority=1),
        Field("reinit0_first_err", "layer 1 reset to 0", "%", ".1f", priority=1),
        Field("reinit0_later_err", "worst other reset to 0", "%", ".1f", "lower", priority=1),
        Field("rerand_min_err", "best re-randomized", "%", ".1f", priority=2),
        Field("critical_layers", "critical layers", "", "d", priority=2),  # reset to epoch 0 costs > threshold
        TRAIN_FIELDS["seconds"],
        Field("eval_seconds", "evaluation time", "s", ".3g", "lower", priority=3),
        Field("variants", "variants evaluated", "", "d", priority=4),
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 256, "depth": 3}],
            "train": {
                "optimizer": "adam",
                "lr": 0.001,
                "lr_decay": 1.0,
                "batch_size": 100,
                "epochs": 100,
                "target_train_acc": 0.0,  # train every epoch: later checkpoints must exist
            },
            "seeds": [0],
        }

    def validate(self, group: GroupSpec) -> None:
        last = max(group.params.checkpoints)
        check(last < group.train.epochs, "params.checkpoints", f"epoch {last} is not before train.epochs")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        rp = RunParams(**carry(Settings, p))
        return [
            RunSpec(self.name, model.label + group.seed_tag(seeds), group.data, model, group.train, seeds, rp)
            for model in group.models
            for seeds in group.seeds
        ]

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return fused_jobs(runs, on_gpu)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        return layer_figures(runs)

    def tables(self, runs: list[RunData]) -> list[Table]:
        return layer_tables(runs)

    def claims(self) -> tuple[Claim, ...]:
        return CLAIMS
