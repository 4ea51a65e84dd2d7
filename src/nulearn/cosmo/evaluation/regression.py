"""Scoring the M_ν regressor: error, stated uncertainty, coverage of its intervals, Fisher bound.

A regressor that states an uncertainty σ per map is only useful if the truth falls inside
μ ± z σ as often as the Gaussian level promises (:func:`interval_coverage`); its error is put
beside the Fisher forecast of the power spectrum at the centre of the prior
(:func:`regression_scores`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from nulearn.cosmo.data.maps import MapSet
from nulearn.cosmo.evaluation.comparison import analysis_binning
from nulearn.cosmo.models.baselines import fisher_forecast

__all__ = ["RegressionScores", "interval_coverage", "regression_scores"]


def interval_coverage(
    y_true: ArrayLike, mean: ArrayLike, std: ArrayLike, levels: tuple[float, ...] = (0.683, 0.954)
) -> dict[float, float]:
    """Fraction of truths inside the central Gaussian interval μ ± z σ for each nominal level.

    Args:
        y_true: true values, shape ``(n,)``.
        mean: predicted means, shape ``(n,)``.
        std: predicted standard deviations, shape ``(n,)``, positive.
        levels: nominal coverage probabilities in (0, 1).

    Returns:
        ``{level: empirical coverage}``.
    """
    y = np.asarray(y_true, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(std, dtype=np.float64)
    if not y.shape == mu.shape == sd.shape:
        raise ValueError(f"shapes differ: y {y.shape}, mean {mu.shape}, std {sd.shape}")
    if np.any(sd <= 0):
        raise ValueError("std must be > 0")
    out = {}
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"level = {level} outside (0, 1)")
        z = norm.ppf(0.5 + level / 2)
        out[float(level)] = float(np.mean(np.abs(y - mu) <= z * sd))
    return out


@dataclass(frozen=True)
class RegressionScores:
    """The M_ν regressor on a test set.

    Attributes:
        truth, mean, std: true M_ν, predicted M_ν and its stated 1σ in eV, each ``(n,)``.
        rmse: root-mean-square error in eV.
        coverage: ``{nominal level: empirical coverage}`` of the central intervals.
        fisher_sigma: Fisher σ(M_ν) per map in eV at the centre of the table's M_ν range
            (nan without a spectrum table).
    """

    truth: NDArray[np.float64]
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    rmse: float
    coverage: dict[float, float]
    fisher_sigma: float

    def summary(self) -> str:
        """One line with the error, the mean stated σ, the Fisher σ and the coverage."""
        return (
            f"RMSE {self.rmse:.4f} eV, mean stated sigma {self.std.mean():.4f} eV, "
            f"Fisher sigma {self.fisher_sigma:.4f} eV, coverage {self.coverage}"
        )


def regression_scores(test: MapSet, mean: ArrayLike, std: ArrayLike) -> RegressionScores:
    """Score predictions ``mean`` ± ``std`` (eV, each ``(n,)``) of the maps of ``test``."""
    mu = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(std, dtype=np.float64)
    fisher_sigma = float("nan")
    if test.spectra is not None:
        lo, hi = float(test.spectra.m_nu.min()), float(test.spectra.m_nu.max())
        mid = 0.5 * (lo + hi)
        fisher = fisher_forecast(
            test.spectra, test.config, analysis_binning(test.config), (mid - 0.05, mid + 0.05)
        )
        fisher_sigma = fisher.sigma_m_nu
    truth = np.asarray(test.m_nu, dtype=np.float64)
    return RegressionScores(
        truth=truth,
        mean=mu,
        std=sd,
        rmse=float(np.sqrt(np.mean((mu - truth) ** 2))),
        coverage=interval_coverage(truth, mu, sd),
        fisher_sigma=fisher_sigma,
    )
