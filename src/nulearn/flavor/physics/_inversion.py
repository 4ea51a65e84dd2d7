"""Compiled element-wise kernels for the flux-factor inversion of the built-in families.

Newton's method per cell is cheap in compiled code and hopeless in a Python loop; numba runs
it over all cells in parallel. Each kernel returns (F, dF/dtheta) at a shape parameter, and
:func:`newton_maxent` / :func:`newton_gaussian` refine a tabulated guess.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["gaussian_flux_and_slope", "maxent_flux_and_slope", "newton_gaussian", "newton_maxent"]

_TERMS = 26
#: Newton stops once |F(theta) - F| <= _RTOL F; well inside the caller's acceptance tolerance.
_RTOL = 1e-13


@njit(cache=True, fastmath=False)
def maxent_flux_and_slope(a: float) -> tuple[float, float]:
    """F(a) = coth a - 1/a and dF/da = Var(mu) for the maximum-entropy shape."""
    if a < 1.0:
        # Taylor series of int mu^k e^{a mu} dmu; exact cancellation-free for small a.
        j0 = 0.0
        j1 = 0.0
        j2 = 0.0
        term = 1.0  # a^m / m!
        for m in range(_TERMS):
            if m % 2 == 0:
                j0 += term * 2.0 / (m + 1)
                j2 += term * 2.0 / (m + 3)
            else:
                j1 += term * 2.0 / (m + 2)
            term *= a / (m + 1)
        f = j1 / j0
        return f, j2 / j0 - f * f
    f = 1.0 / math.tanh(a) - 1.0 / a
    csch2 = 0.0
    if a < 350.0:
        s = math.sinh(a)
        csch2 = 1.0 / (s * s)
    return f, 1.0 / (a * a) - csch2


@njit(cache=True, fastmath=False)
def gaussian_flux_and_slope(b: float, coeff: np.ndarray) -> tuple[float, float]:
    """F(b) and dF/db = Cov(t, t^2), t = 1 - mu, for the Gaussian shape e^{-b(1-mu)^2}.

    ``coeff[k, m]`` = int mu^k (1-mu)^{2m} dmu / m! (series used for b < 0.5).
    """
    if b < 0.5:
        k = np.zeros(4)
        for i in range(4):
            acc = 0.0
            for m in range(coeff.shape[1] - 1, -1, -1):
                acc = acc * (-b) + coeff[i, m]
            k[i] = acc
        m1 = k[1] / k[0]
        m2 = k[2] / k[0]
        m3 = k[3] / k[0]
        t1 = 1.0 - m1
        t2 = 1.0 - 2.0 * m1 + m2
        t3 = 1.0 - 3.0 * m1 + 3.0 * m2 - m3
        return m1, t3 - t1 * t2
    e4 = math.exp(-4.0 * b)
    j0 = math.sqrt(math.pi / (4.0 * b)) * math.erf(2.0 * math.sqrt(b))
    j1 = -math.expm1(-4.0 * b) / (2.0 * b)
    j2 = (j0 - 2.0 * e4) / (2.0 * b)
    j3 = (2.0 * j1 - 4.0 * e4) / (2.0 * b)
    t1 = j1 / j0
    return 1.0 - t1, j3 / j0 - t1 * j2 / j0


@njit(cache=True)
def _lookup(f: float, tab_g: np.ndarray) -> float:
    """Linear interpolation of g on a uniform grid of F in [0, 1] (O(1), no search)."""
    x = f * (tab_g.size - 1)
    i = min(int(x), tab_g.size - 2)
    w = x - i
    return (1.0 - w) * tab_g[i] + w * tab_g[i + 1]


#: Families of :func:`_newton`: the shape parameter of a cell with flux factor F starts from the
#: tabulated g(F) / (1 - F)^power (a ~ 1/(1 - F) for maxent, b ~ 1/(1 - F)^2 for Gaussian).
_MAXENT, _GAUSSIAN = 0, 1


@njit(cache=True)
def _flux_and_slope(family: int, theta: float, coeff: np.ndarray) -> tuple[float, float]:
    if family == _MAXENT:
        return maxent_flux_and_slope(theta)
    return gaussian_flux_and_slope(theta, coeff)


@njit(cache=True, parallel=True)
def _newton(
    family: int, flux: np.ndarray, tab_g: np.ndarray, coeff: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shape parameters with F(theta) = flux, and the achieved F, shape (n,) each."""
    n = flux.size
    theta = np.empty(n)
    achieved = np.empty(n)
    for i in prange(n):
        f = flux[i]
        if f <= 0.0:
            theta[i] = 0.0
            achieved[i] = 0.0
            continue
        om = 1.0 - f
        t = _lookup(f, tab_g) / (om if family == _MAXENT else om * om)
        v, d = _flux_and_slope(family, t, coeff)
        for _ in range(steps):
            # Stop as soon as the target is met: most cells need one step from the table.
            if abs(v - f) <= _RTOL * f or d <= 0.0:
                break
            new = t - (v - f) / d
            t = new if new > 0.0 else 0.5 * t
            v, d = _flux_and_slope(family, t, coeff)
        theta[i] = t
        achieved[i] = v
    return theta, achieved


_NO_COEFF = np.zeros((4, 1))


def newton_maxent(flux: np.ndarray, tab_g: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Shape parameters a with F(a) = flux, and the achieved F, shape (n,) each."""
    return _newton(_MAXENT, flux, tab_g, _NO_COEFF, steps)


def newton_gaussian(
    flux: np.ndarray, tab_g: np.ndarray, coeff: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Shape parameters b with F(b) = flux, and the achieved F, shape (n,) each."""
    return _newton(_GAUSSIAN, flux, tab_g, coeff, steps)
