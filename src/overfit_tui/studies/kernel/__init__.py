"""Study 2b: the minimum-norm kernel interpolant (Zhang et al. 2017, Section 5, Table 3).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.kernel.spec import KernelInterpolation

STUDY = KernelInterpolation()
