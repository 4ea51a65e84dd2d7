"""End-to-end studies on simulated events: energy resolution, site discrimination, generation.

Each study simulates its own training and test sets, trains, and returns tables (and the arrays
the report draws). Sizes are arguments: tiny in tests, as large as affordable in the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.tpc.config import Q_BB_KEV, TL208_GAMMA_KEV, TPCConfig
from nulearn.detector.tpc.dataset import TPCDataset, network_images, simulate_dataset
from nulearn.detector.tpc.deposits import (
    Deposits,
    double_beta_events,
    gamma_events,
    uniform_energy_events,
    uniform_gamma_events,
)
from nulearn.detector.tpc.discrimination import (
    WaveformSiteClassifier,
    bdt_classifier,
    signal_efficiency_at_rejection,
)
from nulearn.detector.tpc.energy_cnn import WaveformEnergyRegressor
from nulearn.detector.tpc.reconstruction import energy_resolution
from nulearn.detector.tpc.simulator import simulate
from nulearn.detector.tpc.wgan import (
    WGANGP,
    compare_with_simulator,
    event_labels,
    time_per_event,
    train_wgan,
)

__all__ = [
    "DiscriminationResult",
    "EnergyResult",
    "GenerationResult",
    "discrimination_study",
    "energy_study",
    "generation_study",
]

REJECTIONS = (0.5, 0.8, 0.9)


def _mixed(
    kinds: list[tuple[str, int]], config: TPCConfig, seed: int, **ranges: float
) -> TPCDataset:
    rng = np.random.default_rng(seed)
    makers = {
        "bb": lambda n: double_beta_events(n, config, rng),
        "gamma": lambda n: gamma_events(n, config, rng),
        "uniform": lambda n: uniform_energy_events(n, config, rng, **ranges),
        "uniform_gamma": lambda n: uniform_gamma_events(n, config, rng, **ranges),
    }
    parts = [makers[k](n) for k, n in kinds if n > 0]
    deposits = Deposits.concatenate(parts)
    return simulate_dataset(deposits, 0, config, seed=seed + 1)


@dataclass
class EnergyResult:
    """Energy-resolution study: one row per method in ``table``; arrays for the report figures."""

    table: pd.DataFrame
    n_train: int
    n_test_peak: int
    improvement_2615: float
    residuals: dict[str, NDArray[np.float64]] = field(default_factory=dict)


def _off_peak_rms(pred: NDArray[np.float64], true: NDArray[np.float64]) -> float:
    off = (np.abs(true - TL208_GAMMA_KEV) > 50) & (np.abs(true - Q_BB_KEV) > 50)
    return (
        float(np.sqrt(np.mean(((pred[off] - true[off]) / true[off]) ** 2)))
        if off.any()
        else float("nan")
    )


def energy_study(
    n_train: int = 2000,
    n_test: int = 600,
    config: TPCConfig | None = None,
    seed: int = 0,
    max_epochs: int = 6,
    n_members: int = 3,
    num_threads: int | None = None,
    pitfall: bool = True,
) -> EnergyResult:
    """CNN (trained on a flat spectrum) vs conventional sigma/E at 2615 keV and at Q, same events.

    With ``pitfall``, a second CNN trained on the sharp lines only (double-beta at Q and 208Tl
    gammas) shows the EXO-200 pitfall: it looks good on the lines and is biased off them.
    """
    cfg = config or TPCConfig()
    half = n_train // 2
    train = _mixed([("uniform", half), ("uniform_gamma", n_train - half)], cfg, seed)
    flat = _mixed(
        [("uniform", n_test // 2), ("uniform_gamma", n_test - n_test // 2)], cfg, seed + 10
    )
    tl = simulate_dataset("gamma", n_test, cfg, seed=seed + 20)
    qbb = simulate_dataset("bb", n_test, cfg, seed=seed + 30)
    peak = np.abs(tl.energy_kev - TL208_GAMMA_KEV) < 1.0

    model = WaveformEnergyRegressor(
        n_members=n_members, max_epochs=max_epochs, seed=seed, num_threads=num_threads
    )
    model.fit(train.images, train.energy_kev)
    methods: dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]] = {
        "conventional": (
            tl.conventional.energy_kev,
            qbb.conventional.energy_kev,
            flat.conventional.energy_kev,
        )
    }
    tl_mean, tl_std = model.predict_with_uncertainty(tl.images)
    methods["CNN, flat training (ensemble)"] = (
        tl_mean,
        model.predict(qbb.images),
        model.predict(flat.images),
    )
    if pitfall:
        lines = _mixed([("bb", half), ("gamma", n_train - half)], cfg, seed + 40)
        keep = (np.abs(lines.energy_kev - TL208_GAMMA_KEV) < 1.0) | (
            np.abs(lines.energy_kev - Q_BB_KEV) < 1.0
        )
        peak_model = WaveformEnergyRegressor(
            n_members=1, max_epochs=max_epochs, seed=seed, num_threads=num_threads
        )
        peak_model.fit(lines.images[keep], lines.energy_kev[keep])
        methods["CNN, trained on the lines only (pitfall)"] = (
            peak_model.predict(tl.images),
            peak_model.predict(qbb.images),
            peak_model.predict(flat.images),
        )
    rows = []
    residuals = {}
    for name, (e_tl, e_q, e_flat) in methods.items():
        mu_tl, res_tl = energy_resolution(e_tl[peak], tl.energy_kev[peak])
        _, res_q = energy_resolution(e_q, qbb.energy_kev)
        rows.append(
            {
                "method": name,
                "sigma/E at 2615 keV [%]": 100 * res_tl,
                "sigma/E at Q [%]": 100 * res_q,
                "peak position 2615 (reco/true)": mu_tl,
                "off-line RMS rel. error, flat test [%]": 100
                * _off_peak_rms(e_flat, flat.energy_kev),
            }
        )
        residuals[name] = (e_tl[peak] - tl.energy_kev[peak]) / tl.energy_kev[peak]
        residuals[name + " (flat)"] = np.stack([flat.energy_kev, e_flat])
    table = pd.DataFrame(rows)
    table["ensemble sigma at 2615 keV [keV]"] = [
        np.nan,
        float(np.mean(tl_std[peak])),
        *([np.nan] * (len(rows) - 2)),
    ]
    conv, cnn = table.iloc[0]["sigma/E at 2615 keV [%]"], table.iloc[1]["sigma/E at 2615 keV [%]"]
    return EnergyResult(table, n_train, int(peak.sum()), float(1 - cnn / conv), residuals)


@dataclass
class DiscriminationResult:
    """Site discrimination: efficiencies per method and ROC curves (x signal cut, y bkg rejected)."""

    table: pd.DataFrame
    roc: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]
    n_train: int
    n_test: int


def discrimination_study(
    n_train: int = 2000,
    n_test: int = 1000,
    config: TPCConfig | None = None,
    seed: int = 0,
    max_epochs: int = 6,
    num_threads: int | None = None,
    e_min_kev: float = 2200.0,
    e_max_kev: float = 2800.0,
) -> DiscriminationResult:
    """Deep waveform classifier vs BDT on conventional features, single-site vs gamma events.

    Both classes have energies uniform in [e_min_kev, e_max_kev] around Q (single-site
    double-beta-like events against gammas of the same energies), so the separation comes from
    topology alone; the BDT's features exclude the energy for the same reason.
    """
    cfg = config or TPCConfig()
    ranges = {"e_min_kev": e_min_kev, "e_max_kev": e_max_kev}
    tr = _mixed(
        [("uniform", n_train // 2), ("uniform_gamma", n_train - n_train // 2)],
        cfg,
        seed + 50,
        **ranges,
    )
    te = _mixed(
        [("uniform", n_test // 2), ("uniform_gamma", n_test - n_test // 2)],
        cfg,
        seed + 60,
        **ranges,
    )
    deep = WaveformSiteClassifier(max_epochs=max_epochs, seed=seed, num_threads=num_threads).fit(
        tr.images, tr.is_gamma
    )
    feats_tr = tr.conventional.features().drop(columns=["energy_kev"])
    feats_te = te.conventional.features().drop(columns=["energy_kev"])
    bdt = bdt_classifier(seed).fit(feats_tr, tr.is_gamma)
    scores = {
        "deep CNN on waveforms": deep.predict_proba(te.images)[:, 1],
        "BDT on conventional features": bdt.predict_proba(feats_te)[:, 1],
        "site count > 1 (cut)": te.conventional.n_sites.astype(np.float64),
    }
    rows, roc = [], {}
    for name, score in scores.items():
        row: dict[str, float | str] = {"method": name}
        for r in REJECTIONS:
            eff, curve = signal_efficiency_at_rejection(te.is_gamma, score, r)
            row[f"SS efficiency at {int(100 * r)}% gamma rejection"] = eff
        row["ROC AUC"] = curve.area
        rows.append(row)
        roc[name] = (curve.x, curve.y)
    return DiscriminationResult(pd.DataFrame(rows), roc, n_train, n_test)


@dataclass
class GenerationResult:
    """Generator validation: per-quantity distances, speeds, and example images."""

    distances: pd.DataFrame
    speed: pd.DataFrame
    speedup: float
    examples: dict[str, NDArray[np.float32]]
    model: WGANGP


def generation_study(
    n_train: int = 2000,
    n_test: int = 500,
    config: TPCConfig | None = None,
    seed: int = 0,
    max_epochs: int = 10,
    constrainer_epochs: int = 3,
    num_threads: int | None = None,
) -> GenerationResult:
    """Train the conditional WGAN-GP on single-site events and compare it with the simulator.

    Speed: wall time per event of the full simulator chain (deposits, drift, induction, shaping,
    noise, imaging) against the generator producing the same images, same process and threads.
    """
    cfg = config or TPCConfig()
    train = simulate_dataset("uniform", n_train, cfg, seed=seed + 70)
    labels = event_labels(train.centroid_mm, train.drift_mm, train.energy_kev, cfg)
    gan = train_wgan(
        train.images,
        labels,
        max_epochs=max_epochs,
        constrainer_epochs=constrainer_epochs,
        seed=seed,
        num_threads=num_threads,
    )
    rng = np.random.default_rng(seed + 80)
    deposits = uniform_energy_events(n_test, cfg, rng)
    test = simulate_dataset(deposits, 0, cfg, seed=seed + 81)
    again = simulate_dataset(deposits, 0, cfg, seed=seed + 82)  # same deposits, new fluctuations
    test_labels = event_labels(test.centroid_mm, test.drift_mm, test.energy_kev, cfg)
    generated = gan.generate(test_labels)
    distances = compare_with_simulator(
        test.images, generated, test_labels, cfg, reference=again.images, seed=seed
    )

    n_speed = min(n_test, 256)
    speed_rng = np.random.default_rng(seed + 90)

    def run_simulator() -> None:
        d = uniform_energy_events(n_speed, cfg, speed_rng)
        network_images(simulate(d, cfg, speed_rng), cfg)

    def run_generator() -> None:
        gan.generate(test_labels[:n_speed])

    t_sim = time_per_event(run_simulator, n_speed, repeats=2)
    t_gen = time_per_event(run_generator, n_speed, repeats=2)
    speed = pd.DataFrame(
        [
            {
                "producer": "simulator (deposits -> images)",
                "ms per event": 1e3 * t_sim,
                "events per s": 1 / t_sim,
            },
            {
                "producer": "WGAN-GP generator",
                "ms per event": 1e3 * t_gen,
                "events per s": 1 / t_gen,
            },
        ]
    )
    examples = {"simulated": test.images[:4], "generated": generated[:4], "labels": test_labels[:4]}
    return GenerationResult(distances, speed, t_sim / t_gen, examples, gan)
