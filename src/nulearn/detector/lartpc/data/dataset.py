"""Labelled wire-plane image sets: simulated in batches, saved to and read from ``.npz``.

A set holds ``images`` (n, H, W) float32 in ADC counts x ticks, per-pixel ``labels`` (n, H, W)
int8 (0 background, 1 cosmic, 2 neutrino) and the simulator configuration as YAML text, so that
a file says how it was made.

>>> s = simulate_dataset(2, LArTPCConfig.for_image_size(32), seed=0)
>>> s.images.shape, s.labels.dtype.name, len(s)
((2, 32, 32), 'int8', 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.lartpc.physics.config import LABEL_NAMES, LArTPCConfig
from nulearn.detector.lartpc.physics.particles import (
    Segments,
    cosmic_segments,
    neutrino_segments,
)
from nulearn.detector.lartpc.physics.simulator import simulate_images
from nulearn.ml.io import atomic_output, check_output, load_npz
from nulearn.ml.progress import Progress, no_progress

__all__ = ["SegmentationSet", "load_dataset", "save_dataset", "simulate_dataset"]

_BATCH = 64  # events rasterised together (memory ~ batch x 2 x H x W doubles)


@dataclass(frozen=True)
class SegmentationSet:
    """Images, labels and the configuration that made them."""

    images: NDArray[np.float32]
    labels: NDArray[np.int8]
    config: LArTPCConfig

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def class_fractions(self) -> NDArray[np.float64]:
        """Share of pixels in each class (background, cosmic, neutrino)."""
        counts = np.bincount(self.labels.ravel(), minlength=len(LABEL_NAMES))
        out: NDArray[np.float64] = counts / max(counts.sum(), 1)
        return out


def simulate_dataset(
    n: int, config: LArTPCConfig, seed: int, progress: Progress = no_progress
) -> SegmentationSet:
    """``n`` readout windows, each with cosmic muons and one neutrino interaction.

    Args:
        n: number of images (>= 1).
        config: detector and event parameters.
        seed: seed of every random draw (one seed, one data set).
        progress: reports simulated events.
    """
    if n < 1:
        raise ValueError(f"number of events must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    advance = progress("simulating wire-plane images", n)
    images, labels = [], []
    for lo in range(0, n, _BATCH):
        m = min(_BATCH, n - lo)
        parts = []
        for e in range(m):  # a few particles per event; the deposits are vectorised
            parts += [cosmic_segments(rng, config, e), neutrino_segments(rng, config, e)]
        im, lab, _ = simulate_images(Segments.concat(parts), m, config, rng)
        images.append(im)
        labels.append(lab)
        advance(m)
    return SegmentationSet(np.concatenate(images), np.concatenate(labels), config)


def save_dataset(data: SegmentationSet, path: str | Path) -> Path:
    """Write ``data`` to a ``.npz`` (whole or not at all)."""
    out = check_output(path, suffixes=(".npz",), what="--out")
    with atomic_output(out) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(
            fh, images=data.images, labels=data.labels, config=np.array(data.config.to_yaml())
        )
    return out


def load_dataset(path: str | Path) -> SegmentationSet:
    """Read a set written by :func:`save_dataset`; a foreign or inconsistent file is one
    ``ValueError`` naming it."""
    raw = load_npz(path, ("images", "labels", "config"), what="segmentation data")
    images, labels = raw["images"], raw["labels"]
    if images.ndim != 3 or labels.shape != images.shape:
        raise ValueError(
            f"segmentation data {path}: images {images.shape} and labels {labels.shape} must be "
            "equal (n, H, W) shapes"
        )
    if not np.all(np.isfinite(images)):
        bad = int(np.flatnonzero(~np.isfinite(images).reshape(len(images), -1).all(1))[0])
        raise ValueError(f"segmentation data {path}: image {bad} has non-finite values")
    if labels.size and (labels.min() < 0 or labels.max() >= len(LABEL_NAMES)):
        raise ValueError(
            f"segmentation data {path}: labels outside 0..{len(LABEL_NAMES) - 1} "
            f"(found {int(labels.min())}..{int(labels.max())})"
        )
    config = LArTPCConfig.from_yaml(str(raw["config"]))
    if images.shape[1:] != (config.time_pixels, config.wire_pixels):
        raise ValueError(
            f"segmentation data {path}: images are {images.shape[1:]} but the stored "
            f"configuration says {(config.time_pixels, config.wire_pixels)}"
        )
    return SegmentationSet(images.astype(np.float32), labels.astype(np.int8), config)
