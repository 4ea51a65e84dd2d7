"""Cosmology and the nonlinear matter power spectrum from CAMB.

Cosmology: flat ΛCDM plus three *degenerate* massive neutrinos of total mass ``m_nu`` (eV).
Ω_m is held fixed (Ω_c is reduced as M_ν grows, Ω_ν h² = M_ν / 93.14 eV) and so is A_s, so the
only effect of M_ν is the free-streaming suppression of small-scale clustering
(ΔP/P ≈ -8 f_ν in linear theory, Lesgourgues & Pastor 2006, Phys. Rep. 429, 307).

The nonlinear matter power is HMcode-2020 (Mead et al. 2021, MNRAS 502, 1401), which models the
neutrino response; :mod:`nulearn.cosmo.theory.lensing` projects it into convergence spectra.

CAMB calls take seconds, so the matter power grid P(k, z) is cached on disk keyed by a hash of
the cosmology and the grid settings (directory ``$NULEARN_CACHE/cosmo`` or
``~/.cache/nulearn/cosmo``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import RectBivariateSpline

from nulearn.ml.config import FloatConfig

__all__ = ["C_KM_S", "Cosmology", "MatterPower", "cache_dir", "camb_parameters", "matter_power"]

C_KM_S = 299792.458
"""Speed of light in km/s."""

_NU_MASS_DENSITY_EV = 93.14
"""M_ν / (Ω_ν h²) in eV (standard relic abundance, Mangano et al. 2005)."""


@dataclass(frozen=True)
class Cosmology(FloatConfig):
    """A flat ΛCDM + massive-neutrino cosmology; round-trips to YAML (:class:`FloatConfig`: the
    plain form, also used for HDF5 attributes and cache keys, holds floats).

    Attributes:
        h: H0 / (100 km/s/Mpc).
        omega_m: total matter density today Ω_m (CDM + baryons + massive neutrinos), held fixed.
        omega_b: baryon density Ω_b.
        n_s: scalar spectral index.
        A_s: primordial scalar amplitude at k = 0.05 / Mpc.
        m_nu: total neutrino mass M_ν in eV, shared by three degenerate species.
    """

    h: float = 0.6737
    omega_m: float = 0.3
    omega_b: float = 0.049
    n_s: float = 0.965
    A_s: float = 2.1e-9
    m_nu: float = 0.0

    yaml_sort_keys = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.m_nu <= 2.0:
            raise ValueError(f"m_nu = {self.m_nu} eV outside the allowed range [0, 2]")
        if not 0.0 < self.A_s < 1e-7:
            raise ValueError(f"A_s = {self.A_s} outside the allowed range (0, 1e-7)")
        if self.omega_c <= 0:
            raise ValueError(
                f"omega_c = {self.omega_c:.4f} <= 0: omega_m = {self.omega_m} is too small for "
                f"omega_b = {self.omega_b} and m_nu = {self.m_nu} eV"
            )

    @property
    def omega_nu(self) -> float:
        """Massive-neutrino density Ω_ν = M_ν / (93.14 eV h²)."""
        return self.m_nu / _NU_MASS_DENSITY_EV / self.h**2

    @property
    def omega_c(self) -> float:
        """Cold dark matter density Ω_c = Ω_m − Ω_b − Ω_ν (reduced as M_ν grows)."""
        return self.omega_m - self.omega_b - self.omega_nu

    def with_(self, **changes: Any) -> Cosmology:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class MatterPower:
    """Nonlinear total-matter power on a grid, with the background needed for Limber.

    Attributes:
        k: wavenumbers in 1/Mpc, shape ``(n_k,)``, increasing.
        z: redshifts, shape ``(n_z,)``, increasing from 0.
        power: P(k, z) in Mpc³, shape ``(n_z, n_k)``.
        chi: comoving distance χ(z) in Mpc, shape ``(n_z,)``.
        cosmology: the cosmology it was computed for.
    """

    k: NDArray[np.float64]
    z: NDArray[np.float64]
    power: NDArray[np.float64]
    chi: NDArray[np.float64]
    cosmology: Cosmology

    def interpolator(self) -> RectBivariateSpline:
        """Bicubic spline of ln P over (z, ln k)."""
        return RectBivariateSpline(self.z, np.log(self.k), np.log(self.power), kx=3, ky=3)


def cache_dir() -> Path:
    """Directory of the on-disk spectrum cache (``$NULEARN_CACHE/cosmo`` or ``~/.cache/nulearn/cosmo``)."""
    root = os.environ.get("NULEARN_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "nulearn"
    return base / "cosmo"


def _cache_key(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def camb_parameters(cosmo: Cosmology) -> Any:
    import camb
    from camb import model

    pars = camb.CAMBparams()
    h2 = cosmo.h**2
    pars.set_cosmology(
        H0=100.0 * cosmo.h,
        ombh2=cosmo.omega_b * h2,
        omch2=cosmo.omega_c * h2,
        mnu=cosmo.m_nu,
        num_massive_neutrinos=3 if cosmo.m_nu > 0 else 0,
        nnu=3.044,
        neutrino_hierarchy="degenerate",
        omk=0.0,
    )
    pars.InitPower.set_params(As=cosmo.A_s, ns=cosmo.n_s)
    pars.NonLinear = model.NonLinear_both
    pars.NonLinearModel.set_params(halofit_version="mead2020")
    return pars


def matter_power(
    cosmo: Cosmology,
    z_max: float = 3.0,
    k_max: float = 20.0,
    n_z: int = 80,
    n_k: int = 400,
    use_cache: bool = True,
) -> MatterPower:
    """Nonlinear (HMcode-2020) total-matter power P(k, z) from CAMB, cached on disk.

    Args:
        cosmo: the cosmology.
        z_max: highest redshift of the grid.
        k_max: highest wavenumber CAMB computes, in 1/Mpc; beyond it CAMB extrapolates as a power law
            up to 1e3 / Mpc (only χ ≲ ℓ / k_max, i.e. very low redshift, is affected).
        n_z: number of redshifts (uniform in z from 0).
        n_k: number of wavenumbers (log-spaced from 1e-4 / Mpc to 1e3 / Mpc).
        use_cache: read/write the on-disk cache.

    Returns:
        The grid, with P in Mpc³ and k in 1/Mpc.
    """
    if z_max <= 0:
        raise ValueError(f"z_max = {z_max} must be > 0")
    settings = {"z_max": z_max, "k_max": k_max, "n_z": n_z, "n_k": n_k, "model": "mead2020", "v": 1}
    key = _cache_key({"cosmology": cosmo.to_dict(), **settings})
    path = cache_dir() / f"pk_{key}.npz"
    if use_cache and path.exists():
        with np.load(path) as f:
            return MatterPower(f["k"], f["z"], f["power"], f["chi"], cosmo)

    import camb

    pars = camb_parameters(cosmo)
    zs = np.linspace(0.0, z_max, n_z)
    pars.set_matter_power(redshifts=zs[::-1].tolist(), kmax=k_max, nonlinear=True, silent=True)
    results = camb.get_results(pars)
    pk = results.get_matter_power_interpolator(
        nonlinear=True,
        var1="delta_tot",
        var2="delta_tot",
        hubble_units=False,
        k_hunit=False,
        extrap_kmax=1e3,
        silent=True,
    )
    k = np.logspace(-4, 3, n_k)
    power = np.asarray(pk.P(zs, k, grid=True), dtype=np.float64)
    chi = np.asarray(results.comoving_radial_distance(zs), dtype=np.float64)
    out = MatterPower(k, zs, power, chi, cosmo)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, k=k, z=zs, power=power, chi=chi)
        tmp.replace(path)  # atomic: parallel workers never see half a file
    return out
