r"""Learned fast-instability growth rates: log10 of the solver's growth rate from moment features.

The dispersion-relation solver (:mod:`nulearn.flavor.physics.stability`) costs tens of milliseconds per
cell; a regressor on the same moment features costs microseconds. Two models:

* :func:`gbt_growth_regressor`: LightGBM gradient-boosted trees on the unstable cells (baseline);
* :class:`GrowthMLPRegressor`: the deep MLP of :mod:`nulearn.flavor.models.mlp.classifier` (same architecture builder,
  :func:`~nulearn.flavor.models.mlp.classifier.build_network`) with a second head. The shared trunk feeds a crossing
  logit (trained with binary cross-entropy on every cell) and a log-growth head (mean squared
  error on unstable cells only), trained through :func:`nulearn.ml.training.fit`.

Targets are :math:`\log_{10}` of the growth rate in units of :math:`\sqrt2 G_F n_{\nu_e}`; stable
cells (growth rate 0) have no logarithm and only train the crossing head. Errors are reported in
dex (:func:`error_by_depth`) against the crossing depth, where shallow crossings carry the smallest
and hardest growth rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from nulearn.flavor.models.mlp.classifier import build_network
from nulearn.ml.training import TrainerConfig, fit, seed_everything
from nulearn.ml.validation import finite_matrix

__all__ = ["GrowthMLPRegressor", "GrowthModule", "gbt_growth_regressor"]

FloatArray = NDArray[np.float64]


def gbt_growth_regressor(random_state: int = 0, **params: Any) -> Any:
    """LightGBM regressor of log10 growth (fit it on unstable cells); one thread, deterministic."""
    from lightgbm import LGBMRegressor

    settings: dict[str, Any] = {
        "n_estimators": 600,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 10,
        "n_jobs": 1,
        "random_state": random_state,
        "verbose": -1,
    }
    settings.update(params)
    return LGBMRegressor(**settings)


class GrowthModule(L.LightningModule):
    """Shared MLP trunk with a crossing-logit head and a log-growth head.

    Loss: BCE(crossing logit, crossing) + ``growth_weight`` * MSE(standardized log growth) on the
    unstable cells of the batch. Logs ``train_loss`` and ``val_loss``.
    """

    def __init__(
        self,
        n_features: int,
        hidden_layers: Sequence[int],
        dropout: float,
        batch_norm: bool,
        learning_rate: float,
        weight_decay: float,
        max_epochs: int,
        growth_weight: float = 1.0,
    ) -> None:
        super().__init__()
        net = build_network(n_features, hidden_layers, dropout, batch_norm)
        head = net[-1]
        if not isinstance(head, nn.Linear):  # build_network ends in the logit layer
            raise TypeError(
                f"expected a Linear output layer from build_network, got {type(head).__name__}"
            )
        # The issue-4 network up to its last hidden layer is the trunk; its output layer is the crossing head.
        self.trunk = net[:-1]
        self.crossing_head = head
        self.growth_head = nn.Linear(head.in_features, 1)
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.growth_weight = growth_weight

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(crossing logits (batch,), standardized log growth (batch,)) for features (batch, n_features)."""
        z = self.trunk(x)
        return self.crossing_head(z).squeeze(-1), self.growth_head(z).squeeze(-1)

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, crossing, target = batch
        logit, pred = self(x)
        unstable = crossing > 0.5
        loss = (
            F.binary_cross_entropy_with_logits(logit, crossing)
            if crossing.min() < 0.5
            else logit.sum() * 0.0
        )
        if unstable.any():
            loss = loss + self.growth_weight * F.mse_loss(pred[unstable], target[unstable])
        return loss

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        return loss

    def validation_step(
        self, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor], batch_idx: int
    ) -> None:
        self.log("val_loss", self._loss(batch), on_epoch=True, batch_size=len(batch[0]))

    def configure_optimizers(self) -> Any:
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=self.max_epochs)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}


class GrowthMLPRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """scikit-learn regressor of log10 growth rate with a second (crossing) head.

    ``fit(X, y, crossing=None)``: ``y`` is log10 of the growth rate per cell (ignored where
    ``crossing`` is 0, so NaN is allowed there); without ``crossing`` every cell counts as unstable.
    ``predict`` returns log10 growth, :meth:`predict_crossing_proba` P(crossing), and
    :meth:`predict_growth_rate` the rate (0 where P(crossing) < 0.5).

    Args:
        hidden_layers, dropout, batch_norm: architecture (:func:`~nulearn.flavor.models.mlp.classifier.build_network`).
        learning_rate, weight_decay, batch_size, max_epochs, patience: AdamW + cosine schedule with
            early stopping on the validation loss.
        val_fraction: share of the training rows held out for early stopping, in (0, 1).
        growth_weight: weight of the growth MSE against the crossing BCE.
        seed: seed of the split, the initialisation and the batch order.
        num_threads: PyTorch CPU threads (``None``: default).
        accelerator: Lightning accelerator.
    """

    def __init__(
        self,
        hidden_layers: tuple[int, ...] = (256, 256, 128),
        dropout: float = 0.0,
        batch_norm: bool = True,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-5,
        batch_size: int = 256,
        max_epochs: int = 300,
        patience: int = 30,
        val_fraction: float = 0.15,
        growth_weight: float = 1.0,
        seed: int = 0,
        num_threads: int | None = None,
        accelerator: str = "cpu",
    ) -> None:
        self.hidden_layers = hidden_layers
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.growth_weight = growth_weight
        self.seed = seed
        self.num_threads = num_threads
        self.accelerator = accelerator

    def fit(self, X: Any, y: ArrayLike, crossing: ArrayLike | None = None) -> GrowthMLPRegressor:
        """Train both heads; returns self."""
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction = {self.val_fraction!r}; allowed range (0, 1)")
        x = finite_matrix(X)
        target = np.asarray(y, dtype=np.float64).reshape(-1)
        if target.size != x.shape[0]:
            raise ValueError(f"y has {target.size} values but X has {x.shape[0]} rows")
        label = (
            np.ones(x.shape[0])
            if crossing is None
            else np.asarray(crossing, dtype=np.float64).reshape(-1)
        )
        if label.size != x.shape[0] or not np.isin(label, (0.0, 1.0)).all():
            raise ValueError("crossing must hold one 0/1 label per row of X")
        unstable = label > 0.5
        bad = np.flatnonzero(unstable & ~np.isfinite(target))
        if bad.size:
            raise ValueError(
                f"y[{bad[0]}] = {target[bad[0]]!r}; log10 growth must be finite on unstable cells"
            )
        if unstable.sum() < 2:
            raise ValueError("need at least two unstable cells to fit the growth head")
        self.n_features_in_ = x.shape[1]
        self.x_mean_, self.x_scale_ = x.mean(axis=0), x.std(axis=0) + 1e-12
        self.y_mean_ = float(target[unstable].mean())
        self.y_scale_ = float(target[unstable].std() + 1e-12)
        y_std = np.where(unstable, (np.nan_to_num(target) - self.y_mean_) / self.y_scale_, 0.0)
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(x.shape[0])
        n_val = max(1, round(self.val_fraction * x.shape[0]))
        val, train = order[:n_val], order[n_val:]
        tensors = [
            torch.as_tensor(a, dtype=torch.float32) for a in (self._standardize(x), label, y_std)
        ]
        seed_everything(self.seed)
        self.module_ = GrowthModule(
            x.shape[1],
            self.hidden_layers,
            self.dropout,
            self.batch_norm,
            self.learning_rate,
            self.weight_decay,
            self.max_epochs,
            self.growth_weight,
        )
        generator = torch.Generator().manual_seed(self.seed)
        train_loader = DataLoader(
            TensorDataset(*(t[train] for t in tensors)),
            batch_size=self.batch_size,
            shuffle=True,
            generator=generator,
            drop_last=len(train) > self.batch_size and len(train) % self.batch_size == 1,
        )
        val_loader = DataLoader(TensorDataset(*(t[val] for t in tensors)), batch_size=4096)
        config = TrainerConfig(
            max_epochs=self.max_epochs,
            patience=self.patience,
            accelerator=self.accelerator,
            devices=1,
            seed=self.seed,
            num_threads=self.num_threads,
        )
        fit(self.module_, train_loader, val_loader, config)
        self.module_.eval()
        return self

    def _standardize(self, x: FloatArray) -> FloatArray:
        return (x - self.x_mean_) / self.x_scale_

    def _heads(self, X: Any) -> tuple[FloatArray, FloatArray]:
        if not hasattr(self, "module_"):
            raise ValueError("GrowthMLPRegressor is not fitted; call fit first")
        x = finite_matrix(X)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features; the model was fitted with {self.n_features_in_}"
            )
        with torch.no_grad():
            logit, pred = self.module_(torch.as_tensor(self._standardize(x), dtype=torch.float32))
        return logit.double().numpy(), pred.double().numpy() * self.y_scale_ + self.y_mean_

    def predict(self, X: Any) -> FloatArray:
        """log10 growth rate (units of sqrt(2) G_F n_nue), shape (n_samples,)."""
        return self._heads(X)[1]

    def predict_crossing_proba(self, X: Any) -> FloatArray:
        """P(crossing) from the second head, shape (n_samples,)."""
        return 1.0 / (1.0 + np.exp(-self._heads(X)[0]))

    def predict_growth_rate(self, X: Any) -> FloatArray:
        """Growth rate in units of sqrt(2) G_F n_nue; 0 where P(crossing) < 0.5. Shape (n_samples,)."""
        logit, log_rate = self._heads(X)
        return np.where(logit >= 0.0, 10.0**log_rate, 0.0)


