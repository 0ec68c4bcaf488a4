"""Study 3b: double descent with random Fourier features (Belkin et al. 2018, Fig. 2).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.double_descent_rff.spec import DoubleDescentRFF

STUDY = DoubleDescentRFF()
