"""The network and Lightning module behind :class:`nulearn.flavor.models.mlp.classifier.MLPClassifier`.

:func:`build_network` stacks Linear -> BatchNorm -> ReLU -> Dropout blocks; :class:`MLPModule`
trains it with class-weighted binary cross-entropy (weights from :func:`class_weights`), AdamW
and a cosine or step schedule, and logs ``val_loss`` and ``val_f1`` for early stopping and
pruning. Batches come from :func:`nulearn.ml.loaders.array_loader` (one gather per batch, not
one per sample, which matters at a million rows on a CPU).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn
from torch.nn import functional as F

from nulearn.flavor.models.mlp.config import (
    CLASS_WEIGHT_MODES,
    MLPConfig,
    check_choice,
)
from nulearn.ml.calibration import sigmoid
from nulearn.ml.metrics import best_f1_threshold

__all__ = ["MLPModule", "build_network", "class_weights", "multiply_adds_per_cell"]


def build_network(
    n_features: int, hidden_layers: Sequence[int], dropout: float, batch_norm: bool
) -> nn.Sequential:
    """Linear -> [BatchNorm] -> ReLU -> [Dropout] per hidden layer, then Linear to one logit.

    Input ``(batch, n_features)`` standardized features; output ``(batch, 1)`` logits.
    """
    layers: list[nn.Module] = []
    width_in = n_features
    for width in hidden_layers:
        # A bias before BatchNorm is cancelled by its mean subtraction, so drop it there.
        layers.append(nn.Linear(width_in, int(width), bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm1d(int(width)))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width_in = int(width)
    layers.append(nn.Linear(width_in, 1))
    return nn.Sequential(*layers)


def multiply_adds_per_cell(n_features: int, hidden_layers: Sequence[int]) -> int:
    """Multiply-adds of one forward pass for one cell (BatchNorm folded into the linear layers)."""
    widths = [n_features, *[int(w) for w in hidden_layers], 1]
    return int(sum(a * b for a, b in itertools.pairwise(widths)))


def class_weights(y: ArrayLike, mode: str = "balanced") -> tuple[float, float]:
    """(w0, w1) with w_c = n / (2 n_c) for ``"balanced"`` (sklearn's convention), (1, 1) for ``"none"``.

    Args:
        y: training labels ``(n,)`` in {0, 1}, both classes present.
    """
    check_choice("class_weight", mode, CLASS_WEIGHT_MODES)
    y_arr = np.asarray(y).reshape(-1)
    if mode == "none":
        return 1.0, 1.0
    n1 = int(np.count_nonzero(y_arr == 1))
    n0 = int(y_arr.size - n1)
    if n0 == 0 or n1 == 0:
        raise ValueError(
            f"class weights need both classes in the training split; got n0={n0}, n1={n1}"
        )
    return y_arr.size / (2.0 * n0), y_arr.size / (2.0 * n1)


class MLPModule(L.LightningModule):
    """Lightning wrapper: class-weighted BCE, AdamW and an LR schedule around :func:`build_network`.

    Logs ``train_loss``, ``val_loss`` (class-weighted BCE, the early-stopping monitor) and
    ``val_f1`` (best-threshold F1 on the validation split, for pruning and monitoring).
    """

    def __init__(
        self,
        n_features: int,
        config: MLPConfig,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> None:
        super().__init__()
        self.config = config
        self.net = build_network(
            n_features, config.hidden_layers, config.dropout, config.batch_norm
        )
        self.register_buffer("class_weight", torch.tensor(weights, dtype=torch.float32))
        self._val_logits: list[torch.Tensor] = []
        self._val_labels: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch,)`` for standardized features ``(batch, n_features)``."""
        return self.net(x).squeeze(-1)

    def _loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        cw: torch.Tensor = self.class_weight  # type: ignore[assignment]
        w = torch.where(y > 0.5, cw[1], cw[0])
        return F.binary_cross_entropy_with_logits(logits, y, weight=w)

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        x, y = batch
        loss = self._loss(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.log("val_loss", self._loss(logits, y), on_epoch=True, batch_size=len(y))
        self._val_logits.append(logits.detach().float().cpu())
        self._val_labels.append(y.detach().cpu())

    def on_validation_epoch_end(self) -> None:
        if self._val_logits:
            z = torch.cat(self._val_logits).numpy()
            y = torch.cat(self._val_labels).numpy().astype(np.int64)
            if 0 < y.sum() < y.size:
                _, f1 = best_f1_threshold(y, sigmoid(z))
                self.log("val_f1", float(f1))
        self._val_logits.clear()
        self._val_labels.clear()

    def configure_optimizers(self) -> Any:
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for p in self.net.parameters():
            # Decay weights of linear layers only: shrinking BatchNorm scales or biases
            # towards zero is not a useful prior (Loshchilov & Hutter 2019 apply AdamW likewise).
            (decay if p.ndim >= 2 else no_decay).append(p)
        opt = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": self.config.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=self.config.learning_rate,
        )
        if self.config.schedule == "constant":
            return opt
        sched: torch.optim.lr_scheduler.LRScheduler
        if self.config.schedule == "cosine":
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.config.max_epochs)
        else:
            sched = torch.optim.lr_scheduler.StepLR(
                opt, step_size=self.config.step_size, gamma=self.config.step_gamma
            )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
