"""Scoring single- versus multi-site discrimination: signal efficiency at fixed background
rejection, read off the ROC curve of the background class (:func:`nulearn.ml.metrics.roc_curve`).

>>> import numpy as np
>>> eff, _ = signal_efficiency_at_rejection(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), 0.5)
>>> eff
1.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nulearn.ml.metrics import Curve, roc_curve

__all__ = ["signal_efficiency_at_rejection"]


def signal_efficiency_at_rejection(
    is_background: NDArray[np.integer], background_score: NDArray[np.floating], rejection: float
) -> tuple[float, Curve]:
    """Signal (single-site) efficiency at a fixed background rejection, and the ROC curve.

    Args:
        is_background: 1 for gamma (background), 0 for double-beta (signal), shape (n,).
        background_score: score growing with background-likeness, shape (n,).
        rejection: background rejection 1 - FPR... of the *background* at the working point,
            in (0, 1): the fraction of gammas cut.

    Returns:
        (signal efficiency, ROC with x = signal acceptance... see below). The ROC is of the
        background class: x = fraction of signal cut (false positives), y = background rejected.
    """
    if not 0 < rejection < 1:
        raise ValueError(f"rejection = {rejection} must lie in (0, 1)")
    curve = roc_curve(is_background, background_score)
    # Cutting events with score above a threshold rejects y of the background and x of the signal.
    signal_cut = float(np.interp(rejection, curve.y, curve.x))
    return 1.0 - signal_cut, curve
