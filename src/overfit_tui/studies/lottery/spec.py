"""Study 6: the lottery ticket hypothesis (Frankle & Carbin 2019, "The lottery ticket hypothesis:
finding sparse, trainable neural networks", Fig. 1, 3, 4), by iterative magnitude pruning.

Round 0 trains the dense net from θ₀. Each later round prunes a fraction of the remaining
weights of the previous round's trained ticket, smallest magnitude first (per layer: the paper's
20 % of hidden layers and 10 % of the output layer; or globally over the non-output layers, as
open_lth), rewinds the survivors to θ₀ (or to their value at step k of the dense run:
Frankle et al. 2020) and trains again. At every sparsity two controls train stacked with the
ticket: the same mask from a fresh random init ('reinit', the paper's random reinitialization)
and a random mask with the ticket's per-layer counts from θ₀ ('random', open_lth's
randomly_prune). Masks are re-applied after every optimizer step, so masked weights stay
exactly zero whatever the optimizer's state. A validation split held out of the training set
gives the early-stopping point (minimum validation loss, checked every `val_every` steps) and
the test accuracy there.

One run per (round, arm, seed); a job is one seed's chain of rounds. Each run's mask and its
starting weights ('mask', 'theta0') are saved as checkpoints as soon as the previous round ends,
and the ticket's trained weights ('final') when it ends, so a job that restarts with the runs it
had left resumes at its last completed round; a run restarted alone without them replays the
tickets of the earlier rounds (deterministic on CPU) to rebuild its mask.

Glorot-uniform init (the paper's) is the model's `init = "glorot_uniform"` in every preset.
Deviations: with rewinding (k > 0) pruned nets train the full budget from θ_k with a fresh
optimizer and the data order from the start (open_lth continues from step k); the MNIST-1D
authors' notebook prunes biases too and uses a residual MLP (here: plain MLP, biases optional).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.engine.sizes import prunable_sizes
from overfit_tui.studies.base import Figure, RunData, Study, Table
from overfit_tui.studies.lottery.claims import CLAIMS
from overfit_tui.studies.replicates import scalar_series, series_of, stat
from overfit_tui.studies.shared.imp_counts import expected_remaining
from overfit_tui.studies.shared.jobs import seed_jobs

Arm = Literal["ticket", "reinit", "random"]
Strategy = Literal["layerwise", "global"]

TRAIN_SIZE = {"mnist1d": 4000, "mnist": 60_000, "fashion-mnist": 60_000, "cifar10": 50_000}


def input_shape(d) -> tuple[int, ...]:
    """The shape of one sample of data set `d` (a DataSpec), as the runner feeds it."""
    if d.name == "mnist1d":
        return (1, 40)
    if d.name == "gaussian":
        return (1, d.gaussian_dim)
    c, side = (3, 32) if d.name == "cifar10" else (1, 28)
    side = min(d.crop, side) if d.crop else side
    return (c, side, side)


def num_classes(d) -> int:
    return d.gaussian_classes if d.name == "gaussian" else 10


def prunable(group: GroupSpec, biases: bool) -> list[tuple[str, int]]:
    """The group's model's prunable layers as (kind, entries), counted without building it."""
    return prunable_sizes(group.models[0], input_shape(group.data), num_classes(group.data), biases)


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    rate_fc: float = field(
        0.2, "fraction of a hidden fully-connected layer's remaining weights pruned per round", range="[0, 1)"
    )
    rate_conv: float = field(
        0.1, "fraction of a conv layer's remaining weights pruned per round (Conv-6: 0.15)", range="[0, 1)"
    )
    rate_output: float = field(
        0.1, "fraction of the output layer's remaining weights pruned per round (0 = never)", range="[0, 1)"
    )
    strategy: Strategy = field(
        "layerwise", "layerwise (the paper) or global over all non-output layers at rate_fc (open_lth)"
    )
    prune_biases: bool = field(False, "prune biases with their layer's weights (the MNIST-1D notebook does)")
    rewind_step: int = field(
        0, "rewind survivors to their value at this step of the dense run (0 = θ₀, the paper)", range="[0, 1e9]"
    )
    val_size: int = field(
        500, "training samples held out for early stopping (the paper: 5,000 of MNIST's 60,000)", range="[1, 1e6]"
    )
    val_every: int = field(100, "steps between validation evaluations (the paper: 100 iterations)", range="[1, 1e9]")


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    rounds: int = field(
        20, "pruning rounds after the dense round 0 (0.8^20 ≈ 1.2 % of weights left at 20 %)", range="[0, 1000]"
    )
    controls: tuple[Literal["reinit", "random"], ...] = field(
        ("reinit", "random"), "controls at every sparsity: reinit (same mask, fresh init), random (random mask)"
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    """The IMP schedule, the controls and the early-stopping split of one group."""

    def __post_init__(self):
        check(self.rounds >= 0, "rounds", "must be >= 0")
        for key in ("rate_fc", "rate_conv", "rate_output"):
            check(0 <= getattr(self, key) < 1, key, "must be in [0, 1)")
        check(self.rewind_step >= 0, "rewind_step", "must be >= 0")
        check(len(set(self.controls)) == len(self.controls), "controls", "lists a control twice")
        check(self.val_size > 0, "val_size", "must be > 0 (early stopping needs a validation split)")
        check(self.val_every > 0, "val_every", "must be > 0")


@dataclass(frozen=True)
class RunParams(Settings):
    """One (round, arm): everything a run needs to rebuild its mask on its own."""

    round: int = field(0, "pruning round (0 = dense)", range="[0, 1000]")
    arm: Arm = field("ticket", "ticket (rewound survivors), reinit (same mask, new init) or random (random mask)")
    remaining: float = field(1.0, "fraction of prunable weights left at this round", range="[0, 1]")

    @property
    def rates(self) -> dict[str, float]:
        return {"fc": self.rate_fc, "conv": self.rate_conv, "output": self.rate_output}


ARM_NAMES = {"ticket": "winning ticket", "reinit": "random reinit", "random": "random pruning"}


class Lottery(Study):
    name = "lottery"
    title = "Lottery tickets: iterative magnitude pruning"
    paper = "Frankle & Carbin 2019: The lottery ticket hypothesis: finding sparse, trainable neural networks"
    pane = "lottery_tickets"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("remaining", "weights left", "%", ".3g", priority=1),
        Field("early_stop_test_acc", "test acc (early stop)", "%", ".1f", "higher", priority=1),
        TRAIN_FIELDS["final_test_acc"],
        Field("early_stop_step", "early-stop step", "", "d", "lower", priority=1),
        Field("min_val_loss", "min val loss", "", ".3g", "lower", priority=3),
        TRAIN_FIELDS["final_train_acc"],
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 256, "depth": 2, "init": "glorot_uniform"}],
            "train": {
                "optimizer": "adam",
                "lr": 2e-3,
                "lr_decay": 1.0,
                "batch_size": 100,
                "epochs": 10_000,
                "max_steps": 2000,
                "target_train_acc": 0.0,
                "log_every": 50,
            },
            "seeds": [0, 1],
        }

    def validate(self, group: GroupSpec) -> None:
        check(len(group.models) == 1, "models", "a lottery group prunes one architecture")
        check(group.train.target_train_acc == 0, "train.target_train_acc", "IMP trains every round for the budget: 0")
        n = group.data.n_train or TRAIN_SIZE.get(group.data.name, 0)
        if n:
            check(group.params.val_size < n, "params.val_size", f"must leave training samples (n_train = {n})")
        if group.train.max_steps:
            check(
                group.params.rewind_step < group.train.max_steps,
                "params.rewind_step",
                f"must be below train.max_steps ({group.train.max_steps}): the dense run must reach it",
            )
        layers = prunable(group, group.params.prune_biases)
        check(bool(layers), "models", f"{group.models[0].name} has no Linear or Conv layer to prune")

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        base = RunParams(**{k: getattr(p, k) for k in RunParams.__dataclass_fields__ if hasattr(p, k)})
        sizes = prunable(group, p.prune_biases)
        runs = []
        for seeds in group.seeds:
            for r in range(p.rounds + 1):
                left = expected_remaining(sizes, base.rates, r, p.strategy)
                for arm in ("ticket", *p.controls) if r else ("ticket",):
                    rp = replace(base, round=r, arm=arm, remaining=left)
                    runs.append(
                        RunSpec(
                            self.name,
                            _label(rp) + group.seed_tag(seeds),
                            group.data,
                            group.models[0],
                            group.train_for(group.models[0]),
                            seeds,
                            rp,
                        )
                    )
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return seed_jobs(runs)  # a chain per seed: each round's mask comes from the previous ticket

    def claims(self) -> tuple:
        return CLAIMS

    # -- the pane ------------------------------------------------------------------
    def figures(self, runs: list[RunData]) -> list[Figure]:
        done = _finished(runs)
        pct = lambda r: 100 * r.params.remaining
        xl = "% of weights remaining (log)"
        dense = [r for r in done if r.params.round == 0]
        dense_acc = stat(dense, "early_stop_test_acc")
        hl = ((dense_acc.mean, "dense (early stop)"),) if dense_acc else ()
        figs = []
        for key, title, ylab in (
            ("early_stop_test_acc", "Test accuracy at early stop", "test accuracy"),
            ("final_test_acc", "Test accuracy at the end of training", "test accuracy"),
            ("early_stop_step", "Early-stop iteration (min validation loss)", "iteration"),
        ):
            series = tuple(
                scalar_series(ARM_NAMES[arm], _arm(done, arm), pct, lambda r, k=key: r.summary.get(k))
                for arm in ("ticket", "reinit", "random")
                if _arm(done, arm, with_dense=False)
            )
            figs.append(Figure(key, title, xl, ylab, series, xlog=True, hlines=hl if "acc" in key else ()))
        figs.append(
            Figure(
                "curves",
                "Winning tickets: test accuracy during training",
                "iteration",
                "test accuracy",
                series_of(_curve_rounds(runs), "eval", "test_acc"),
            )
        )
        return figs

    def tables(self, runs: list[RunData]) -> list[Table]:
        acc, step = self.field("early_stop_test_acc"), self.field("early_stop_step")
        rows = []
        by_round: dict[int, list[RunData]] = {}
        for r in _finished(runs):
            by_round.setdefault(r.params.round, []).append(r)
        for rnd in sorted(by_round):
            rs = by_round[rnd]
            arm = {a: [r for r in rs if r.params.arm == a] for a in ("ticket", "reinit", "random")}
            rows.append(
                (
                    str(rnd),
                    f"{100 * rs[0].params.remaining:.3g}",
                    acc.format(stat(arm["ticket"], "early_stop_test_acc")),
                    acc.format(stat(arm["reinit"], "early_stop_test_acc")),
                    acc.format(stat(arm["random"], "early_stop_test_acc")),
                    acc.format(stat(arm["ticket"], "final_test_acc")),
                    step.format(stat(arm["ticket"], "early_stop_step")),
                    step.format(stat(arm["reinit"], "early_stop_step")),
                )
            )
        cols = (
            "round",
            "% weights",
            "ticket (early stop)",
            "reinit (early stop)",
            "random (early stop)",
            "ticket (final)",
            "ticket early-stop iter",
            "reinit early-stop iter",
        )
        return [Table("Iterative magnitude pruning (Frankle & Carbin 2019, Fig. 1/4)", cols, tuple(rows))]


def _finished(runs: list[RunData]) -> list[RunData]:
    """Runs that trained their whole budget (a cancelled run's numbers are partial)."""
    return [r for r in runs if r.status == Status.FINISHED and r.summary.get("final_test_acc") is not None]


def _label(rp: RunParams) -> str:
    if rp.round == 0:
        return "r00 dense 100%"
    return f"r{rp.round:02d} {rp.arm} {100 * rp.remaining:.3g}%"


def _arm(runs: list[RunData], arm: str, with_dense: bool = True) -> list[RunData]:
    """An arm's runs; the dense round counts for every arm (all three lines start from it)."""
    return [r for r in runs if (r.params.arm == arm and r.params.round > 0) or (with_dense and r.params.round == 0)]


def _curve_rounds(runs: list[RunData], most: int = 5) -> list[RunData]:
    """Ticket runs of a few rounds spread evenly in log(% remaining): the paper's Fig. 3 lines."""
    tickets = [r for r in runs if r.params.arm == "ticket" and r.events]
    rounds = sorted({r.params.round: r.params.remaining for r in tickets}.items())
    if len(rounds) > most:
        logs = [math.log(left) for _, left in rounds]
        targets = [logs[0] + (logs[-1] - logs[0]) * j / (most - 1) for j in range(most)]
        keep = {min(rounds, key=lambda rl: abs(math.log(rl[1]) - t))[0] for t in targets}
    else:
        keep = {rnd for rnd, _ in rounds}
    return [r for r in tickets if r.params.round in keep]
