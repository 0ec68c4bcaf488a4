"""Study 7a: memorization dynamics (Arpit et al. 2017, "A closer look at memorization in deep
networks", ICML).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.memorization.spec import Memorization

STUDY = Memorization()
