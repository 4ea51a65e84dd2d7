"""End-to-end studies on simulated events: energy resolution, site discrimination, generation.

Each study simulates its own training and test sets, trains, and returns tables (and the arrays
the report draws). Sizes are arguments: tiny in tests, as large as affordable in the benchmark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.tpc.data.dataset import TPCDataset, network_images, simulate_dataset
from nulearn.detector.tpc.data.labels import event_labels
from nulearn.detector.tpc.evaluation.discrimination import signal_efficiency_at_rejection
from nulearn.detector.tpc.evaluation.energy import (
    LINES_KEV,
    line_pull_metrics,
    paired_improvement_stderr,
)
from nulearn.detector.tpc.evaluation.generation import compare_with_simulator, time_per_event
from nulearn.detector.tpc.models.discrimination import WaveformSiteClassifier, bdt_classifier
from nulearn.detector.tpc.models.energy import WaveformEnergyRegressor
from nulearn.detector.tpc.models.gan_training import WGANGP, train_wgan
from nulearn.detector.tpc.physics.config import TL208_GAMMA_KEV, TPCConfig
from nulearn.detector.tpc.physics.deposits import (
    Deposits,
    double_beta_events,
    gamma_events,
    uniform_energy_events,
    uniform_gamma_events,
)
from nulearn.detector.tpc.physics.reconstruction import energy_resolution
from nulearn.detector.tpc.physics.simulator import simulate
from nulearn.ml.io import check_output
from nulearn.ml.metrics import AUCComparison, Curve, compare_aucs
from nulearn.ml.progress import epoch_log

__all__ = [
    "STUDIES",
    "DiscriminationResult",
    "EnergyResult",
    "GenerationResult",
    "StudyResults",
    "discrimination_study",
    "energy_study",
    "generation_study",
    "run_studies",
]

REJECTIONS = (0.5, 0.8, 0.9)
"""Background (gamma) rejections at which the site discriminators' signal efficiency is quoted."""


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
    """Energy-resolution study: one row per method in ``table``; arrays for the report figures.

    Attributes:
        table: resolution at 2615 keV and at Q per method (conventional, flat-trained ensemble).
        n_train: training events of the flat spectrum.
        n_test_peak: full-absorption 208Tl test events.
        improvement_2615: 1 - (CNN sigma/E) / (conventional sigma/E) at 2615 keV.
        improvement_2615_stderr: its standard error, from a paired bootstrap of the 208Tl
            full-absorption events (both methods resampled together).
        residuals: relative residuals at 2615 keV per method, and ``name + " (flat)"``: the
            flat test set's (true, predicted) energies in keV, shape (2, n_flat).
        pitfall: the line-training pitfall, one row per network and training spectrum (see
            :func:`~nulearn.detector.tpc.evaluation.energy.line_pull_metrics`); None when not run.
        pitfall_flat: (true, predicted) keV on the flat test set per pitfall row, shape (2, n).
        n_train_lines: training events of the line-only set.
        pitfall_epochs: training epochs of each single network of the pitfall comparison.
    """

    table: pd.DataFrame
    n_train: int
    n_test_peak: int
    improvement_2615: float
    residuals: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    improvement_2615_stderr: float = float("nan")
    pitfall: pd.DataFrame | None = None
    pitfall_flat: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    n_train_lines: int = 0
    pitfall_epochs: int = 0


def energy_study(
    n_train: int = 2000,
    n_test: int = 600,
    config: TPCConfig | None = None,
    seed: int = 0,
    max_epochs: int = 6,
    n_members: int = 3,
    num_threads: int | None = None,
    pitfall: bool = True,
    pitfall_epochs: int | None = None,
) -> EnergyResult:
    """CNN (trained on a flat spectrum) vs conventional sigma/E at 2615 keV and at Q, same events.

    With ``pitfall``, the EXO-200 line-training pitfall (Delaquis et al. 2018): the generic CNN
    (:class:`~nulearn.detector.tpc.models.networks.GenericEnergyNet`) is trained once on the flat
    spectrum and once on the sharp lines only (double-beta at Q and full-absorption 208Tl
    gammas), and the physics-structured one on the lines only. Each is measured on the lines
    (the resolution a line-trained network *seems* to achieve) and off the lines on the flat
    test set (:func:`~nulearn.detector.tpc.evaluation.energy.line_pull_metrics`); the flat-trained structured ensemble is the reference.

    Args:
        n_train: flat-spectrum training events (half single-site, half gammas); the line set
            is simulated with as many events and cut to the full-absorption lines.
        n_test: events per test set (flat spectrum, 208Tl gammas, double-beta at Q).
        config: detector.
        seed: random seed of the simulations and networks.
        max_epochs: epochs per member of the structured flat-trained ensemble.
        n_members: ensemble size.
        num_threads: torch CPU threads.
        pitfall: run the line-training comparison.
        pitfall_epochs: epochs of the single networks of the comparison (default ``max_epochs``).
    """
    cfg = config or TPCConfig()
    half = n_train // 2
    train = _mixed([("uniform", half), ("uniform_gamma", n_train - half)], cfg, seed)
    test = _EnergyTests(
        flat=_mixed(
            [("uniform", n_test // 2), ("uniform_gamma", n_test - n_test // 2)], cfg, seed + 10
        ),
        tl=simulate_dataset("gamma", n_test, cfg, seed=seed + 20),
        qbb=simulate_dataset("bb", n_test, cfg, seed=seed + 30),
    )
    tl, flat, peak = test.tl, test.flat, test.peak
    model = WaveformEnergyRegressor(
        n_members=n_members, max_epochs=max_epochs, seed=seed, num_threads=num_threads
    )
    model.fit(train.images, train.energy_kev)
    tl_mean, tl_std = model.predict_with_uncertainty(tl.images)
    methods = {
        "conventional": (
            tl.conventional.energy_kev,
            test.qbb.conventional.energy_kev,
            flat.conventional.energy_kev,
        ),
        "CNN, flat training (ensemble)": (
            tl_mean,
            model.predict(test.qbb.images),
            model.predict(flat.images),
        ),
    }
    rows = []
    residuals = {}
    for name, (e_tl, e_q, e_fl) in methods.items():
        rows.append(
            {
                "method": name,
                **test.resolutions(e_tl, e_q),
                "off-line RMS rel. error, flat test [%]": 100
                * line_pull_metrics(e_fl, flat.energy_kev)["rms"],
            }
        )
        residuals[name] = (e_tl[peak] - tl.energy_kev[peak]) / tl.energy_kev[peak]
        residuals[name + " (flat)"] = np.stack([flat.energy_kev, e_fl])
    table = pd.DataFrame(rows)
    table["ensemble sigma at 2615 keV [keV]"] = [np.nan, float(np.mean(tl_std[peak]))]
    conv, cnn = table.iloc[0]["sigma/E at 2615 keV [%]"], table.iloc[1]["sigma/E at 2615 keV [%]"]
    result = EnergyResult(
        table,
        n_train,
        int(peak.sum()),
        float(1 - cnn / conv),
        residuals,
        improvement_2615_stderr=paired_improvement_stderr(
            tl.conventional.energy_kev[peak], tl_mean[peak], tl.energy_kev[peak], seed
        ),
    )
    if pitfall:
        lines = _mixed([("bb", half), ("gamma", n_train - half)], cfg, seed + 40)
        keep = (np.abs(lines.energy_kev[:, None] - np.asarray(LINES_KEV)) < 1.0).any(axis=1)
        sets = {
            "flat": (train.images, train.energy_kev),
            "lines only": (lines.images[keep], lines.energy_kev[keep]),
        }
        epochs = pitfall_epochs if pitfall_epochs is not None else max_epochs
        reference = methods["CNN, flat training (ensemble)"]
        _line_training_pitfall(result, sets, test, reference, seed, epochs, num_threads)
    return result


@dataclass(frozen=True)
class _EnergyTests:
    """The test sets of the energy study: flat spectrum, 208Tl gammas, double-beta at Q."""

    flat: TPCDataset
    tl: TPCDataset
    qbb: TPCDataset

    @property
    def peak(self) -> NDArray[np.bool_]:
        """The full-absorption 208Tl events (deposited energy within 1 keV of the line)."""
        return np.abs(self.tl.energy_kev - TL208_GAMMA_KEV) < 1.0

    def resolutions(self, e_tl: NDArray[np.float64], e_q: NDArray[np.float64]) -> dict[str, float]:
        """sigma/E at 2615 keV and at Q and the 2615 keV peak position of reconstructed energies
        of the 208Tl and the double-beta test events."""
        peak = self.peak
        mu_tl, res_tl = energy_resolution(e_tl[peak], self.tl.energy_kev[peak])
        _, res_q = energy_resolution(e_q, self.qbb.energy_kev)
        return {
            "sigma/E at 2615 keV [%]": 100 * res_tl,
            "sigma/E at Q [%]": 100 * res_q,
            "peak position 2615 (reco/true)": mu_tl,
        }


def _line_training_pitfall(
    result: EnergyResult,
    sets: dict[str, tuple[NDArray[np.float32], NDArray[np.float64]]],
    test: _EnergyTests,
    reference: tuple[NDArray[np.float64], ...],
    seed: int,
    epochs: int,
    num_threads: int | None,
) -> None:
    """Train the generic CNN on the flat and the line-only spectrum and the structured one on the
    lines, score them on and off the lines, and store the table in ``result``; ``reference``: the
    flat-trained structured ensemble's energies of the 208Tl, Q and flat test events."""
    flat = test.flat
    predictions = {("structured", "flat"): reference}
    for arch, spectrum in (
        ("generic", "flat"),
        ("generic", "lines only"),
        ("structured", "lines only"),
    ):
        x, y = sets[spectrum]
        with epoch_log(label=f"pitfall {arch} CNN, {spectrum}: "):
            net = WaveformEnergyRegressor(
                n_members=1,
                max_epochs=epochs,
                seed=seed,
                num_threads=num_threads,
                architecture=arch,
            ).fit(x, y)
        predictions[(arch, spectrum)] = (
            net.predict(test.tl.images),
            net.predict(test.qbb.images),
            net.predict(flat.images),
        )
    rows = []
    for (arch, spectrum), (e_tl, e_q, e_fl) in predictions.items():
        pulls = line_pull_metrics(e_fl, flat.energy_kev)
        rows.append(
            {
                "network": arch,
                "training spectrum": spectrum,
                "training events": len(sets[spectrum][1]),
                **test.resolutions(e_tl, e_q),
                "off-line bias [%]": 100 * pulls["bias"],
                "off-line RMS [%]": 100 * pulls["rms"],
                "collapse onto lines [%]": 100 * pulls["collapse"],
                "slope reco/true (flat)": pulls["slope"],
            }
        )
        result.pitfall_flat[f"{arch}, {spectrum}"] = np.stack([flat.energy_kev, e_fl])
    result.pitfall = pd.DataFrame(rows)
    result.n_train_lines = len(sets["lines only"][1])
    result.pitfall_epochs = epochs


@dataclass
class DiscriminationResult:
    """Site discrimination: efficiencies per method and the ROC curve of the background (gamma)
    class per method (x: fraction of signal cut, y: fraction of background rejected)."""

    table: pd.DataFrame
    roc: dict[str, Curve]
    n_train: int
    n_test: int
    deep_vs_bdt: AUCComparison | None = None


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
        roc[name] = curve
    # Paired on the same test events: DeLong's test of the deep network against the BDT.
    versus = compare_aucs(
        te.is_gamma, scores["deep CNN on waveforms"], scores["BDT on conventional features"]
    )
    table = pd.DataFrame(rows)
    stderr = {
        "deep CNN on waveforms": versus.stderr_a,
        "BDT on conventional features": versus.stderr_b,
    }
    table["ROC AUC stderr"] = table["method"].map(stderr)
    return DiscriminationResult(table, roc, n_train, n_test, versus)


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
    constrainer_epochs: int = 8,
    num_threads: int | None = None,
    warm_start_steps: int = 1000,
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
        config=cfg,
        warm_start_steps=warm_start_steps,
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


STUDIES: tuple[str, ...] = ("energy", "sites", "gan")
"""Studies of :func:`run_studies`: energy resolution, site discrimination, generation."""


@dataclass
class StudyResults:
    """The studies :func:`run_studies` ran (``None`` for those it did not) and its report."""

    energy: EnergyResult | None = None
    discrimination: DiscriminationResult | None = None
    generation: GenerationResult | None = None
    report: Path | None = None

    def summary(self) -> str:
        """The tables of every study run, as the command prints them."""
        lines = []
        if self.energy is not None:
            lines.append(self.energy.table.to_string(index=False))
            if self.energy.pitfall is not None:
                lines += ["line-training pitfall:", self.energy.pitfall.to_string(index=False)]
        if self.discrimination is not None:
            lines.append(self.discrimination.table.to_string(index=False))
        if self.generation is not None:
            lines.append(self.generation.distances.to_string(index=False))
            lines.append(f"generator speed-up over simulator: {self.generation.speedup:.1f}x")
        return "\n".join(lines)


def run_studies(
    studies: tuple[str, ...],
    out_dir: str | Path,
    n_train: int = 2000,
    n_test: int = 600,
    config: TPCConfig | None = None,
    seed: int = 0,
    max_epochs: int = 6,
    n_members: int = 3,
    num_threads: int = 1,
    pitfall_epochs: int | None = None,
    warm_start_steps: int = 1000,
    log: Callable[[str], None] | None = None,
) -> StudyResults:
    """Run the chosen :data:`STUDIES` and write their report (and, for ``"gan"``, the generator
    as ``gan.pt``, a weights-only file with its training energy range) to ``out_dir``.

    The energy study trains ``n_members`` networks of ``max_epochs`` epochs; the generator trains
    its constrainer for half as many epochs. The report folder is checked before any work and
    every file is written through a temporary file renamed into place. ``log`` receives one line
    as each study starts and ends; training epochs go to :func:`nulearn.ml.progress.epoch_log`,
    labelled by study.
    """
    import torch

    from nulearn.detector.tpc.models.gan_training import save_generator
    from nulearn.detector.tpc.study.report import tpc_report

    unknown = sorted(set(studies) - set(STUDIES))
    if unknown:
        raise ValueError(f"unknown TPC studies {unknown}; allowed: {', '.join(STUDIES)}")
    out = check_output(out_dir, directory=True, what="--out (report folder)")
    for name, value, lo in (
        ("training events", n_train, 8),
        ("test events", n_test, 8),
        ("epochs", max_epochs, 1),
        ("ensemble members", n_members, 1),
        ("pitfall epochs", 1 if pitfall_epochs is None else pitfall_epochs, 1),
        ("warm-start steps", warm_start_steps, 0),
    ):
        if value < lo:
            raise ValueError(f"{name} = {value}; allowed range [{lo}, inf)")
    torch.set_num_threads(num_threads)
    cfg = config or TPCConfig()
    res = StudyResults()
    say = log or (lambda line: None)
    t0 = time.perf_counter()
    if "energy" in studies:
        say(f"energy study: simulating {n_train} training and 3 x {n_test} test events")
        with epoch_log(label="energy: "):
            res.energy = energy_study(
                n_train,
                n_test,
                cfg,
                seed,
                max_epochs,
                n_members,
                num_threads,
                pitfall_epochs=pitfall_epochs,
            )
        say(f"energy study done ({time.perf_counter() - t0:.0f} s)")
    if "sites" in studies:
        say(f"site study: simulating {n_train} training and {n_test} test events")
        with epoch_log(label="sites: "):
            res.discrimination = discrimination_study(
                n_train, n_test, cfg, seed, max_epochs, num_threads
            )
        say(f"site study done ({time.perf_counter() - t0:.0f} s)")
    if "gan" in studies:
        say(f"generator study: simulating {n_train} training and {n_test} test events")
        with epoch_log(label="gan: "):
            res.generation = generation_study(
                n_train,
                n_test,
                cfg,
                seed,
                max_epochs,
                max(1, max_epochs // 2),
                num_threads,
                warm_start_steps=warm_start_steps,
            )
        say(f"generator study done ({time.perf_counter() - t0:.0f} s)")
    report = tpc_report(res.energy, res.discrimination, res.generation)
    if res.generation is not None:
        out.mkdir(parents=True, exist_ok=True)
        save_generator(res.generation.model, out / "gan.pt")
    res.report = report.write(out)
    return res
