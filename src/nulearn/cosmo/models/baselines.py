"""Non-ML baselines on the same maps: the power-spectrum likelihood ratio, a Fisher forecast, peak counts.

For a Gaussian field every Fourier mode is an independent complex Gaussian with variance set by
C_ℓ + N_ℓ, so a band power Ĉ_b over n_b independent modes is Gamma-distributed and
ln L = −n_b (Ĉ_b / P_b + ln P_b) + const. The likelihood ratio of the two classes is then the
Neyman–Pearson optimal test (for bins fine enough that P is constant inside each). A_s jitter inside
each class is marginalised with Gauss–Hermite quadrature, P_b(α) = S_b α^{γ_b} + N_b, so the
classifier is optimal for the composite hypotheses too.

Peak counts (e.g. Kratochvil, Haiman & May 2010, PRD 81, 043519; Li et al. 2019, MNRAS 484, 3029
for M_ν) are histogrammed local maxima of the smoothed map, classified with a Gaussian likelihood
with shared covariance (linear discriminant analysis).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp, ndtr
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from nulearn.cosmo.data.maps import MapConfig, SpectrumTable, map_filter, noise_power
from nulearn.cosmo.theory.fourier import BandBinning, ell_grid

__all__ = [
    "FisherForecast",
    "PowerSpectrumLikelihoodRatio",
    "expected_band_powers",
    "fisher_forecast",
    "peak_count_classifier",
    "peak_counts",
]


class PowerSpectrumLikelihoodRatio(ClassifierMixin, BaseEstimator):
    """Gaussian-field likelihood-ratio classifier on band powers (scikit-learn estimator).

    ``fit`` estimates each class's mean band power from training maps; ``decision_function`` is the
    log-likelihood ratio ln L(class 1) − ln L(class 0), marginalised over A_s jitter.

    Args:
        mode_counts: independent complex modes per bin, shape ``(n_bins,)``
            (:meth:`BandBinning.mode_counts`).
        amplitude_jitter: fractional A_s scatter inside each class (0: none).
        amplitude_response: γ_b = d ln S_b / d ln A_s per bin (default 1, linear theory).
        noise_power: shape-noise band power N_b (scalar or ``(n_bins,)``), not rescaled with A_s.
        n_quadrature: Gauss–Hermite nodes for the A_s marginalisation.
    """

    def __init__(
        self,
        mode_counts: ArrayLike | None = None,
        amplitude_jitter: float = 0.015,
        amplitude_response: ArrayLike | None = None,
        noise_power: ArrayLike = 0.0,
        n_quadrature: int = 9,
    ) -> None:
        self.mode_counts = mode_counts
        self.amplitude_jitter = amplitude_jitter
        self.amplitude_response = amplitude_response
        self.noise_power = noise_power
        self.n_quadrature = n_quadrature

    def fit(self, X: ArrayLike, y: ArrayLike) -> PowerSpectrumLikelihoodRatio:
        """Estimate the class mean band powers.

        Args:
            X: band powers, shape ``(n_maps, n_bins)``, positive.
            y: labels, shape ``(n_maps,)``, two classes.
        """
        x = self._check_x(X)
        y_arr = np.asarray(y)
        self.classes_ = np.unique(y_arr)
        if self.classes_.size != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.size}")
        self.class_power_ = np.stack([x[y_arr == c].mean(axis=0) for c in self.classes_])
        self.n_features_in_ = x.shape[1]
        return self

    def _check_x(self, X: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"X must be (n_maps, n_bins), got shape {x.shape}")
        if np.any(~np.isfinite(x)) or np.any(x < 0):
            raise ValueError("band powers must be finite and non-negative")
        return x

    def _log_likelihood(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        n_bins = x.shape[1]
        counts = (
            np.ones(n_bins)
            if self.mode_counts is None
            else np.asarray(self.mode_counts, dtype=np.float64)
        )
        gamma = (
            np.ones(n_bins)
            if self.amplitude_response is None
            else np.asarray(self.amplitude_response)
        )
        noise = np.broadcast_to(np.asarray(self.noise_power, dtype=np.float64), (n_bins,))
        if self.amplitude_jitter > 0:
            nodes, weights = np.polynomial.hermite_e.hermegauss(self.n_quadrature)
            alpha = 1.0 + self.amplitude_jitter * nodes
            logw = np.log(weights / weights.sum())
        else:
            alpha, logw = np.ones(1), np.zeros(1)
        out = []
        for mean in self.class_power_:
            signal = np.clip(mean - noise, 1e-300, None)
            # P_b(α) = S_b α^γ_b + N_b for every quadrature node: (n_alpha, n_bins)
            model = signal[None] * alpha[:, None] ** gamma[None] + noise[None]
            ll = -(x[:, None, :] / model[None] + np.log(model)[None]) @ counts  # (n_maps, n_alpha)
            out.append(logsumexp(ll + logw[None], axis=1))
        return np.stack(out, axis=1)

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Log-likelihood ratio ln L(classes_[1]) − ln L(classes_[0]), shape ``(n_maps,)``."""
        check_is_fitted(self, "class_power_")
        ll = self._log_likelihood(self._check_x(X))
        return np.asarray(ll[:, 1] - ll[:, 0], dtype=np.float64)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Posterior class probabilities for equal priors, shape ``(n_maps, 2)``."""
        d = self.decision_function(X)
        p1 = 0.5 * (1.0 + np.tanh(0.5 * d))  # logistic, overflow-safe
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Most likely class, shape ``(n_maps,)``."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])


def expected_band_powers(
    table: SpectrumTable,
    config: MapConfig,
    binning: BandBinning,
    m_nu: float,
    amplitude: float = 1.0,
) -> NDArray[np.float64]:
    """Expected band powers ⟨Ĉ_b⟩ = bin average of (C_ℓ + N) · filter², shape ``(n_bins,)``."""
    ell = ell_grid(config.n_pix, config.side_rad)
    cl = table.on_grid(ell, [m_nu], [amplitude])[0]
    total = (cl + noise_power(config.n_gal, config.sigma_e)) * map_filter(config, ell) ** 2
    total[0, 0] = 0.0
    return binning.bin_average(total)


@dataclass(frozen=True)
class FisherForecast:
    """Fisher forecast for (M_ν, ln A_s) from band powers of one map.

    Attributes:
        fisher: Fisher matrix over (M_ν [eV], ln A_s), shape ``(2, 2)``, including the A_s prior.
        sigma_m_nu: marginal 1σ error on M_ν in eV for one map.
        delta_m_nu: M_ν separation of the two classes in eV.
        accuracy: expected accuracy of the optimal classifier, Φ(ΔM_ν / 2σ).
    """

    fisher: NDArray[np.float64]
    sigma_m_nu: float
    delta_m_nu: float
    accuracy: float


def fisher_forecast(
    table: SpectrumTable,
    config: MapConfig,
    binning: BandBinning,
    m_nu: tuple[float, float] = (0.0, 0.1),
) -> FisherForecast:
    """Gaussian-field Fisher forecast F_ij = Σ_b n_b ∂_i ln P_b ∂_j ln P_b (Tegmark, Taylor & Heavens 1997).

    The M_ν derivative is the finite difference between the two classes, the A_s derivative a
    central difference; the A_s jitter enters as a Gaussian prior on ln A_s. The two-class accuracy
    follows from the Gaussian approximation of the log-likelihood ratio, d = ΔM_ν / σ(M_ν).
    """
    m0, m1 = m_nu
    mid = 0.5 * (m0 + m1)
    counts = binning.mode_counts()
    p_mid = expected_band_powers(table, config, binning, mid)
    keep = (p_mid > 0) & (counts > 0)
    dlnp_dm = (
        np.log(expected_band_powers(table, config, binning, m1)[keep])
        - np.log(expected_band_powers(table, config, binning, m0)[keep])
    ) / (m1 - m0)
    eps = 0.02
    dlnp_dlna = (
        np.log(expected_band_powers(table, config, binning, mid, 1 + eps)[keep])
        - np.log(expected_band_powers(table, config, binning, mid, 1 - eps)[keep])
    ) / (np.log(1 + eps) - np.log(1 - eps))
    grads = np.stack([dlnp_dm, dlnp_dlna])
    fisher = (grads * counts[keep]) @ grads.T
    if config.amplitude_jitter > 0:
        fisher[1, 1] += 1.0 / config.amplitude_jitter**2
    else:
        fisher[1, 1] += 1e12  # A_s known exactly
    sigma = float(np.sqrt(np.linalg.inv(fisher)[0, 0]))
    delta = abs(m1 - m0)
    return FisherForecast(fisher, sigma, delta, float(ndtr(0.5 * delta / sigma)))


def peak_counts(
    maps: ArrayLike, edges: ArrayLike, smoothing_pix: float = 1.0, workers: int = -1
) -> NDArray[np.float64]:
    """Histogram of local maxima (8-neighbour, periodic) of Gaussian-smoothed maps.

    Args:
        maps: κ maps, shape ``(n_maps, n_pix, n_pix)``.
        edges: peak-height bin edges in κ, shape ``(n_bins + 1,)``.
        smoothing_pix: Gaussian smoothing σ in pixels before peak finding (0: none).
        workers: FFT threads.

    Returns:
        Peak counts per bin, shape ``(n_maps, n_bins)``.
    """
    arr = np.asarray(maps, dtype=np.float32)
    if arr.ndim != 3:
        raise ValueError(f"maps must be (n_maps, n_pix, n_pix), got shape {arr.shape}")
    edge_arr = np.asarray(edges, dtype=np.float64)
    if smoothing_pix > 0:
        n = arr.shape[-1]
        ky = np.fft.fftfreq(n) * 2 * np.pi
        kx = np.fft.rfftfreq(n) * 2 * np.pi
        kernel = np.exp(-0.5 * smoothing_pix**2 * (ky[:, None] ** 2 + kx[None, :] ** 2)).astype(
            np.float32
        )
        arr = scipy.fft.irfft2(
            scipy.fft.rfft2(arr, workers=workers) * kernel, s=arr.shape[-2:], workers=workers
        )
    is_peak = np.ones(arr.shape, dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                is_peak &= arr > np.roll(arr, (dy, dx), axis=(1, 2))
    heights = np.where(is_peak, arr, np.nan)
    n_bins = edge_arr.size - 1
    idx = np.digitize(heights, edge_arr) - 1  # NaN → n_bins + 1, dropped below
    valid = is_peak & (idx >= 0) & (idx < n_bins)
    rows = np.broadcast_to(np.arange(arr.shape[0])[:, None, None], arr.shape)
    flat = rows[valid] * n_bins + idx[valid]
    return (
        np.bincount(flat, minlength=arr.shape[0] * n_bins)
        .reshape(arr.shape[0], n_bins)
        .astype(np.float64)
    )


def peak_count_classifier() -> Pipeline:
    """Gaussian likelihood with a shared covariance on peak counts: standardise, then LDA."""
    return make_pipeline(
        StandardScaler(), LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
    )
