r"""Exact sign structure of an ELN distribution in :math:`\mu`, and beams that resolve it.

Both built-in families make :math:`G(\mu)` a signed sum of exponentials in one variable:
maximum entropy :math:`G = \sum_s c_s e^{a_s \mu}` (variable :math:`x = \mu`), Gaussian
:math:`G = \sum_s c_s e^{-b_s (1-\mu)^2}` (variable :math:`x = (1-\mu)^2`). A sum of K exponentials
:math:`\sum_s c_s e^{\lambda_s x}` (distinct :math:`\lambda_s`) has at most K - 1 real zeros: by
Rolle's theorem its zeros are separated by those of
:math:`\frac{d}{dx}\big(e^{-\lambda_1 x} \sum_s c_s e^{\lambda_s x}\big)`, a sum of K - 1
exponentials (Laguerre's extension of Descartes' rule of signs; Pólya & Szegő, Problems and
Theorems in Analysis II, Part Five). Recursing down to one term isolates every zero in an
interval on which the sum is monotone, so bisection finds each one; no grid can miss a lobe,
however narrow or shallow.

Tolerance (as in :mod:`nulearn.flavor.physics.crossings`): a region between zeros of G counts as
positive when :math:`G > r\sum_s f_s` somewhere in it, negative when :math:`G < -r\sum_s f_s`;
both tests are again exponential sums, :math:`\sum_s \sigma_s (1 \mp r\sigma_s) f_s`.

:func:`adaptive_beams` turns the zeros into a composite Gauss-Legendre beam layout: panels end at
every crossing angle and are graded geometrically towards it (down to the width of the narrower
adjacent region) and towards :math:`\mu = 1` for species peaked more sharply than the default
beams resolve, so the discrete dispersion relation sees every lobe and every near-beam.

>>> import numpy as np
>>> res = exact_crossings(np.array([[1.0, 1.0]]), np.array([[0.6, 0.05]]), np.array([1.0, -1.0]))
>>> int(res.n_crossings[0]), bool(0.0 < res.angles[0, 0] < 1.0)
(1, True)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit, prange
from numpy.typing import NDArray

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import density_column, flux_column, species_for_features

__all__ = [
    "ExactCrossings",
    "adaptive_beams",
    "exact_crossings",
    "log_quadratic_terms",
    "marginal_cells",
    "moment_arrays",
    "resonance_windows",
]

FloatArray = NDArray[np.float64]

#: Zeros of G (crossing angles and tolerance-zero regions) stored per cell: K species give at
#: most K - 1 (three for ELN-XLN).
MAX_ZEROS = 3
_BISECTIONS = 80


@dataclass(frozen=True)
class ExactCrossings:
    """Sign structure of G(mu) per cell (exact up to the zero tolerance).

    Attributes:
        has_crossing: (n_cells,) bool.
        n_crossings: (n_cells,) int, sign changes between regions beyond the tolerance.
        angles: (n_cells, MAX_ZEROS) crossing angles mu, increasing, NaN-padded.
        zeros: (n_cells, MAX_ZEROS) every zero of G in (-1, 1) (also those next to a region
            below the tolerance), increasing, NaN-padded: the panel ends of :func:`adaptive_beams`.
    """

    has_crossing: NDArray[np.bool_]
    n_crossings: NDArray[np.int64]
    angles: FloatArray
    zeros: FloatArray


@njit(cache=True, error_model="numpy")
def _scaled_sum(logabs: np.ndarray, sgn: np.ndarray, expo: np.ndarray, k: int, x: float) -> float:
    """sum_s sgn_s exp(logabs_s + expo_s x) divided by its largest term (sign exact, no overflow)."""
    top = -math.inf
    for s in range(k):
        top = max(top, logabs[s] + expo[s] * x)
    total = 0.0
    for s in range(k):
        total += sgn[s] * math.exp(logabs[s] + expo[s] * x - top)
    return total


@njit(cache=True, error_model="numpy")
def _zeros(
    logabs: np.ndarray,
    sgn: np.ndarray,
    expo: np.ndarray,
    k: int,
    lo: float,
    hi: float,
    out: np.ndarray,
) -> int:
    """Sign-changing zeros of sum_s sgn_s e^{logabs_s + expo_s x} in (lo, hi), increasing; returns count."""
    n_lev = max(k, 1)
    la = np.empty((n_lev, k))
    sg = np.empty((n_lev, k))
    ex = np.empty((n_lev, k))
    size = np.zeros(n_lev, dtype=np.int64)
    size[0] = 0
    for s in range(k):
        # Equal exponents add up (the rule counts distinct exponents).
        merged = False
        for q in range(size[0]):
            if ex[0, q] == expo[s]:
                hi_v = max(la[0, q], logabs[s])
                val = sg[0, q] * math.exp(la[0, q] - hi_v) + sgn[s] * math.exp(logabs[s] - hi_v)
                sg[0, q] = 1.0 if val >= 0.0 else -1.0
                la[0, q] = hi_v + math.log(abs(val)) if val != 0.0 else -math.inf
                merged = True
                break
        if not merged:
            la[0, size[0]] = logabs[s]
            sg[0, size[0]] = sgn[s]
            ex[0, size[0]] = expo[s]
            size[0] += 1
    # Derivative levels: d/dx (e^{-ex_0 x} f) keeps the terms s >= 1 with factor (ex_s - ex_0).
    levels = 1
    for lev in range(1, n_lev):
        prev = size[lev - 1]
        if prev <= 1:
            break
        m = 0
        for s in range(1, prev):
            d = ex[lev - 1, s] - ex[lev - 1, 0]
            if d == 0.0 or la[lev - 1, s] == -math.inf:
                continue
            la[lev, m] = la[lev - 1, s] + math.log(abs(d))
            sg[lev, m] = sg[lev - 1, s] * (1.0 if d > 0 else -1.0)
            ex[lev, m] = d
            m += 1
        size[lev] = m
        levels = lev + 1
    # From the deepest level up: the zeros of level l + 1 cut level l into monotone pieces.
    cuts = np.empty(k + 1)
    n_cuts = 0
    found = np.empty(k + 1)
    for lev in range(levels - 1, -1, -1):
        n_found = 0
        m = size[lev]
        if m >= 2:
            a = lo
            fa = _scaled_sum(la[lev], sg[lev], ex[lev], m, a)
            for q in range(n_cuts + 1):
                b = cuts[q] if q < n_cuts else hi
                fb = _scaled_sum(la[lev], sg[lev], ex[lev], m, b)
                if fa * fb < 0.0:
                    x0, x1, f0 = a, b, fa
                    for _ in range(_BISECTIONS):
                        mid = 0.5 * (x0 + x1)
                        if mid <= x0 or mid >= x1:
                            break
                        fm = _scaled_sum(la[lev], sg[lev], ex[lev], m, mid)
                        if fm * f0 > 0.0:
                            x0, f0 = mid, fm
                        else:
                            x1 = mid
                    found[n_found] = 0.5 * (x0 + x1)
                    n_found += 1
                if fb != 0.0:
                    a, fa = b, fb
        for q in range(n_found):
            cuts[q] = found[q]
        n_cuts = n_found
    for q in range(n_cuts):
        out[q] = cuts[q]
    return n_cuts


@njit(cache=True, parallel=True, error_model="numpy")
def _structure_rows(
    logabs: np.ndarray,
    sign: np.ndarray,
    expo: np.ndarray,
    lo: float,
    hi: float,
    flip: bool,
    rtol: float,
    n_cross: np.ndarray,
    angles: np.ndarray,
    zeros: np.ndarray,
) -> None:
    n, k = logabs.shape
    for c in prange(n):
        la = logabs[c]
        ex = expo[c]
        z = np.empty(k + 1)
        nz = _zeros(la, sign, ex, k, lo, hi, z)
        # Tolerance sums: G -+ rtol sum_s f_s = sum_s sigma_s (1 -+ rtol sigma_s) f_s.
        la_p = np.empty(k)
        la_n = np.empty(k)
        for s in range(k):
            la_p[s] = la[s] + math.log1p(-rtol * sign[s])
            la_n[s] = la[s] + math.log1p(rtol * sign[s])
        zp = np.empty(k + 1)
        zn = np.empty(k + 1)
        n_p = _zeros(la_p, sign, ex, k, lo, hi, zp)
        n_n = _zeros(la_n, sign, ex, k, lo, hi, zn)
        # Region r spans (bounds[r], bounds[r + 1]); classify it +1, -1 or 0 (below tolerance).
        bounds = np.empty(nz + 2)
        bounds[0] = lo
        for q in range(nz):
            bounds[q + 1] = z[q]
        bounds[nz + 1] = hi
        last = 0
        count = 0
        for r in range(nz + 1):
            a, b = bounds[r], bounds[r + 1]
            mid = 0.5 * (a + b)
            g_sign = _scaled_sum(la, sign, ex, k, mid)
            label = 0
            if g_sign > 0.0:
                inside = False
                for q in range(n_p):
                    inside |= a < zp[q] < b
                if (
                    inside
                    or (r == 0 and _scaled_sum(la_p, sign, ex, k, lo) > 0.0)
                    or (r == nz and _scaled_sum(la_p, sign, ex, k, hi) > 0.0)
                ):
                    label = 1
                if nz == 0 and _scaled_sum(la_p, sign, ex, k, mid) > 0.0:
                    label = 1
            elif g_sign < 0.0:
                inside = False
                for q in range(n_n):
                    inside |= a < zn[q] < b
                if (
                    inside
                    or (r == 0 and _scaled_sum(la_n, sign, ex, k, lo) < 0.0)
                    or (r == nz and _scaled_sum(la_n, sign, ex, k, hi) < 0.0)
                ):
                    label = -1
                if nz == 0 and _scaled_sum(la_n, sign, ex, k, mid) < 0.0:
                    label = -1
            if label != 0:
                if last != 0 and label != last and count < angles.shape[1]:
                    angles[c, count] = a  # the zero that opens this region
                    count += 1
                last = label
        n_cross[c] = count
        for q in range(nz):
            zeros[c, q] = z[q]
        if flip:
            # Gaussian: x = (1 - mu)^2 runs against mu.
            for q in range(count):
                angles[c, q] = 1.0 - math.sqrt(angles[c, q])
            for q in range(nz):
                zeros[c, q] = 1.0 - math.sqrt(z[q])
            for q in range(count // 2):
                angles[c, q], angles[c, count - 1 - q] = angles[c, count - 1 - q], angles[c, q]
            for q in range(nz // 2):
                zeros[c, q], zeros[c, nz - 1 - q] = zeros[c, nz - 1 - q], zeros[c, q]


def log_quadratic_terms(
    family: str, density: FloatArray, flux_factor: FloatArray
) -> tuple[FloatArray, FloatArray, str]:
    """Per species (log|c|, exponent) in the family's variable, shapes (n_cells, n_species); and the variable.

    maxent: ln f = (l1 - a) + a mu, variable ``"mu"``; gaussian: ln f = l1 - b (1 - mu)^2, variable
    ``"t2"`` = (1 - mu)^2. ``density`` and ``flux_factor`` are (n_cells, n_species).
    """
    fam = get_family(family)
    logabs = np.empty_like(density)
    expo = np.empty_like(density)
    for j in range(density.shape[1]):
        coef = fam.log_quadratic(density[:, j], flux_factor[:, j])
        if coef is None:
            raise ValueError(f"family {family!r} has no log-quadratic form; use maxent or gaussian")
        l1, slope, c2 = coef[:, 0], coef[:, 1], coef[:, 2]
        if family == "gaussian":
            logabs[:, j], expo[:, j] = l1, c2
        else:
            logabs[:, j], expo[:, j] = l1 - slope, slope
    return logabs, expo, ("t2" if family == "gaussian" else "mu")


def exact_crossings(
    density: FloatArray,
    flux_factor: FloatArray,
    signs: FloatArray,
    family: str = "maxent",
    rtol: float = 1e-10,
) -> ExactCrossings:
    """Exact crossings of G(mu) = sum_s sigma_s f_s(mu) for the maxent or Gaussian closure.

    Args:
        density: n_s / n_nue, shape (n_cells, n_species), > 0.
        flux_factor: F_s, shape (n_cells, n_species), in [0, 1).
        signs: sigma_s, shape (n_species,).
        family: ``"maxent"`` or ``"gaussian"``.
        rtol: zero tolerance relative to sum_s f_s at the same angle.

    Returns:
        :class:`ExactCrossings`.
    """
    dens = np.atleast_2d(np.asarray(density, dtype=np.float64))
    flux = np.atleast_2d(np.asarray(flux_factor, dtype=np.float64))
    sg = np.ascontiguousarray(np.asarray(signs, dtype=np.float64))
    logabs, expo, var = log_quadratic_terms(family, dens, flux)
    n = dens.shape[0]
    n_cross = np.zeros(n, dtype=np.int64)
    angles = np.full((n, MAX_ZEROS), np.nan)
    zeros = np.full((n, MAX_ZEROS), np.nan)
    lo, hi = (0.0, 4.0) if var == "t2" else (-1.0, 1.0)
    if n:
        _structure_rows(
            np.ascontiguousarray(logabs),
            sg,
            np.ascontiguousarray(expo),
            lo,
            hi,
            var == "t2",
            float(rtol),
            n_cross,
            angles,
            zeros,
        )
    return ExactCrossings(n_cross > 0, n_cross, angles, zeros)


def _graded(x0: float, x1: float, h0: float, h1: float, ratio: float, widest: float) -> list[float]:
    """Interior panel ends of [x0, x1]: geometric from each end that has a scale (0 = none)."""
    ends: list[float] = []
    mid = 0.5 * (x0 + x1)
    left = [x0 + h0 / ratio**j for j in range(60) if h0 > 0 and x0 + h0 / ratio**j < mid]
    right = [x1 - h1 / ratio**j for j in range(60) if h1 > 0 and x1 - h1 / ratio**j > mid]
    inner_lo = left[-1] if left else x0
    inner_hi = right[-1] if right else x1
    n_even = max(1, math.ceil((inner_hi - inner_lo) / widest - 1e-12))
    middle = list(np.linspace(inner_lo, inner_hi, n_even + 1)[1:-1])
    ends = left + middle + right[::-1]
    return sorted(e for e in ends if x0 < e < x1)


def adaptive_beams(
    zeros: FloatArray,
    peak_width: float,
    nodes_per_panel: int,
    resonances: list[tuple[float, float]] | None = None,
    ratio: float = 0.1,
    widest: float = 1.0,
) -> tuple[FloatArray, FloatArray]:
    """Composite Gauss-Legendre beams for one cell: nodes mu_j and weights w_j, both (N,).

    Args:
        zeros: zeros of G in (-1, 1) (NaN-padded), shape (MAX_ZEROS,); panels are graded towards
            each down to ``ratio`` times the narrower adjacent region.
        peak_width: width in mu of the sharpest species at mu = 1 (1/a maxent, 1/sqrt(b) Gaussian);
            panels are graded towards mu = 1 down to it when it is below ``widest`` / 10.
        nodes_per_panel: Gauss-Legendre nodes in every panel.
        resonances: (u, width) pairs: panels are also graded towards u down to ``width`` (the
            phase velocity Re omega / k and relative growth Im omega / |k| of an unstable mode,
            whose eigenvector peaks at the beams with mu near u within that width).
        ratio: geometric grading ratio (each panel this factor of the next).
        widest: largest panel width.
    """
    inner = sorted(float(z) for z in zeros if np.isfinite(z))
    regions = np.diff([-1.0, *inner, 1.0])
    points = {-1.0: 0.0, 1.0: peak_width if peak_width < 0.1 * widest else 0.0}
    for i, z in enumerate(inner):
        # Resolve the resonance at a crossing down to the narrower adjacent region.
        points[z] = min(regions[i], regions[i + 1]) * ratio
    for u, width in resonances or []:
        if -1.0 < u < 1.0 and width > 0:
            near = min(points, key=lambda p: abs(p - u))
            if abs(near - u) < width:
                points[near] = min(points[near], width) if points[near] > 0 else width
            else:
                points[u] = width
    anchors = sorted(points)
    ends = [anchors[0]]
    for lo, hi in itertools.pairwise(anchors):
        ends += _graded(lo, hi, points[lo], points[hi], ratio, widest)
        ends.append(hi)
    x, w = np.polynomial.legendre.leggauss(int(nodes_per_panel))
    e = np.asarray(ends)
    half = 0.5 * np.diff(e)[:, None]
    centre = 0.5 * (e[1:] + e[:-1])[:, None]
    return (centre + half * x).ravel(), (half * w).ravel()


def moment_arrays(features: pd.DataFrame) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    """Species, densities n_s / n_nue and flux factors, both (n_cells, n_species), of a feature table."""
    species = species_for_features(features.columns)
    n = len(features)
    density = np.stack(
        [
            np.ones(n) if s == "nue" else features[density_column(s)].to_numpy(np.float64)
            for s in species
        ],
        axis=1,
    )
    flux = np.stack([features[flux_column(s)].to_numpy(np.float64) for s in species], axis=1)
    return species, density, flux


#: Crossing cells with a region between zeros of G holding fewer default beams than this are marginal.
MIN_BEAMS_PER_REGION = 3


def marginal_cells(
    exact: ExactCrossings,
    nodes: FloatArray,
    beam_eln: FloatArray,
    family: str,
    flux_factor: FloatArray,
    stable: NDArray[np.bool_],
    unresolved: NDArray[np.bool_],
    marginal_depth: float,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], FloatArray]:
    """Crossing cells whose default beams may be wrong, and the width of each cell's sharpest peak.

    Weak: a crossing cell found ``stable``, shallower than ``marginal_depth`` on the default
    beams, or with a region between zeros of G holding fewer than :data:`MIN_BEAMS_PER_REGION`
    default beams (its instability may be a narrow resonance). Marginal: weak, or with a species
    ``unresolved`` by the default beams.

    Args:
        exact: sign structure of every cell.
        nodes: default beam directions, shape (N,).
        beam_eln: default beam ELN w_j G_j, shape (n_cells, N).
        family: closure (``maxent`` or ``gaussian``).
        flux_factor: F_s, shape (n_cells, n_species).
        stable: (n_cells,) zero growth rate on the default beams.
        unresolved: (n_cells,) a species peaked more sharply than the default beams resolve.
        marginal_depth: depth threshold.

    Returns:
        (marginal (n_cells,), weak (n_cells,), peak width in mu (n_cells,): 1/a maxent,
        1/sqrt(b) Gaussian).
    """
    pos = np.clip(beam_eln, 0.0, None).sum(axis=1)
    neg = np.clip(-beam_eln, 0.0, None).sum(axis=1)
    depth = np.minimum(pos, neg) / np.maximum(pos + neg, 1e-300)
    n = len(beam_eln)
    zeros = np.sort(np.nan_to_num(exact.zeros, nan=2.0), axis=1)
    edges = np.concatenate([-np.ones((n, 1)), zeros, np.ones((n, 1))], axis=1)
    # Beams per region: count of nodes below each edge, differenced (padded edges hold none).
    below = (nodes[None, None, :] < np.minimum(edges, 1.0)[:, :, None]).sum(axis=2)
    per_region = np.diff(below, axis=1)
    real = np.diff(np.minimum(edges, 1.0), axis=1) > 0
    sparse = (np.where(real, per_region, MIN_BEAMS_PER_REGION) < MIN_BEAMS_PER_REGION).any(axis=1)
    weak = exact.has_crossing & (stable | (depth < marginal_depth) | sparse)
    marginal = weak | (exact.has_crossing & unresolved)
    theta = get_family(family).shape_parameter(flux_factor.ravel()).reshape(flux_factor.shape)
    sharp = theta.max(axis=1) if family == "maxent" else np.sqrt(theta.max(axis=1))
    return marginal, weak, 1.0 / np.maximum(sharp, 1e-300)


#: Phase velocities sampled per region (Chebyshev points).
_U_SAMPLES = 5


def resonance_windows(
    mu: FloatArray, weighted_eln: FloatArray, zeros: FloatArray, m: int
) -> FloatArray:
    r"""Wavenumber windows (shifted k) around the resonances of a weak instability, shape (n, 2).

    For a mode :math:`\omega = uk` the dispersion relation with
    :math:`J_n(u) = \sum_j w_j G_j \mu_j^n / (u - \mu_j)` reads :math:`k^2 + (J_0 - J_2)k + J_1^2 -
    J_0 J_2 = 0` (m = 0) or :math:`k = (J_0 - J_2)/2` (m = 1). For u at Chebyshev points of every
    region between zeros of G except the dominant one (largest :math:`|\int G|`), the windows span
    the k(u) curves, widened by their spread plus 1e-3 :math:`\int|G|`.

    Args:
        mu: beam directions, shape (N,).
        weighted_eln: w_j G_j, shape (N,).
        zeros: zeros of G in (-1, 1), NaN-padded.
        m: azimuthal branch, 0 or 1.
    """
    scale = float(np.abs(weighted_eln).sum())
    anchors = np.array([-1.0, *np.sort(zeros[np.isfinite(zeros)]), 1.0])
    weight = np.array(
        [abs(weighted_eln[(mu > a) & (mu < b)].sum()) for a, b in itertools.pairwise(anchors)]
    )
    windows = []
    for r in np.flatnonzero(weight < weight.max()):
        a, b = anchors[r], anchors[r + 1]
        u = a + (b - a) * 0.5 * (1 - np.cos(np.pi * (np.arange(_U_SAMPLES) + 0.5) / _U_SAMPLES))
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = weighted_eln[None, :] / (u[:, None] - mu[None, :])
        j0, j1, j2 = inv.sum(axis=1), inv @ mu, inv @ (mu * mu)
        if m == 0:
            half_b = 0.5 * (j0 - j2)
            root = np.sqrt(np.clip(half_b**2 - (j1**2 - j0 * j2), 0.0, None))
            curves = [-half_b + root, -half_b - root]
        else:
            curves = [0.5 * (j0 - j2)]
        for k in curves:
            k = k[np.isfinite(k)]
            if k.size:
                spread = k.max() - k.min() + 1e-3 * scale
                windows.append((k.min() - spread, k.max() + spread))
    return np.array(windows, dtype=np.float64).reshape(-1, 2)
