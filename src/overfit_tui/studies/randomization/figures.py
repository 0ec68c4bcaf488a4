"""The randomization tests' figures (Zhang et al. 2017, Fig. 1): training loss, time to fit
and test error against the label corruption."""

from __future__ import annotations

from overfit_tui.studies.base import Figure, RunData
from overfit_tui.studies.replicates import scalar_series, series_of


def figures(runs: list[RunData]) -> list[Figure]:
    loss = Figure("loss", "Training loss", "step", "train loss", series_of(runs, "step", "train_loss"))
    fit, err = [], []
    by_model: dict[str, list[RunData]] = {}
    for r in runs:
        if r.params.condition == "labels":
            by_model.setdefault(_model_label(r), []).append(r)
    for model, rs in by_model.items():
        p = lambda r: r.params.p
        fit.append(scalar_series(model, rs, p, lambda r: _thousands(r.summary.get("steps_to_fit"))))
        err.append(scalar_series(model, rs, p, lambda r: _error(r.summary.get("final_test_acc"))))
    return [
        loss,
        Figure("fit", "Time to fit vs label corruption", "label corruption p", "thousand steps to fit", tuple(fit)),
        Figure(
            "error",
            "Test error vs label corruption",
            "label corruption p",
            "test error",
            tuple(err),
            hlines=((0.9, "chance (10 classes)"),),
        ),
    ]


def _thousands(v):
    return None if v is None else v / 1000


def _error(acc):
    return None if acc is None else 1 - acc


def _model_label(r: RunData) -> str:
    return r.model.label
