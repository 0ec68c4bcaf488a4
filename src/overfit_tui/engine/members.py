"""What a training job is made of and what it returns: `Member` (one run's model and its
device-resident data), `TrainResult` (how it ended) and `TRAIN_FIELDS` (the summary fields
every trained run reports, declared once: studies list the ones their tables show)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from overfit_tui.core.status import Status
from overfit_tui.engine.declarations import TRAIN_FIELDS  # noqa: F401 (declared torch-free, re-exported)


@dataclass
class Member:
    """One run's model and (device-resident) data inside a training job.

    `run` names the member to hooks (the run's index in the study's job; -1 = its position).
    `seed` seeds the member's dropout and augmentation draws (-1 = its order seed)."""

    model: nn.Module
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    order_seed: int
    run: int = -1
    seed: int = -1


@dataclass
class TrainResult:
    """How one member's training ended, and its last evaluation."""

    status: Status = Status.FINISHED  # FINISHED, DIVERGED or CANCELLED
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0
    fit_step: int | None = None
    fit_epoch: float | None = None
    fit_seconds: float | None = None
    best_train_acc: float = 0.0
    final: dict = field(default_factory=dict)  # the last finite evaluation (train/test loss and accuracy)
    final_epoch: float | None = None  # when `final` was evaluated
    last_finite_epoch: float | None = None  # set when the last evaluation was not finite (diverged)
    state: dict | None = None  # final weights, when the caller asked for them
    extra: dict = field(default_factory=dict)  # study fields a hook adds before the run is recorded

    def summary(self) -> dict:
        out = {
            **{f"final_{k}": v for k, v in self.final.items()},
            "steps": self.steps,
            "epochs": round(self.epochs, 3),
            "seconds": round(self.seconds, 2),
            "fitted": self.fit_step is not None,
            "steps_to_fit": self.fit_step,
            "epochs_to_fit": self.fit_epoch,
            "seconds_to_fit": None if self.fit_seconds is None else round(self.fit_seconds, 2),
            "best_train_acc": self.best_train_acc,
        }
        if self.last_finite_epoch is not None:
            out["last_finite_epoch"] = self.last_finite_epoch
        return {**out, **self.extra}
