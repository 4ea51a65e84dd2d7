"""What the TPC waveform networks share: the supervised Lightning steps and the estimators'
training parameters.

:class:`SupervisedModule` logs ``train_loss`` and ``val_loss`` from one ``_loss`` per subclass and
optimises with AdamW under a cosine schedule; :class:`WaveformEstimator` holds the training
parameters of the scikit-learn estimators (:class:`~nulearn.detector.tpc.energy_cnn.WaveformEnergyRegressor`,
:class:`~nulearn.detector.tpc.discrimination.WaveformSiteClassifier`) as a keyword-only dataclass,
so that ``get_params``/``set_params``/``clone`` see every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightning as L
import torch
from sklearn.base import BaseEstimator

from nulearn.ml.training import TrainerConfig

__all__ = ["SupervisedModule", "WaveformEstimator"]


class SupervisedModule(L.LightningModule):
    """Lightning steps of a network trained on ``(images, target)`` batches with one loss.

    Subclasses build the network, call ``save_hyperparameters()`` with ``learning_rate`` and
    ``max_epochs`` among the arguments, and implement :meth:`_loss`.
    """

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self) -> Any:
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.hparams["learning_rate"], weight_decay=1e-4
        )
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(
            opt, T_max=max(self.hparams["max_epochs"], 1)
        )
        return {"optimizer": opt, "lr_scheduler": sched}


@dataclass(eq=False, repr=False, kw_only=True)
class WaveformEstimator(BaseEstimator):
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
