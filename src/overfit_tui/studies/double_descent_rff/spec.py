"""Study 3b: double descent with random Fourier features (Belkin et al. 2018, Fig. 2).

N features [cos(v x), sin(v x)] (a pair counts as two), v ~ N(0, sigma^-2 I); the exact
minimum-norm least-squares fit (pseudo-inverse through the smaller Gram matrix, never
ridge). Test and train risk and the coefficient norm vs N: the peak sits at N = n.
Each seed draws its own frequencies (seeds.init) and label noise (seeds.noise); the
figures show the mean over seeds and its range.
"""

from __future__ import annotations

from dataclasses import dataclass

from overfit_tui.core.schema import Field
from overfit_tui.core.spec import check, field
from overfit_tui.core.specs import GroupSpec, RunSpec
from overfit_tui.studies.base import Figure, RunData, Study, carry
from overfit_tui.studies.claims import Claim
from overfit_tui.studies.replicates import scalar_series

# RUNNER: randomize
from overfit_tui.studies.shared.descent import MARGIN_PEAK, NORM_FACTOR, descent_claims, peak_near
from overfit_tui.studies.shared.jobs import seed_jobs


@dataclass(frozen=True)
class Settings:
    """The settings every run of a group carries: declared once, for Params and RunParams alike."""

    sigma: float = field(0.0, "bandwidth of the frequencies v ~ N(0, sigma^-2); 0 = sqrt(d)", range="[0, 1e6]")
    label_noise: float = field(0.0, "fraction of training labels redrawn at random", range="[0, 1]")


@dataclass(frozen=True)
class Sweep:
    """What a group sweeps: a run per value (x the models and seeds)."""

    features: tuple[int, ...] = field(
        (50, 100, 200, 400, 600, 800, 900, 1000, 1100, 1200, 1500, 2000, 4000, 8000, 16000),
        "numbers of features N (even: cos/sin pairs)",
        range="[2, 1e6]",
    )


@dataclass(frozen=True)
class Params(Settings, Sweep):
    def __post_init__(self):
        check(all(f >= 2 for f in self.features), "features", "every N must be >= 2")
        check(self.sigma >= 0, "sigma", "must be >= 0")


@dataclass(frozen=True)
class RunParams(Settings):
    n_features: int = field(1000, "N", range="[2, 1e6]")


class DoubleDescentRFF(Study):
    name = "double_descent_rff"
    title = "Double descent: random Fourier features"
    paper = "Belkin et al. 2018, Fig. 2"
    pane = "double_descent"
    Params = Params
    RunParams = RunParams
    summary_fields = (
        Field("n_features", "features N", "", "d", priority=1),
        Field("train_risk", "train risk", "", ".3g", "lower", priority=2),
        Field("test_risk", "test risk", "", ".3g", "lower", priority=1),
        Field("test_error", "test error", "%", ".1f", "lower", priority=1),
        Field("norm", "norm", "", ".4g", priority=2),
    )

    def default_group(self) -> dict:
        return {"data": {"name": "mnist1d", "n_train": 1000}, "models": [{"name": "linear"}], "seeds": [0]}

    def expand(self, group: GroupSpec) -> list[RunSpec]:
        p = group.params
        return [
            RunSpec(
                self.name,
                f"N={f}" + group.seed_tag(s),
                group.data,
                group.models[0],
                group.train,
                s,
                RunParams(n_features=f - f % 2, **carry(Settings, p)),
            )
            for s in group.seeds
            for f in sorted(set(p.features))
        ]

    def jobs(self, runs: list[RunSpec], on_gpu: bool = False) -> list[list[int]]:
        """One job per seed: its frequencies and labels are drawn once and shared by its N values."""
        return seed_jobs(runs)

    def claims(self) -> tuple:
        return CLAIMS

    def figures(self, runs: list[RunData]) -> list[Figure]:
        """Mean over seeds at each N, with the seeds' min-max band."""
        done = [r for r in runs if "test_risk" in r.summary]
        n = next((r.summary["n"] for r in done), None)
        vl = ((n, "N = n"),) if n else ()
        col = lambda name, key: scalar_series(name, done, lambda r: r.summary["n_features"], lambda r: r.summary[key])
        return [
            Figure(
                "risk",
                "Squared risk vs features",
                "features N",
                "squared loss",
                (col("test", "test_risk"), col("train", "train_risk")),
                xlog=True,
                ylog=True,
                vlines=vl,
            ),
            Figure(
                "error",
                "Zero-one error vs features",
                "features N",
                "error",
                (col("test", "test_error"), col("train", "train_error")),
                xlog=True,
                vlines=vl,
            ),
            Figure(
                "norm",
                "Coefficient norm vs features",
                "features N",
                "||a||",
                (col("norm", "norm"),),
                xlog=True,
                ylog=True,
                vlines=vl,
            ),
        ]


_N = lambda r: r.summary.get("n_features")
_THRESHOLD = lambda r: r.summary.get("n")
# audited (fpr, power) per claim: tests/studies/audit/double_descent_rff.py
RATES = {
    "interpolates": (0.0, 1.0),
    "peak": (0.04, 1.0),
    "second-descent": (0.005, 0.94),
    "peak-zero-one": (0.025, 1.0),
    "second-descent-zero-one": (0.0, 0.97),
    "norm-peak": (0.025, 1.0),
}
# Fig. 2 plots the squared risk, the zero-one error and the norm: each is its own claim
CLAIMS = (
    *descent_claims(
        _N,
        _THRESHOLD,
        {
            "": ("squared risk", lambda r: r.summary.get("test_risk")),
            "-zero-one": ("zero-one error", lambda r: r.summary.get("test_error")),
        },
        lambda r: r.summary.get("train_error"),
        "Fig. 2",
        RATES,
        fit_kind="construction",  # an exact min-norm solve of a rank-n system with N >= n fits by construction
    ),
    Claim(
        "norm-peak",
        "The norm of the minimum-norm solution peaks at N = n: above its value below n and at every larger N.",
        "Fig. 2",
        "peak at N = n",
        peak_near(_N, _THRESHOLD, lambda r: r.summary.get("norm"), "norm", NORM_FACTOR),
        margin=MARGIN_PEAK + f"; peak within x{NORM_FACTOR:g} of N = n",
        fpr=RATES["norm-peak"][0],
        power=RATES["norm-peak"][1],
    ),
)
