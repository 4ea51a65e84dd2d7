"""Validating the waveform generator against the simulator, quantity by quantity.

Generated and simulated images of the same labels are compared by the Wasserstein-1 distance
(:func:`scipy.stats.wasserstein_distance`) of quantities a physicist would check: raw samples,
summed amplitude per channel, position dependence against the label and the reconstructed energy
spectrum (:func:`compare_with_simulator`); a second simulation of the same deposits sets the
floor of finite statistics. :func:`time_per_event` times a producer of events.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import wasserstein_distance

from nulearn.detector.tpc.data.dataset import IMAGE_POOL, IMAGE_SCALE_ELECTRONS
from nulearn.detector.tpc.data.labels import LabelGeometry
from nulearn.detector.tpc.physics.config import TPCConfig

__all__ = ["compare_with_simulator", "image_energy_kev", "time_per_event"]


def image_energy_kev(
    images: NDArray[np.floating], config: TPCConfig, threshold_sigma: float = 5.0
) -> NDArray[np.float64]:
    """Simple image-domain energy: sum of per-channel peak amplitudes above threshold, keV, shape (n,).

    Applied identically to simulated and generated images, so it compares their spectra; the
    noise in the pooled image is about noise_electrons / 1000.
    """
    x = np.asarray(images, np.float64)
    peak = x.max(axis=-1)
    hit = peak > threshold_sigma * config.noise_electrons / IMAGE_SCALE_ELECTRONS
    return np.where(hit, peak, 0.0).sum(axis=1) * IMAGE_SCALE_ELECTRONS / config.electrons_per_kev


@dataclass(frozen=True)
class _Quantities:
    pixels: NDArray[np.float64]
    channel_sum: NDArray[np.float64]
    channel_residual: NDArray[np.float64]
    time_residual: NDArray[np.float64]
    energy: NDArray[np.float64]


def _quantities(
    images: NDArray[np.floating], labels: NDArray[np.floating], config: TPCConfig, seed: int
) -> _Quantities:
    x = np.asarray(images, np.float64)
    rng = np.random.default_rng(seed)  # the same pixel subset for every image set
    n_ch = x.shape[1]
    pix = x.ravel()
    pix = pix[rng.choice(pix.size, min(pix.size, 200_000), replace=False)]
    per_channel = x.sum(axis=-1)  # (n, ch): summed amplitude per channel
    peak = x.max(axis=-1)
    w = np.clip(peak, 0, None) ** 2
    centroid = (w * np.arange(n_ch)).sum(1) / np.maximum(w.sum(1), 1e-9)
    # Expected channel from the label x, in the drift region the event's charge went to.
    geometry = LabelGeometry.from_config(config)
    side = (np.argmax(peak, axis=1) >= config.channels_per_side).astype(np.float64)
    expected_ch = geometry.channel(labels, side)
    bin_us = IMAGE_POOL * config.sampling_period_us
    t_peak = x.max(axis=1).argmax(axis=1) * bin_us  # us since the window's start
    expected_t = geometry.arrival_bin(labels) * bin_us
    return _Quantities(
        pix,
        per_channel.ravel(),
        centroid - expected_ch,
        t_peak - expected_t,
        image_energy_kev(x, config),
    )


def compare_with_simulator(
    simulated: NDArray[np.floating],
    generated: NDArray[np.floating],
    labels: NDArray[np.floating],
    config: TPCConfig,
    reference: NDArray[np.floating] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Wasserstein-1 distance (scipy.stats.wasserstein_distance) per quantity, generator vs simulator.

    Quantities: raw image samples, summed amplitude per channel, position dependence (charge
    centroid channel minus the label's channel; peak time minus the label's drift time) and the
    reconstructed energy spectrum. ``reference``, a second independent simulated set with the same
    labels, gives the simulator-vs-simulator distance: the floor set by finite statistics.

    Returns:
        One row per quantity: ``quantity``, ``unit``, ``w_generator``, ``w_simulator_floor``
        and ``simulated_std`` (the quantity's standard deviation in ``simulated``).
    """
    sim = _quantities(simulated, labels, config, seed)
    gen = _quantities(generated, labels, config, seed)
    ref = _quantities(reference, labels, config, seed) if reference is not None else None
    rows = [
        ("raw waveform samples", "1000 e", "pixels"),
        ("summed amplitude per channel", "1000 e x sample", "channel_sum"),
        ("position: channel centroid - label", "channels", "channel_residual"),
        ("position: peak time - label drift time", "us", "time_residual"),
        ("reconstructed energy spectrum", "keV", "energy"),
    ]
    return pd.DataFrame(
        [
            {
                "quantity": q,
                "unit": unit,
                "w_generator": wasserstein_distance(getattr(sim, f), getattr(gen, f)),
                "w_simulator_floor": wasserstein_distance(getattr(sim, f), getattr(ref, f))
                if ref is not None
                else float("nan"),
                # The scale to judge a distance by: the quantity's own spread in the simulation.
                "simulated_std": float(np.std(getattr(sim, f))),
            }
            for q, unit, f in rows
        ]
    )


def time_per_event(func: Any, n_events: int, repeats: int = 1) -> float:
    """Best wall time per event in seconds of ``func()`` producing ``n_events`` events."""
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t)
    return float(best / n_events)
