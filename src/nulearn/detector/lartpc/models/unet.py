"""A UNet for per-pixel cosmic/neutrino segmentation, trained with class weights.

The network (Ronneberger et al., MICCAI 2015; the architecture family of SBND's CosmicTagger,
Acciarri et al., arXiv:2012.01301) has ``depth`` down-sampling levels of two 3x3 convolutions
(batch norm, ReLU), doubling the channels at each level, and a mirrored decoder with skip
connections; a 1x1 convolution gives the logits of background, cosmic and neutrino. Deep
levels see the whole window, which is what tells a through-going cosmic from a neutrino muon.

Inputs are ``asinh(image / (3 sigma_noise))``: linear near the noise, logarithmic for the
bright, steep cosmics. The cross-entropy is weighted per class by ``1/sqrt(frequency)`` of the
training pixels (normalised to mean 1), so that the rare neutrino pixels count.

>>> import torch
>>> net = UNet(base_channels=4, depth=2)
>>> net(torch.zeros(2, 1, 32, 32)).shape
torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from nulearn.detector.lartpc.physics.config import LABEL_NAMES
from nulearn.ml.io import atomic_output, check_output
from nulearn.ml.loaders import array_loader, holdout_loaders
from nulearn.ml.splits import holdout_count, shuffled_holdout
from nulearn.ml.training import SupervisedModule, TrainerConfig, load_weights, train_module

__all__ = [
    "SegmentationModule",
    "UNet",
    "class_weights",
    "load_unet",
    "network_input",
    "predict_labels",
    "save_unet",
    "train_unet",
]

N_CLASSES = len(LABEL_NAMES)


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """UNet of ``depth`` levels; input (n, 1, H, W) with H, W divisible by ``2**depth``;
    output logits (n, 3, H, W)."""

    def __init__(self, base_channels: int = 8, depth: int = 4) -> None:
        super().__init__()
        if base_channels < 1 or depth < 1:
            raise ValueError(
                f"UNet needs base_channels >= 1 and depth >= 1, got {base_channels}, {depth}"
            )
        ch = [base_channels * 2**k for k in range(depth + 1)]
        self.down = nn.ModuleList(
            [_block(1, ch[0])] + [_block(ch[k], ch[k + 1]) for k in range(depth)]
        )
        self.up = nn.ModuleList(
            [nn.ConvTranspose2d(ch[k + 1], ch[k], 2, stride=2) for k in reversed(range(depth))]
        )
        self.merge = nn.ModuleList([_block(2 * ch[k], ch[k]) for k in reversed(range(depth))])
        self.head = nn.Conv2d(ch[0], N_CLASSES, 1)
        self.pool = nn.MaxPool2d(2)
        self.depth = depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for k, block in enumerate(self.down):
            x = block(x if k == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge, strict=True):
            x = merge(torch.cat([skips.pop(), up(x)], dim=1))
        out: torch.Tensor = self.head(x)
        return out


def network_input(images: NDArray[np.float32], noise_sigma: float) -> NDArray[np.float32]:
    """(n, 1, H, W) float32 input: ``asinh(image / (3 sigma_noise))``."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W); got {x.shape}")
    out: NDArray[np.float32] = np.arcsinh(x / np.float32(3.0 * noise_sigma))[:, None]
    return out


def class_weights(labels: NDArray[np.int8]) -> NDArray[np.float32]:
    """``1/sqrt(frequency)`` per class, normalised to mean 1 (an absent class gets the largest).

    >>> tuple(round(float(v), 3) for v in class_weights(np.array([0, 0, 0, 1], dtype=np.int8)))
    (0.672, 1.164, 1.164)
    """
    counts = np.bincount(np.asarray(labels).ravel(), minlength=N_CLASSES).astype(np.float64)
    freq = counts / max(counts.sum(), 1.0)
    w = np.where(freq > 0, 1.0 / np.sqrt(np.maximum(freq, 1e-12)), 0.0)
    w = np.where(freq > 0, w, w.max(initial=1.0))
    out: NDArray[np.float32] = (w / w.mean()).astype(np.float32)
    return out


class SegmentationModule(SupervisedModule):
    """Lightning steps of the UNet: weighted cross-entropy, AdamW under a cosine schedule."""

    def __init__(
        self,
        weights: list[float],
        base_channels: int = 8,
        depth: int = 4,
        learning_rate: float = 3e-3,
        max_epochs: int = 10,
        noise_sigma: float = 1.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = UNet(base_channels, depth)
        self.weights: torch.Tensor
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(self(x), y.long(), weight=self.weights)


def train_unet(
    images: NDArray[np.float32],
    labels: NDArray[np.int8],
    noise_sigma: float,
    *,
    base_channels: int = 8,
    depth: int = 4,
    max_epochs: int = 10,
    patience: int = 4,
    batch_size: int = 16,
    learning_rate: float = 3e-3,
    val_fraction: float = 0.15,
    seed: int = 0,
    num_threads: int | None = None,
) -> tuple[SegmentationModule, int]:
    """Train a UNet with early stopping on a seeded validation split of the training images.

    Returns:
        The module (eval mode, best validation epoch's weights) and the epochs run.
    """
    n, h, w = images.shape
    if n < 4:
        raise ValueError(f"need at least 4 training images, got {n}")
    if h % 2**depth or w % 2**depth:
        raise ValueError(f"image size {h}x{w} must be divisible by 2**depth = {2**depth}")
    x = network_input(images, noise_sigma)
    split = shuffled_holdout(n, holdout_count(n, val_fraction), seed)
    weights = class_weights(labels[split.train])
    train, val = holdout_loaders(
        (x, labels), split, batch_size, seed, val_batch_size=2 * batch_size
    )
    config = TrainerConfig(
        max_epochs=max_epochs,
        patience=patience,
        accelerator="cpu",
        devices=1,
        seed=seed,
        num_threads=num_threads,
    )

    def build() -> SegmentationModule:
        return SegmentationModule(
            weights.tolist(), base_channels, depth, learning_rate, max_epochs, noise_sigma
        )

    module, trainer = train_module(build, train, val, config)
    return module, int(trainer.current_epoch)


@torch.no_grad()
def predict_labels(
    module: SegmentationModule, images: NDArray[np.float32], batch_size: int = 32
) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """Per-pixel class (n, H, W) int8 and softmax probabilities (n, 3, H, W) float32."""
    module.eval()
    x = network_input(images, module.hparams["noise_sigma"])
    probs = [
        torch.softmax(module(batch[0]), dim=1).numpy()
        for batch in array_loader(x, batch_size=batch_size)
    ]
    p = np.concatenate(probs).astype(np.float32)
    return p.argmax(axis=1).astype(np.int8), p


def save_unet(module: SegmentationModule, path: str | Path) -> Path:
    """Weights and hyperparameters in one weights-only PyTorch file (whole or not at all)."""
    out = check_output(path, suffixes=(".pt",), what="model file")
    blob = {"hparams": dict(module.hparams), "state_dict": module.state_dict()}
    with atomic_output(out) as tmp:
        torch.save(blob, tmp)
    return out


def load_unet(path: str | Path) -> SegmentationModule:
    """Read a file written by :func:`save_unet` (no code runs from the file)."""
    blob = load_weights(path)
    if "hparams" not in blob or "state_dict" not in blob:
        raise ValueError(f"{path}: not a nulearn segmentation UNet (no hparams/state_dict)")
    try:
        module = SegmentationModule(**blob["hparams"])
        module.load_state_dict(blob["state_dict"])
    except (TypeError, RuntimeError) as err:
        raise ValueError(
            f"{path}: weights do not fit the UNet ({str(err).splitlines()[0]})"
        ) from None
    module.eval()
    return module
