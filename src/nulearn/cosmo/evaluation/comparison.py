"""Scoring the CNN against the baselines on the same test maps, with statistical uncertainties.

Accuracies carry binomial standard errors; the CNN − optimal difference is *paired* (same test
maps), so its standard error comes from the per-map difference of correctness, which is much
smaller than either accuracy's. Verdict on Gaussian maps (where the likelihood ratio is optimal):
a CNN above the optimum by more than 2σ is impossible without information leaking from the
labels into the maps, and is reported as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.cosmo.data.maps import MapConfig, MapSet, SpectrumTable, map_filter, noise_power
from nulearn.cosmo.models.baselines import (
    FisherForecast,
    PowerSpectrumLikelihoodRatio,
    expected_band_powers,
    fisher_forecast,
    peak_count_classifier,
    peak_counts,
)
from nulearn.cosmo.theory.fourier import BandBinning, band_powers, ell_grid
from nulearn.ml.metrics import binary_scores

__all__ = [
    "BaselineResults",
    "PairedComparison",
    "accuracy_with_error",
    "analysis_binning",
    "compare_paired",
    "run_baselines",
    "verdict",
]


def accuracy_with_error(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[float, float]:
    """Accuracy (via :func:`nulearn.ml.metrics.binary_scores`) and its binomial standard error."""
    acc = binary_scores(np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)).accuracy
    n = np.asarray(y_true).size
    return acc, float(np.sqrt(max(acc * (1 - acc), 1e-12) / n))


@dataclass(frozen=True)
class PairedComparison:
    """Accuracy difference a − b on the same maps.

    Attributes:
        difference: accuracy(a) − accuracy(b).
        stderr: standard error of the paired difference.
    """

    difference: float
    stderr: float


def compare_paired(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> PairedComparison:
    """Paired accuracy difference and its standard error (per-map correctness differences)."""
    y = np.asarray(y_true)
    d = (np.asarray(pred_a) == y).astype(float) - (np.asarray(pred_b) == y).astype(float)
    return PairedComparison(
        float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
    )


def verdict(comparison: PairedComparison, tolerance: float = 0.02, n_sigma: float = 2.0) -> str:
    """``"PASS"`` (within ``tolerance`` below the optimum), ``"FAIL (leak)"`` (above it by > n_sigma σ)
    or ``"FAIL (short)"`` (more than ``tolerance`` below beyond noise)."""
    if comparison.difference > n_sigma * comparison.stderr:
        return "FAIL (leak)"
    if comparison.difference < -tolerance - n_sigma * comparison.stderr:
        return "FAIL (short)"
    return "PASS"


def analysis_binning(config: MapConfig, n_bins: int = 30) -> BandBinning:
    """Log band-power bins from the fundamental mode to ℓ_max (or Nyquist)."""
    nyquist = np.pi * config.n_pix / config.side_rad
    ell_max = min(config.ell_max or nyquist, nyquist)
    return BandBinning.logarithmic(config.n_pix, config.side_deg, n_bins, ell_max=ell_max)


@dataclass
class BaselineResults:
    """Baseline predictions and scores on one test set.

    Attributes:
        table: one row per method: ``method``, ``accuracy``, ``stderr``.
        predictions: ``{method: predicted labels (n_test,)}``.
        scores: ``{method: decision scores (n_test,)}``.
        fisher: the Fisher forecast (``None`` without a spectrum table).
        likelihood_ratio: the fitted likelihood-ratio classifier.
    """

    table: pd.DataFrame
    predictions: dict[str, NDArray[Any]]
    scores: dict[str, NDArray[np.float64]]
    fisher: FisherForecast | None
    likelihood_ratio: PowerSpectrumLikelihoodRatio


def run_baselines(
    train: MapSet, test: MapSet, table: SpectrumTable | None = None, n_bins: int = 30
) -> BaselineResults:
    """Fit the power-spectrum likelihood ratio and peak counts on ``train``; score on ``test``.

    With a spectrum table the A_s response γ_b of each band and the Fisher forecast are computed
    from theory; the shape-noise band power is always known analytically.
    """
    cfg = test.config
    if train.config != cfg:
        raise ValueError("train and test maps were made with different MapConfig")
    binning = analysis_binning(cfg, n_bins)
    ell = ell_grid(cfg.n_pix, cfg.side_rad)
    noise_b = noise_power(cfg.n_gal, cfg.sigma_e) * binning.bin_average(map_filter(cfg, ell) ** 2)
    gamma = None
    fisher = None
    spectra = table or train.spectra
    if spectra is not None:
        mid = float(np.mean(train.m_nu))
        up = expected_band_powers(spectra, cfg, binning, mid, 1.02) - noise_b
        down = expected_band_powers(spectra, cfg, binning, mid, 0.98) - noise_b
        gamma = np.log(np.clip(up, 1e-300, None) / np.clip(down, 1e-300, None)) / np.log(
            1.02 / 0.98
        )
        m_classes = np.unique(train.m_nu)
        if m_classes.size == 2:
            fisher = fisher_forecast(
                spectra, cfg, binning, (float(m_classes[0]), float(m_classes[1]))
            )
    x_train = band_powers(train.maps, binning)
    x_test = band_powers(test.maps, binning)
    lr = PowerSpectrumLikelihoodRatio(binning.mode_counts(), cfg.amplitude_jitter, gamma, noise_b)
    lr.fit(x_train, train.labels)
    # peak heights binned in units of the training maps' κ rms, smoothed over ~1 pixel
    rms = float(train.maps.std())
    edges = np.linspace(-2.0, 5.0, 15) * rms
    pc_train = peak_counts(train.maps, edges, smoothing_pix=1.0)
    pc_test = peak_counts(test.maps, edges, smoothing_pix=1.0)
    peaks = peak_count_classifier().fit(pc_train, train.labels)
    predictions = {
        "power-spectrum likelihood ratio": lr.predict(x_test),
        "peak counts": peaks.predict(pc_test),
    }
    scores = {
        "power-spectrum likelihood ratio": lr.decision_function(x_test),
        "peak counts": np.asarray(peaks.decision_function(pc_test), dtype=np.float64),
    }
    rows = []
    for name, pred in predictions.items():
        acc, err = accuracy_with_error(test.labels, pred)
        rows.append({"method": name, "accuracy": acc, "stderr": err})
    if fisher is not None:
        rows.append(
            {"method": "Fisher forecast (Gaussian)", "accuracy": fisher.accuracy, "stderr": 0.0}
        )
    return BaselineResults(pd.DataFrame(rows), predictions, scores, fisher, lr)
