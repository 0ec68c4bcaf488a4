"""Metric events a training run emits, one JSON line each in the run's metrics log."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class StepEvent:
    """Mean training loss over the last `log_every` steps."""

    step: int
    epoch: float
    train_loss: float
    lr: float
    wall: float  # seconds since the run started
    samples_per_s: float
    kind: str = "step"


@dataclass(frozen=True)
class EvalEvent:
    """Full train and test evaluation (eval mode, whole sets)."""

    step: int
    epoch: float
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    lr: float
    wall: float
    kind: str = "eval"


@dataclass(frozen=True)
class PointEvent:
    """A study's own point (one x, several named values), e.g. a width or a kernel solve."""

    name: str
    x: float
    values: dict
    wall: float
    kind: str = "point"


Event = StepEvent | EvalEvent | PointEvent


def event_to_dict(event: Event) -> dict:
    return asdict(event)
