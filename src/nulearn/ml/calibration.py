"""Probability calibration for binary classifiers: temperature scaling, isotonic regression, ECE.

A classifier trained with class weights (or simply an over-confident network) outputs scores
that rank well but are not probabilities. A calibrator is a monotone map fitted on a held-out
(validation) split from the raw positive-class probability to a calibrated one:

- :class:`TemperatureScaling` divides the logit by one fitted temperature ``T`` (Guo et al. 2017,
  "On Calibration of Modern Neural Networks", ICML, arXiv:1706.04599, Sec. 4.2);
- :class:`IsotonicCalibration` fits a free-form non-decreasing step function
  (Zadrozny & Elkan 2002, KDD).

Both keep the ranking (so ROC/PR curves are unchanged); only isotonic can remove a prior shift
that a single temperature cannot. Quality is measured by the expected calibration error
(:func:`expected_calibration_error`) and the Brier score (:func:`brier_score`), and shown as a
reliability diagram (:func:`nulearn.ml.figures.reliability_diagram`).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p_true = rng.uniform(size=20000)
>>> y = (rng.uniform(size=20000) < p_true).astype(int)
>>> expected_calibration_error(y, p_true) < 0.02
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar
from sklearn.isotonic import IsotonicRegression

__all__ = [
    "CALIBRATION_METHODS",
    "Calibrator",
    "IdentityCalibration",
    "IsotonicCalibration",
    "TemperatureScaling",
    "brier_score",
    "expected_calibration_error",
    "logit",
    "make_calibrator",
    "reliability_curve",
    "sigmoid",
]

#: Names accepted by :func:`make_calibrator`.
CALIBRATION_METHODS: tuple[str, ...] = ("none", "temperature", "isotonic")

# Probabilities are clipped this far from 0 and 1 before taking logits, so that a saturated
# float32 sigmoid output stays finite.
_EPS = 1e-7


def sigmoid(z: ArrayLike) -> NDArray[np.float64]:
    """Logistic function 1 / (1 + exp(-z)), numerically stable for large |z|; shape preserved."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """Log-odds log(p / (1 - p)) with p clipped to [1e-7, 1 - 1e-7]; shape preserved."""
    q = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1.0 - _EPS)
    return np.log(q) - np.log1p(-q)


def _check_binary(y: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Validate labels in {0, 1} and probabilities in [0, 1] of one common length ``(n,)``."""
    y_arr = np.asarray(y).reshape(-1)
    p_arr = np.asarray(p, dtype=np.float64).reshape(-1)
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"labels and probabilities differ in length: {y_arr.size} vs {p_arr.size}")
    if y_arr.size == 0:
        raise ValueError("labels: need at least one sample")
    bad = np.flatnonzero((y_arr != 0) & (y_arr != 1))
    if bad.size:
        raise ValueError(f"labels: index {bad[0]} is {y_arr[bad[0]]}, allowed values are 0 and 1")
    bad = np.flatnonzero(~np.isfinite(p_arr) | (p_arr < 0.0) | (p_arr > 1.0))
    if bad.size:
        raise ValueError(
            f"probabilities: index {bad[0]} is {p_arr[bad[0]]}, allowed range is [0, 1]"
        )
    return y_arr.astype(np.int64), p_arr


class Calibrator(ABC):
    """A monotone map from raw positive-class probabilities ``(n,)`` to calibrated ones ``(n,)``."""

    #: short name used in configs and model cards
    method: str = ""

    @abstractmethod
    def fit(self, p_raw: ArrayLike, y: ArrayLike) -> Calibrator:
        """Fit on held-out probabilities ``(n,)`` and labels ``(n,)`` in {0, 1}; returns self."""

    @abstractmethod
    def transform(self, p_raw: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities ``(n,)`` in [0, 1]."""

    def fit_transform(self, p_raw: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
        """:meth:`fit` then :meth:`transform` on the same data."""
        return self.fit(p_raw, y).transform(p_raw)

    def describe(self) -> dict[str, Any]:
        """Plain-dict summary for a model card."""
        return {"method": self.method}


class IdentityCalibration(Calibrator):
    """No calibration: probabilities pass through unchanged."""

    method = "none"

    def fit(self, p_raw: ArrayLike, y: ArrayLike) -> IdentityCalibration:
        _check_binary(y, p_raw)
        return self

    def transform(self, p_raw: ArrayLike) -> NDArray[np.float64]:
        return np.asarray(p_raw, dtype=np.float64).reshape(-1)


class TemperatureScaling(Calibrator):
    """p = sigmoid(logit(p_raw) / T), with T > 0 minimising the validation log-loss.

    Guo et al. 2017 (arXiv:1706.04599) Eq. (9) for the binary case. ``T > 1`` softens an
    over-confident model; the ranking and hence any ROC curve is unchanged.

    Attributes:
        temperature: fitted T (1.0 before fitting).
    """

    method = "temperature"

    def __init__(self) -> None:
        self.temperature: float = 1.0

    def fit(self, p_raw: ArrayLike, y: ArrayLike) -> TemperatureScaling:
        y_arr, p_arr = _check_binary(y, p_raw)
        z = logit(p_arr)
        yf = y_arr.astype(np.float64)

        def nll(log_t: float) -> float:
            s = z / np.exp(log_t)
            # log(1 + exp(-s)) for y = 1 and log(1 + exp(s)) for y = 0, written stably.
            return float(np.mean(np.logaddexp(0.0, s) - yf * s))

        res = minimize_scalar(nll, bounds=(np.log(1e-2), np.log(1e2)), method="bounded")
        self.temperature = float(np.exp(res.x))
        return self

    def transform(self, p_raw: ArrayLike) -> NDArray[np.float64]:
        return sigmoid(logit(p_raw) / self.temperature).reshape(-1)

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "temperature": self.temperature}


class IsotonicCalibration(Calibrator):
    """A non-decreasing step function fitted by isotonic regression (Zadrozny & Elkan 2002).

    Out-of-range inputs are clipped to the fitted range, so the output always lies in [0, 1].
    """

    method = "isotonic"

    def __init__(self) -> None:
        self._iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        self.n_steps: int = 0

    def fit(self, p_raw: ArrayLike, y: ArrayLike) -> IsotonicCalibration:
        y_arr, p_arr = _check_binary(y, p_raw)
        self._iso.fit(p_arr, y_arr.astype(np.float64))
        self.n_steps = len(self._iso.X_thresholds_)
        return self

    def transform(self, p_raw: ArrayLike) -> NDArray[np.float64]:
        p_arr = np.asarray(p_raw, dtype=np.float64).reshape(-1)
        return np.asarray(self._iso.predict(p_arr), dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "n_steps": self.n_steps}


def make_calibrator(method: str) -> Calibrator:
    """An unfitted calibrator by name: ``"none"``, ``"temperature"`` or ``"isotonic"``."""
    if method == "none":
        return IdentityCalibration()
    if method == "temperature":
        return TemperatureScaling()
    if method == "isotonic":
        return IsotonicCalibration()
    raise ValueError(
        f"calibration method {method!r} unknown; allowed: {', '.join(CALIBRATION_METHODS)}"
    )


def _bin_edges(p: NDArray[np.float64], n_bins: int, strategy: str) -> NDArray[np.float64]:
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1))
        edges[0], edges[-1] = 0.0, 1.0
        return np.asarray(np.unique(edges), dtype=np.float64)
    raise ValueError(f"strategy {strategy!r} unknown; allowed: uniform, quantile")


def reliability_curve(
    y: ArrayLike, p: ArrayLike, n_bins: int = 15, strategy: str = "uniform"
) -> pd.DataFrame:
    """Per-bin mean predicted probability against observed positive fraction.

    Args:
        y: labels ``(n,)`` in {0, 1}.
        p: predicted positive-class probabilities ``(n,)`` in [0, 1].
        n_bins: number of bins on [0, 1].
        strategy: ``"uniform"`` (equal-width bins) or ``"quantile"`` (equal-count bins).

    Returns:
        DataFrame with one row per non-empty bin: ``bin_lower, bin_upper, count,
        mean_predicted, fraction_positive``.
    """
    y_arr, p_arr = _check_binary(y, p)
    edges = _bin_edges(p_arr, n_bins, strategy)
    # Bin i holds edges[i] <= p < edges[i+1]; p = 1 falls into the last bin.
    idx = np.clip(np.searchsorted(edges, p_arr, side="right") - 1, 0, len(edges) - 2)
    nb = len(edges) - 1
    count = np.bincount(idx, minlength=nb)
    sum_p = np.bincount(idx, weights=p_arr, minlength=nb)
    sum_y = np.bincount(idx, weights=y_arr.astype(np.float64), minlength=nb)
    keep = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = pd.DataFrame(
            {
                "bin_lower": edges[:-1],
                "bin_upper": edges[1:],
                "count": count,
                "mean_predicted": sum_p / count,
                "fraction_positive": sum_y / count,
            }
        )
    return frame[keep].reset_index(drop=True)


def expected_calibration_error(
    y: ArrayLike, p: ArrayLike, n_bins: int = 15, strategy: str = "uniform"
) -> float:
    """ECE = sum_b (n_b / n) |mean(y)_b - mean(p)_b| over probability bins b.

    Naeini, Cooper & Hauskrecht 2015 (AAAI), as used by Guo et al. 2017 Eq. (3), applied to
    the positive-class probability of a binary classifier.

    Args:
        y: labels ``(n,)`` in {0, 1}.
        p: predicted positive-class probabilities ``(n,)``.
        n_bins: number of bins; 15 as in Guo et al.
        strategy: ``"uniform"`` or ``"quantile"`` bins.

    Returns:
        ECE in [0, 1]; 0 is perfectly calibrated.
    """
    curve = reliability_curve(y, p, n_bins=n_bins, strategy=strategy)
    w = curve["count"].to_numpy(dtype=np.float64)
    gap = np.abs(curve["fraction_positive"].to_numpy() - curve["mean_predicted"].to_numpy())
    return float(np.sum(w * gap) / np.sum(w))


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Brier score mean((p - y)^2) for labels ``(n,)`` in {0, 1}; 0 is perfect, lower is better."""
    y_arr, p_arr = _check_binary(y, p)
    return float(np.mean((p_arr - y_arr) ** 2))
