"""Runner helpers studies share (torch): loading a group's data once, building the randomized
conditions, engine members, and turning engine results into stored summaries."""

from __future__ import annotations

from functools import lru_cache

import torch

from overfit_tui.core.specs import DataSpec, RunSpec
from overfit_tui.core.status import Status
from overfit_tui.engine import transforms as T
from overfit_tui.engine.data import DRAWS, Dataset, prepare
from overfit_tui.engine.hooks import Hook
from overfit_tui.engine.models import build_model
from overfit_tui.engine.train import Member
from overfit_tui.studies.shared.context import ExecContext
from overfit_tui.studies.shared.jobs import INPUT_CONDITIONS, fusable_spec  # noqa: F401 (re-exported)


def load_data(spec: DataSpec, ctx: ExecContext) -> Dataset:
    ds = _load(spec, str(ctx.data_dir), str(ctx.cache_dir), ctx.download_ok)
    ctx.data_provenance = DRAWS.get(spec, {})  # the subset this spec drew: its runs' provenance
    return ds


@lru_cache(maxsize=4)
def _load(spec: DataSpec, data_dir: str, cache_dir: str, download_ok: bool) -> Dataset:
    return prepare(spec, data_dir, cache_dir, download_ok)


def randomize(ds: Dataset, condition: str, p: float, seed: int) -> Dataset:
    """Zhang et al. 2017's conditions, drawn once from `seed`. Test labels are never corrupted.

    condition 'labels' with p = 0 is the true data, p = 1 random labels; the input
    conditions keep the true labels and change the images (train and test alike).
    """
    g = torch.Generator().manual_seed(seed)
    xtr, ytr, xte, yte = ds.x_train, ds.y_train, ds.x_test, ds.y_test
    if condition == "labels":
        if p > 0:
            ytr = T.corrupt_labels(ytr, p, ds.num_classes, g)
    elif condition == "shuffled_pixels":
        perm = T.pixel_permutation(T.num_positions(xtr), g)
        xtr, xte = T.shuffle_pixels(xtr, perm), T.shuffle_pixels(xte, perm)
    elif condition == "random_pixels":
        xtr, xte = T.random_pixels(xtr, g), T.random_pixels(xte, g)
    elif condition == "gaussian":
        mean, std = xtr.mean().item(), xtr.std().item()
        xtr, xte = T.gaussian_like(xtr, mean, std, g), T.gaussian_like(xte, mean, std, g)
    else:
        raise ValueError(f"unknown condition {condition!r}")
    return Dataset(ds.name, xtr, ytr, xte, yte, ds.num_classes)


def make_member(run: RunSpec, ds: Dataset, device: str, index: int = -1) -> Member:
    """Run `index` of a job as an engine member: its model from the init seed, its data on the device."""
    model = build_model(run.model, ds.input_shape, ds.num_classes, run.seeds.init).to(device)
    d = ds.to(device)
    return Member(model, d.x_train, d.y_train, d.x_test, d.y_test, run.seeds.order, run=index)


class AddSummary(Hook):
    """Adds study fields to a run's summary as it ends (put it before the context in `Hooks`)."""

    def __init__(self, extra: dict):
        self.extra = extra

    def on_done(self, run: int, result) -> None:
        result.extra.update(self.extra)


def each_run(runs: list[RunSpec], ctx: ExecContext):
    """Yield (i, run) for a job whose runs train one after another; a stop request cancels the rest."""
    for i, run in enumerate(runs):
        if ctx.should_stop():
            ctx.finish(i, Status.CANCELLED, {})
            continue
        ctx.started(i)
        yield i, run
