"""Study 6: the lottery ticket hypothesis (Frankle & Carbin 2019, "The lottery ticket hypothesis:
finding sparse, trainable neural networks", Fig. 1, 3, 4), by iterative magnitude pruning.

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.lottery.spec import Lottery

STUDY = Lottery()
