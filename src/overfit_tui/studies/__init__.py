"""Study registry: name -> Study instance. A new study is a module plus one line here."""

from __future__ import annotations

from overfit_tui.core.registry import Registry
from overfit_tui.studies.base import Study

STUDIES: Registry[Study] = Registry("study")


def get_study(name: str) -> Study:
    return STUDIES.get(name)


def _register() -> None:
    from overfit_tui.studies.randomization import Randomization
    from overfit_tui.studies.regularization import Regularization

    for cls in (Randomization, Regularization):
        STUDIES.register(cls.name, cls())


_register()
