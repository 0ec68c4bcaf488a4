"""Study registry: name -> Study instance. A study is a package (studies/<name>/: __init__.py
with `STUDY`, spec.py, train.py, figures.py, claims.py); a new one is a package plus its name in
`ORDER` below (docs/architecture.md, "adding a study"). Importing this loads no study: the
registry knows the names (and their order) from `ORDER` and imports a study's package on the
first `get(name)`, so a listing of one study's runs pays for that study's description only.
No torch either way: each study's train.py loads only when a worker executes one of its jobs."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module

from overfit_tui.core.registry import Registry
from overfit_tui.core.schema import Field, generic
from overfit_tui.studies.base import Study

# Every study, in the order the panes and listings show them; each is the package studies/<name>/.
ORDER = (
    "randomization",
    "regularization",
    "expressivity",
    "kernel",
    "double_descent_nn",
    "double_descent_rff",
    "memorization",
    "mdl",
    "intrinsic_dimension",
    "layer_robustness",
    "lottery",
    "batchnorm",
    "overparam_xor",
    "overparam_du",
    "connectivity",
    "complexity",
)


def _load(name: str) -> Study:
    """The study package's `STUDY`, imported now (every study package imports studies.base, hence
    this package: importing them from here at import time would be a cycle anyway)."""
    study = import_module(f"{__name__}.{name}").STUDY
    if study.name != name:
        raise ValueError(f"studies/{name}/ holds a study named '{study.name}': a package is named as its study")
    return study


STUDIES: Registry[Study] = Registry("study", ORDER, _load)


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
