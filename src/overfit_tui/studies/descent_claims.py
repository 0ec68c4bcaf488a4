"""The double-descent claims of Belkin et al. 2018 (Fig. 2-4) as checks over a group's runs,
shared by the neural-net and random-feature studies: the model interpolates past the
threshold, the test risk peaks near it, and falls below its under-parameterized minimum.

A study passes the summary keys of its x axis (parameters or features), its threshold and its
risks. The second descent is judged per seed (each seed's largest model against that seed's own
first minimum) and reported as mean ± std over seeds.
"""

from __future__ import annotations

from collections.abc import Callable

from overfit_tui.core.schema import Stat
from overfit_tui.studies.base import RunData
from overfit_tui.studies.claims import Claim, finished, pending, verdict

Get = Callable[[RunData], float | None]


def _seed(r: RunData) -> str:
    s = r.spec.get("seeds") or {}
    return f"{s.get('init')}/{s.get('order')}/{s.get('noise')}"


def _points(runs: list[RunData], x: Get, y: Get) -> dict[str, list[tuple[float, float]]]:
    """(x, y) per seed, sorted by x, finished runs with both numbers only."""
    out: dict[str, list[tuple[float, float]]] = {}
    for r in finished(runs):
        xv, yv = x(r), y(r)
        if isinstance(xv, (int, float)) and isinstance(yv, (int, float)):
            out.setdefault(_seed(r), []).append((xv, yv))
    return {k: sorted(v) for k, v in out.items()}


def _fmt(s: Stat, digits: str) -> str:
    return f"{s.mean:{digits}}" if s.n == 1 else f"{s.mean:{digits}} ± {s.std:{digits}} (n={s.n})"


def second_descent(x: Get, threshold: Get, y: Get, what: str) -> Callable[[list[RunData]], object]:
    """Every seed's largest model (past the threshold) is below that seed's first minimum."""

    def check(runs: list[RunData]):
        thr = next((threshold(r) for r in finished(runs) if threshold(r)), None)
        curves = _points(runs, x, y)
        firsts, lasts = [], []
        for pts in curves.values():
            below = [v for xv, v in pts if xv < thr] if thr else []
            if not below or pts[-1][0] < thr:
                continue
            firsts.append(min(below))
            lasts.append(pts[-1][1])
        if not firsts:
            return pending("needs, per seed, finished models on both sides of the threshold")
        ok = all(b < a for a, b in zip(firsts, lasts))
        f, last = Stat.of(firsts), Stat.of(lasts)
        measured = f"first minimum {_fmt(f, '.3g')}, largest {_fmt(last, '.3g')}"
        return verdict(ok, measured, f"{what}: every seed's largest model below its own first minimum")

    return check


def peak_near(x: Get, threshold: Get, y: Get, factor: float) -> Callable[[list[RunData]], object]:
    """The mean curve's maximum past its first minimum lies within `factor` of the threshold."""

    def check(runs: list[RunData]):
        thr = next((threshold(r) for r in finished(runs) if threshold(r)), None)
        at: dict[float, list[float]] = {}
        for pts in _points(runs, x, y).values():
            for xv, v in pts:
                at.setdefault(xv, []).append(v)
        xs = sorted(at)
        if not thr or len(xs) < 3 or xs[-1] < thr:
            return pending("needs finished models on both sides of the threshold")
        mean = [sum(at[v]) / len(at[v]) for v in xs]
        below = [i for i, v in enumerate(xs) if v < thr]
        if not below:
            return pending("needs a finished model below the threshold")
        start = min(below, key=lambda i: mean[i])
        peak = max(range(start, len(xs)), key=lambda i: mean[i])
        ok = thr / factor <= xs[peak] <= thr * factor
        return verdict(ok, f"peak {mean[peak]:.3g} at {xs[peak]:,.0f} (threshold {thr:,.0f})", f"within x{factor:g}")

    return check


def interpolates(x: Get, threshold: Get, train_error: Get) -> Callable[[list[RunData]], object]:
    """Every finished model at or past the threshold has zero training error."""

    def check(runs: list[RunData]):
        thr = next((threshold(r) for r in finished(runs) if threshold(r)), None)
        past = [r for r in finished(runs) if thr and (x(r) or 0) >= thr and train_error(r) is not None]
        if not past:
            return pending("no finished model past the threshold yet")
        worst = max(train_error(r) for r in past)
        return verdict(worst == 0, f"largest train error {100 * worst:.2f} %", f"{len(past)} models past the threshold")

    return check


def descent_claims(x: Get, threshold: Get, test: Get, train_error: Get, what: str, source: str) -> tuple[Claim, ...]:
    return (
        Claim(
            "interpolates",
            "Past the interpolation threshold the model fits the training set exactly.",
            source,
            "0 training error",
            interpolates(x, threshold, train_error),
        ),
        Claim(
            "peak",
            f"The test {what} peaks near the interpolation threshold.",
            source,
            "peak at the threshold",
            peak_near(x, threshold, test, 2.0),
        ),
        Claim(
            "second-descent",
            f"Past the threshold the test {what} falls below its under-parameterized minimum.",
            source,
            "below the first minimum",
            second_descent(x, threshold, test, what),
        ),
    )
