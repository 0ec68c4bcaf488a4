"""The complexity measures of any finished runs from their saved weights (runner side: torch).

Every run trained through the shared loop keeps its initial and final weights, the labels it
trained on and a fingerprint of its training inputs (engine/checkpoints.py, `KeepWeights`).
`measure_runs` rebuilds each run's net from its model spec and init seed, loads the final
weights, rebuilds its training inputs from its data spec and checks them against the
fingerprint, then takes the complexity study's own measures (train.measure_all, with the
study's default Settings). The data-free measures (parameters, norms, distance from init,
spectral product) need only the weights; the others need the training set: where its inputs
cannot be rebuilt (Zhang et al.'s input randomizations, a held-out split) they are None and
the row says why. A run without weights (trained before they were kept, too large, a study
with its own loop or no net) is a row with a note, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

import torch

from overfit_tui.core.specs import DataSpec
from overfit_tui.core.status import Status
from overfit_tui.engine.checkpoints import (
    WEIGHTS_DATA,
    WEIGHTS_FINAL,
    WEIGHTS_INIT,
    fingerprint,
    load_checkpoint,
    same_inputs,
)
from overfit_tui.engine.data import prepare
from overfit_tui.engine.models import build_model
from overfit_tui.studies.complexity import measures as M
from overfit_tui.studies.complexity.fields import MEASURE_KEYS
from overfit_tui.studies.complexity.spec import Settings
from overfit_tui.studies.complexity.table import NO_NET, MeasureRow, MeasureTable, RunInput, rank
from overfit_tui.studies.complexity.train import measure_all

DATA_FREE = ("n_params", "l2_norm", "dist_init", "log_prod_spec")


def _files(folder: Path) -> dict[str, Path]:
    return {n: Path(folder) / "checkpoints" / f"{n}.pt" for n in (WEIGHTS_INIT, WEIGHTS_FINAL, WEIGHTS_DATA)}


def has_weights(folder: Path) -> bool:
    return all(p.is_file() for p in _files(folder).values())


def _data_free(model, init: dict) -> dict:
    return {
        "n_params": M.param_count(model),
        "l2_norm": M.l2_norm(model),
        "dist_init": M.dist_from_init(model, init),
        "log_prod_spec": M.log_prod(M.spectral_norms(model)),
    }


@lru_cache(maxsize=2)
def _data(spec: DataSpec, data_dir: Path, cache_dir: Path):
    """A group's data once, not once per run (the runs of a group share it)."""
    return prepare(spec, data_dir, cache_dir, download_ok=False)


def settings_of(run: RunInput) -> Settings:
    """How the measures are taken: a complexity run's own settings, the study's defaults otherwise."""
    own = run.params if run.study == "complexity" else {}
    return Settings(**{f.name: own[f.name] for f in fields(Settings) if f.name in own})


def measure_one(run: RunInput, data_dir: Path, cache_dir: Path) -> MeasureRow:
    """One run's row: its measures from its saved weights, or a note saying why there are none."""

    def row(values: dict | None = None, note: str = "") -> MeasureRow:
        return MeasureRow(run.run_id, run.label, run.study, run.gap, values or {}, note)

    if run.study in NO_NET:
        return row(note="n/a: no trained net (closed form)")
    if run.status != Status.FINISHED:
        return row(note=f"not finished ({run.status})")
    files = _files(run.folder)
    if not has_weights(run.folder):
        why = run.summary.get("weights")
        return row(note=f"no weights ({why})" if isinstance(why, str) and why != "saved" else "no weights")
    try:
        init = load_checkpoint(files[WEIGHTS_INIT])
        final = load_checkpoint(files[WEIGHTS_FINAL])
        saved = load_checkpoint(files[WEIGHTS_DATA])
        ds = _data(run.data, Path(data_dir), Path(cache_dir))
        model = build_model(run.model, ds.input_shape, ds.num_classes, run.init_seed)
        model.load_state_dict(final)
    except Exception as e:  # unreadable file, data not here, weights of another architecture
        return row(note=f"n/a: {type(e).__name__}: {str(e).splitlines()[0][:160]}")
    model.eval()
    if set(init) != set(final):
        return row(note="n/a: initial and final weights differ in layout")
    values = _data_free(model, init)
    if not same_inputs(saved["x_fingerprint"], fingerprint(ds.x_train)) or len(saved["y_train"]) != len(ds.x_train):
        values.update({k: None for k in MEASURE_KEYS if k not in DATA_FREE})
        return row(values, "inputs transformed or split: data-free measures only")
    out = measure_all(model, init, ds.x_train, saved["y_train"].long(), settings_of(run), run.init_seed)
    out = {k: out.get(k) for k in MEASURE_KEYS}
    missing = [k for k, v in out.items() if v is None]
    note = f"margin <= 0: {len(missing)} bounds void" if missing else ""
    return row(out, note)


def measure_runs(
    runs: list[RunInput],
    data_dir: Path,
    cache_dir: Path | None = None,
    progress: Callable[[int, MeasureRow], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> MeasureTable:
    """The table of `runs`: a row each (in order), then each measure's tau with the gap over the
    measured rows. `progress(i, row)` is called as each row is done; `cancelled()` stops early."""
    rows = []
    for i, run in enumerate(runs):
        if cancelled is not None and cancelled():
            break
        with torch.random.fork_rng(devices=[]):
            r = measure_one(run, Path(data_dir), Path(cache_dir or data_dir))
        rows.append(r)
        if progress is not None:
            progress(i, r)
    finite = [r for r in rows if all(v is None or math.isfinite(v) for v in r.values.values())]
    return MeasureTable(tuple(rows), rank(finite))
