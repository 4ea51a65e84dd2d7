"""Single- versus multi-site discrimination: a deep waveform classifier against a BDT.

Signal: double-beta decays (single-site); background: 208Tl gammas reconstructed near Q
(mostly multi-site Compton chains). EXO-200 (Delaquis et al. 2018; EXO-200, PRL 120, 072701
(2018)) found a DNN on waveforms separates them better than cuts on reconstructed features. The
baseline here is a boosted decision tree on the conventional features of
:meth:`nulearn.detector.tpc.physics.reconstruction.Reconstruction.features`; both are scored in
:mod:`nulearn.detector.tpc.evaluation.discrimination`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier

from nulearn.detector.tpc.models.networks import SiteNet
from nulearn.detector.tpc.models.training import (
    SupervisedModule,
    WaveformEstimator,
    check_images,
    image_loaders,
)
from nulearn.ml.estimator import TorchBinaryClassifier, predict_batches

__all__ = ["SiteModule", "WaveformSiteClassifier", "bdt_classifier"]


def bdt_classifier(seed: int = 0) -> HistGradientBoostingClassifier:
    """The boosted-decision-tree baseline on conventional features."""
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.1, max_leaf_nodes=15, random_state=seed
    )


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


class WaveformSiteClassifier(TorchBinaryClassifier, WaveformEstimator):
    """Deep single/multi-site classifier on waveform images (scikit-learn classifier contract).

    Classes are 0 (single-site signal) and 1 (multi-site / gamma background). The keyword-only
    parameters are the training parameters of :class:`WaveformEstimator`.
    """

    torch_attributes = ("module_",)

    def fit(self, X: Any, y: Any) -> WaveformSiteClassifier:
        """Train on images X (n_events, n_channels, n_time) and labels y in {0, 1}."""
        x = check_images(X)
        labels = np.asarray(y)
        if labels.shape != (x.shape[0],) or not np.isin(labels, (0, 1)).all():
            raise ValueError(f"y must have shape ({x.shape[0]},) with values 0 or 1")
        self.classes_ = np.array([0, 1])
        self.n_channels_in_ = x.shape[1]
        loaders = image_loaders(
            x, labels.astype(np.float32), self.batch_size, self.val_fraction, self.seed
        )
        self.module_, _ = self._train(self._module, *loaders, self._trainer_config(self.seed))
        return self

    def _module(self) -> SiteModule:
        return SiteModule(self.width, self.learning_rate, self.max_epochs)

    def _rebuild(self, name: str) -> SiteModule:
        return self._module()

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Multi-site logit, shape (n_events,)."""
        self._check_fitted()
        return predict_batches(self.module_, check_images(X, getattr(self, "n_channels_in_", None)))
