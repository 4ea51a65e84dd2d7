r"""Local thermodynamic equilibrium of the neutrino gas: Fermi integrals, chemical potentials, f_eq.

The gray (energy-integrated) transport variable is the angular number density
``psi(r, mu) = dn/dmu`` (azimuth and energy integrated), in fm^-3. In equilibrium it is isotropic,
``psi_eq = n_eq / 2`` with the Fermi-Dirac number density of one species (one helicity state)

.. math:: n_{eq} = \frac{T^3}{2\pi^2 (\hbar c)^3} F_2(\eta), \qquad
          F_k(\eta) = \int_0^\infty \frac{x^k\,dx}{1 + e^{x-\eta}} .

Degeneracies follow beta equilibrium with free, non-degenerate nucleons
(Bruenn 1985, ApJS 58, 771): ``mu_nue = mu_e + mu_p - mu_n`` with
``mu_n - mu_p = T ln((1-Ye)/Ye) + Q``, Q = 1.2933 MeV; ``eta_nuebar = -eta_nue``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "HBAR_C_MEV_FM",
    "NEUTRON_PROTON_MASS_DIFFERENCE_MEV",
    "electron_chemical_potential",
    "equilibrium_degeneracies",
    "equilibrium_number_density",
    "fermi_integral",
    "mean_squared_energy",
]

HBAR_C_MEV_FM = 197.3269804
NEUTRON_PROTON_MASS_DIFFERENCE_MEV = 1.29333
_ATOMIC_MASS_UNIT_G = 1.66053907e-24
_FM3_PER_CM3 = 1.0e-39

# Gauss-Legendre nodes on [0, 1] reused for every Fermi integral (the integrand is smooth).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(96)
_GL_X = 0.5 * (_GL_X + 1.0)
_GL_W = 0.5 * _GL_W


def fermi_integral(order: int, eta: ArrayLike) -> NDArray[np.float64]:
    """Complete Fermi-Dirac integral F_k(eta) = int_0^inf x^k / (1 + exp(x - eta)) dx.

    Args:
        order: k >= 0 (integer order; 2 for number density, 4 for <E^2>).
        eta: degeneracy parameter(s) mu/T, any shape, finite.

    Returns:
        F_k(eta), same shape as ``eta``; relative accuracy ~1e-10 for eta in [-50, 100].
    """
    if order < 0:
        raise ValueError(f"order must be >= 0, got {order}")
    eta_arr = np.asarray(eta, dtype=np.float64)
    if not np.all(np.isfinite(eta_arr)):
        bad = int(np.flatnonzero(~np.isfinite(eta_arr.ravel()))[0])
        raise ValueError(f"degeneracy eta must be finite; index {bad} is {eta_arr.ravel()[bad]}")
    # Integrate over [0, max(eta, 0) + 60] where the integrand is non-negligible; the cut-off tail
    # is below exp(-60) relative. Split at eta for degenerate cases so the Fermi edge is resolved.
    flat = eta_arr.ravel()
    edge = np.maximum(flat, 0.0)
    total = np.zeros_like(flat)
    for lo, hi in ((np.zeros_like(edge), edge), (edge, edge + 60.0)):
        x = lo[:, None] + (hi - lo)[:, None] * _GL_X[None, :]
        integrand = x**order * _logistic(flat[:, None] - x)
        total += (hi - lo) * (integrand @ _GL_W)
    return total.reshape(eta_arr.shape)


def _logistic(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """1 / (1 + exp(-z)) without overflow."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def electron_chemical_potential(
    density_g_cm3: ArrayLike, electron_fraction: ArrayLike, temperature_mev: ArrayLike
) -> NDArray[np.float64]:
    """Electron chemical potential (MeV) of an ultra-relativistic e-/e+ gas.

    Solves the exact massless relation ``n_e- - n_e+ = (mu^3 + pi^2 T^2 mu) / (3 pi^2 (hbar c)^3)``
    (Cardano, real root) with ``n_e = rho Ye / m_u``.

    Args:
        density_g_cm3: rho (g cm^-3), shape (n,).
        electron_fraction: Ye, shape (n,).
        temperature_mev: T (MeV), shape (n,).

    Returns:
        mu_e (MeV), shape (n,).
    """
    rho = np.asarray(density_g_cm3, dtype=np.float64)
    ye = np.asarray(electron_fraction, dtype=np.float64)
    temp = np.asarray(temperature_mev, dtype=np.float64)
    n_e = rho * ye / _ATOMIC_MASS_UNIT_G * _FM3_PER_CM3  # fm^-3
    c = 3.0 * np.pi**2 * HBAR_C_MEV_FM**3 * n_e
    a = np.pi**2 * temp**2
    u = np.cbrt(0.5 * c + np.sqrt(0.25 * c**2 + a**3 / 27.0))
    return np.asarray(u - a / (3.0 * u))


def equilibrium_degeneracies(
    density_g_cm3: ArrayLike,
    electron_fraction: ArrayLike,
    temperature_mev: ArrayLike,
    heavy_lepton_degeneracy: float = 0.0,
) -> NDArray[np.float64]:
    """Equilibrium degeneracies eta = mu_nu / T of (nue, nuebar, nux, nuxbar), shape (4, n).

    ``eta_nue = (mu_e - T ln((1-Ye)/Ye) - Q) / T``, ``eta_nuebar = -eta_nue``; heavy leptons get
    ``+delta`` and ``-delta`` (a muon-like asymmetry that lets nux and nuxbar differ).
    """
    temp = np.asarray(temperature_mev, dtype=np.float64)
    ye = np.asarray(electron_fraction, dtype=np.float64)
    mu_e = electron_chemical_potential(density_g_cm3, ye, temp)
    mu_hat = temp * np.log((1.0 - ye) / ye) + NEUTRON_PROTON_MASS_DIFFERENCE_MEV
    eta_e = (mu_e - mu_hat) / temp
    delta = np.full_like(eta_e, heavy_lepton_degeneracy)
    return np.stack([eta_e, -eta_e, delta, -delta])


def equilibrium_number_density(temperature_mev: ArrayLike, eta: ArrayLike) -> NDArray[np.float64]:
    """Fermi-Dirac number density (fm^-3) of one neutrino species: T^3 F_2(eta) / (2 pi^2 (hbar c)^3)."""
    temp = np.asarray(temperature_mev, dtype=np.float64)
    return np.asarray(temp**3 * fermi_integral(2, eta) / (2.0 * np.pi**2 * HBAR_C_MEV_FM**3))


def mean_squared_energy(temperature_mev: ArrayLike, eta: ArrayLike) -> NDArray[np.float64]:
    """Number-weighted <E^2> (MeV^2) of a Fermi-Dirac spectrum: T^2 F_4(eta) / F_2(eta).

    Used to gray the E^2-scaling weak cross sections.
    """
    temp = np.asarray(temperature_mev, dtype=np.float64)
    return np.asarray(temp**2 * fermi_integral(4, eta) / fermi_integral(2, eta))
