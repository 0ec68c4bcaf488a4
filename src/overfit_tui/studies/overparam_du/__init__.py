"""Overparameterization, part 2: gradient descent near initialization (Du, Zhai, Poczos, Singh,
ICLR 2019, "Gradient descent provably optimizes over-parameterized neural networks"; the
reading-group notes' §5.2; the paper's Fig. 1 on synthetic data).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.overparam_du.spec import OverparamDu

STUDY = OverparamDu()
