"""Study 1: randomization tests (Zhang et al. 2017, "Understanding deep learning requires
rethinking generalization", Fig. 1 and Table 4).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.randomization.spec import Randomization

STUDY = Randomization()
