"""Simulated data sets for the TPC networks: waveform images, truth and conventional reconstruction.

The networks read a gain-calibrated window of the waveforms, from 8 us before the trigger to
248 us after it (longest drift 119 us plus the shaped tail), averaged over 2 samples: images of
shape (76, 128) in units of 1000 electrons. Everything is simulated in batches so the 1024-sample
waveforms never all sit in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.deposits import (
    Deposits,
    double_beta_events,
    gamma_events,
    uniform_energy_events,
    uniform_gamma_events,
)
from nulearn.detector.tpc.physics.reconstruction import Reconstruction, reconstruct
from nulearn.detector.tpc.physics.response import response_tables
from nulearn.detector.tpc.physics.simulator import channel_gains, simulate

__all__ = [
    "EVENT_KINDS",
    "IMAGE_POOL",
    "IMAGE_SCALE_ELECTRONS",
    "IMAGE_WINDOW_SAMPLES",
    "TPCDataset",
    "image_template",
    "make_deposits",
    "network_images",
    "simulate_dataset",
]

IMAGE_POOL = 2
IMAGE_SCALE_ELECTRONS = 1000.0
IMAGE_WINDOW_SAMPLES = (-8, 248)
"""Image window in digitiser samples relative to the trigger sample: [start, stop)."""

EVENT_KINDS: dict[str, Callable[..., Deposits]] = {
    "bb": double_beta_events,
    "uniform": uniform_energy_events,
    "gamma": gamma_events,
    "uniform_gamma": uniform_gamma_events,
}
"""Event generators by name: double-beta at Q, uniform-energy single-site, 208Tl gammas,
gammas of uniform energy."""


def make_deposits(
    kind: str, n_events: int, config: TPCConfig, rng: np.random.Generator
) -> Deposits:
    """Deposits of ``n_events`` events of one kind (a key of :data:`EVENT_KINDS`)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"event kind {kind!r} unknown; allowed: {sorted(EVENT_KINDS)}")
    return EVENT_KINDS[kind](n_events, config, rng)


def network_images(waveforms: NDArray[np.floating], config: TPCConfig) -> NDArray[np.float32]:
    """Gain-calibrated, windowed, pooled waveform images.

    Args:
        waveforms: shape (n_events, n_channels, n_samples), electrons.
        config: the detector.

    Returns:
        Images of shape (n_events, n_channels, 128), in units of 1000 electrons.
    """
    start = config.trigger_sample + IMAGE_WINDOW_SAMPLES[0]
    stop = config.trigger_sample + IMAGE_WINDOW_SAMPLES[1]
    if start < 0 or stop > config.n_samples:
        raise ValueError(
            f"the image window [{start}, {stop}) must lie in [0, {config.n_samples}) samples; "
            f"move trigger_sample = {config.trigger_sample} or lengthen n_samples"
        )
    w = np.asarray(waveforms)[..., start:stop] / channel_gains(config)[None, :, None].astype(
        np.float32
    )
    n, ch, t = w.shape
    pooled = w.reshape(n, ch, t // IMAGE_POOL, IMAGE_POOL).mean(axis=-1)
    return (pooled / IMAGE_SCALE_ELECTRONS).astype(np.float32)


def image_template(config: TPCConfig, n_taps: int = 63, lead_bins: int = 2) -> NDArray[np.float64]:
    """Collection template on the image grid (2 us bins), starting ``lead_bins`` before arrival, shape (n_taps,)."""
    tables = response_tables(config)
    dt = IMAGE_POOL * config.sampling_period_us
    grid = tables.tau_min_us + np.arange(tables.step_shaped.size) * tables.tau_step_us
    # Average of the samples pooled into each bin.
    tau = (np.arange(n_taps) - lead_bins)[:, None] * dt + np.arange(IMAGE_POOL)[
        None, :
    ] * config.sampling_period_us
    return np.interp(tau, grid, tables.step_shaped.astype(np.float64)).mean(axis=1)


@dataclass(frozen=True)
class TPCDataset:
    """Images with truth and the conventional reconstruction of the same events.

    Attributes:
        images: shape (n_events, n_channels, 128), float32, 1000 electrons.
        energy_kev: true deposited energy, shape (n_events,).
        is_gamma: 1 for gamma events, 0 for single-site sources, shape (n_events,).
        centroid_mm: energy-weighted true position (x, y, z), shape (n_events, 3).
        drift_mm: drift distance of the centroid, shape (n_events,).
        conventional: the conventional :class:`Reconstruction` of the same waveforms.
    """

    images: NDArray[np.float32]
    energy_kev: NDArray[np.float64]
    is_gamma: NDArray[np.int64]
    centroid_mm: NDArray[np.float64]
    drift_mm: NDArray[np.float64]
    conventional: Reconstruction

    def __len__(self) -> int:
        return int(self.images.shape[0])


def simulate_dataset(
    kind: str | Deposits,
    n_events: int,
    config: TPCConfig | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> TPCDataset:
    """Simulate, reconstruct conventionally and image ``n_events`` events of one kind.

    Args:
        kind: ``"bb"``, ``"uniform"``, ``"gamma"``, or ready-made :class:`Deposits`.
        n_events: number of events (ignored when ``kind`` is Deposits).
        config: detector.
        seed: random seed.
        batch_size: events simulated at once (memory: 0.3 MB per event).
    """
    cfg = config or TPCConfig()
    rng = np.random.default_rng(seed)
    deposits = kind if isinstance(kind, Deposits) else make_deposits(kind, n_events, cfg, rng)
    images, recos = [], []
    for lo in range(0, deposits.n_events, batch_size):
        part = deposits.select(np.arange(lo, min(lo + batch_size, deposits.n_events)))
        wave = simulate(part, cfg, rng)
        images.append(network_images(wave, cfg))
        recos.append(reconstruct(wave, cfg))
    conventional = Reconstruction(
        *(
            np.concatenate([getattr(r, f) for r in recos])
            for f in Reconstruction.__dataclass_fields__
        )
    )
    centroid = deposits.charge_centroid_mm()
    return TPCDataset(
        images=np.concatenate(images),
        energy_kev=deposits.total_energy_kev,
        is_gamma=deposits.is_gamma,
        centroid_mm=centroid,
        drift_mm=cfg.drift_length_mm - np.abs(centroid[:, 2]),
        conventional=conventional,
    )
