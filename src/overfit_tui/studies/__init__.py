"""Study registry: name -> Study instance. A study is a package (studies/<name>/: __init__.py
with `STUDY`, spec.py, train.py, figures.py, claims.py); a new one is a package plus one line in
the list below (docs/architecture.md, "adding a study"). Importing this loads no torch: each
study's train.py loads only when a worker executes one of its jobs."""

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
    from overfit_tui.studies import (  # a cycle: every study package imports this one (studies.base)
        batchnorm,
        complexity,
        connectivity,
        double_descent_nn,
        double_descent_rff,
        expressivity,
        intrinsic_dimension,
        kernel,
        layer_robustness,
        lottery,
        mdl,
        memorization,
        overparam_du,
        overparam_xor,
        randomization,
        regularization,
    )

    # The order the panes and listings show them in.
    for package in (
        randomization,
        regularization,
        expressivity,
        kernel,
        double_descent_nn,
        double_descent_rff,
        memorization,
        mdl,
        intrinsic_dimension,
        layer_robustness,
        lottery,
        batchnorm,
        overparam_xor,
        overparam_du,
        connectivity,
        complexity,
    ):
        STUDIES.register(package.STUDY.name, package.STUDY)


_register()
