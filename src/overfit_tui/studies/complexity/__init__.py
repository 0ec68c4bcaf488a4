"""Study: complexity measures against the generalization gap (issue 32).

Zhang et al. 2017 show that a net of a fixed size fits true and random labels alike, so its
parameter count cannot explain why one generalizes and the other does not. Neyshabur,
Bhojanapalli, McAllester & Srebro 2017 ("Exploring generalization in deep learning",
Fig. 1-2) and Jiang et al. 2020 ("Fantastic generalization measures and where to find
them") ask which measures do: norms, margins, path norms, the spectrally-normalized margin
bound (Bartlett et al. 2017), PAC-Bayes sharpness. This study trains MLPs over label
corruption x width x training-set size to a fixed training error, measures each trained net
and ranks the measures against the gap (Kendall's tau, Jiang's granulated tau).
docs/studies.md ("Complexity measures") and docs/claims/complexity.md describe it.
"""

from overfit_tui.studies.complexity.spec import ComplexityMeasures

STUDY = ComplexityMeasures()
