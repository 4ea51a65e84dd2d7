"""Event position from scintillation light: event files, training, evaluation, the whole study.

Event files (``.npz``) hold the APD waveforms ``light`` (n, 74, n_samples) in electrons with the
truth ``position_mm`` (n, 3), ``energy_kev``, ``photons`` and ``electrons`` (and, when asked,
the wire waveforms ``charge`` of the same events). Training events are uniform in the fiducial
volume and in energy, as EXO-200 trained on calibration data spread over the detector. The
model file (``.joblib``, restricted loading) holds the CNN, the calibrated centroid baseline
and the energy range the model was trained on; evaluation refuses events outside that range.
Every function checks its output before any work and writes through a temporary file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.tpc.evaluation.position import resolution_by, resolution_table
from nulearn.detector.tpc.models.light_centroid import CentroidPositionEstimator
from nulearn.detector.tpc.models.light_position import LightPositionRegressor
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.deposits import uniform_energy_events
from nulearn.detector.tpc.physics.light import LightEvents, simulate_light
from nulearn.detector.tpc.physics.light_config import LightConfig
from nulearn.ml.io import atomic_output, check_output, load_npz
from nulearn.ml.progress import epoch_log

__all__ = [
    "LightEvaluation",
    "LightPositionModel",
    "check_light_events",
    "evaluate_light",
    "evaluate_model",
    "fit_light_model",
    "light_study",
    "simulate_light_events",
    "train_light",
]

ENERGY_RANGE_KEV = (500.0, 3000.0)
"""Default energy range of the training events (single-site, uniform): 0.5-3 MeV."""


def _events(
    n: int,
    tpc: TPCConfig,
    light: LightConfig,
    seed: int,
    energy_range_kev: tuple[float, float],
    charge: bool = False,
) -> LightEvents:
    if n < 1:
        raise ValueError(f"number of events = {n}; allowed range [1, inf)")
    rng = np.random.default_rng(seed)
    lo, hi = energy_range_kev
    return simulate_light(uniform_energy_events(n, tpc, rng, lo, hi), tpc, light, rng, charge)


def simulate_light_events(
    n_events: int,
    out: str | Path,
    tpc: TPCConfig | None = None,
    light: LightConfig | None = None,
    seed: int = 0,
    energy_range_kev: tuple[float, float] = ENERGY_RANGE_KEV,
    charge: bool = False,
) -> str:
    """Simulate single-site events uniform in volume and energy into ``out`` (.npz); a summary."""
    out = check_output(out, suffixes=(".npz",), what="--out (event file)")
    t0 = time.perf_counter()
    ev = _events(
        n_events, tpc or TPCConfig(), light or LightConfig(), seed, energy_range_kev, charge
    )
    dt = time.perf_counter() - t0
    arrays: dict[str, Any] = {
        "light": ev.light,
        "position_mm": ev.position_mm,
        "energy_kev": ev.energy_kev,
        "photons": ev.photons,
        "electrons": ev.electrons,
    }
    if ev.charge is not None:
        arrays["charge"] = ev.charge
    with atomic_output(out) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    pe = ev.photoelectrons.sum(axis=1) / ev.energy_kev
    return (
        f"simulated {n_events} events, light {ev.light.shape[1:]}"
        f"{'' if ev.charge is None else f', charge {ev.charge.shape[1:]}'} in {dt:.2f} s; "
        f"{pe.mean():.2f} photoelectrons/keV -> {out}"
    )


def check_light_events(
    archive: dict[str, Any],
    light: LightConfig,
    source: str,
    energy_range_kev: tuple[float, float] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float64], NDArray[np.float64]]:
    """Refuse events a position model cannot use, in one line naming ``source``.

    Returns:
        ``(light, position_mm, energy_kev)`` as float arrays.

    Raises:
        ValueError: wrong shapes, no events, a non-finite sample (named by event, channel,
            sample) or position/energy, or (with ``energy_range_kev``) an energy outside it.
    """
    w = np.asarray(archive["light"])
    if not np.issubdtype(w.dtype, np.number):
        raise ValueError(f"{source}: light waveforms are {w.dtype}, not numbers")
    if w.ndim != 3 or w.shape[1:] != (light.n_channels, light.n_samples):
        raise ValueError(
            f"{source}: light waveforms have shape {w.shape}, expected (n_events, "
            f"{light.n_channels}, {light.n_samples}) for this light readout"
        )
    if w.shape[0] == 0:
        raise ValueError(f"{source}: holds no events")
    finite = np.isfinite(w)
    if not finite.all():
        e, c, t = (int(k) for k in np.argwhere(~finite)[0])
        raise ValueError(
            f"{source}: light[{e}, {c}, {t}] = {w[e, c, t]} (event {e}, channel {c}, sample {t}); "
            "waveforms must be finite"
        )
    n = w.shape[0]
    pos = np.asarray(archive["position_mm"], dtype=np.float64)
    energy = np.asarray(archive["energy_kev"], dtype=np.float64)
    for name, arr, shape in (("position_mm", pos, (n, 3)), ("energy_kev", energy, (n,))):
        if arr.shape != shape:
            raise ValueError(f"{source}: {name} has shape {arr.shape}, expected {shape}")
        if not np.isfinite(arr).all():
            i = int(np.argwhere(~np.isfinite(arr))[0][0])
            raise ValueError(f"{source}: {name}[{i}] is not finite; the truth must be finite")
    if energy_range_kev is not None:
        lo, hi = energy_range_kev
        bad = np.flatnonzero((energy < lo - 1e-6) | (energy > hi + 1e-6))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{source}: energy_kev[{i}] = {energy[i]:.1f} keV is outside the model's training "
                f"range [{lo:.0f}, {hi:.0f}] keV ({bad.size} events); the model never saw such events"
            )
    return w.astype(np.float32, copy=False), pos, energy


@dataclass
class LightPositionModel:
    """A trained position model: the CNN, the calibrated centroid, and their domain.

    Attributes:
        cnn: the waveform CNN.
        centroid: the calibrated light-weighted centroid (baseline).
        energy_range_kev: (min, max) energy of the training events.
        light: the light readout the model was trained for, as a plain dict.
        n_train: training events.
    """

    cnn: LightPositionRegressor
    centroid: CentroidPositionEstimator
    energy_range_kev: tuple[float, float]
    light: dict[str, Any]
    n_train: int

    def predict(self, waveforms: NDArray[np.floating]) -> dict[str, NDArray[np.float64]]:
        """Positions (n, 3) in mm per method: ``"CNN"``, ``"centroid (calibrated)"``."""
        return {
            "CNN": self.cnn.predict(waveforms),
            "centroid (calibrated)": self.centroid.predict(waveforms),
        }


def fit_light_model(
    waveforms: NDArray[np.float32],
    position_mm: NDArray[np.float64],
    energy_kev: NDArray[np.float64],
    light: LightConfig,
    seed: int = 0,
    max_epochs: int = 20,
    num_threads: int | None = 1,
    batch_size: int = 64,
) -> LightPositionModel:
    """Fit the CNN and the centroid calibration on the same training events."""
    cnn = LightPositionRegressor(
        config=light,
        max_epochs=max_epochs,
        seed=seed,
        num_threads=num_threads,
        batch_size=batch_size,
        patience=5,
    ).fit(waveforms, position_mm)
    centroid = CentroidPositionEstimator(light).fit(waveforms, position_mm)
    lo, hi = float(energy_kev.min()), float(energy_kev.max())
    return LightPositionModel(cnn, centroid, (lo, hi), light.to_dict(), len(energy_kev))


def train_light(
    data: str | Path,
    out: str | Path,
    light: LightConfig | None = None,
    seed: int = 0,
    max_epochs: int = 20,
    num_threads: int = 1,
) -> str:
    """Train a position model on an event file and write it to ``out`` (.joblib); a summary."""
    from nulearn.ml.persistence import dump_estimator

    out = check_output(out, suffixes=(".joblib",), what="--out (model file)")
    cfg = light or LightConfig()
    archive = load_npz(data, ("light", "position_mm", "energy_kev"), what="event file")
    w, pos, energy = check_light_events(archive, cfg, f"event file {data}")
    if len(energy) < 8:
        raise ValueError(f"event file {data}: {len(energy)} events; training needs at least 8")
    t0 = time.perf_counter()
    model = fit_light_model(w, pos, energy, cfg, seed, max_epochs, num_threads)
    with atomic_output(out) as tmp:
        dump_estimator(model, tmp)
    return (
        f"trained on {len(energy)} events ({energy.min():.0f}-{energy.max():.0f} keV) in "
        f"{time.perf_counter() - t0:.1f} s -> {out}"
    )


@dataclass
class LightEvaluation:
    """Held-out resolution per method and its dependence on radius, z and energy.

    Attributes:
        tables: per method, :func:`~nulearn.detector.tpc.evaluation.position.resolution_table`.
        by_radius, by_z, by_energy: per method, :func:`~nulearn.detector.tpc.evaluation.position.resolution_by`.
        residuals: per method, predicted - true, shape (n, 3), mm.
        truth: true positions (n, 3) mm; energy: (n,) keV.
        n_train, n_test: event counts; train_seconds: CNN and centroid fit time (0 if loaded).
    """

    tables: dict[str, pd.DataFrame]
    by_radius: dict[str, pd.DataFrame]
    by_z: dict[str, pd.DataFrame]
    by_energy: dict[str, pd.DataFrame]
    residuals: dict[str, NDArray[np.float64]]
    truth: NDArray[np.float64]
    energy: NDArray[np.float64]
    n_train: int
    n_test: int
    train_seconds: float = 0.0
    report: Path | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def summary_table(self) -> pd.DataFrame:
        """One row per method: per-axis core sigma, 3D RMS and 3D core (mm)."""
        rows = []
        for name, t in self.tables.items():
            core = dict(zip(t["axis"], t["core sigma [mm]"], strict=True))
            rms = dict(zip(t["axis"], t["RMS [mm]"], strict=True))
            rows.append(
                {
                    "method": name,
                    "sigma x": core["x"],
                    "sigma y": core["y"],
                    "sigma z": core["z"],
                    "3D core": core["3D"],
                    "RMS x": rms["x"],
                    "RMS y": rms["y"],
                    "RMS z": rms["z"],
                    "3D RMS": rms["3D"],
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """The summary table as the command prints it (mm)."""
        return self.summary_table().to_string(index=False, float_format="%.2f")


def evaluate_model(
    model: LightPositionModel,
    waveforms: NDArray[np.float32],
    position_mm: NDArray[np.float64],
    energy_kev: NDArray[np.float64],
    light: LightConfig,
) -> LightEvaluation:
    """Resolution tables and binned dependences of every method of ``model`` on test events."""
    preds = model.predict(waveforms)
    residuals = {k: v - position_mm for k, v in preds.items()}
    radius = np.hypot(position_mm[:, 0], position_mm[:, 1])
    r_edges = np.linspace(0.0, float(radius.max()) + 1e-6, 7)
    z_edges = np.linspace(-light.apd_plane_z_mm, light.apd_plane_z_mm, 11)
    e_edges = np.linspace(float(energy_kev.min()), float(energy_kev.max()) + 1e-6, 6)
    return LightEvaluation(
        tables={k: resolution_table(r) for k, r in residuals.items()},
        by_radius={k: resolution_by(radius, r, r_edges) for k, r in residuals.items()},
        by_z={k: resolution_by(position_mm[:, 2], r, z_edges) for k, r in residuals.items()},
        by_energy={k: resolution_by(energy_kev, r, e_edges) for k, r in residuals.items()},
        residuals=residuals,
        truth=position_mm,
        energy=energy_kev,
        n_train=model.n_train,
        n_test=len(energy_kev),
    )


def evaluate_light(
    model_path: str | Path, data: str | Path, out_dir: str | Path, trusted: bool = False
) -> LightEvaluation:
    """Evaluate a saved model on an event file and write the report (report.md + figures)."""
    from nulearn.detector.tpc.study.light_report import light_report
    from nulearn.ml.persistence import load_estimator

    out = check_output(out_dir, directory=True, what="--out (report folder)")
    model = load_estimator(model_path, trusted=trusted)
    if not isinstance(model, LightPositionModel):
        raise ValueError(
            f"{model_path}: holds a {type(model).__name__}, not a light position model"
        )
    cfg = LightConfig.from_dict(model.light)
    archive = load_npz(data, ("light", "position_mm", "energy_kev"), what="event file")
    w, pos, energy = check_light_events(archive, cfg, f"event file {data}", model.energy_range_kev)
    res = evaluate_model(model, w, pos, energy, cfg)
    res.report = light_report(res).write(out)
    return res


def light_study(
    n_train: int = 8000,
    n_test: int = 2000,
    tpc: TPCConfig | None = None,
    light: LightConfig | None = None,
    seed: int = 0,
    max_epochs: int = 20,
    num_threads: int = 1,
    energy_range_kev: tuple[float, float] = ENERGY_RANGE_KEV,
    log: Callable[[str], None] | None = None,
) -> LightEvaluation:
    """Simulate training and held-out test events (independent seeds), train, evaluate.

    The test events are never used for fitting or early stopping (the CNN stops on a split of
    the training events).
    """
    cfg, lc = tpc or TPCConfig(), light or LightConfig()
    say = log or (lambda line: None)
    t0 = time.perf_counter()
    train = _events(n_train, cfg, lc, seed, energy_range_kev)
    test = _events(n_test, cfg, lc, seed + 1000, energy_range_kev)
    say(f"simulated {n_train} + {n_test} events in {time.perf_counter() - t0:.0f} s")
    t1 = time.perf_counter()
    with epoch_log(log, label="light CNN: "):
        model = fit_light_model(
            train.light, train.position_mm, train.energy_kev, lc, seed, max_epochs, num_threads
        )
    fit_s = time.perf_counter() - t1
    res = evaluate_model(model, test.light, test.position_mm, test.energy_kev, lc)
    res.train_seconds = fit_s
    pe = train.photoelectrons.sum(axis=1) / train.energy_kev
    res.extra = {"photoelectrons per keV": float(pe.mean())}
    return res
