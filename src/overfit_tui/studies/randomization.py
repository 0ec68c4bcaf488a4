"""Study 1: randomization tests (Zhang et al. 2017, "Understanding deep learning requires
rethinking generalization", Fig. 1 and Table 4).

One run per condition: true labels, labels corrupted with probability p, random labels,
shuffled pixels (one permutation), random pixels (a permutation per image), Gaussian
inputs. The figures: training loss vs steps, steps to fit vs corruption, test error vs
corruption. Same-shaped runs of a group train stacked in one worker (see engine/nets.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

from overfit_tui.core.schema import Stat
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.engine.train import TRAIN_FIELDS, train
from overfit_tui.studies.base import ExecContext, Figure, RunData, Study
from overfit_tui.studies.claims import Claim, chance_margin, finished, fmt_pct, pending, stat_of, verdict
from overfit_tui.studies.common import INPUT_CONDITIONS, fused_jobs, load_data, make_member, randomize
from overfit_tui.studies.replicates import scalar_series, series_of

Condition = Literal["labels", "shuffled_pixels", "random_pixels", "gaussian"]


@dataclass(frozen=True)
class Params:
    """The conditions of one randomization group."""

    corruption: tuple[float, ...] = field(
        (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        "label corruption levels p (0 = true labels, 1 = random labels); each label is redrawn uniformly with prob. p",
        range="[0, 1]",
    )
    inputs: tuple[Condition, ...] = field(
        INPUT_CONDITIONS, "input conditions: shuffled_pixels, random_pixels, gaussian"
    )

    def __post_init__(self):
        for i, p in enumerate(self.corruption):
            check(0.0 <= p <= 1.0, f"corruption[{i}]", "must be in [0, 1]")
        check("labels" not in self.inputs, "inputs", "'labels' is set through corruption")


@dataclass(frozen=True)
class RunParams:
    """One condition."""

    condition: Condition = field("labels", "labels (with corruption p) or an input condition")
    p: float = field(0.0, "label corruption probability (condition 'labels' only)", range="[0, 1]")


def condition_label(rp: RunParams) -> str:
    if rp.condition != "labels":
        return rp.condition.replace("_", " ")
    if rp.p == 0:
        return "true labels"
    if rp.p == 1:
        return "random labels"
    return f"corrupt p={rp.p:g}"


class Randomization(Study):
    name = "randomization"
    title = "Randomization tests"
    paper = "Zhang, Bengio, Hardt, Recht, Vinyals 2017: Understanding deep learning requires rethinking generalization"
    pane = "randomization"
    Params = Params
    RunParams = RunParams
    summary_fields = tuple(
        TRAIN_FIELDS[k] for k in ("final_train_acc", "final_test_acc", "steps_to_fit", "seconds_to_fit")
    )

    def default_group(self) -> dict:
        return {
            "data": {"name": "mnist1d"},
            "models": [{"name": "mlp", "width": 512, "depth": 1}],
            "train": {
                "optimizer": "sgd",
                "lr": 0.01,
                "momentum": 0.9,
                "lr_decay": 1.0,
                "batch_size": 128,
                "epochs": 300,
            },
            "seeds": [0],
        }

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        conds = [RunParams("labels", p) for p in group.params.corruption] + [RunParams(c) for c in group.params.inputs]
        runs = []
        for model in group.models:
            for seeds in group.seeds:
                for rp in conds:
                    label = condition_label(rp)
                    if len(group.models) > 1:
                        label = f"{model.label}: {label}"
                    label += group.seed_tag(seeds)
                    runs.append(RunSpec(self.name, label, group.data, model, group.train_for(model), seeds, rp))
        return runs

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        return fused_jobs(runs, on_gpu)

    def claims(self) -> tuple[Claim, ...]:
        return CLAIMS

    def execute(self, runs: list[RunSpec], ctx: ExecContext) -> None:
        base = load_data(runs[0].data, ctx)
        members = []
        for i, run in enumerate(runs):
            ds = randomize(base, run.params.condition, run.params.p, run.seeds.noise)
            members.append(make_member(run, ds, ctx.device, i))
            ctx.started(i)
        train(members, runs[0].train, ctx, augment=runs[0].data.augment)

    def figures(self, runs: list[RunData]) -> list[Figure]:
        loss = Figure("loss", "Training loss", "step", "train loss", series_of(runs, "step", "train_loss"))
        fit, err = [], []
        by_model: dict[str, list[RunData]] = {}
        for r in runs:
            if r.spec.get("params", {}).get("condition") == "labels":
                by_model.setdefault(_model_label(r.spec), []).append(r)
        for model, rs in by_model.items():
            p = lambda r: r.spec["params"]["p"]
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


def _model_label(spec: dict) -> str:
    m = spec.get("model", {})
    return f"mlp {m.get('depth')}x{m.get('width') or 512}" if m.get("name") == "mlp" else str(m.get("name"))


# -- the paper's claims (studies/claims.py), checked on a group's finished runs -------------
def _cond(r: RunData) -> tuple[str, float]:
    p = r.spec.get("params", {})
    return p.get("condition", "labels"), float(p.get("p", 0.0))


def _random_labels(runs):
    return finished(runs, lambda r: _cond(r) == ("labels", 1.0))


def _check_random_fit(runs):
    rs = _random_labels(runs)
    if not rs:
        return pending("no finished random-label run yet")
    acc = stat_of(rs, "final_train_acc")
    return verdict(acc.lo >= 0.999, fmt_pct(acc), "every random-label run reaches 100 % training accuracy")


def _check_random_chance(runs):
    rs = _random_labels(runs)
    if not rs:
        return pending("no finished random-label run yet")
    acc = stat_of(rs, "final_test_acc")
    n_test = rs[0].spec.get("data", {}).get("n_test") or 1000
    m = chance_margin(n_test)
    return verdict(abs(acc.mean - 0.1) <= m, fmt_pct(acc), f"|mean - 10 %| <= {100 * m:.1f} pp (3 binomial sd)")


def _by_model_p(runs, key):
    out: dict[str, dict[float, Stat]] = {}
    groups: dict[tuple[str, float], list[RunData]] = {}
    for r in finished(runs, lambda r: _cond(r)[0] == "labels"):
        groups.setdefault((_model_label(r.spec), _cond(r)[1]), []).append(r)
    for (model, p), rs in groups.items():
        s = stat_of(rs, key)
        if s is not None:
            out.setdefault(model, {})[p] = s
    return {m: dict(sorted(d.items())) for m, d in out.items() if len(d) >= 2}


def _check_fit_time(runs):
    curves = _by_model_p(runs, "steps_to_fit")
    if not curves:
        return pending("needs fitted runs at two corruption levels or more")
    parts, ok = [], True
    for model, d in curves.items():
        ps = list(d)
        ratio = d[ps[-1]].mean / max(1.0, d[ps[0]].mean)
        ok &= 1.0 < ratio < 10.0
        parts.append(f"{model}: x{ratio:.2f} (p={ps[0]:g} -> {ps[-1]:g})")
    return verdict(ok, "; ".join(parts), "slower to fit at the highest corruption, by less than 10x")


def _check_error_rises(runs):
    curves = _by_model_p(runs, "final_test_acc")
    if not curves:
        return pending("needs finished runs at two corruption levels or more")
    parts, ok = [], True
    for model, d in curves.items():
        errs = [1 - s.mean for s in d.values()]
        ok &= all(b >= a - 0.02 for a, b in itertools.pairwise(errs)) and errs[-1] > errs[0]
        parts.append(f"{model}: " + " -> ".join(f"{e:.2f}" for e in errs))
    return verdict(ok, "; ".join(parts), "test error non-decreasing in p (2 pp tolerance)")


def _check_inputs_fit(runs):
    rs = finished(runs, lambda r: _cond(r)[0] != "labels")
    if not rs:
        return pending("no finished input-randomization run yet")
    acc = stat_of(rs, "final_train_acc")
    return verdict(acc.lo >= 0.999, fmt_pct(acc), "shuffled pixels, random pixels and Gaussian inputs fitted to 100 %")


def _check_shuffle(runs):
    parts, ok, seen = [], True, False
    models = {_model_label(r.spec) for r in runs}
    for model in sorted(models):
        mine = [r for r in runs if _model_label(r.spec) == model]
        true = finished(mine, lambda r: _cond(r) == ("labels", 0.0))
        shuf = finished(mine, lambda r: _cond(r)[0] == "shuffled_pixels")
        if not true or not shuf:
            continue
        seen = True
        gap = stat_of(true, "final_test_acc").mean - stat_of(shuf, "final_test_acc").mean
        conv = model.split()[0] in ("cnn1d", "lenet", "alexnet_small", "inception_small")
        ok &= gap > 0.05 if conv else abs(gap) < 0.03
        parts.append(f"{model}: {100 * gap:+.1f} pp")
    if not seen:
        return pending("needs finished true-label and shuffled-pixel runs of one model")
    return verdict(ok, "; ".join(parts), "MLP gap < 3 pp, convolutional gap > 5 pp (true minus shuffled test accuracy)")


CLAIMS = (
    Claim("random-fit", "Random labels are fitted to 100 % training accuracy.", "Fig. 1a", "100 %", _check_random_fit),
    Claim(
        "random-chance", "With random labels the test accuracy is at chance.", "Fig. 1c", "≈ 10 %", _check_random_chance
    ),
    Claim(
        "fit-slowdown",
        "Fitting random labels takes longer, but only by a small constant factor.",
        "Fig. 1b",
        "small factor",
        _check_fit_time,
    ),
    Claim("error-rises", "Test error rises steadily with the label corruption.", "Fig. 1c", "", _check_error_rises),
    Claim(
        "inputs-fit",
        "Shuffled pixels, random pixels and Gaussian inputs are fitted too.",
        "Fig. 1a",
        "100 %",
        _check_inputs_fit,
    ),
    Claim(
        "shuffle-mlp-vs-cnn",
        "An MLP is indifferent to a fixed pixel shuffle; a convolutional net is not.",
        "MNIST-1D reference (Greydanus 2020)",
        "MLP unchanged, CNN ≈ 94 % -> 57 %",
        _check_shuffle,
    ),
)
