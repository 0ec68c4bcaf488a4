"""Study 4: the intrinsic dimension of the objective landscape (Li, Farkhoor, Liu, Yosinski
2018, "Measuring the intrinsic dimension of objective landscapes", Fig. 1-3, Table 1).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.intrinsic_dimension.spec import IntrinsicDimension

STUDY = IntrinsicDimension()
