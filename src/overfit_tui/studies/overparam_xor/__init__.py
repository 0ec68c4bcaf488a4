"""Overparameterization, part 1: XOR detection (Brutzkus & Globerson, ICML 2019, "Why do larger
models generalize better? A theoretical perspective via the XOR problem"; the reading-group
notes' §5.3, Fig. 13-15).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.overparam_xor.spec import OverparamXOR

STUDY = OverparamXOR()
