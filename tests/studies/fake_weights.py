"""Weights for a recorded run (the UI and CLI tests' finished store has none): its model built
from its spec and init seed as `init`, `init` moved by seeded noise as `final`, its data spec's
labels and input fingerprint, written where a worker writes them (checkpoints/weights/)."""

from __future__ import annotations

import torch

from overfit_tui.core.records import RunRecord
from overfit_tui.engine.checkpoints import WEIGHTS_DATA, WEIGHTS_FINAL, WEIGHTS_INIT, fingerprint, save_checkpoint
from overfit_tui.engine.data import prepare
from overfit_tui.engine.models import build_model


def give_weights(home, rec: RunRecord, scale: float) -> dict:
    """Write weights for stored run `rec`; returns the final state."""
    spec = rec.spec
    ds = prepare(spec.data, home.data_dir, home.data_dir)
    init = build_model(spec.model, ds.input_shape, ds.num_classes, spec.seeds.init).state_dict()
    g = torch.Generator().manual_seed(spec.seeds.init + 17)
    final = {k: v + scale * torch.randn(v.shape, generator=g) for k, v in init.items()}
    folder = home.run_dir(rec.id)
    save_checkpoint(folder, WEIGHTS_INIT, init)
    save_checkpoint(folder, WEIGHTS_FINAL, final)
    save_checkpoint(folder, WEIGHTS_DATA, {"y_train": ds.y_train, "x_fingerprint": fingerprint(ds.x_train)})
    return final
