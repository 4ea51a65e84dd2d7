"""Scoring the CNN against the baselines on the same test maps, with statistical uncertainties.

Accuracies carry binomial standard errors; the CNN − optimal difference is *paired* (same test
maps), so its standard error comes from the per-map difference of correctness, which is much
smaller than either accuracy's. Verdict on Gaussian maps (where the likelihood ratio is optimal):
a CNN above the optimum by more than 2σ is impossible without information leaking from the
labels into the maps, and is reported as a failure. A verdict is only given when the test set can
decide it: the 2σ interval of the difference must lie wholly within the tolerance below the
optimum (PASS) or wholly beyond it (FAIL); otherwise the verdict is "undecided", with the
interval's half-width, since too few test maps cannot tell a good CNN from a poor one.

>>> verdict(PairedComparison(difference=-0.13, stderr=0.061, n=128))
'undecided (128 test maps too few: ± 12.2 points)'
>>> verdict(PairedComparison(difference=-0.005, stderr=0.004, n=4000))
'PASS'
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
        n: number of test maps (0: not recorded).
    """

    difference: float
    stderr: float
    n: int = 0


def compare_paired(y_true: ArrayLike, pred_a: ArrayLike, pred_b: ArrayLike) -> PairedComparison:
    """Paired accuracy difference and its standard error (per-map correctness differences).

    The standard error is at least 1/n, the resolution of n maps: when a and b agree on every
    test map the sample spread is zero, which says nothing about how often they would disagree
    on new maps.
    """
    y = np.asarray(y_true)
    d = (np.asarray(pred_a) == y).astype(float) - (np.asarray(pred_b) == y).astype(float)
    if d.size < 2:
        return PairedComparison(float(d.mean()) if d.size else float("nan"), float("nan"), d.size)
    stderr = max(float(d.std(ddof=1) / np.sqrt(d.size)), 1.0 / d.size)
    return PairedComparison(float(d.mean()), stderr, int(d.size))


def verdict(comparison: PairedComparison, tolerance: float = 0.02, n_sigma: float = 2.0) -> str:
    """The CNN − optimum comparison decided at ``n_sigma``, or ``"undecided"``.

    * ``"FAIL (leak)"``: above the optimum by more than ``n_sigma`` σ (impossible without label
      information leaking into the maps);
    * ``"PASS"``: the whole interval d ± n_sigma σ lies above −``tolerance``;
    * ``"FAIL (short)"``: the whole interval lies below −``tolerance``;
    * ``"undecided (n test maps too few: ± x points)"`` otherwise, x = 100 n_sigma σ.
    """
    d, se = comparison.difference, comparison.stderr
    if not (np.isfinite(d) and np.isfinite(se)):
        return f"undecided ({comparison.n} test maps too few)"
    if d > n_sigma * se:
        return "FAIL (leak)"
    if d - n_sigma * se >= -tolerance:
        return "PASS"
    if d + n_sigma * se < -tolerance:
        return "FAIL (short)"
    return f"undecided ({comparison.n} test maps too few: ± {100 * n_sigma * se:.1f} points)"


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
        raise ValueError(
            "train and test maps were made with different map settings: "
            + ", ".join(
                f"{k} {v!r} vs {cfg.to_dict()[k]!r}"
                for k, v in train.config.to_dict().items()
                if cfg.to_dict()[k] != v
            )
        )
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
