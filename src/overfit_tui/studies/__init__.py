"""Study registry: name -> Study instance. A new study is a module plus one line here."""

from __future__ import annotations

from collections.abc import Iterable

from overfit_tui.core.registry import Registry
from overfit_tui.core.schema import Field, generic
from overfit_tui.studies.base import Study

STUDIES: Registry[Study] = Registry("study")


def get_study(name: str) -> Study:
    return STUDIES.get(name)


def fields_for(studies: Iterable[str]) -> list[Field]:
    """The summary fields of these studies, in declaration order, each key once (tables, exports)."""
    out: dict[str, Field] = {}
    for name in studies:
        fields = STUDIES.get(name).summary_fields if name in STUDIES else ()
        for f in fields:
            out.setdefault(f.key, f)
    return list(out.values())


def field_for(study: str, key: str) -> Field:
    """How `key` of a run of `study` reads (a generic field for unknown studies or keys)."""
    return STUDIES.get(study).field(key) if study in STUDIES else generic(key)


def _register() -> None:
    from overfit_tui.studies.batchnorm import BatchNormSmoothness
    from overfit_tui.studies.double_descent import DoubleDescentNN
    from overfit_tui.studies.expressivity import Expressivity
    from overfit_tui.studies.intrinsic_dimension import IntrinsicDimension
    from overfit_tui.studies.kernel import KernelInterpolation
    from overfit_tui.studies.layer_robustness import LayerRobustness
    from overfit_tui.studies.lottery import Lottery
    from overfit_tui.studies.mdl import PrequentialMDL
    from overfit_tui.studies.memorization import Memorization
    from overfit_tui.studies.overparam_du import OverparamDu
    from overfit_tui.studies.overparam_xor import OverparamXOR
    from overfit_tui.studies.randomization import Randomization
    from overfit_tui.studies.regularization import Regularization
    from overfit_tui.studies.rff import DoubleDescentRFF

    for cls in (
        Randomization,
        Regularization,
        Expressivity,
        KernelInterpolation,
        DoubleDescentNN,
        DoubleDescentRFF,
        Memorization,
        PrequentialMDL,
        IntrinsicDimension,
    ):
        STUDIES.register(cls.name, cls())
    STUDIES.register(LayerRobustness.name, LayerRobustness())
    STUDIES.register(Lottery.name, Lottery())
    STUDIES.register(BatchNormSmoothness.name, BatchNormSmoothness())
    for cls in (OverparamXOR, OverparamDu):
        STUDIES.register(cls.name, cls())
    from overfit_tui.studies.complexity import STUDY as complexity

    STUDIES.register(complexity.name, complexity)


_register()
