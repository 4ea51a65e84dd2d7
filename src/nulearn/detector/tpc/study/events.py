"""Event files of the ``nulearn detector tpc`` commands: simulate raw waveforms, reconstruct them
conventionally, generate images with a trained generator.

Event files are ``.npz`` archives: the raw waveforms ``(n, 76, 1024)`` in electrons with the
truth (``energy_kev``, ``is_gamma``, ``centroid_mm``, ``site_count``), or generated images
``(n, 76, 128)`` in 1000 e with their labels. Each function checks its output before any work,
reads its input checked (:func:`check_waveforms`), writes its file through a temporary file
renamed into place and returns a one-line summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from nulearn.detector.tpc.data.dataset import make_deposits
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.reconstruction import energy_resolution, reconstruct
from nulearn.detector.tpc.physics.simulator import simulate
from nulearn.ml.io import atomic_output, check_output, load_npz

__all__ = [
    "check_waveforms",
    "generate_events",
    "random_labels",
    "reconstruct_events",
    "simulate_events",
]


def _check_count(name: str, n: int) -> None:
    if n < 1:
        raise ValueError(f"{name} = {n}; allowed range [1, inf)")


def _save_npz(out: Path, **arrays: Any) -> None:
    with atomic_output(out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def simulate_events(kind: str, n_events: int, config: TPCConfig, seed: int, out: str | Path) -> str:
    """Simulate ``n_events`` raw U-wire waveforms of one event kind into ``out`` (.npz)."""
    out = check_output(out, suffixes=(".npz",), what="--out (event file)")
    _check_count("number of events", n_events)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    deposits = make_deposits(kind, n_events, config, rng)
    waves = simulate(deposits, config, rng)
    dt = time.perf_counter() - t0
    _save_npz(
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


def check_waveforms(
    waveforms: Any, energy_kev: Any, config: TPCConfig, source: str = "waveforms"
) -> tuple[np.ndarray, np.ndarray]:
    """Refuse raw waveforms the reconstruction cannot use, in one line naming ``source``.

    Args:
        waveforms: shape ``(n_events, n_channels, n_samples)`` of ``config``, electrons.
        energy_kev: true energies, shape ``(n_events,)``.
        config: the detector that recorded them.
        source: the file, for messages.

    Returns:
        The waveforms and energies as float arrays.

    Raises:
        ValueError: wrong shape, no events, or a NaN or infinite sample (named by event,
            channel and sample index, 0-based as the archive stores them) or energy.
    """
    w = np.asarray(waveforms)
    if not np.issubdtype(w.dtype, np.number):
        raise ValueError(f"{source}: waveforms are {w.dtype}, not numbers")
    expected = (config.n_channels, config.n_samples)
    if w.ndim != 3 or w.shape[1:] != expected:
        raise ValueError(
            f"{source}: waveforms have shape {w.shape}, expected (n_events, {expected[0]}, "
            f"{expected[1]}) for this detector configuration"
        )
    if w.shape[0] == 0:
        raise ValueError(f"{source}: holds no events")
    finite = np.isfinite(w)
    if not finite.all():
        e, c, t = (int(k) for k in np.argwhere(~finite)[0])
        n_bad = int((~finite).any(axis=(1, 2)).sum())
        raise ValueError(
            f"{source}: waveforms[{e}, {c}, {t}] = {w[e, c, t]} (event {e}, channel {c}, "
            f"sample {t}; {n_bad} events affected); waveforms must be finite"
        )
    energy = np.asarray(energy_kev, dtype=np.float64)
    if energy.shape != (w.shape[0],):
        raise ValueError(f"{source}: energy_kev has shape {energy.shape}, expected ({w.shape[0]},)")
    if not np.isfinite(energy).all():
        i = int(np.argmax(~np.isfinite(energy)))
        raise ValueError(f"{source}: energy_kev[{i}] = {energy[i]}; energies must be finite")
    return w, energy


def reconstruct_events(
    data: str | Path, out: str | Path, config: TPCConfig, threshold_sigma: float = 5.0
) -> str:
    """Conventional reconstruction of an event file into a per-event CSV of features; the summary
    quotes the resolution of the most common line when at least 5 events lie on it."""
    out = check_output(out, suffixes=(".csv",), what="--out (CSV)")
    if not (np.isfinite(threshold_sigma) and threshold_sigma >= 0):
        raise ValueError(f"threshold = {threshold_sigma} noise sigmas; must be finite and >= 0")
    archive = load_npz(data, ("waveforms", "energy_kev"), what="event file")
    waveforms, true = check_waveforms(
        archive["waveforms"], archive["energy_kev"], config, f"event file {data}"
    )
    reco = reconstruct(waveforms, config, threshold_sigma=threshold_sigma)
    frame = reco.features()
    frame.insert(0, "true_energy_kev", true)
    with atomic_output(out) as tmp:
        frame.to_csv(tmp, index=False)
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
    n_events: int,
    config: TPCConfig,
    energy_kev: float | None = None,
    seed: int = 0,
    energy_range_kev: tuple[float, float] = (500.0, 3500.0),
) -> np.ndarray:
    """Generator labels ``(n_events, 3)`` of single-site events uniform over the fiducial volume
    (15 mm from the walls and the electrodes), with energies uniform in ``energy_range_kev``
    or fixed."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(0, 1, n_events)) * (config.half_width_mm - 15)
    x = r * np.cos(rng.uniform(0, 2 * np.pi, n_events))
    drift = rng.uniform(15, config.drift_length_mm - 15, n_events)
    e = (
        np.full(n_events, energy_kev)
        if energy_kev is not None
        else rng.uniform(*energy_range_kev, n_events)
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
    """Generate waveform images with a saved generator (weights-only file) into ``out`` (.npz).

    Energies are uniform over the generator's training range, or fixed at ``energy_kev``, which
    must lie in that range: a generator has learnt nothing about other energies. The detector
    ``config`` must be the one the generator was trained for (its label geometry).
    """
    import torch

    from nulearn.detector.tpc.data.labels import LabelGeometry
    from nulearn.detector.tpc.models.gan_training import load_generator

    out = check_output(out, suffixes=(".npz",), what="--out (event file)")
    _check_count("number of events", n_events)
    gan = load_generator(model)
    lo, hi = gan.energy_range_kev or (500.0, 3500.0)
    if energy_kev is not None and not (np.isfinite(energy_kev) and lo <= energy_kev <= hi):
        raise ValueError(
            f"energy = {energy_kev:g} keV is outside the training range of {model}: "
            f"[{lo:.1f}, {hi:.1f}] keV; the generator cannot make events it never saw"
        )
    trained_for = gan.hparams.get("geometry")
    if trained_for is not None:
        here = LabelGeometry.from_config(config)
        if not all(np.isclose(getattr(here, k), v) for k, v in dict(trained_for).items()):
            raise ValueError(
                f"{model} was trained for another detector than --config describes "
                "(wire pitch, drift, trigger, gain or lifetime differ); pass the training config"
            )
    torch.manual_seed(seed)
    labels = random_labels(n_events, config, energy_kev, seed, (lo, hi))
    t0 = time.perf_counter()
    images = gan.generate(labels)
    dt = time.perf_counter() - t0
    if not np.isfinite(images).all():
        raise ValueError(f"{model}: the generator produced non-finite images; retrain it")
    _save_npz(out, images=images, labels=labels)
    return (
        f"generated {n_events} events {images.shape[1:]} in {dt:.3f} s "
        f"({1e3 * dt / n_events:.2f} ms/event) -> {out}"
    )
