"""Study 2a: finite-sample expressivity (Zhang et al. 2017, Theorem 1, Section 4).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.expressivity.spec import Expressivity

STUDY = Expressivity()
