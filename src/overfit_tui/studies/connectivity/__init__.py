"""Study: connected sublevel sets and mode connectivity (Nguyen 2019, notes §5.1; Garipov et al.
2018; Draxler et al. 2018).

Nguyen 2019: with a wide enough first hidden layer (about the number of training samples, ReLU
or leaky ReLU), every sublevel set of the training loss is connected and every local minimum is
global. Garipov et al. 2018 and Draxler et al. 2018 measured what that means for trained nets:
two minima from independent initializations are separated by a loss barrier along the straight
line between them, yet joined by a simple curve (a quadratic Bezier with one trained middle
point) along which the training loss stays low. One run here is one pair (A, B) at one width:
the line and the trained curve between them, the barriers of both, and the ensembles they give.
"""

from overfit_tui.studies.connectivity.spec import ModeConnectivity

STUDY = ModeConnectivity()

__all__ = ["STUDY", "ModeConnectivity"]
