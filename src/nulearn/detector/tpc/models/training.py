"""What the TPC waveform networks share: the supervised Lightning steps, the estimators' training
parameters, input checks and the training/validation loaders of waveform images.

:class:`~nulearn.ml.training.SupervisedModule` (shared by every detector network, re-exported
here) logs ``train_loss`` and ``val_loss`` from one ``_loss`` per subclass and optimises with AdamW
under a cosine schedule; :class:`WaveformEstimator` (a
:class:`~nulearn.ml.estimator.TorchEstimator`: images are in physical units, 1000 electrons, so
no standardization) holds the training parameters of the scikit-learn estimators
(:class:`~nulearn.detector.tpc.models.energy.WaveformEnergyRegressor`,
:class:`~nulearn.detector.tpc.models.discrimination.WaveformSiteClassifier`) as a keyword-only
dataclass, so that ``get_params``/``set_params``/``clone`` see every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch.utils.data import DataLoader

from nulearn.ml.estimator import TorchEstimator
from nulearn.ml.loaders import holdout_loaders
from nulearn.ml.splits import holdout_count, shuffled_holdout
from nulearn.ml.training import SupervisedModule, TrainerConfig

__all__ = ["SupervisedModule", "WaveformEstimator", "check_images", "image_loaders"]


def check_images(images: Any, n_channels: int | None = None) -> NDArray[np.float32]:
    """Validate images of shape (n_events, n_channels, n_time) and return them as float32."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (n_events, n_channels, n_time); got {x.shape}")
    if n_channels is not None and x.shape[1] != n_channels:
        raise ValueError(f"images have {x.shape[1]} channels; the model was fitted on {n_channels}")
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x).reshape(x.shape[0], -1).all(axis=1))[0])
        raise ValueError(f"images contain non-finite values (first at event index {bad})")
    return x


def image_loaders(
    x: NDArray[np.float32], y: NDArray[np.float32], batch_size: int, val_fraction: float, seed: int
) -> tuple[DataLoader[Any], DataLoader[Any]]:
    """Training (shuffled with ``seed``) and validation loaders of images ``(n, channels, time)``
    and targets ``(n, ...)``, a seeded random ``val_fraction`` held out."""
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"need at least 4 events to train; got {n}")
    split = shuffled_holdout(n, holdout_count(n, val_fraction), seed)
    return holdout_loaders((x, y), split, batch_size, seed, val_batch_size=4 * batch_size)


@dataclass(eq=False, repr=False, kw_only=True)
class WaveformEstimator(TorchEstimator):
    """Training parameters shared by the waveform estimators (keyword-only).

    Args:
        width: trunk width.
        max_epochs: training epochs (per member of an ensemble).
        batch_size: minibatch size.
        learning_rate: AdamW learning rate (cosine annealed).
        val_fraction: held-out fraction for early stopping.
        patience: early-stopping patience in epochs.
        seed: random seed.
        num_threads: torch CPU threads (None: leave as is).
    """

    width: int = 8
    max_epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 2e-3
    val_fraction: float = 0.15
    patience: int = 4
    seed: int = 0
    num_threads: int | None = None

    def _trainer_config(self, seed: int, **overrides: Any) -> TrainerConfig:
        """The CPU training loop of one network with early stopping on ``val_loss``."""
        return TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            accelerator="cpu",
            devices=1,
            seed=seed,
            num_threads=self.num_threads,
            **overrides,
        )
