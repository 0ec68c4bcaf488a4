"""The summary numbers a connectivity run reports, declared once (tables, charts, exports)."""

from __future__ import annotations

from overfit_tui.core.schema import Field

FIELDS = {
    f.key: f
    for f in (
        Field("width", "width", "", "d", priority=1),
        Field("line_barrier", "line barrier", "nats", ".3g", "lower", priority=1),
        Field("curve_barrier", "curve barrier", "nats", ".3g", "lower", priority=1),
        Field("line_barrier_err", "line barrier (test err)", "%", ".1f", "lower", priority=2),
        Field("curve_barrier_err", "curve barrier (test err)", "%", ".1f", "lower", priority=2),
        Field("aligned_barrier", "aligned line barrier", "nats", ".3g", "lower", priority=3),
        Field("end_gap", "|loss A - loss B|", "nats", ".3g", priority=4),
        Field("end_train_loss", "end train loss", "", ".3g", "lower", priority=3),
        Field("ends_ens_acc", "ensemble A+B", "%", ".1f", "higher", priority=2),
        Field("curve_ens_acc", "curve ensemble", "%", ".1f", "higher", priority=2),
        Field("curve_mid_acc", "curve midpoint", "%", ".1f", "higher", priority=3),
        Field("line_mid_acc", "line midpoint", "%", ".1f", "higher", priority=3),
    )
}
