"""Study 3a: double descent for neural nets (Belkin, Hsu, Ma, Mandal 2018, Fig. 3-4).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.double_descent_nn.spec import DoubleDescentNN

STUDY = DoubleDescentNN()
