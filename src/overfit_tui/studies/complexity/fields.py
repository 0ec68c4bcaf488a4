"""What a complexity run reports, declared once: the gap, the measures and their helpers."""

from __future__ import annotations

from overfit_tui.core.schema import Field

GAP = Field("gap", "gen. gap", "%", ".1f", "lower", priority=1)
# The measures, each declared once (key, label); every one is "larger = predicts a larger gap".
# Products of norms are reported as log10 (they overflow otherwise; Kendall's tau is rank-based).
MEASURES = (
    Field("n_params", "params", "", "d", priority=2),
    Field("l2_norm", "l2 norm ||w||", "", ".4g", priority=3),
    Field("dist_init", "dist. from init ||w-w0||", "", ".4g", priority=3),
    Field("log_prod_spec", "log10 prod ||W||2", "", ".4g", priority=3),
    Field("log_l2_margin", "log10 prod ||W||F^2/g^2", "", ".4g", priority=3),
    Field("log_path_margin", "log10 path^2/g^2", "", ".4g", priority=3),
    Field("log_spec_bound", "log10 spectral bound", "", ".4g", priority=2),
    Field("log_sharpness", "log10 1/sigma'^2", "", ".4g", priority=2),
    Field("log_pacbayes", "log10 ||w-w0||^2/4sigma'^2", "", ".4g", priority=3),
)
MEASURE_KEYS = tuple(f.key for f in MEASURES)
EXTRA = (
    Field("margin", "margin g (quantile)", "", ".3g", priority=4),
    Field("sigma_prime", "sigma'", "", ".3g", priority=4),
    Field("measure_seconds", "measure time", "s", ".3g", priority=5),
)
HYPER = ("p", "width", "n_train")  # the swept hyperparameters (RunParams fields), Jiang's Theta_i
