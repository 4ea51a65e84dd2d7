"""Single- versus multi-site discrimination: a deep waveform classifier against a BDT.

Signal: double-beta decays (single-site); background: 208Tl gammas reconstructed near Q
(mostly multi-site Compton chains). EXO-200 (Delaquis et al. 2018; EXO-200, PRL 120, 072701
(2018)) found a DNN on waveforms separates them better than cuts on reconstructed features. The
baseline here is a boosted decision tree on the conventional features of
:meth:`nulearn.detector.tpc.reconstruction.Reconstruction.features`. ROC curves come from
:func:`nulearn.ml.metrics.roc_curve`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier

from nulearn.detector.tpc.energy_cnn import check_images, split_loaders
from nulearn.detector.tpc.networks import SiteNet
from nulearn.detector.tpc.training import SupervisedModule, WaveformEstimator
from nulearn.ml.metrics import Curve, roc_curve
from nulearn.ml.training import fit, seed_everything

__all__ = [
    "SiteModule",
    "WaveformSiteClassifier",
    "bdt_classifier",
    "signal_efficiency_at_rejection",
]


def bdt_classifier(seed: int = 0) -> HistGradientBoostingClassifier:
    """The boosted-decision-tree baseline on conventional features."""
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, max_leaf_nodes=15, random_state=seed
    )


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


class SiteModule(SupervisedModule):
    """Lightning wrapper of :class:`SiteNet`: binary cross-entropy on the gamma label."""

    def __init__(self, width: int = 8, learning_rate: float = 2e-3, max_epochs: int = 10) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = SiteNet(width)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Multi-site logit, shape (batch,)."""
        return self.net(images)

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.binary_cross_entropy_with_logits(self.net(x), y)


class WaveformSiteClassifier(ClassifierMixin, WaveformEstimator):
    """Deep single/multi-site classifier on waveform images (scikit-learn classifier contract).

    Classes are 0 (single-site signal) and 1 (multi-site / gamma background). The keyword-only
    parameters are the training parameters of :class:`WaveformEstimator`.
    """

    def fit(self, X: Any, y: Any) -> WaveformSiteClassifier:
        """Train on images X (n_events, n_channels, n_time) and labels y in {0, 1}."""
        x = check_images(X)
        labels = np.asarray(y)
        if labels.shape != (x.shape[0],) or not np.isin(labels, (0, 1)).all():
            raise ValueError(f"y must have shape ({x.shape[0]},) with values 0 or 1")
        self.classes_ = np.array([0, 1])
        self.n_channels_in_ = x.shape[1]
        train, val = split_loaders(
            x, labels.astype(np.float32), self.batch_size, self.val_fraction, self.seed
        )
        seed_everything(self.seed)  # the initial weights, not only the batch order
        self.module_ = SiteModule(self.width, self.learning_rate, self.max_epochs)
        fit(self.module_, train, val, self._trainer_config(self.seed))
        self.module_.eval()
        return self

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Multi-site logit, shape (n_events,)."""
        x = check_images(X, getattr(self, "n_channels_in_", None))
        out = np.empty(x.shape[0])
        with torch.no_grad():
            for lo in range(0, x.shape[0], 256):
                out[lo : lo + 256] = self.module_(torch.from_numpy(x[lo : lo + 256])).numpy()
        return out

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities, shape (n_events, 2): [single-site, multi-site]."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.stack([1 - p, p], axis=1)

    def predict(self, X: Any) -> NDArray[np.int64]:
        """Predicted class, shape (n_events,)."""
        return (self.decision_function(X) > 0).astype(np.int64)
