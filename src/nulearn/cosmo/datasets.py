"""PyTorch datasets over convergence maps: in-memory map sets and an endless stream of fresh maps.

Streaming fresh maps each epoch (Gaussian and lognormal maps cost a few FFTs) gives the network
unlimited training data, so it cannot overfit a finite training set and its accuracy measures the
architecture, not the sample size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch.utils.data import DataLoader, IterableDataset, TensorDataset, get_worker_info

from nulearn.cosmo.maps import MapConfig, MapMaker, SpectrumTable

__all__ = ["HoldoutSplit", "StreamingMaps", "map_loader"]


def map_loader(
    maps: ArrayLike,
    targets: ArrayLike,
    scale: float,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """DataLoader of ``(map / scale, target)`` pairs.

    Args:
        maps: κ maps, shape ``(n, n_pix, n_pix)``.
        targets: labels or M_ν, shape ``(n,)``.
        scale: divide maps by this (a global constant, the training-set κ standard deviation:
            per-map normalisation would erase the amplitude information).
        batch_size: maps per batch.
        shuffle: reshuffle every epoch.
        seed: shuffling seed.
    """
    x = torch.from_numpy(
        np.ascontiguousarray(maps, dtype=np.float32) / np.float32(scale)
    ).unsqueeze(1)
    y = torch.from_numpy(np.asarray(targets, dtype=np.float32))
    gen = torch.Generator().manual_seed(seed)
    # training batches are full (drop_last) so batch normalisation never sees a single map,
    # unless the whole set is smaller than one batch
    drop_last = shuffle and x.shape[0] > batch_size
    return DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=gen,
        drop_last=drop_last,
    )


@dataclass(frozen=True)
class HoldoutSplit:
    """Maps split at random into training and validation sets, with the input scale.

    Attributes:
        maps: κ maps, shape ``(n, n_pix, n_pix)``.
        targets: labels or M_ν, shape ``(n,)``.
        train: training indices, shape ``(n - n_val,)``.
        val: validation indices, shape ``(n_val,)``.
        scale: κ standard deviation of the training maps (see :func:`map_loader`).
    """

    maps: NDArray[np.float32]
    targets: NDArray[np.float32]
    train: NDArray[np.int64]
    val: NDArray[np.int64]
    scale: float

    @classmethod
    def shuffled(
        cls, maps: NDArray[np.float32], targets: NDArray[np.float32], n_val: int, seed: int
    ) -> HoldoutSplit:
        """Hold out ``n_val`` maps drawn with ``seed``; the rest train."""
        order = np.random.default_rng(seed).permutation(maps.shape[0])
        val, train = order[:n_val], order[n_val:]
        return cls(maps, targets, train, val, float(maps[train].std()))

    def loaders(
        self, batch_size: int, seed: int
    ) -> tuple[DataLoader[tuple[torch.Tensor, ...]], DataLoader[tuple[torch.Tensor, ...]]]:
        """Training loader (shuffled with ``seed``, ``batch_size`` maps) and validation loader."""
        t, v = self.train, self.val
        return (
            map_loader(self.maps[t], self.targets[t], self.scale, batch_size, True, seed),
            map_loader(self.maps[v], self.targets[v], self.scale, 256),
        )


class StreamingMaps(IterableDataset[tuple[torch.Tensor, torch.Tensor]]):
    """Fresh maps every epoch: balanced classes (classification) or M_ν ~ U(0, m_max) (regression).

    Args:
        table: C_ℓ table covering the M_ν values.
        config: map settings.
        scale: maps are divided by this.
        maps_per_epoch: maps yielded per pass.
        batch_size: maps per yielded batch (use with ``DataLoader(batch_size=None)``).
        class_m_nu: (M_ν of class 0, of class 1) in eV; ``None`` for regression.
        seed: base seed; epoch e uses seed + e.
    """

    def __init__(
        self,
        table: SpectrumTable,
        config: MapConfig,
        scale: float,
        maps_per_epoch: int = 4096,
        batch_size: int = 64,
        class_m_nu: tuple[float, float] | None = (0.0, 0.1),
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.maker = MapMaker(table, config, workers=1)
        self.scale = np.float32(scale)
        self.maps_per_epoch = maps_per_epoch
        self.batch_size = batch_size
        self.class_m_nu = class_m_nu
        self.seed = seed
        self.epoch = 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        info = get_worker_info()
        worker = 0 if info is None else info.id
        rng = np.random.default_rng([self.seed, self.epoch, worker])
        self.epoch += 1
        jitter = self.maker.config.amplitude_jitter
        m_lo, m_hi = float(self.maker.table.m_nu.min()), float(self.maker.table.m_nu.max())
        for _ in range(self.maps_per_epoch // self.batch_size):
            amplitude = np.clip(1.0 + jitter * rng.standard_normal(self.batch_size), 0.9, 1.1)
            if self.class_m_nu is None:
                m_nu = rng.uniform(m_lo, m_hi, self.batch_size)
                target = m_nu
            else:
                label = rng.integers(0, 2, self.batch_size)
                m_nu = np.where(label == 1, self.class_m_nu[1], self.class_m_nu[0])
                target = label.astype(np.float64)
            maps = self.maker(m_nu, amplitude, rng) / self.scale
            yield torch.from_numpy(maps).unsqueeze(1), torch.from_numpy(target.astype(np.float32))
