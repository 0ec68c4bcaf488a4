"""What a training job is made of and what it returns: `Member` (one run's model and its
device-resident data), `TrainResult` (how it ended) and `TRAIN_FIELDS` (the summary fields
every trained run reports, declared once: studies list the ones their tables show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from overfit_tui.core.schema import Field

# The summary fields every trained run reports (studies list the ones their tables show).
TRAIN_FIELDS = {
    f.key: f
    for f in (
        Field("final_train_acc", "train acc", "%", ".1f", "higher", priority=1),
        Field("final_test_acc", "test acc", "%", ".1f", "higher", priority=1),
        Field("final_train_loss", "train loss", "", ".3g", "lower", priority=3),
        Field("final_test_loss", "test loss", "", ".3g", "lower", priority=2),
        Field("steps_to_fit", "steps to fit", "", "d", "lower", missing="not fitted", priority=1),
        Field("epochs_to_fit", "epochs to fit", "", ".3g", "lower", missing="not fitted", priority=3),
        Field("seconds_to_fit", "time to fit", "s", ".3g", "lower", missing="not fitted", priority=3),
        Field("best_train_acc", "best train acc", "%", ".1f", "higher", priority=3),
        Field("steps", "steps", "", "d", priority=4),
        Field("epochs", "epochs", "", ".4g", priority=3),
        Field("seconds", "time", "s", ".3g", "lower", priority=4),
        Field("last_finite_epoch", "last finite eval (epoch)", "", ".4g", priority=5),
    )
}


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

    status: Literal["finished", "diverged", "cancelled"] = "finished"
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
