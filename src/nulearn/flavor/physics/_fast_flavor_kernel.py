r"""Compiled kernels of the fast-flavor solver (:mod:`nulearn.flavor.physics.fast_flavor`).

The collective step solves, at every grid point z independently (advection is a separate step),

.. math:: \frac{dP_j}{dt} = H_j \times P_j, \qquad H_j = D_0 - \mu_j D_1, \qquad
          D_n = \sum_i g_i \mu_i^n P_i,

with the implicit midpoint rule :math:`P^{n+1}_j - P^n_j = \Delta t\, H_j(\bar P) \times \bar P_j`,
:math:`\bar P = (P^n + P^{n+1})/2`. For a fixed :math:`H_j` this is the Cayley transform

.. math:: P^{n+1}_j = P^n_j + \frac{2}{1 + |a_j|^2}\left[a_j \times P^n_j
          + a_j \times (a_j \times P^n_j)\right], \qquad a_j = \tfrac{\Delta t}{2} H_j,

an exact rotation (by :math:`2\arctan|a_j|` about :math:`a_j`), so every iterate keeps
:math:`|P_j|`. At the fixed point :math:`D_0^{n+1} - D_0^n = \Delta t(\bar D_0\times\bar D_0 -
\bar D_1\times\bar D_1) = 0`: the lepton-number vector is conserved exactly, and
:math:`\bar D_0 = D_0^n` is known before iterating, so only :math:`\bar D_1` (three numbers per z)
is found by fixed-point iteration, to ``tol`` in units of :math:`S = \sum_j |g_j|`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["collective_step", "transverse_spectrum"]


@njit(parallel=True, cache=True, fastmath=True)
def collective_step(
    p: np.ndarray, mu: np.ndarray, g: np.ndarray, dt: float, tol: float, max_iter: int
) -> int:
    """Advance the collective (self-interaction) part by ``dt`` in place; returns the most iterations.

    ``fastmath`` only lets the compiler vectorize the sums over beams (reassociation); the
    conservation properties rest on the Cayley form and the fixed point, not on rounding order.

    Args:
        p: polarization vectors, shape (n_z, 3, n_mu) (components before beams, so that the
            loops over beams are contiguous), updated in place.
        mu: beam directions, shape (n_mu,).
        g: lepton number carried by each beam, w_j G(mu_j), shape (n_mu,).
        dt: time step.
        tol: fixed-point tolerance on D_1 (absolute, in units of sum |g|).
        max_iter: iteration cap; returning it signals non-convergence.
    """
    n_z, _, n_mu = p.shape
    scale = 0.0
    for j in range(n_mu):
        scale += abs(g[j])
    h = 0.5 * dt
    gm = g * mu
    gmm = gm * mu
    iters = np.zeros(n_z, dtype=np.int64)
    for iz in prange(n_z):
        ox = p[iz, 0].copy()
        oy = p[iz, 1].copy()
        oz = p[iz, 2].copy()
        d0x = d0y = d0z = 0.0
        d1x = d1y = d1z = 0.0
        d2x = d2y = d2z = 0.0
        for j in range(n_mu):
            d0x += g[j] * ox[j]
            d0y += g[j] * oy[j]
            d0z += g[j] * oz[j]
            d1x += gm[j] * ox[j]
            d1y += gm[j] * oy[j]
            d1z += gm[j] * oz[j]
            d2x += gmm[j] * ox[j]
            d2y += gmm[j] * oy[j]
            d2z += gmm[j] * oz[j]
        # D0 at the midpoint equals D0 at the start (exact conservation at the fixed point).
        # Predictor for D1 at the midpoint: D1 + (dt/2) dD1/dt with dD1/dt = D0 x D1 - D1 x D2,
        # so the iteration starts O(dt^2) from the fixed point (its contraction is ~ dt |D2| / 4).
        ex = (d0y * d1z - d0z * d1y) - (d1y * d2z - d1z * d2y)
        ey = (d0z * d1x - d0x * d1z) - (d1z * d2x - d1x * d2z)
        ez = (d0x * d1y - d0y * d1x) - (d1x * d2y - d1y * d2x)
        d1x += h * ex
        d1y += h * ey
        d1z += h * ez
        it = 0
        while it < max_iter:
            it += 1
            sx = sy = sz = 0.0
            for j in range(n_mu):
                # Cayley rotation of the old vector by a = (dt/2) (D0 - mu_j D1_mid)
                ax = h * (d0x - mu[j] * d1x)
                ay = h * (d0y - mu[j] * d1y)
                az = h * (d0z - mu[j] * d1z)
                cx = ay * oz[j] - az * oy[j]
                cy = az * ox[j] - ax * oz[j]
                cz = ax * oy[j] - ay * ox[j]
                f = 2.0 / (1.0 + ax * ax + ay * ay + az * az)
                nx = ox[j] + f * (cx + ay * cz - az * cy)
                ny = oy[j] + f * (cy + az * cx - ax * cz)
                nz = oz[j] + f * (cz + ax * cy - ay * cx)
                p[iz, 0, j] = nx
                p[iz, 1, j] = ny
                p[iz, 2, j] = nz
                sx += gm[j] * (ox[j] + nx)
                sy += gm[j] * (oy[j] + ny)
                sz += gm[j] * (oz[j] + nz)
            sx *= 0.5
            sy *= 0.5
            sz *= 0.5
            change = max(abs(sx - d1x), abs(sy - d1y), abs(sz - d1z))
            d1x, d1y, d1z = sx, sy, sz
            if change <= tol * scale:
                break
        iters[iz] = it
    return int(iters.max())


@njit(cache=True, fastmath=False)
def transverse_spectrum(xhat: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """Power of S = P_x + i P_y per signed wavenumber, summed over beams.

    Args:
        xhat, yhat: real FFTs over z of P_x and P_y, shape (n_z // 2 + 1, n_mu).

    Returns:
        Shape (n_z,): entry n is |S_hat(k_n)|^2 summed over beams, in numpy's FFT order
        (n = 0..n_z/2 positive, then negative wavenumbers), S_hat(-k) = conj(X) + i conj(Y).
    """
    n_half, n_mu = xhat.shape
    n_z = 2 * (n_half - 1)
    out = np.zeros(n_z)
    for n in range(n_half):
        pos = 0.0
        neg = 0.0
        for j in range(n_mu):
            xr, xi = xhat[n, j].real, xhat[n, j].imag
            yr, yi = yhat[n, j].real, yhat[n, j].imag
            # S(k) = X + iY; S(-k) = conj(X) + i conj(Y)
            pos += (xr - yi) ** 2 + (xi + yr) ** 2
            neg += (xr + yi) ** 2 + (yr - xi) ** 2
        out[n] = pos
        if 0 < n < n_z - n:
            out[n_z - n] = neg
    return out
