"""Study 7b: prequential description length (Blier & Ollivier 2018, "The description length
of deep learning models", Sec. 3.3 and Table 1).

spec.py: Params, RunParams and the study (no torch); train.py: the runner (torch);
figures.py / claims.py where the study has them (docs/architecture.md, "adding a study")."""

from overfit_tui.studies.mdl.spec import PrequentialMDL

STUDY = PrequentialMDL()
