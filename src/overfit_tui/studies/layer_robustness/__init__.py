"""Study 5: are all layers created equal? (Zhang, Bengio, Singer 2019; JMLR 2022.)

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.layer_robustness.spec import LayerRobustness

STUDY = LayerRobustness()
