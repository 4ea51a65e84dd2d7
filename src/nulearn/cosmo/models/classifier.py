"""Massless vs massive neutrinos from one convergence map: the CNN classifier.

:class:`CNNClassifier` is a scikit-learn classifier (:class:`~nulearn.ml.estimator.TorchBinaryClassifier`
with the global standardization of the maps) around :class:`MapClassifierModule`, the
:class:`~nulearn.cosmo.models.network.MapCNN` trained on binary cross-entropy. A fitted classifier
is saved as a weights-only PyTorch file (:meth:`CNNClassifier.save`): weights, input scale,
classes and the configuration as a plain dict.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch.nn import functional as F

from nulearn.cosmo.models.network import LensingCNNConfig, MapModuleBase, map_inputs, map_loaders
from nulearn.ml.estimator import TorchBinaryClassifier, predict_batches
from nulearn.ml.splits import shuffled_holdout
from nulearn.ml.training import TrainerConfig, load_weights, seed_everything
from nulearn.ml.training import fit as fit_module

__all__ = [
    "CNNClassifier",
    "MapClassifierModule",
    "check_finite_maps",
    "check_finite_weights",
    "model_file_errors",
    "read_model_file",
]


class MapClassifierModule(MapModuleBase):
    """Binary classification (massless vs massive) with BCE loss and an exponential LR schedule."""

    def __init__(self, config: LensingCNNConfig) -> None:
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


class CNNClassifier(TorchBinaryClassifier):
    """scikit-learn classifier wrapping :class:`MapClassifierModule` (X: maps ``(n, n_pix, n_pix)``).

    Args:
        config: architecture and optimiser settings.
        trainer: training-loop settings for :func:`nulearn.ml.training.fit`.
        validation_fraction: share of the training maps held out for early stopping.
    """

    standardization = "global"
    torch_attributes = ("module_",)

    def __init__(
        self,
        config: LensingCNNConfig | None = None,
        trainer: TrainerConfig | None = None,
        validation_fraction: float = 0.2,
    ) -> None:
        self.config = config
        self.trainer = trainer
        self.validation_fraction = validation_fraction

    def _configs(self) -> tuple[LensingCNNConfig, TrainerConfig]:
        return self.config or LensingCNNConfig(), self.trainer or TrainerConfig(
            accelerator="cpu", max_epochs=20
        )

    def fit(self, X: ArrayLike, y: ArrayLike) -> CNNClassifier:
        """Train on maps ``X`` (n, n_pix, n_pix) with labels ``y`` (n,) in {0, 1}."""
        maps = np.asarray(X, dtype=np.float32)
        labels = np.asarray(y)
        if maps.ndim != 3:
            raise ValueError(f"X must be maps of shape (n, n_pix, n_pix), got {maps.shape}")
        check_finite_maps(maps)
        self.classes_ = np.unique(labels)
        if self.classes_.size != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.size}")
        target = (labels == self.classes_[1]).astype(np.float32)
        cfg, tcfg = self._configs()
        n_val = max(1, round(self.validation_fraction * maps.shape[0]))
        split = shuffled_holdout(maps.shape[0], n_val, tcfg.seed)
        self._fit_standardization(maps[split.train])
        loaders = map_loaders(maps, target, split, self.scale_, cfg.batch_size, tcfg.seed)
        self.module_, _ = self._train(lambda: MapClassifierModule(cfg), *loaders, tcfg)
        self.n_features_in_ = int(np.prod(maps.shape[1:]))
        return self

    def fit_loaders(self, train_loader: Any, val_loader: Any, scale: float) -> CNNClassifier:
        """Train from ready-made loaders of maps already divided by ``scale`` (e.g.
        :class:`~nulearn.cosmo.data.streaming.StreamingMaps`)."""
        cfg, tcfg = self._configs()
        self.classes_ = np.array([0, 1])
        self.mean_, self.scale_ = 0.0, float(scale)
        seed_everything(tcfg.seed)
        module = MapClassifierModule(cfg)
        fit_module(module, train_loader, val_loader, tcfg)
        self.module_ = module
        return self

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Logit of class ``classes_[1]``, shape ``(n,)``."""
        self._check_fitted()
        return predict_batches(self.module_, X, 256, lambda m: map_inputs(self._standardize(m)))

    def _rebuild(self, name: str) -> MapClassifierModule:
        return MapClassifierModule(self._configs()[0])

    def save(self, path: str | Path) -> None:
        """Save weights, scale, classes and configuration (plain data) with ``torch.save``."""
        self._check_fitted()
        cfg, _ = self._configs()
        torch.save(
            {
                "kind": "classifier",
                "state_dict": self.module_.state_dict(),
                "scale": self.scale_,
                "config": cfg.to_dict(),
                "classes": self.classes_.tolist(),
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> CNNClassifier:
        """Inverse of :meth:`save`; never runs code from the file (weights-only loading).

        Raises:
            ValueError: naming the file: not a classifier file, weights that do not fit the
                recorded network or are not finite.
        """
        blob = read_model_file(path, "classifier", ("state_dict", "scale", "config", "classes"))
        with model_file_errors(path, "classifier"):
            cfg = LensingCNNConfig.from_dict(blob["config"])
            obj = cls(config=cfg)
            obj.module_ = MapClassifierModule(cfg)
            obj.module_.load_state_dict(blob["state_dict"])
            obj.module_.eval()
            obj.mean_, obj.scale_ = 0.0, float(blob["scale"])
            obj.classes_ = np.asarray(blob["classes"])
        check_finite_weights(path, [blob["state_dict"]], obj.scale_)
        return obj


def check_finite_maps(maps: NDArray[np.float32], source: str = "maps") -> None:
    """Refuse maps ``(n, n_pix, n_pix)`` with a NaN or infinite pixel, naming the first one."""
    finite = np.isfinite(maps)
    if not finite.all():
        i, r, c = (int(k) for k in np.argwhere(~finite)[0])
        raise ValueError(f"{source}[{i}, {r}, {c}] = {maps[i, r, c]}; κ maps must be finite")


@contextmanager
def model_file_errors(path: str | Path, kind: str) -> Iterator[None]:
    """Turn the errors of rebuilding a network from a model file's contents (a configuration the
    network refuses, weights of other shapes) into one ValueError naming the file."""
    try:
        yield
    except (RuntimeError, ValueError, TypeError, KeyError) as err:
        reason = " ".join(str(err).split())[:300]
        raise ValueError(f"model file {path}: not a usable cosmo {kind} ({reason})") from None


def check_finite_weights(path: str | Path, states: list[dict[str, Any]], scale: float) -> None:
    """Refuse a model whose weights or input scale are NaN or infinite (saved from a diverged
    training, or damaged): its every prediction would be meaningless."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"model file {path}: input scale = {scale}; must be finite and > 0")
    for k, state in enumerate(states):
        for name, tensor in state.items():
            if torch.is_tensor(tensor) and tensor.is_floating_point():
                if not bool(torch.isfinite(tensor).all()):
                    which = f"member {k} " if len(states) > 1 else ""
                    raise ValueError(
                        f"model file {path}: {which}weights {name} are not finite (a diverged "
                        "training); retrain the model"
                    )


def read_model_file(path: str | Path, kind: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The plain contents of a cosmo model file (weights-only loading), checked to be a ``kind``
    (``"classifier"`` or ``"regressor"``; files from before the kind was recorded are
    classifiers) holding ``keys``; a ValueError names the file otherwise."""
    blob = load_weights(path)
    found = blob.get("kind", "classifier")
    if found not in ("classifier", "regressor"):
        raise ValueError(f"model file {path}: holds a {found!r}, not a nulearn cosmo {kind}")
    if found != kind:
        raise ValueError(f"model file {path}: holds an M_nu {found}, not a {kind}")
    missing = [k for k in keys if k not in blob]
    if missing:
        raise ValueError(
            f"model file {path}: not a nulearn cosmo {kind} (missing {', '.join(missing)})"
        )
    return blob
