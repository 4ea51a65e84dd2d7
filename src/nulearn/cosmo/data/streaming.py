"""An endless stream of fresh convergence maps as a PyTorch dataset.

Streaming fresh maps each epoch (Gaussian and lognormal maps cost a few FFTs) gives the network
unlimited training data, so it cannot overfit a finite training set and its accuracy measures the
architecture, not the sample size. Maps held in memory go through
:func:`nulearn.ml.loaders.array_loader` instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from nulearn.cosmo.data.maps import MapConfig, MapMaker, SpectrumTable

__all__ = ["StreamingMaps"]


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
