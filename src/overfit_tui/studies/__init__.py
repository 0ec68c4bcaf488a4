"""Study registry: name -> Study instance. A new study is a module plus one line here."""

from __future__ import annotations

from overfit_tui.core.registry import Registry
from overfit_tui.studies.base import Study

STUDIES: Registry[Study] = Registry("study")


def get_study(name: str) -> Study:
    return STUDIES.get(name)


def _register() -> None:
    from overfit_tui.studies.double_descent import DoubleDescentNN
    from overfit_tui.studies.expressivity import Expressivity
    from overfit_tui.studies.kernel import KernelInterpolation
    from overfit_tui.studies.randomization import Randomization
    from overfit_tui.studies.regularization import Regularization
    from overfit_tui.studies.rff import DoubleDescentRFF

    for cls in (Randomization, Regularization, Expressivity, KernelInterpolation, DoubleDescentNN, DoubleDescentRFF):
        STUDIES.register(cls.name, cls())


_register()
