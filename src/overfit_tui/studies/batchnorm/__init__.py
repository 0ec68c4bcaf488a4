"""Study: how does BatchNorm help optimization? (Santurkar, Tsipras, Ilyas, Madry 2018, NeurIPS).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.batchnorm.spec import BatchNormSmoothness

STUDY = BatchNormSmoothness()
