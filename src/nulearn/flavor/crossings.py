r"""Zero crossings of the electron-lepton-number angular distribution.

The ELN distribution is :math:`G(\mu) = f_{\nu_e} - f_{\bar\nu_e}`, and the ELN-XLN one
:math:`G(\mu) = (f_{\nu_e} - f_{\nu_x}) - (f_{\bar\nu_e} - f_{\bar\nu_x})`. A fast flavor instability
requires :math:`G` to change sign on :math:`[-1, 1]` (Morinaga 2022, PRD 105, L101301).

Two entry points share one compiled scan:

* :func:`find_crossings` for a tabulated :math:`G` on any sorted grid (e.g. transport output);
* :func:`crossings_from_log_quadratic` for distributions with :math:`\ln f` quadratic in :math:`\mu`
  (both built-in families), which builds :math:`G` on a uniform grid by exact recurrences
  (multiplications instead of exponentials) and never stores the grid.

A grid value with :math:`|G(\mu)| \le` ``rtol`` :math:`\times \sum_s f_s(\mu)` counts as zero, so rounding
noise in distributions that cancel to machine precision is not reported as a crossing. The depth is a
trapezoid estimate on the grid; for distributions peaked more narrowly than the grid spacing
(flux factors above ~0.99) it is approximate, while the crossing count is not affected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_N_MU",
    "DEFAULT_RTOL",
    "MAX_REPORTED_ANGLES",
    "CrossingResult",
    "crossings_from_log_quadratic",
    "eln_from_distributions",
    "find_crossings",
    "mu_grid",
]

#: Default grid: spacing 0.005 in mu, so any sign-changed interval wider than 0.005 is found
#: (the issue's requirement is crossings narrower than 0.01).
DEFAULT_N_MU = 401
DEFAULT_RTOL = 1e-10
#: Crossing angles stored per cell; n_crossings is always exact.
MAX_REPORTED_ANGLES = 4
#: Steps between exact re-anchoring of the multiplicative recurrence (bounds rounding drift to ~1e-14).
_REANCHOR = 32


@dataclass(frozen=True)
class CrossingResult:
    """Per-cell crossing diagnostics.

    Attributes:
        has_crossing: (n_cells,) bool, G changes sign somewhere on [-1, 1].
        n_crossings: (n_cells,) int, number of sign changes.
        angles: (n_cells, MAX_REPORTED_ANGLES) float, mu of the first crossings in increasing mu,
            NaN-padded.
        depth: (n_cells,) float in [0, 0.5]: integral of the minority-sign part of G divided by the
            integral of |G|; 0 without a crossing, small for a shallow one.
    """

    has_crossing: NDArray[np.bool_]
    n_crossings: NDArray[np.int32]
    angles: NDArray[np.float64]
    depth: NDArray[np.float64]


def mu_grid(n_mu: int = DEFAULT_N_MU) -> NDArray[np.float64]:
    """Uniform grid on [-1, 1] with ``n_mu`` points, shape (n_mu,)."""
    if n_mu < 3:
        raise ValueError(f"n_mu must be >= 3; got {n_mu}")
    return np.linspace(-1.0, 1.0, n_mu)


@njit(cache=True)
def _scan(g: np.ndarray, seg: np.ndarray, mu: np.ndarray, thr: np.ndarray, angles: np.ndarray) -> tuple[int, float]:
    """Sign changes of g on grid mu (|g_j| <= thr_j counts as zero); records angles; returns (count, depth).

    ``seg[j]`` is the integral of G over [mu_j, mu_{j+1}]; intervals whose end values differ in sign
    are split at the linear zero instead.
    """
    m = g.size
    count = 0
    last_sign = 0
    last_j = -1
    pos = 0.0
    neg = 0.0
    for j in range(m):
        gj = g[j]
        sj = 0
        if gj > thr[j]:
            sj = 1
        elif gj < -thr[j]:
            sj = -1
        if sj != 0:
            if last_sign != 0 and sj != last_sign:
                ga = g[last_j]
                x0 = mu[last_j] + (mu[j] - mu[last_j]) * ga / (ga - gj)
                if count < angles.size:
                    angles[count] = x0
                count += 1
            last_sign = sj
            last_j = j
        if j > 0:
            a = g[j - 1]
            b = gj
            if (a >= 0.0 and b >= 0.0) or (a <= 0.0 and b <= 0.0):
                area = seg[j - 1]
                if area > 0.0:
                    pos += area
                else:
                    neg -= area
            else:
                h = mu[j] - mu[j - 1]
                x = h * a / (a - b)
                if a > 0.0:
                    pos += 0.5 * a * x
                    neg -= 0.5 * b * (h - x)
                else:
                    neg -= 0.5 * a * x
                    pos += 0.5 * b * (h - x)
    depth = 0.0
    if count > 0 and pos + neg > 0.0:
        depth = min(pos, neg) / (pos + neg)
    return count, depth


@njit(cache=True, parallel=True)
def _scan_rows(
    g: np.ndarray, mu: np.ndarray, thresholds: np.ndarray, n_angles: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = g.shape[0]
    counts = np.zeros(n, dtype=np.int32)
    depths = np.zeros(n)
    angles = np.full((n, n_angles), np.nan)
    h = mu[1:] - mu[:-1]
    for i in prange(n):
        seg = 0.5 * h * (g[i, 1:] + g[i, :-1])  # trapezoid per interval
        c, d = _scan(g[i], seg, mu, thresholds[i], angles[i])
        counts[i] = c
        depths[i] = d
    return counts, depths, angles


def find_crossings(
    eln: ArrayLike,
    mu: ArrayLike,
    rtol: float = DEFAULT_RTOL,
    n_angles: int = MAX_REPORTED_ANGLES,
    scale: ArrayLike | None = None,
) -> CrossingResult:
    """Crossings of tabulated angular distributions.

    Args:
        eln: G(mu) per cell, shape (n_cells, n_mu), any unit (the result is scale-free).
        mu: sorted grid of mu = cos(theta) in [-1, 1], shape (n_mu,); need not be uniform.
        rtol: |G| at or below rtol * scale counts as zero.
        n_angles: crossing angles stored per cell.
        scale: magnitude against which G is compared, shape (n_cells, n_mu) or (n_cells,); give
            sum_s f_s(mu) when G is a difference of distributions that may cancel to rounding noise.
            Default: max |G| of the cell.

    Raises:
        ValueError: on shape mismatch, an unsorted grid or non-finite values.
    """
    g = np.ascontiguousarray(np.atleast_2d(np.asarray(eln, dtype=np.float64)))
    grid = np.ascontiguousarray(np.asarray(mu, dtype=np.float64))
    if grid.ndim != 1 or g.shape[1] != grid.size:
        raise ValueError(f"eln has shape {g.shape}; expected (n_cells, {grid.size}) to match mu")
    if grid.size < 2 or np.any(np.diff(grid) <= 0) or grid[0] < -1 - 1e-12 or grid[-1] > 1 + 1e-12:
        raise ValueError("mu must be strictly increasing within [-1, 1]")
    if not np.isfinite(g).all():
        i = int(np.flatnonzero(~np.isfinite(g).all(axis=1))[0])
        raise ValueError(f"eln: non-finite value in cell {i}")
    if scale is None:
        ref = np.broadcast_to(np.max(np.abs(g), axis=1)[:, None], g.shape)
    else:
        sc = np.asarray(scale, dtype=np.float64)
        ref = np.broadcast_to(sc[:, None] if sc.ndim == 1 else sc, g.shape)
    counts, depths, angles = _scan_rows(g, grid, np.ascontiguousarray(rtol * ref), n_angles)
    return CrossingResult(counts > 0, counts, angles, depths)


#: Cells evaluated in lockstep: the recurrence is a serial chain per cell, so interleaving cells
#: lets the compiler vectorize across them instead of waiting on each multiply.
_LOCKSTEP = 8


@njit(cache=True, parallel=True)
def _log_quadratic_rows(
    coef: np.ndarray, signs: np.ndarray, n_mu: int, rtol: float, n_angles: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, n_species, _ = coef.shape
    h = 2.0 / (n_mu - 1)
    # Grid in increasing mu, built from mu = 1 downwards: both families peak at mu = 1
    # (a >= 0, b >= 0), so the recurrence only ever shrinks values and underflow is benign.
    mu = np.empty(n_mu)
    for j in range(n_mu):
        mu[n_mu - 1 - j] = 1.0 - j * h
    counts = np.zeros(n, dtype=np.int32)
    depths = np.zeros(n)
    angles = np.full((n, n_angles), np.nan)
    n_blocks = (n + _LOCKSTEP - 1) // _LOCKSTEP
    for blk in prange(n_blocks):
        i0 = blk * _LOCKSTEP
        nb = min(_LOCKSTEP, n - i0)
        g = np.zeros((_LOCKSTEP, n_mu))
        total = np.zeros((_LOCKSTEP, n_mu))
        seg = np.zeros((_LOCKSTEP, n_mu))
        f = np.zeros(_LOCKSTEP)
        r = np.zeros(_LOCKSTEP)
        q = np.zeros(_LOCKSTEP)
        dl = np.zeros(_LOCKSTEP)
        ddl = np.zeros(_LOCKSTEP)
        for s in range(n_species):
            sign = signs[s]
            for k in range(nb):
                q[k] = math.exp(2.0 * coef[i0 + k, s, 2] * h * h)
                ddl[k] = 2.0 * coef[i0 + k, s, 2] * h * h
            for j0 in range(0, n_mu, _REANCHOR):
                x = -j0 * h
                for k in range(nb):
                    l1 = coef[i0 + k, s, 0]
                    slope = coef[i0 + k, s, 1]
                    c2 = coef[i0 + k, s, 2]
                    f[k] = math.exp(l1 + slope * x + c2 * x * x)
                    dl[k] = -slope * h + c2 * h * h * (2 * j0 + 1)
                    r[k] = math.exp(dl[k])
                for j in range(j0, min(j0 + _REANCHOR, n_mu)):
                    col = n_mu - 1 - j
                    # f_{j+1} = f_j r_j and r_{j+1} = r_j q: the second difference of ln f is 2 c2 h^2.
                    for k in range(_LOCKSTEP):
                        g[k, col] += sign * f[k]
                        total[k, col] += f[k]
                        # Integral over [mu_j - h, mu_j] (towards lower mu) with ln f linear there:
                        # h f_j (1 - r_j)/(-dl_j); exact for maximum entropy, where dl_j = ln r_j.
                        d = dl[k]
                        phi = (r[k] - 1.0) / d if abs(d) > 1e-8 else 1.0 + 0.5 * d
                        seg[k, col] += sign * h * f[k] * phi
                        f[k] *= r[k]
                        r[k] *= q[k]
                        dl[k] += ddl[k]
        for k in range(nb):
            # Zero threshold relative to the local sum of the distributions, not to G: G may cancel
            # to rounding noise (identical species), which must not count as a crossing, while a
            # genuine crossing far in the tail of every distribution still does.
            # seg[col] holds the integral over [mu_{col-1}, mu_col]; _scan wants it at col - 1.
            c, d = _scan(g[k], seg[k, 1:], mu, rtol * total[k], angles[i0 + k])
            counts[i0 + k] = c
            depths[i0 + k] = d
    return counts, depths, angles


def crossings_from_log_quadratic(
    coefficients: ArrayLike,
    signs: ArrayLike,
    n_mu: int = DEFAULT_N_MU,
    rtol: float = DEFAULT_RTOL,
    n_angles: int = MAX_REPORTED_ANGLES,
) -> CrossingResult:
    r"""Crossings of :math:`G = \sum_s \sigma_s f_s` with :math:`\ln f_s = l_1 + s(\mu-1) + c_2(\mu-1)^2`.

    Args:
        coefficients: (n_cells, n_species, 3) array of (l1, s, c2) per species (see
            :meth:`nulearn.flavor.families.AngularFamily.log_quadratic`); requires s >= 0 and c2 <= 0
            so that every f_s peaks at mu = 1.
        signs: (n_species,) weights sigma_s, e.g. (+1, -1) for ELN, (+1, -1, -1, +1) for
            (nue, nuebar, nux, nuxbar) in ELN-XLN.
        n_mu: uniform grid points on [-1, 1].
        rtol: zero threshold relative to max|G| per cell.
        n_angles: crossing angles stored per cell.
    """
    coef = np.ascontiguousarray(np.asarray(coefficients, dtype=np.float64))
    sg = np.ascontiguousarray(np.asarray(signs, dtype=np.float64))
    if coef.ndim != 3 or coef.shape[2] != 3 or coef.shape[1] != sg.size:
        raise ValueError(f"coefficients shape {coef.shape} must be (n_cells, {sg.size}, 3)")
    if n_mu < 3:
        raise ValueError(f"n_mu must be >= 3; got {n_mu}")
    if (coef[:, :, 1] < 0).any() or (coef[:, :, 2] > 0).any():
        raise ValueError("log-quadratic kernel needs slope s >= 0 and curvature c2 <= 0 (peak at mu = 1)")
    counts, depths, angles = _log_quadratic_rows(coef, sg, n_mu, rtol, n_angles)
    return CrossingResult(counts > 0, counts, angles, depths)


def eln_from_distributions(distributions: dict[str, ArrayLike]) -> NDArray[np.float64]:
    """G(mu) from per-species distributions on a common grid.

    Args:
        distributions: species name -> f_s(mu), each (n_cells, n_mu); ``nue`` and ``nuebar`` required,
            ``nux`` and ``nuxbar`` optional (both or neither).

    Returns:
        G = (f_nue - f_nux) - (f_nuebar - f_nuxbar), shape (n_cells, n_mu); ELN when x is absent.
    """
    if "nue" not in distributions or "nuebar" not in distributions:
        raise ValueError(f"need nue and nuebar distributions; got {sorted(distributions)}")
    g = np.asarray(distributions["nue"], dtype=np.float64) - np.asarray(distributions["nuebar"], dtype=np.float64)
    has_x = ("nux" in distributions, "nuxbar" in distributions)
    if any(has_x) and not all(has_x):
        raise ValueError("give both nux and nuxbar or neither")
    if all(has_x):
        g = g - np.asarray(distributions["nux"], dtype=np.float64) + np.asarray(distributions["nuxbar"], dtype=np.float64)
    return g
