"""Training of the event networks with the shared Lightning loop (:mod:`nulearn.ml.training`).

:class:`EventModule` wraps either network; its loss is the binary cross-entropy of the signal
logit plus ``direction_weight`` x (1 - cos angle) between the predicted and true directions of
travel. :func:`train_network` trains it on arrays with early stopping on a seeded validation
split and :func:`predict` returns (signal probability, direction) in batches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from nulearn.detector.optical.models.networks import DynEdgeNet, GridCNN
from nulearn.ml.loaders import array_loader, holdout_loaders
from nulearn.ml.splits import holdout_count, shuffled_holdout
from nulearn.ml.training import SupervisedModule, TrainerConfig, train_module

__all__ = ["ARCHITECTURES", "EventModule", "build_network", "predict", "train_network"]

ARCHITECTURES: tuple[str, ...] = ("gnn", "cnn")


def build_network(architecture: str, width: int) -> torch.nn.Module:
    """The network of an architecture (``"gnn"``: :class:`DynEdgeNet`, ``"cnn"``:
    :class:`GridCNN`)."""
    if architecture == "gnn":
        return DynEdgeNet(width=width)
    if architecture == "cnn":
        return GridCNN(width=max(width // 3, 4))
    raise ValueError(f"architecture = {architecture!r}; allowed: {', '.join(ARCHITECTURES)}")


class EventModule(SupervisedModule):
    """Lightning steps: batches are (*inputs, label, direction)."""

    def __init__(
        self,
        architecture: str = "gnn",
        width: int = 48,
        learning_rate: float = 2e-3,
        max_epochs: int = 10,
        direction_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_network(architecture, width)

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(signal logit (B,), unit direction (B, 3))."""
        return self.net(*inputs)

    def _loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        *inputs, label, direction = batch
        logit, pred = self.net(*inputs)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logit, label)
        angle = (1.0 - (pred * direction).sum(dim=1)).mean()
        return bce + self.hparams["direction_weight"] * angle


def train_network(
    architecture: str,
    inputs: tuple[NDArray[Any], ...],
    label: NDArray[np.integer],
    direction: NDArray[np.floating],
    *,
    width: int = 48,
    max_epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 2e-3,
    val_fraction: float = 0.15,
    patience: int = 4,
    seed: int = 0,
    num_threads: int | None = None,
) -> EventModule:
    """Train one network on events ``inputs`` (arrays with events first), signal ``label`` (n,)
    and true ``direction`` (n, 3); returns the best-validation module in eval mode."""
    n = int(label.shape[0])
    if n < 8:
        raise ValueError(f"training events = {n}; allowed range [8, inf)")
    split = shuffled_holdout(n, holdout_count(n, val_fraction), seed)
    arrays = (*inputs, label.astype(np.float32), direction.astype(np.float32))
    loaders = holdout_loaders(arrays, split, batch_size, seed, val_batch_size=4 * batch_size)
    config = TrainerConfig(
        max_epochs=max_epochs,
        patience=patience,
        accelerator="cpu",
        devices=1,
        seed=seed,
        num_threads=num_threads,
        gradient_clip_val=1.0,
    )
    module, _ = train_module(
        lambda: EventModule(architecture, width, learning_rate, max_epochs), *loaders, config
    )
    return module


@torch.no_grad()
def predict(
    module: EventModule, inputs: tuple[NDArray[Any], ...], batch_size: int = 128
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(signal probability (n,), unit direction (n, 3)) of events ``inputs``."""
    module.eval()
    probs, dirs = [], []
    for batch in array_loader(*inputs, batch_size=batch_size):
        logit, direction = module(*batch)
        probs.append(torch.sigmoid(logit).double().numpy())
        dirs.append(direction.double().numpy())
    return np.concatenate(probs), np.concatenate(dirs)
