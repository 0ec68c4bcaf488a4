"""Study 1b: the regularizer ablation of Zhang et al. 2017, Table 1.

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.regularization.spec import Regularization

STUDY = Regularization()
