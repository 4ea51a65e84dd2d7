"""CNN regressing the event position (x, y, z) from the raw APD waveforms.

Input: the 74 light waveforms of an event, shape (74, n_samples), electrons at the APD output.
:class:`LightPositionNet`:

1. normalises each event by its total light (the sum over channels of the per-channel maximum),
   so that the network sees the light *pattern*, which carries the position, and receives the
   log of the total separately (the pattern's precision grows with the light, i.e. the energy);
2. filters every channel with the same small 1D convolution stack over time (a learned matched
   filter: the flash is prompt, and noise is coloured by the shaper), pooled to a few features
   per channel;
3. mixes the channels with an MLP over all 74 x features, which learns the light map of the
   detector (direct solid angle and reflections) that a centroid ignores.

Targets are scaled to O(1) (x, y by the reflector radius, z by the APD-plane distance) and the
loss is the mean squared error. :class:`LightPositionRegressor` is a scikit-learn regressor
trained through :func:`nulearn.ml.training.fit` (early stopping on a held-out fraction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from sklearn.base import RegressorMixin
from torch import nn

from nulearn.detector.tpc.models.training import (
    SupervisedModule,
    WaveformEstimator,
    check_images,
    image_loaders,
)
from nulearn.detector.tpc.physics.light_config import LightConfig
from nulearn.ml.estimator import predict_batches

__all__ = ["LightPositionModule", "LightPositionNet", "LightPositionRegressor"]


class LightPositionNet(nn.Module):
    """Per-channel temporal convolutions, then channel mixing; output (batch, 3), scaled units.

    Args:
        n_channels: APD channels (74).
        width: filters of the temporal convolutions.
        hidden: width of the channel-mixing MLP.

    >>> net = LightPositionNet(74, 4, 32)
    >>> tuple(net(torch.rand(2, 74, 64)).shape)
    (2, 3)
    """

    def __init__(self, n_channels: int = 74, width: int = 8, hidden: int = 256) -> None:
        super().__init__()
        self.n_channels = n_channels
        self.temporal = nn.Sequential(
            nn.Conv1d(1, width, 9, padding=4),
            nn.GELU(),
            nn.Conv1d(width, width, 9, padding=4, stride=2),
            nn.GELU(),
        )
        feats = n_channels * 2 * width + 1
        self.mix = nn.Sequential(
            nn.Linear(feats, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden // 2),
            nn.GELU(),
            nn.Linear(hidden // 2, 3),
        )

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """Scaled position, shape (batch, 3), from waveforms (batch, n_channels, n_samples)."""
        b, c, t = waveforms.shape
        total = waveforms.clamp(min=0).amax(dim=2).sum(dim=1).clamp(min=1e-3)  # (b,)
        x = waveforms / total[:, None, None] * c
        h = self.temporal(x.reshape(b * c, 1, t))
        h = torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1).reshape(b, -1)
        return self.mix(torch.cat([h, torch.log(total)[:, None] - 13.0], dim=1))


class LightPositionModule(SupervisedModule):
    """Lightning wrapper of :class:`LightPositionNet`: mean squared error on the scaled position."""

    def __init__(
        self,
        n_channels: int = 74,
        width: int = 8,
        hidden: int = 256,
        learning_rate: float = 2e-3,
        max_epochs: int = 10,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = LightPositionNet(n_channels, width, hidden)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """Scaled position, shape (batch, 3)."""
        return self.net(waveforms)

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return torch.mean((self.net(x) - y) ** 2)


@dataclass(eq=False, repr=False, kw_only=True)
class LightPositionRegressor(RegressorMixin, WaveformEstimator):
    """CNN position regressor on APD waveforms; positions in mm, shape (n, 3).

    Args:
        config: light readout; its reflector radius and APD-plane distance scale the targets.
        hidden: width of the channel-mixing MLP.

    The other (keyword-only) parameters are the training parameters of
    :class:`~nulearn.detector.tpc.models.training.WaveformEstimator`.
    """

    config: LightConfig | None = None
    hidden: int = 256

    torch_attributes = ("module_",)

    def _scale(self) -> NDArray[np.float32]:
        cfg = self.config or LightConfig()
        r, z = cfg.reflector_radius_mm, cfg.apd_plane_z_mm
        return np.array([r, r, z], dtype=np.float32)

    def fit(self, X: Any, y: Any) -> LightPositionRegressor:
        """Train on waveforms X (n, n_channels, n_samples) and positions y (n, 3) in mm."""
        x = check_images(X)
        target = np.asarray(y, dtype=np.float32)
        if target.shape != (x.shape[0], 3):
            raise ValueError(f"y must have shape ({x.shape[0]}, 3) (mm); got {target.shape}")
        self.n_channels_in_ = x.shape[1]
        loaders = image_loaders(
            x, target / self._scale(), self.batch_size, self.val_fraction, self.seed
        )
        self.module_, _ = self._train(
            self._rebuild, *loaders, self._trainer_config(self.seed, gradient_clip_val=5.0)
        )
        return self

    def _rebuild(self, name: str = "module_") -> LightPositionModule:
        return LightPositionModule(
            getattr(self, "n_channels_in_", 74),
            self.width,
            self.hidden,
            self.learning_rate,
            self.max_epochs,
        )

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Positions in mm, shape (n, 3)."""
        self._check_fitted()
        x = check_images(X, getattr(self, "n_channels_in_", None))
        out = predict_batches(self.module_, x, 256).reshape(x.shape[0], 3)
        return out * self._scale()
