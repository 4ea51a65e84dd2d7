"""Gray neutrino opacities with the physical species hierarchy.

Charged-current absorption (Bruenn 1985, ApJS 58, 771; Burrows, Reddy & Thompson 2006):

* nue + n -> e- + p:     kappa_a = sigma_0 (1 + 3 g_A^2)/4 <E^2>/(m_e c^2)^2 n_n
* nuebar + p -> e+ + n:  same with n_p (times the weak-magnetism factor of antineutrinos)
* heavy leptons: no charged current; pair processes modelled as ``kappa_a = r_pair kappa_s``.

Neutral-current scattering on free nucleons, for every species:
``sigma_n = sigma_0/4 (1 + 3 g_A^2)/4 <E^2>/m_e^2``,
``sigma_p = sigma_0/4 [4 sin^4 theta_W - 2 sin^2 theta_W + (1 + 3 g_A^2)/4] <E^2>/m_e^2``.

Energy-integrated (gray) by ``<E^2> = T^2 F_4(eta)/F_2(eta)`` of the local equilibrium spectrum,
with |eta| bounded by 2 in that average.
With ``Ye < 0.5`` neutrons outnumber protons, so nue are the most opaque, nuebar next and
heavy-lepton neutrinos the least: the species decouple at successively smaller radii.
Ahead of the shock (mostly heavy nuclei) absorption is scaled by the free-nucleon fraction;
scattering is kept as a stand-in for coherent scattering on nuclei.
Emission follows from Kirchhoff's law (``j = kappa_a psi_eq``) in the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.physics.transport.background import Background
from nulearn.flavor.physics.transport.equilibrium import (
    equilibrium_degeneracies,
    equilibrium_number_density,
    mean_squared_energy,
)

__all__ = ["SPECIES", "SPECTRAL_DEGENERACY_BOUND", "Opacities", "compute_opacities"]

#: Bound on |eta| of the spectrum used to gray the E^2 cross sections.
SPECTRAL_DEGENERACY_BOUND = 2.0

SPECIES: tuple[str, ...] = ("nue", "nuebar", "nux", "nuxbar")
_SIGMA_0_CM2 = 1.705e-44
_ELECTRON_MASS_MEV = 0.510999
_G_A = 1.27
_SIN2_THETA_W = 0.2312
_ATOMIC_MASS_UNIT_G = 1.66053907e-24
_CM_PER_KM = 1.0e5


@dataclass(frozen=True)
class Opacities:
    """Per-species gray opacities and equilibrium distributions, each of shape (4, n_r).

    Attributes:
        absorption: kappa_a (km^-1).
        scattering: kappa_s (km^-1).
        equilibrium: psi_eq = n_eq/2 (fm^-3), the isotropic Fermi-Dirac angular density.
        degeneracy: eta = mu_nu/T.
    """

    absorption: NDArray[np.float64]
    scattering: NDArray[np.float64]
    equilibrium: NDArray[np.float64]
    degeneracy: NDArray[np.float64]


def compute_opacities(background: Background) -> Opacities:
    """Opacities of (nue, nuebar, nux, nuxbar) on the background's radial grid."""
    p = background.params
    rho, temp, ye = background.density, background.temperature, background.electron_fraction
    eta = equilibrium_degeneracies(rho, ye, temp, p.heavy_lepton_degeneracy)
    # Spectral degeneracy of the gray average: the local eta where matter and neutrinos are in
    # equilibrium, but bounded by |eta| <= 2 -- free-streaming spectra are Fermi-Dirac-like with
    # small pinching (Keil, Raffelt & Janka 2003, ApJ 590, 971); an unbounded local eta far out
    # would make the antineutrino halo several times too bright.
    eta_spectrum = np.clip(eta, -SPECTRAL_DEGENERACY_BOUND, SPECTRAL_DEGENERACY_BOUND)
    e2 = mean_squared_energy(temp[None, :], eta_spectrum) / _ELECTRON_MASS_MEV**2  # (4, n_r)
    n_n = rho * (1.0 - ye) / _ATOMIC_MASS_UNIT_G  # cm^-3
    n_p = rho * ye / _ATOMIC_MASS_UNIT_G
    sigma_abs = _SIGMA_0_CM2 * (1.0 + 3.0 * _G_A**2) / 4.0
    sigma_sn = _SIGMA_0_CM2 / 4.0 * (1.0 + 3.0 * _G_A**2) / 4.0
    sigma_sp = (
        _SIGMA_0_CM2
        / 4.0
        * (4 * _SIN2_THETA_W**2 - 2 * _SIN2_THETA_W + (1.0 + 3.0 * _G_A**2) / 4.0)
    )
    antinu = np.array([1.0, p.antineutrino_weak_magnetism, 1.0, p.antineutrino_weak_magnetism])[
        :, None
    ]
    scattering = antinu * e2 * (sigma_sn * n_n + sigma_sp * n_p) * _CM_PER_KM
    absorption = np.empty_like(scattering)
    absorption[0] = sigma_abs * e2[0] * n_n * _CM_PER_KM
    absorption[1] = antinu[1] * sigma_abs * e2[1] * n_p * _CM_PER_KM
    absorption[2:] = p.pair_absorption_ratio * scattering[2:]
    if background.free_nucleon_fraction is not None:
        # emission/absorption need free nucleons (and hot pairs), both absent ahead of the shock
        absorption *= background.free_nucleon_fraction[None, :]
    equilibrium = 0.5 * equilibrium_number_density(temp[None, :], eta)
    return Opacities(absorption, scattering, equilibrium, eta)
