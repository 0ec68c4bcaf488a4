"""The BatchNorm study's figures and tables (Santurkar et al. 2018, Fig. 1 and 4): accuracy per
learning rate, and the landscape probes (loss range, gradient predictiveness, beta-smoothness)
over training; the run readers its claims share (model_of, norm_of, lr_of)."""

from __future__ import annotations

from overfit_tui.core.schema import Field, Stat
from overfit_tui.core.status import Status
from overfit_tui.engine.declarations import TRAIN_FIELDS
from overfit_tui.studies.base import Figure, RunData, Series, Table
from overfit_tui.studies.replicates import replicate_series, replicates, scalar_series, stat

NORM_LABELS = {"none": "standard", "bn": "+BN", "noisy_bn": "+noisy BN"}  # the paper's legend, short

FIELDS = {
    f.key: f
    for f in (
        Field("loss_range", "loss range", "", ".3g", "lower", priority=1),
        Field("grad_change", "gradient change", "", ".3g", "lower", priority=2),
        Field("beta", "beta-smoothness", "", ".3g", "lower", priority=1),
        Field("probes", "probes", "", "d", priority=5),
    )
}


def figures(runs: list[RunData]) -> list[Figure]:
    figs = [_accuracy_vs_lr(runs)]
    for model, lr, rs in _panels(runs):
        where = f"{model}, lr={lr:g}"
        tag = f"{model}-{lr:g}".replace(" ", "")
        figs += [
            Figure(
                f"range-{tag}",
                f"Loss along -g, min and max over eta ({where})",
                "step",
                "loss L(w - eta g)",
                _edges(rs, "loss_min", "loss_max"),
            ),
            Figure(
                f"grad-{tag}",
                f"Gradient predictiveness, min and max over eta ({where})",
                "step",
                "||grad L(w - eta g) - grad L(w)||",
                _edges(rs, "grad_change_min", "grad_change_max"),
            ),
            Figure(
                f"beta-{tag}",
                f"Effective beta-smoothness ({where})",
                "step",
                "max ||grad change|| / ||eta g||",
                _lines(rs, "beta"),
                ylog=True,
            ),
        ]
    return figs


def tables(runs: list[RunData]) -> list[Table]:
    """Cells are formatted strings (mean ± std over seeds): the pane and the CLI print cells as they are."""
    lrs = sorted({lr_of(r) for r in runs})
    acc, land = [], []
    train_f, test_f = TRAIN_FIELDS["final_train_acc"], TRAIN_FIELDS["final_test_acc"]
    by_net: dict[tuple[str, str], dict[float, list[RunData]]] = {}
    for r in runs:
        by_net.setdefault((model_of(r), norm_of(r)), {}).setdefault(lr_of(r), []).append(r)
    for (model, norm), at in by_net.items():
        row: list = [model, NORM_LABELS.get(norm, norm)]
        for lr in lrs:
            rs = at.get(lr, [])
            row += [_acc_cell(rs, "final_train_acc", train_f), _acc_cell(rs, "final_test_acc", test_f)]
        acc.append(tuple(row))
        for lr in sorted(at):
            rs = at[lr]
            land.append(
                (
                    model,
                    NORM_LABELS.get(norm, norm),
                    f"{lr:g}",
                    *(FIELDS[k].format(stat(rs, k)) for k in ("loss_range", "grad_change", "beta")),
                )
            )
    cols = ("model", "network", *(c for lr in lrs for c in (f"train lr={lr:g}", f"test lr={lr:g}")))
    landscape = Table(
        "Landscape along the gradient, mean over probes (Santurkar et al. 2018, Fig. 4): lower is smoother",
        ("model", "network", "lr", "loss range", "gradient change", "beta-smoothness"),
        tuple(land),
        (None, None, None, FIELDS["loss_range"], FIELDS["grad_change"], FIELDS["beta"]),
    )
    return [Table("Final accuracy per learning rate (Fig. 1)", cols, tuple(acc)), landscape]


def _acc_cell(rs: list[RunData], key: str, f: Field) -> str:
    """Mean ± std over seeds, with the runs that diverged (NaN loss) counted."""
    if not rs:
        return "-"
    diverged = sum(r.status == Status.DIVERGED for r in rs)
    ok = [r for r in rs if r.status != Status.DIVERGED]
    cell = f.format(Stat.of([r.summary.get(key) for r in ok])) if ok else Status.DIVERGED.value
    return f"{cell} ({diverged}/{len(rs)} diverged)" if diverged and ok else cell


def model_of(r: RunData) -> str:
    """The model's label (ModelSpec.label)."""
    return r.model.label


def norm_of(r: RunData) -> str:
    return r.params.norm


def lr_of(r: RunData) -> float:
    return r.train.lr


def _panels(runs: list[RunData]) -> list[tuple[str, float, list[RunData]]]:
    """(model, lr, runs) in first-seen model order and increasing lr: one panel of figures each."""
    at: dict[str, dict[float, list[RunData]]] = {}
    for r in runs:
        at.setdefault(model_of(r), {}).setdefault(lr_of(r), []).append(r)
    return [(m, lr, at[m][lr]) for m in at for lr in sorted(at[m])]


def _probe_curve(r: RunData, key: str) -> tuple[tuple, tuple]:
    pts = [(e["x"], e["values"].get(key)) for e in r.points("probe")]
    pts = [(x, y) for x, y in pts if isinstance(y, (int, float))]
    return tuple(x for x, _ in pts), tuple(y for _, y in pts)


def _probe_series(rs: list[RunData], key: str, name: str) -> Series | None:
    """A probe value over training: one run's curve, or the mean over seeds with a min-max band."""
    return replicate_series(name, [c for c in (_probe_curve(r, key) for r in rs) if c[0]])


def _by_norm(rs: list[RunData]) -> list[tuple[str, list[RunData]]]:
    order = {n: i for i, n in enumerate(NORM_LABELS)}
    groups = [(NORM_LABELS.get(norm_of(g[0]), norm_of(g[0])), g) for _, g in replicates(rs)]
    return sorted(groups, key=lambda ng: order.get(norm_of(ng[1][0]), 9))


def _edges(rs: list[RunData], lo_key: str, hi_key: str) -> tuple[Series, ...]:
    """The band of a probe value over eta, drawn as its two edges per network (the pane draws lines)."""
    out = []
    for name, g in _by_norm(rs):
        for key, edge in ((hi_key, "max"), (lo_key, "min")):
            s = _probe_series(g, key, f"{name} {edge}")
            if s is not None:
                out.append(s)
    return tuple(out)


def _lines(rs: list[RunData], key: str) -> tuple[Series, ...]:
    return tuple(s for name, g in _by_norm(rs) if (s := _probe_series(g, key, name)) is not None)


def _accuracy_vs_lr(runs: list[RunData]) -> Figure:
    series = []
    nets: dict[str, list[RunData]] = {}
    for r in runs:
        nets.setdefault(f"{model_of(r)} {NORM_LABELS.get(norm_of(r), norm_of(r))}", []).append(r)
    for name, rs in nets.items():
        series.append(scalar_series(name, rs, lr_of, lambda r: _finished_acc(r)))
    return Figure(
        "acc-lr",
        "Final test accuracy vs learning rate (Fig. 1: BN trains at larger rates)",
        "learning rate",
        "test accuracy",
        tuple(series),
        xlog=True,
        hlines=((0.1, "chance (10 classes)"),),
    )


def _finished_acc(r: RunData) -> float | None:
    """A run's final test accuracy; a diverged run counts as chance (it did not train)."""
    return 0.1 if r.status == Status.DIVERGED else r.summary.get("final_test_acc")
