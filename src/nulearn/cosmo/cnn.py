"""Convolutional networks on convergence maps: architecture, Lightning module, scikit-learn wrapper, tuning.

Architecture (:class:`MapCNN`). Maps are periodic, so every convolution pads circularly. A *linear*
stem of learnable filters is followed by "power pooling" — the log of the spatial mean of the
squared filter outputs, a learnable band-power estimator — and the input's own power at four
average-pooled resolutions; this gives the network a direct path to the statistic that is
sufficient for Gaussian maps. A nonlinear body of strided convolutions adds mean and power pooling
of higher-order features (peaks, voids) for non-Gaussian maps. The pooled features are
batch-normalised and go through a small MLP. The learning rate decays exponentially each epoch
(``torch.optim.lr_scheduler.ExponentialLR``), as in the study this pillar follows.

Training uses the shared glue :func:`nulearn.ml.training.fit`; hyperparameters are searched with
:mod:`nulearn.ml.tuning` (Optuna) in :func:`tune_classifier`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from nulearn.cosmo.datasets import HoldoutSplit
from nulearn.ml.config import YAMLConfig
from nulearn.ml.training import TrainerConfig, fit, seed_everything

__all__ = [
    "CNNClassifier",
    "CNNConfig",
    "MapCNN",
    "MapClassifierModule",
    "predict_logits",
    "tune_classifier",
]


@dataclass(frozen=True)
class CNNConfig(YAMLConfig):
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

    def __init__(self, config: CNNConfig, n_outputs: int = 1) -> None:
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

    def __init__(self, config: CNNConfig, n_outputs: int) -> None:
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


class MapClassifierModule(MapModuleBase):
    """Binary classification (massless vs massive) with BCE loss and an exponential LR schedule."""

    def __init__(self, config: CNNConfig) -> None:
        super().__init__(config, n_outputs=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(batch,)``."""
        return self.net(x).squeeze(-1)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        x, y = batch
        logit = self(x)
        loss = F.binary_cross_entropy_with_logits(logit, y)
        acc = ((logit > 0).float() == y).float().mean()
        self._log_epoch(stage, x.shape[0], loss=loss, acc=acc)
        return loss


@torch.no_grad()
def predict_logits(
    module: nn.Module, maps: ArrayLike, scale: float, batch_size: int = 256
) -> NDArray[np.float64]:
    """Network outputs for maps, shape ``(n, ...)`` (evaluated in eval mode, batched)."""
    module.eval()
    arr = np.asarray(maps, dtype=np.float32)
    out = []
    for start in range(0, arr.shape[0], batch_size):
        x = torch.from_numpy(arr[start : start + batch_size] / np.float32(scale)).unsqueeze(1)
        out.append(module(x).double().numpy())
    return np.concatenate(out) if out else np.zeros(0)


class CNNClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn classifier wrapping :class:`MapClassifierModule` (X: maps ``(n, n_pix, n_pix)``).

    Args:
        config: architecture and optimiser settings.
        trainer: training-loop settings for :func:`nulearn.ml.training.fit`.
        validation_fraction: share of the training maps held out for early stopping.
    """

    def __init__(
        self,
        config: CNNConfig | None = None,
        trainer: TrainerConfig | None = None,
        validation_fraction: float = 0.2,
    ) -> None:
        self.config = config
        self.trainer = trainer
        self.validation_fraction = validation_fraction

    def _configs(self) -> tuple[CNNConfig, TrainerConfig]:
        return self.config or CNNConfig(), self.trainer or TrainerConfig(
            accelerator="cpu", max_epochs=20
        )

    def fit(self, X: ArrayLike, y: ArrayLike) -> CNNClassifier:
        """Train on maps ``X`` (n, n_pix, n_pix) with labels ``y`` (n,) in {0, 1}."""
        maps = np.asarray(X, dtype=np.float32)
        labels = np.asarray(y)
        if maps.ndim != 3:
            raise ValueError(f"X must be maps of shape (n, n_pix, n_pix), got {maps.shape}")
        self.classes_ = np.unique(labels)
        if self.classes_.size != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.size}")
        target = (labels == self.classes_[1]).astype(np.float32)
        cfg, tcfg = self._configs()
        n_val = max(1, round(self.validation_fraction * maps.shape[0]))
        split = HoldoutSplit.shuffled(maps, target, n_val, tcfg.seed)
        self.scale_ = split.scale
        seed_everything(tcfg.seed)  # the initial weights, not only the batch order
        module = MapClassifierModule(cfg)
        fit(module, *split.loaders(cfg.batch_size, tcfg.seed), tcfg)
        self.module_ = module
        self.n_features_in_ = int(np.prod(maps.shape[1:]))
        return self

    def fit_loaders(self, train_loader: Any, val_loader: Any, scale: float) -> CNNClassifier:
        """Train from ready-made loaders (e.g. :class:`~nulearn.cosmo.datasets.StreamingMaps`)."""
        cfg, tcfg = self._configs()
        self.classes_ = np.array([0, 1])
        self.scale_ = float(scale)
        seed_everything(tcfg.seed)
        module = MapClassifierModule(cfg)
        fit(module, train_loader, val_loader, tcfg)
        self.module_ = module
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Logit of class ``classes_[1]``, shape ``(n,)``."""
        check_is_fitted(self, "module_")
        return predict_logits(self.module_, X, self.scale_)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Class probabilities, shape ``(n, 2)``."""
        p1 = 0.5 * (1.0 + np.tanh(0.5 * self.decision_function(X)))
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Predicted class, shape ``(n,)``."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])

    def save(self, path: str) -> None:
        """Save weights, scale and configuration with ``torch.save``."""
        check_is_fitted(self, "module_")
        cfg, _ = self._configs()
        torch.save(
            {
                "state_dict": self.module_.state_dict(),
                "scale": self.scale_,
                "config": cfg.to_dict(),
                "classes": self.classes_.tolist(),
            },
            path,
        )

    @classmethod
    def load(cls, path: str) -> CNNClassifier:
        """Inverse of :meth:`save`."""
        blob = torch.load(path, map_location="cpu", weights_only=False)
        cfg = CNNConfig.from_dict(blob["config"])
        obj = cls(config=cfg)
        obj.module_ = MapClassifierModule(cfg)
        obj.module_.load_state_dict(blob["state_dict"])
        obj.scale_ = float(blob["scale"])
        obj.classes_ = np.asarray(blob["classes"])
        return obj


def tune_classifier(
    train_maps: ArrayLike,
    train_labels: ArrayLike,
    n_trials: int,
    base: CNNConfig | None = None,
    trainer: TrainerConfig | None = None,
    study_name: str = "cosmo_cnn",
    directory: str = ".",
    seed: int = 0,
) -> tuple[CNNConfig, Any]:
    """Search learning rate, its exponential decay, stem width/kernel and weight decay with Optuna.

    Uses the project's :mod:`nulearn.ml.tuning` (SQLite-backed, resumable study, median pruning
    through :class:`~nulearn.ml.tuning.PruningCallback`); the objective is the validation loss.

    Returns:
        The best configuration and the study.
    """
    from nulearn.ml.tuning import PruningCallback, create_study, run_trials

    maps = np.asarray(train_maps, dtype=np.float32)
    labels = np.asarray(train_labels).astype(np.float32)
    base_cfg = base or CNNConfig()
    tcfg = trainer or TrainerConfig(accelerator="cpu", max_epochs=10, patience=3)
    split = HoldoutSplit.shuffled(maps, labels, max(1, maps.shape[0] // 5), seed)

    def suggest(trial: Any) -> CNNConfig:
        return replace(
            base_cfg,
            learning_rate=trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
            lr_decay=trial.suggest_float("lr_decay", 0.8, 1.0),
            stem_channels=trial.suggest_categorical("stem_channels", [4, 8, 16]),
            stem_kernel=trial.suggest_categorical("stem_kernel", [3, 5, 7]),
            weight_decay=trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        )

    def objective(trial: Any) -> float:
        cfg = suggest(trial)
        seed_everything(seed)
        module = MapClassifierModule(cfg)
        trainer_out = fit(
            module,
            *split.loaders(cfg.batch_size, seed),
            tcfg,
            callbacks=[PruningCallback(trial, "val_loss")],
        )
        stopper = trainer_out.early_stopping_callback
        if stopper is not None and torch.isfinite(stopper.best_score):
            return float(stopper.best_score)
        return float(trainer_out.callback_metrics["val_loss"])

    study = create_study(study_name, directory=directory, seed=seed, direction="minimize")
    run_trials(study, objective, n_trials=n_trials)
    best = suggest(study.best_trial) if study.best_trial is not None else base_cfg
    return best, study
