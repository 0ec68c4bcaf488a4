"""What the engine declares that study descriptions read, torch-free: the summary fields every
trained run reports (TRAIN_FIELDS) and the subspace projection kinds (PROJECTION_KINDS).
The torch modules re-export them (engine/members.py, engine/projections.py)."""

from __future__ import annotations

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

# The random projections of engine/projections.py (Li et al. 2018: dense, sparse, Fastfood).
PROJECTION_KINDS = ("dense", "sparse", "fastfood")
