"""Event files of the ``nulearn detector tpc`` commands: simulate raw waveforms, reconstruct them
conventionally, generate images with a trained generator.

Event files are ``.npz`` archives: the raw waveforms ``(n, 76, 1024)`` in electrons with the
truth (``energy_kev``, ``is_gamma``, ``centroid_mm``, ``site_count``), or generated images
``(n, 76, 128)`` in 1000 e with their labels. Each function writes its file and returns a
one-line summary.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from nulearn.detector.tpc.data.dataset import make_deposits
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.reconstruction import energy_resolution, reconstruct
from nulearn.detector.tpc.physics.simulator import simulate

__all__ = ["generate_events", "random_labels", "reconstruct_events", "simulate_events"]


def simulate_events(kind: str, n_events: int, config: TPCConfig, seed: int, out: str | Path) -> str:
    """Simulate ``n_events`` raw U-wire waveforms of one event kind into ``out`` (.npz)."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    deposits = make_deposits(kind, n_events, config, rng)
    waves = simulate(deposits, config, rng)
    dt = time.perf_counter() - t0
    np.savez_compressed(
        out,
        waveforms=waves,
        energy_kev=deposits.total_energy_kev,
        is_gamma=deposits.is_gamma,
        centroid_mm=deposits.charge_centroid_mm(),
        site_count=deposits.site_count(),
    )
    return (
        f"simulated {n_events} {kind} events {waves.shape[1:]} in {dt:.2f} s "
        f"({1e3 * dt / n_events:.1f} ms/event) -> {out}"
    )


def reconstruct_events(
    data: str | Path, out: str | Path, config: TPCConfig, threshold_sigma: float = 5.0
) -> str:
    """Conventional reconstruction of an event file into a per-event CSV of features; the summary
    quotes the resolution of the most common line when at least 5 events lie on it."""
    with np.load(data) as archive:
        waveforms, true = archive["waveforms"], archive["energy_kev"]
    reco = reconstruct(waveforms, config, threshold_sigma=threshold_sigma)
    frame = reco.features()
    frame.insert(0, "true_energy_kev", true)
    frame.to_csv(out, index=False)
    msg = f"reconstructed {len(frame)} events -> {out}; mean site count {reco.n_sites.mean():.2f}"
    line = np.abs(true - np.median(true)) < 1.0
    if line.sum() >= 5:
        mu, res = energy_resolution(reco.energy_kev[line], true[line])
        msg += (
            f"; line at {np.median(true):.1f} keV: peak {mu:.4f}, sigma/E {100 * res:.2f} % "
            f"({line.sum()} events)"
        )
    return msg


def random_labels(
    n_events: int, config: TPCConfig, energy_kev: float | None = None, seed: int = 0
) -> np.ndarray:
    """Generator labels ``(n_events, 3)`` of single-site events uniform over the fiducial volume
    (15 mm from the walls and the electrodes), with energies uniform in 0.5-3.5 MeV or fixed."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(0, 1, n_events)) * (config.half_width_mm - 15)
    x = r * np.cos(rng.uniform(0, 2 * np.pi, n_events))
    drift = rng.uniform(15, config.drift_length_mm - 15, n_events)
    e = (
        np.full(n_events, energy_kev)
        if energy_kev is not None
        else rng.uniform(500, 3500, n_events)
    )
    return np.stack(
        [x / config.half_width_mm, drift / config.drift_length_mm, e / 3000.0], 1
    ).astype(np.float32)


def generate_events(
    model: str | Path,
    n_events: int,
    config: TPCConfig,
    out: str | Path,
    energy_kev: float | None = None,
    seed: int = 0,
) -> str:
    """Generate waveform images with a saved generator (weights-only file) into ``out`` (.npz)."""
    import torch

    from nulearn.detector.tpc.models.gan_training import load_generator

    gan = load_generator(model)
    torch.manual_seed(seed)
    labels = random_labels(n_events, config, energy_kev, seed)
    t0 = time.perf_counter()
    images = gan.generate(labels)
    dt = time.perf_counter() - t0
    np.savez_compressed(out, images=images, labels=labels)
    return (
        f"generated {n_events} events {images.shape[1:]} in {dt:.3f} s "
        f"({1e3 * dt / n_events:.2f} ms/event) -> {out}"
    )
