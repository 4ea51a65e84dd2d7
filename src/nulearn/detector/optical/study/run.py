"""The graph-network study: simulate training and held-out events, train the GNN and the CNN,
run the classical line fit, and score all three on the same held-out events.

Classification: signal = neutrino events (up-going nu_mu CC tracks and cascades), background =
down-going muon bundles; signal efficiency at fixed background rejections. Direction: median
angular error on the held-out nu_mu CC tracks, overall and per energy bin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.optical.data.inputs import grid_images, node_features
from nulearn.detector.optical.evaluation.metrics import (
    angular_error_deg,
    efficiency_at_rejection,
    efficiency_stderr,
    median_stderr,
    resolution_vs_energy,
)
from nulearn.detector.optical.models.training import predict, train_network
from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.events import KIND_TRACK, Truth
from nulearn.detector.optical.physics.reconstruction import classical_score, line_fit
from nulearn.detector.optical.physics.simulator import Hits
from nulearn.detector.optical.study.events import simulate_events
from nulearn.ml.io import check_output
from nulearn.ml.metrics import Curve
from nulearn.ml.progress import epoch_log

__all__ = ["REJECTIONS", "GraphStudyResult", "StudySettings", "graph_study", "run_graph_study"]

REJECTIONS: tuple[float, ...] = (0.99, 0.999)
"""Background rejections of the working points; the first is the primary one (the review quotes
IceCube's gain, 6.3x the signal at 3x the signal-to-noise, but no rejection: see the docs)."""

METHODS: tuple[str, ...] = ("GNN (DynEdge)", "CNN (string grid)", "line fit (classical)")


@dataclass(frozen=True)
class StudySettings:
    """Sizes and training settings of a study.

    Attributes:
        n_train: training events (15 % of them validate early stopping).
        n_test: held-out events.
        epochs: training epochs per network.
        seed: seed of the simulation (test events: seed + 1) and of the networks.
        threads: torch CPU threads.
        max_hits: nodes per event graph (the brightest hits).
        width: GNN hidden width (the CNN has width // 3 base channels).
        grid: cells per side of the CNN's string grid.
        batch_size: minibatch size.
    """

    n_train: int = 6000
    n_test: int = 6000
    epochs: int = 8
    seed: int = 0
    threads: int = 1
    max_hits: int = 96
    width: int = 32
    grid: int = 10
    batch_size: int = 32

    def __post_init__(self) -> None:
        for name, lo in (
            ("n_train", 16),
            ("n_test", 8),
            ("epochs", 1),
            ("threads", 1),
            ("max_hits", 4),
            ("width", 4),
            ("grid", 1),
            ("batch_size", 2),
        ):
            value = getattr(self, name)
            if value < lo:
                raise ValueError(f"{name.replace('_', ' ')} = {value}; allowed range [{lo}, inf)")


@dataclass
class GraphStudyResult:
    """Scores of the three methods on the held-out events, and the arrays the report draws."""

    settings: StudySettings
    classification: pd.DataFrame
    direction: pd.DataFrame
    resolution: pd.DataFrame
    roc: dict[str, Curve]
    errors: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    energy_gev: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    train_seconds: dict[str, float] = field(default_factory=dict)
    targets: pd.DataFrame | None = None
    report: Path | None = None

    def summary(self) -> str:
        """The tables as the command prints them."""
        parts = [self.classification.to_string(index=False), self.direction.to_string(index=False)]
        if self.targets is not None:
            parts.append(self.targets.to_string(index=False))
        return "\n".join(parts)


def _inputs(hits: Hits, config: OpticalConfig, s: StudySettings) -> dict[str, tuple[NDArray, ...]]:
    return {
        "gnn": node_features(hits, config, s.max_hits),
        "cnn": (grid_images(hits, config, s.grid),),
    }


def graph_study(
    settings: StudySettings | None = None,
    config: OpticalConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> GraphStudyResult:
    """Run the study (see module); ``log`` receives a line per stage."""
    s = settings or StudySettings()
    cfg = config or OpticalConfig()
    say = log or (lambda line: None)
    say(f"simulating {s.n_train} training and {s.n_test} held-out events")
    train_truth, train_hits = simulate_events(s.n_train, cfg, s.seed)
    test_truth, test_hits = simulate_events(s.n_test, cfg, s.seed + 1)
    train_in, test_in = _inputs(train_hits, cfg, s), _inputs(test_hits, cfg, s)
    scores: dict[str, NDArray[np.float64]] = {}
    directions: dict[str, NDArray[np.float64]] = {}
    seconds: dict[str, float] = {}
    for arch, name in (("gnn", METHODS[0]), ("cnn", METHODS[1])):
        say(f"training {name} for up to {s.epochs} epochs")
        t0 = time.perf_counter()
        with epoch_log(label=f"{arch}: "):
            module = train_network(
                arch,
                train_in[arch],
                train_truth.is_signal,
                train_truth.direction,
                width=s.width,
                max_epochs=s.epochs,
                batch_size=s.batch_size,
                seed=s.seed,
                num_threads=s.threads,
            )
        seconds[name] = time.perf_counter() - t0
        scores[name], directions[name] = predict(module, test_in[arch])
    t0 = time.perf_counter()
    directions[METHODS[2]] = line_fit(test_hits, cfg)
    seconds[METHODS[2]] = time.perf_counter() - t0
    scores[METHODS[2]] = classical_score(directions[METHODS[2]])
    return _score(s, test_truth, scores, directions, seconds)


def _quantile(values: NDArray[np.float64], q: float) -> float:
    """A quantile, NaN for no values (a held-out set without nu_mu CC tracks)."""
    return float(np.quantile(values, q)) if values.size else float("nan")


def _score(
    s: StudySettings,
    truth: Truth,
    scores: dict[str, NDArray[np.float64]],
    directions: dict[str, NDArray[np.float64]],
    seconds: dict[str, float],
) -> GraphStudyResult:
    y = truth.is_signal
    classical = METHODS[2]
    rows, roc = [], {}
    eff_at: dict[tuple[str, float], float] = {}
    for name in METHODS:
        row: dict[str, float | str] = {"method": name}
        for r in REJECTIONS:
            eff, curve = efficiency_at_rejection(y, scores[name], r)
            eff_at[(name, r)] = eff
            row[f"signal eff. at {100 * r:g}% bkg rejection"] = eff
            row[f"stderr at {100 * r:g}%"] = efficiency_stderr(y, scores[name], r, seed=s.seed)
        row["ROC AUC"] = curve.area
        row["training time [s]"] = seconds[name]
        roc[name] = curve
        rows.append(row)
    table = pd.DataFrame(rows)
    primary = REJECTIONS[0]
    # at equal background, the signal gain is also the gain in signal-to-noise
    table[f"signal gain over line fit at {100 * primary:g}%"] = [
        eff_at[(m, primary)] / max(eff_at[(classical, primary)], 1e-12) for m in METHODS
    ]
    tracks = truth.kind == KIND_TRACK
    errors = {m: angular_error_deg(directions[m][tracks], truth.direction[tracks]) for m in METHODS}
    direction = pd.DataFrame(
        [
            {
                "method": m,
                "nu_mu CC tracks": int(tracks.sum()),
                "median angular error [deg]": _quantile(errors[m], 0.5),
                "stderr [deg]": median_stderr(errors[m], seed=s.seed),
                "68% quantile [deg]": _quantile(errors[m], 0.68),
            }
            for m in METHODS
        ]
    )
    energy = truth.energy_gev[tracks]
    edges = (
        np.logspace(np.log10(energy.min()), np.log10(energy.max()) + 1e-9, 7)
        if energy.size
        else np.array([1.0, 2.0])
    )
    resolution = resolution_vs_energy(errors, energy, edges)
    gnn, cnn = METHODS[0], METHODS[1]
    med = dict(zip(direction["method"], direction["median angular error [deg]"], strict=True))
    targets = pd.DataFrame(
        [
            {
                "target": f"GNN signal efficiency at {100 * primary:g}% rejection beats CNN and line fit",
                "GNN": eff_at[(gnn, primary)],
                "CNN": eff_at[(cnn, primary)],
                "line fit": eff_at[(classical, primary)],
                "met": bool(
                    eff_at[(gnn, primary)]
                    > max(eff_at[(cnn, primary)], eff_at[(classical, primary)])
                ),
            },
            {
                "target": "GNN median angular error (nu_mu CC tracks) beats CNN and line fit",
                "GNN": med[gnn],
                "CNN": med[cnn],
                "line fit": med[classical],
                "met": bool(med[gnn] < min(med[cnn], med[classical])),
            },
        ]
    )
    return GraphStudyResult(s, table, direction, resolution, roc, errors, energy, seconds, targets)


def run_graph_study(
    out_dir: str | Path,
    settings: StudySettings | None = None,
    config: OpticalConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> GraphStudyResult:
    """Check ``out_dir``, run :func:`graph_study`, write the report (report.md, report.html,
    figures/) and return the result with the report's path."""
    import torch

    from nulearn.detector.optical.study.report import graph_report

    out = check_output(out_dir, directory=True, what="--out (report folder)")
    s = settings or StudySettings()
    torch.set_num_threads(s.threads)
    res = graph_study(s, config, log)
    res.report = graph_report(res, config or OpticalConfig()).write(out)
    return res
