r"""Global extrema on the unit sphere of signed sums of exponentials: the exact 3D crossing test.

For log-linear (maximum-entropy) species the ELN distribution on the sphere is

.. math:: G(\Omega) = \sum_s \sigma_s\, e^{l_s + \mathbf b_s\cdot\Omega}, \qquad \sigma_s = \pm 1,

and its sign is the sign of the log ratio :math:`L(\Omega) = \ln P - \ln N` of the positive and
negative parts :math:`P = \sum_{\sigma_s > 0} e^{l_s + \mathbf b_s\cdot\Omega}`,
:math:`N = \sum_{\sigma_s < 0} \ldots`. Both are smooth, with analytic gradient and Hessian
(:math:`\nabla L` is the difference of the softmax-weighted means of :math:`\mathbf b_s` in P and
N, :math:`\nabla^2 L` the difference of their covariances), so every local extremum can be
polished to machine precision by Newton's method on the sphere.

The difficulty is to start in the basin of every extremum: a narrow beam (:math:`|\mathbf b| \sim
10^5`) or a shallow lobe fits between any fixed set of directions. The starts are therefore

* the local extrema of a coarse quadrature scan (its nearest-neighbour graph);
* the sharp limit of :math:`L`: for large :math:`|\mathbf b_s|`, :math:`L \approx \max_p e_p -
  \max_n e_n` (:math:`e_s = l_s + \mathbf b_s\cdot\Omega`) is piecewise linear in
  :math:`\Omega`, and its extrema on the sphere lie at the directions :math:`\pm(\mathbf b_i -
  \mathbf b_j)` of a piece, on the extrema of a piece along a crease circle
  :math:`e_i = e_j`, or at the vertices :math:`e_i = e_j = e_k`; every such point is a start;
* the flux directions :math:`\pm\hat{\mathbf b}_s` themselves.

Each start is polished by a saddle-free Riemannian Newton iteration with a trust radius and
backtracking (the Hessian in the tangent plane includes the curvature term
:math:`-(\Omega\cdot\nabla F)\,\mathbb 1`). The result is exact (to rounding) whenever every
extremum's basin holds a start: the sharp-limit starts cover narrow features (large
:math:`|\mathbf b|`), the scan covers broad ones; the tests check it against a 200,000-direction
brute-force search with independent polishing on near-beams with F up to 0.99999 and on cells
bisected onto the crossing boundary.

Zero tolerance: a direction is positive when :math:`G > r\sum_s e^{e_s}`, negative when
:math:`G < -r\sum_s e^{e_s}` (``rtol`` = r, relative to the *local* sum of the distributions as
in the 1D test of :mod:`nulearn.flavor.physics.crossings`), i.e. when
:math:`|L| > \ln\frac{1 + r}{1 - r}`. The test is evaluated in log space, so it holds in the far
tails of every distribution too.

>>> import numpy as np
>>> logc = np.log([[1.0, 0.5]])                  # nue-like and nuebar-like terms
>>> vec = np.array([[[0.0, 0.0, 2.0], [0.0, 0.0, -1.0]]])
>>> res = exponential_sum_extrema(logc, vec, np.array([1.0, -1.0]), n_directions=200)
>>> bool(res.crossing[0]), round(float(res.eln_max[0]), 6)  # max at +z: e^2 - 0.5 e^-1
(True, 7.205116)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = ["SphereExtrema", "exponential_sum_extrema", "fibonacci_directions", "neighbour_table"]

FloatArray = NDArray[np.float64]

#: Nearest neighbours per scan direction for the local-extremum test (a Fibonacci point has ~6).
_NEIGHBOURS = 8
#: Local extrema of the scan polished per side (the best ones by value); the sharp-limit starts
#: are polished in addition, so this only bounds the work spent on smooth, broad cells.
_SCAN_STARTS = 8
#: Newton iterations per start; quadratic convergence needs ~5, the trust region a few more.
_MAX_ITER = 60
#: Scan directions whose shifted sum of distributions is below this give no start.
_SUBNORMAL_SAFE = 1e-280
#: Starting trust radius in radians (about the spacing of a few-hundred-point scan).
_TRUST = 0.3


@dataclass(frozen=True)
class SphereExtrema:
    """Exact extremes and the sign test of :math:`G = \\sum_s \\sigma_s e^{l_s + b_s\\cdot\\Omega}`.

    Attributes:
        crossing: (n_cells,) bool: G is positive somewhere and negative somewhere (beyond rtol).
        eln_min: (n_cells,) min of G on the sphere (polished; same units as e^{l}).
        eln_max: (n_cells,) max of G on the sphere.
        log_ratio_min: (n_cells,) min of L = ln P - ln N where no start lay beyond the tolerance
            (every start was then polished); otherwise the first value found beyond it.
        log_ratio_max: (n_cells,) the same for the max.
        depth: (n_cells,) minority-sign part of G over the integral of |G| on the scan quadrature
            (equal-weight directions), in [0, 0.5]; a quadrature estimate that reads 0 when every
            lobe is narrower than the scan spacing, even where ``crossing`` is true.
    """

    crossing: NDArray[np.bool_]
    eln_min: FloatArray
    eln_max: FloatArray
    log_ratio_min: FloatArray
    log_ratio_max: FloatArray
    depth: FloatArray


def fibonacci_directions(n_directions: int) -> FloatArray:
    """Fibonacci-lattice unit vectors, shape (n_directions, 3), each of solid angle 4 pi / n.

    Points at z_i = 1 - (2i + 1)/n and azimuth i pi (3 - sqrt 5) (Gonzalez 2010, Math. Geosci. 42, 49).
    """
    if int(n_directions) != n_directions or n_directions < 2:
        raise ValueError(f"n_directions = {n_directions!r}; must be an integer >= 2")
    i = np.arange(int(n_directions), dtype=np.float64)
    z = 1.0 - (2.0 * i + 1.0) / n_directions
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    phi = i * math.pi * (3.0 - math.sqrt(5.0))
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


@lru_cache(maxsize=8)
def neighbour_table(n_directions: int) -> NDArray[np.int64]:
    """Indices of the nearest Fibonacci directions of each one, shape (n_directions, k), k <= 8."""
    dirs = fibonacci_directions(n_directions)
    k = min(_NEIGHBOURS, n_directions - 1)
    _, idx = cKDTree(dirs).query(dirs, k=k + 1)
    table = np.ascontiguousarray(np.asarray(idx, dtype=np.int64).reshape(n_directions, -1)[:, 1:])
    table.setflags(write=False)
    return table


# ------------------------------------------------------------------------------------------------
# Objective: L = ln P - ln N (kind 0) or G = P - N (kind 1), value, gradient and Hessian in R^3.
# ------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _value(
    kind: int, logc: np.ndarray, vec: np.ndarray, sign: np.ndarray, x: float, y: float, z: float
) -> float:
    n_s = logc.size
    if kind == 1:
        g = 0.0
        for s in range(n_s):
            g += sign[s] * math.exp(logc[s] + vec[s, 0] * x + vec[s, 1] * y + vec[s, 2] * z)
        return g
    mp = -math.inf
    mn = -math.inf
    for s in range(n_s):
        e = logc[s] + vec[s, 0] * x + vec[s, 1] * y + vec[s, 2] * z
        if sign[s] > 0:
            mp = max(mp, e)
        else:
            mn = max(mn, e)
    zp = 0.0
    zn = 0.0
    for s in range(n_s):
        e = logc[s] + vec[s, 0] * x + vec[s, 1] * y + vec[s, 2] * z
        if sign[s] > 0:
            zp += math.exp(e - mp)
        else:
            zn += math.exp(e - mn)
    return (mp + math.log(zp)) - (mn + math.log(zn))


@njit(cache=True, error_model="numpy")
def _derivatives(
    kind: int,
    logc: np.ndarray,
    vec: np.ndarray,
    sign: np.ndarray,
    om: np.ndarray,
    grad: np.ndarray,
    hess: np.ndarray,
    mean: np.ndarray,
    second: np.ndarray,
) -> float:
    """Value of the objective at ``om``; fills the R^3 gradient (3,) and Hessian (3, 3).

    ``mean`` (3,) and ``second`` (3, 3) are scratch space (no allocation in the Newton loop).
    """
    n_s = logc.size
    grad[:] = 0.0
    hess[:, :] = 0.0
    if kind == 1:
        g = 0.0
        for s in range(n_s):
            w = sign[s] * math.exp(
                logc[s] + vec[s, 0] * om[0] + vec[s, 1] * om[1] + vec[s, 2] * om[2]
            )
            g += w
            for i in range(3):
                grad[i] += w * vec[s, i]
                for j in range(3):
                    hess[i, j] += w * vec[s, i] * vec[s, j]
        return g
    mp = -math.inf
    mn = -math.inf
    for s in range(n_s):
        e = logc[s] + vec[s, 0] * om[0] + vec[s, 1] * om[1] + vec[s, 2] * om[2]
        if sign[s] > 0:
            mp = max(mp, e)
        else:
            mn = max(mn, e)
    value = 0.0
    for side in (1.0, -1.0):
        m = mp if side > 0 else mn
        z = 0.0
        mean[:] = 0.0
        second[:, :] = 0.0
        for s in range(n_s):
            if sign[s] * side < 0:
                continue
            w = math.exp(logc[s] + vec[s, 0] * om[0] + vec[s, 1] * om[1] + vec[s, 2] * om[2] - m)
            z += w
            for i in range(3):
                mean[i] += w * vec[s, i]
                for j in range(3):
                    second[i, j] += w * vec[s, i] * vec[s, j]
        value += side * (m + math.log(z))
        for i in range(3):
            grad[i] += side * mean[i] / z
            for j in range(3):
                # Covariance of b under the softmax weights: the Hessian of a log-sum-exp.
                hess[i, j] += side * (second[i, j] / z - mean[i] * mean[j] / (z * z))
    return value


@njit(cache=True, error_model="numpy")
def _tangent_basis(om: np.ndarray, t1: np.ndarray, t2: np.ndarray) -> None:
    if abs(om[0]) < 0.9:
        hx, hy, hz = 1.0, 0.0, 0.0
    else:
        hx, hy, hz = 0.0, 1.0, 0.0
    d = hx * om[0] + hy * om[1] + hz * om[2]
    t1[0], t1[1], t1[2] = hx - d * om[0], hy - d * om[1], hz - d * om[2]
    nrm = math.sqrt(t1[0] ** 2 + t1[1] ** 2 + t1[2] ** 2)
    t1 /= nrm
    t2[0] = om[1] * t1[2] - om[2] * t1[1]
    t2[1] = om[2] * t1[0] - om[0] * t1[2]
    t2[2] = om[0] * t1[1] - om[1] * t1[0]


@njit(cache=True, error_model="numpy")
def _polish(
    kind: int,
    side: float,
    logc: np.ndarray,
    vec: np.ndarray,
    sign: np.ndarray,
    start: np.ndarray,
    best: np.ndarray,
) -> float:
    """Maximize side * F from ``start`` on the sphere; returns F at the end point, written to ``best``."""
    om = start / math.sqrt(start[0] ** 2 + start[1] ** 2 + start[2] ** 2)
    grad = np.empty(3)
    hess = np.empty((3, 3))
    t1 = np.empty(3)
    t2 = np.empty(3)
    trial = np.empty(3)
    mean = np.empty(3)
    second = np.empty((3, 3))
    f = _derivatives(kind, logc, vec, sign, om, grad, hess, mean, second)
    radius = _TRUST
    for _ in range(_MAX_ITER):
        _tangent_basis(om, t1, t2)
        r1 = side * (t1[0] * grad[0] + t1[1] * grad[1] + t1[2] * grad[2])
        r2 = side * (t2[0] * grad[0] + t2[1] * grad[1] + t2[2] * grad[2])
        radial = side * (om[0] * grad[0] + om[1] * grad[1] + om[2] * grad[2])
        h11 = 0.0
        h12 = 0.0
        h22 = 0.0
        for i in range(3):
            for j in range(3):
                h11 += t1[i] * hess[i, j] * t1[j]
                h12 += t1[i] * hess[i, j] * t2[j]
                h22 += t2[i] * hess[i, j] * t2[j]
        # Riemannian Hessian of side * F on the sphere.
        h11 = side * h11 - radial
        h22 = side * h22 - radial
        h12 = side * h12
        # Saddle-free Newton: ascend along every eigen-direction with step |r_k| / |lambda_k|.
        angle = 0.5 * math.atan2(2.0 * h12, h11 - h22)
        q1x, q1y = math.cos(angle), math.sin(angle)
        q2x, q2y = -q1y, q1x
        lam1 = h11 * q1x * q1x + 2.0 * h12 * q1x * q1y + h22 * q1y * q1y
        lam2 = h11 * q2x * q2x + 2.0 * h12 * q2x * q2y + h22 * q2y * q2y
        floor = 1e-12 * (abs(lam1) + abs(lam2)) + 1e-300
        c1 = (q1x * r1 + q1y * r2) / max(abs(lam1), floor)
        c2 = (q2x * r1 + q2y * r2) / max(abs(lam2), floor)
        s1 = c1 * q1x + c2 * q2x
        s2 = c1 * q1y + c2 * q2y
        length = math.sqrt(s1 * s1 + s2 * s2)
        if not length > 0.0 or not math.isfinite(length):
            break
        if length > radius:
            s1 *= radius / length
            s2 *= radius / length
            length = radius
        accepted = False
        f_new = f
        for _bt in range(60):
            for i in range(3):
                trial[i] = om[i] + s1 * t1[i] + s2 * t2[i]
            nrm = math.sqrt(trial[0] ** 2 + trial[1] ** 2 + trial[2] ** 2)
            trial /= nrm
            f_new = _value(kind, logc, vec, sign, trial[0], trial[1], trial[2])
            if side * f_new >= side * f:
                accepted = True
                break
            s1 *= 0.5
            s2 *= 0.5
            length *= 0.5
        if not accepted:
            break
        om[:] = trial
        f = _derivatives(kind, logc, vec, sign, om, grad, hess, mean, second)
        radius = min(max(radius, 2.0 * length), 1.0)
        if length < 1e-13:
            break
    best[:] = om
    return f


# ------------------------------------------------------------------------------------------------
# Starts from the sharp (piecewise-linear) limit of L.
# ------------------------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _sharp_starts(logc: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Candidate extremum directions of the piecewise-linear limit of L, shape (n_starts, 3).

    The flux directions +-b_s / |b_s| first, then the piece directions, crease-circle extremes and
    vertices.
    """
    n_s = logc.size
    out = np.zeros((4 * n_s + 2 * n_s * n_s + 2 * n_s * n_s * n_s, 3))
    count = 0
    for s in range(n_s):
        nb = math.sqrt(vec[s, 0] ** 2 + vec[s, 1] ** 2 + vec[s, 2] ** 2)
        if nb > 0.0:
            for sgn in (1.0, -1.0):
                out[count] = sgn * vec[s] / nb
                count += 1
    for i in range(n_s):
        for j in range(i + 1, n_s):
            v = vec[i] - vec[j]
            nv = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
            if nv <= 1e-300:
                continue
            vh = v / nv
            for sgn in (1.0, -1.0):
                out[count] = sgn * vh
                count += 1
            # Crease circle e_i = e_j: (b_i - b_j) . Omega = l_j - l_i.
            tau = (logc[j] - logc[i]) / nv
            if abs(tau) > 1.0:
                continue
            rho = math.sqrt(1.0 - tau * tau)
            for k in range(n_s):
                if k == i or k == j:
                    continue
                # Extremes of (b_i - b_k) . Omega on the circle.
                u = vec[i] - vec[k]
                u = u - (u[0] * vh[0] + u[1] * vh[1] + u[2] * vh[2]) * vh
                nu = math.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
                if nu <= 1e-12 * max(nv, 1.0):
                    # Axisymmetric about v: every point of the circle is equivalent; take one.
                    u = np.array([1.0, 0.0, 0.0]) if abs(vh[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
                    u = u - (u[0] * vh[0] + u[1] * vh[1] + u[2] * vh[2]) * vh
                    nu = math.sqrt(u[0] ** 2 + u[1] ** 2 + u[2] ** 2)
                for sgn in (1.0, -1.0):
                    out[count] = tau * vh + sgn * rho * u / nu
                    count += 1
                if k < j:
                    continue
                # Vertex e_i = e_j = e_k (counted once per triple i < j < k).
                w = vec[i] - vec[k]
                tw = logc[k] - logc[i]
                n = np.cross(v, w)
                nn = math.sqrt(n[0] ** 2 + n[1] ** 2 + n[2] ** 2)
                if nn <= 1e-12 * nv * math.sqrt(w[0] ** 2 + w[1] ** 2 + w[2] ** 2):
                    continue
                vv = v[0] ** 2 + v[1] ** 2 + v[2] ** 2
                ww = w[0] ** 2 + w[1] ** 2 + w[2] ** 2
                vw = v[0] * w[0] + v[1] * w[1] + v[2] * w[2]
                det = vv * ww - vw * vw
                t_v = logc[j] - logc[i]
                ca = (t_v * ww - tw * vw) / det
                cb = (tw * vv - t_v * vw) / det
                x0 = ca * v + cb * w
                r2 = 1.0 - (x0[0] ** 2 + x0[1] ** 2 + x0[2] ** 2)
                if r2 < 0.0:
                    continue
                for sgn in (1.0, -1.0):
                    out[count] = x0 + sgn * math.sqrt(r2) * n / nn
                    count += 1
    return out[:count]


@njit(cache=True, error_model="numpy")
def _seen(starts: np.ndarray, q: int, point: np.ndarray) -> bool:
    """Whether one of the first q starts equals ``point`` (to 1e-12): polishing it again is waste."""
    for r in range(q):
        d = (
            abs(starts[r, 0] - point[0])
            + abs(starts[r, 1] - point[1])
            + abs(starts[r, 2] - point[2])
        )
        if d < 1e-12:
            return True
    return False


@njit(cache=True, error_model="numpy")
def _scan_extrema(
    values: np.ndarray, valid: np.ndarray, nbr: np.ndarray, side: float, n_keep: int
) -> np.ndarray:
    """Indices of the best ``n_keep`` local maxima of side * values on the neighbour graph."""
    found = np.empty(n_keep, dtype=np.int64)
    score = np.empty(n_keep)
    count = 0
    for d in range(values.size):
        if not valid[d]:
            continue
        v = side * values[d]
        local = True
        for q in range(nbr.shape[1]):
            o = nbr[d, q]
            if valid[o] and side * values[o] > v:
                local = False
                break
        if not local:
            continue
        if count < n_keep:
            found[count] = d
            score[count] = v
            count += 1
        else:
            worst = 0
            for q in range(1, n_keep):
                if score[q] < score[worst]:
                    worst = q
            if v > score[worst]:
                found[worst] = d
                score[worst] = v
    return found[:count]


@njit(cache=True, parallel=True, error_model="numpy")
def _extrema_rows(
    logc: np.ndarray,
    vec: np.ndarray,
    sign: np.ndarray,
    dirs: np.ndarray,
    nbr: np.ndarray,
    rtol: float,
    out: np.ndarray,
) -> None:
    """Per cell: out[:, :] = (crossing, G min, G max, L min, L max, depth)."""
    n = logc.shape[0]
    n_dir = dirs.shape[0]
    n_s = logc.shape[1]
    eps = math.log1p(rtol) - math.log1p(-rtol)
    for c in prange(n):
        lc = logc[c]
        bv = vec[c]
        # Shift every exponent by the largest it can reach: the ratios are unchanged and the scan
        # values stay <= n_s (no overflow; underflow only far below the largest term).
        top = -math.inf
        for s in range(n_s):
            top = max(top, lc[s] + math.sqrt(bv[s, 0] ** 2 + bv[s, 1] ** 2 + bv[s, 2] ** 2))
        ratio = np.empty(n_dir)
        eln = np.empty(n_dir)
        valid = np.empty(n_dir, dtype=np.bool_)
        pos = 0.0
        neg = 0.0
        total_abs = 0.0
        for d in range(n_dir):
            g = 0.0
            t = 0.0
            for s in range(n_s):
                f = math.exp(
                    lc[s]
                    - top
                    + bv[s, 0] * dirs[d, 0]
                    + bv[s, 1] * dirs[d, 1]
                    + bv[s, 2] * dirs[d, 2]
                )
                g += sign[s] * f
                t += f
            eln[d] = g
            # Far below the largest term the sum loses digits to subnormals; such directions
            # give no start (the sharp-limit starts and the log-space polish cover the tails).
            valid[d] = t > _SUBNORMAL_SAFE
            ratio[d] = g / t if t > 0.0 else 0.0
            if g > rtol * t:
                pos += g
            elif g < -rtol * t:
                neg -= g
            total_abs += abs(g)
        depth = 0.0
        if pos > 0.0 and neg > 0.0:
            depth = min(pos, neg) / total_abs
        sharp = _sharp_starts(lc, bv)
        best = np.empty(3)
        start = np.empty(3)
        result = np.zeros(4)  # G min, G max, L min, L max
        for k in range(2):
            side = -1.0 if k == 0 else 1.0
            # Sign test on log ratios: is there a start beyond the tolerance already?
            extreme = -math.inf
            for d in range(n_dir):
                if valid[d]:
                    # G/T = tanh(L/2): L = 2 artanh(G/T) for the scan points.
                    rr = min(max(ratio[d], -1.0 + 1e-16), 1.0 - 1e-16)
                    extreme = max(extreme, side * 2.0 * math.atanh(rr))
            for q in range(sharp.shape[0]):
                extreme = max(
                    extreme, side * _value(0, lc, bv, sign, sharp[q, 0], sharp[q, 1], sharp[q, 2])
                )
            if not extreme > eps:
                # Not exhibited yet: polish every start, the exact extreme decides.
                picks = _scan_extrema(ratio, valid, nbr, side, _SCAN_STARTS)
                for q in range(picks.size + sharp.shape[0]):
                    start[:] = dirs[picks[q]] if q < picks.size else sharp[q - picks.size]
                    if q >= picks.size and _seen(sharp, q - picks.size, start):
                        continue  # the same start gives the same end point
                    v = _polish(0, side, lc, bv, sign, start, best)
                    extreme = max(extreme, side * v)
                    if extreme > eps:
                        break  # exhibited: the sign test is decided
            result[2 + k] = side * extreme
            # Extremes of G itself: polish from the two best local extrema of the scan and from
            # the flux directions of the species of that sign (a narrow beam is a peak of G there).
            picks = _scan_extrema(eln, valid, nbr, side, 2)
            g_best = -math.inf
            for d in range(n_dir):
                g_best = max(g_best, side * eln[d] * math.exp(top))
            for q in range(picks.size + n_s):
                if q < picks.size:
                    start[:] = dirs[picks[q]]
                else:
                    s = q - picks.size
                    if (
                        sign[s] * side < 0
                        or not (bv[s, 0] ** 2 + bv[s, 1] ** 2 + bv[s, 2] ** 2) > 0
                    ):
                        continue
                    start[:] = bv[s]
                v = _polish(1, side, lc, bv, sign, start, best)
                g_best = max(g_best, side * v)
            result[k] = side * g_best
        out[c, 0] = 1.0 if (result[3] > eps and result[2] < -eps) else 0.0
        out[c, 1] = result[0]
        out[c, 2] = result[1]
        out[c, 3] = result[2]
        out[c, 4] = result[3]
        out[c, 5] = depth


def exponential_sum_extrema(
    log_coefficients: NDArray[np.float64],
    vectors: NDArray[np.float64],
    signs: NDArray[np.float64],
    n_directions: int = 2000,
    rtol: float = 1e-10,
) -> SphereExtrema:
    r"""Global extrema and sign test of :math:`G(\Omega) = \sum_s \sigma_s e^{l_s + b_s\cdot\Omega}`.

    Args:
        log_coefficients: :math:`l_s`, shape (n_cells, n_species).
        vectors: :math:`\mathbf b_s`, shape (n_cells, n_species, 3).
        signs: :math:`\sigma_s = \pm 1`, shape (n_species,), both signs present.
        n_directions: Fibonacci directions of the scan (starts and depth quadrature).
        rtol: zero tolerance relative to the local :math:`\sum_s e^{l_s + b_s\cdot\Omega}`.

    Returns:
        :class:`SphereExtrema`.
    """
    logc = np.ascontiguousarray(np.asarray(log_coefficients, dtype=np.float64))
    vec = np.ascontiguousarray(np.asarray(vectors, dtype=np.float64))
    sg = np.ascontiguousarray(np.asarray(signs, dtype=np.float64))
    if logc.ndim != 2 or vec.shape != (*logc.shape, 3) or sg.shape != (logc.shape[1],):
        raise ValueError(
            f"shapes {logc.shape}, {vec.shape}, {sg.shape}; expected (n, S), (n, S, 3), (S,)"
        )
    if not ((sg > 0).any() and (sg < 0).any()) or not np.all(np.abs(sg) == 1.0):
        raise ValueError(f"signs = {sg.tolist()}; need +1 and -1 entries only, both present")
    if not (np.isfinite(logc).all() and np.isfinite(vec).all()):
        raise ValueError("log_coefficients and vectors must be finite")
    if not 0.0 <= rtol < 1.0:
        raise ValueError(f"rtol = {rtol!r}; must be in [0, 1)")
    dirs = fibonacci_directions(n_directions)
    out = np.zeros((logc.shape[0], 6))
    if logc.shape[0]:
        _extrema_rows(logc, vec, sg, dirs, neighbour_table(int(n_directions)), float(rtol), out)
    return SphereExtrema(out[:, 0] > 0.5, out[:, 1], out[:, 2], out[:, 3], out[:, 4], out[:, 5])
