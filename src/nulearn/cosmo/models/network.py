"""The convolutional network on convergence maps and its Lightning training steps.

Architecture (:class:`MapCNN`). Maps are periodic, so every convolution pads circularly. A *linear*
stem of learnable filters is followed by "power pooling" — the log of the spatial mean of the
squared filter outputs, a learnable band-power estimator — and the input's own power at four
average-pooled resolutions; this gives the network a direct path to the statistic that is
sufficient for Gaussian maps. A nonlinear body of strided convolutions adds mean and power pooling
of higher-order features (peaks, voids) for non-Gaussian maps. The pooled features are
batch-normalised and go through a small MLP. The learning rate decays exponentially each epoch
(``torch.optim.lr_scheduler.ExponentialLR``), as in the study this pillar follows.

Maps reach the network divided by one global scale, the κ standard deviation of the training
maps (:func:`map_inputs`; :data:`~nulearn.ml.estimator.STANDARDIZATIONS` ``"global"``): a per-map
normalisation would erase the amplitude information. The classifier and the regressor
(:mod:`~nulearn.cosmo.models.classifier`, :mod:`~nulearn.cosmo.models.regressor`) train it
through :func:`nulearn.ml.training.fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader

from nulearn.ml.config import YAMLConfig
from nulearn.ml.estimator import standardize
from nulearn.ml.loaders import array_loader
from nulearn.ml.splits import Holdout

__all__ = [
    "LensingCNNConfig",
    "MapCNN",
    "MapModuleBase",
    "map_inputs",
    "map_loader",
    "map_loaders",
]


@dataclass(frozen=True)
class LensingCNNConfig(YAMLConfig):
    """Architecture and optimiser settings; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        stem_channels: linear filters in the stem (each gives one band-power feature).
        stem_kernel: stem kernel size in pixels (odd).
        body_channels: channels of the nonlinear strided-convolution body, one entry per layer.
        hidden: width of the MLP head.
        dropout: dropout before the last layer.
        learning_rate: initial Adam learning rate.
        lr_decay: multiplicative learning-rate decay per epoch (exponential schedule).
        weight_decay: AdamW weight decay.
        batch_size: maps per batch.
    """

    stem_channels: int = 8
    stem_kernel: int = 5
    body_channels: tuple[int, ...] = (16, 16, 32)
    hidden: int = 32
    dropout: float = 0.0
    learning_rate: float = 3e-3
    lr_decay: float = 0.9
    weight_decay: float = 1e-4
    batch_size: int = 64

    yaml_sort_keys = True

    def __post_init__(self) -> None:
        if self.stem_kernel % 2 == 0 or self.stem_kernel < 1:
            raise ValueError(f"stem_kernel = {self.stem_kernel} must be odd and >= 1")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay = {self.lr_decay} outside the allowed range (0, 1]")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout = {self.dropout} outside the allowed range [0, 1)")


def _power_pool(h: torch.Tensor) -> torch.Tensor:
    """log ⟨h²⟩ over pixels, shape (batch, channels): a band power when h is a filtered map."""
    return torch.log(h.pow(2).mean(dim=(-2, -1)) + 1e-6)


class MapCNN(nn.Module):
    """CNN from a map ``(batch, 1, n, n)`` to ``n_outputs`` numbers (see module docstring).

    Pooled features: log⟨x²⟩ of the input average-pooled by 1, 2, 4, 8 (differences of these are
    octave band powers), log⟨h²⟩ of each linear stem filter, and mean and log⟨h²⟩ of each body
    layer. They are batch-normalised before the MLP head: the class signal is a few-percent shift
    of log-powers whose absolute values are O(1), and without the normalisation the head would
    have to learn from tiny relative variations (slow, badly conditioned training).

    Args:
        config: architecture settings.
        n_outputs: 1 (classification logit) or 2 (regression mean and log-variance).
    """

    n_pyramid = 4

    def __init__(self, config: LensingCNNConfig, n_outputs: int = 1) -> None:
        super().__init__()
        c0 = config.stem_channels
        self.stem = nn.Conv2d(
            1,
            c0,
            config.stem_kernel,
            padding=config.stem_kernel // 2,
            padding_mode="circular",
            bias=False,
        )
        layers: list[nn.Module] = []
        c_in = c0
        for c in config.body_channels:
            layers.append(nn.Conv2d(c_in, c, 3, stride=2, padding=1, padding_mode="circular"))
            c_in = c
        self.body = nn.ModuleList(layers)
        n_features = self.n_pyramid + c0 + 2 * sum(config.body_channels)
        self.feature_norm = nn.BatchNorm1d(n_features)
        self.head = nn.Sequential(
            nn.Linear(n_features, config.hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, n_outputs),
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled, un-normalised features, shape ``(batch, n_features)``."""
        pyramid = []
        xs = x
        for level in range(self.n_pyramid):
            if level:
                xs = F.avg_pool2d(xs, 2)
            pyramid.append(_power_pool(xs))
        h = self.stem(x)
        features = [*pyramid, _power_pool(h)]
        h = F.gelu(h)
        for conv in self.body:
            h = F.gelu(conv(h))
            features.append(h.mean(dim=(-2, -1)))
            features.append(_power_pool(h))
        return torch.cat(features, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs, shape ``(batch, n_outputs)``."""
        return self.head(self.feature_norm(self.features(x)))


class MapModuleBase(L.LightningModule):
    """A :class:`MapCNN` trained with AdamW and the exponential learning-rate decay of the study.

    Subclasses define ``forward`` and ``_step(batch, stage)`` (loss and logging).
    """

    def __init__(self, config: LensingCNNConfig, n_outputs: int) -> None:
        super().__init__()
        self.config = config
        self.net = MapCNN(config, n_outputs=n_outputs)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        raise NotImplementedError

    def _log_epoch(self, stage: str, batch_size: int, **metrics: torch.Tensor) -> None:
        """Log each metric as ``<stage>_<name>``, averaged over the epoch, in the progress bar."""
        for name, value in metrics.items():
            self.log(
                f"{stage}_{name}",
                value,
                prog_bar=True,
                on_epoch=True,
                on_step=False,
                batch_size=batch_size,
            )

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        return self._step(batch, "val")

    def configure_optimizers(self) -> Any:
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.config.learning_rate, weight_decay=self.config.weight_decay
        )
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=self.config.lr_decay)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}


def map_inputs(maps: ArrayLike) -> torch.Tensor:
    """Standardized maps ``(n, n_pix, n_pix)`` as the network's input ``(n, 1, n_pix, n_pix)``."""
    return torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32)).unsqueeze(1)


def map_loader(
    maps: ArrayLike,
    targets: ArrayLike,
    scale: float,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader[Any]:
    """DataLoader of ``(map / scale, target)`` pairs (:func:`nulearn.ml.loaders.array_loader`).

    Args:
        maps: κ maps, shape ``(n, n_pix, n_pix)``.
        targets: labels or M_ν, shape ``(n,)``.
        scale: divide maps by this (a global constant, the training-set κ standard deviation:
            per-map normalisation would erase the amplitude information).
        batch_size: maps per batch.
        shuffle: reshuffle every epoch.
        seed: shuffling seed.
    """
    x = map_inputs(standardize(maps, 0.0, scale, "global"))
    # training batches are full (drop_last) so batch normalisation never sees a single map,
    # unless the whole set is smaller than one batch
    return array_loader(
        x,
        np.asarray(targets, dtype=np.float32),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        drop_last=shuffle and x.shape[0] > batch_size,
    )


def map_loaders(
    maps: ArrayLike, targets: ArrayLike, split: Holdout, scale: float, batch_size: int, seed: int
) -> tuple[DataLoader[Any], DataLoader[Any]]:
    """Training loader (shuffled with ``seed``) and validation loader of the maps ``(n, n_pix,
    n_pix)`` and targets ``(n,)`` of a holdout ``split``."""
    m, t = np.asarray(maps), np.asarray(targets)
    return (
        map_loader(m[split.train], t[split.train], scale, batch_size, True, seed),
        map_loader(m[split.val], t[split.val], scale, 256),
    )
