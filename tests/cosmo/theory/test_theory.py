"""Theory: cosmology bookkeeping, Limber integration against quadrature, and CAMB's own lensing spectrum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from nulearn.cosmo.theory.lensing import (
    camb_convergence_cl,
    empty_beam_convergence,
    lensing_efficiency,
    limber_convergence_cl,
    tomographic_convergence_cl,
)
from nulearn.cosmo.theory.power import C_KM_S, Cosmology, MatterPower, matter_power


@given(st.floats(0.0, 0.5))
@settings(max_examples=25, deadline=None)
def test_omega_m_fixed_and_cdm_reduced(m_nu: float) -> None:
    c = Cosmology(m_nu=m_nu)
    assert c.omega_c + c.omega_b + c.omega_nu == pytest.approx(c.omega_m, rel=1e-12)
    assert c.omega_nu == pytest.approx(m_nu / 93.14 / c.h**2)
    assert c.omega_c <= Cosmology().omega_c


def test_cosmology_yaml_roundtrip_and_validation() -> None:
    c = Cosmology(m_nu=0.1, A_s=2.2e-9)
    assert Cosmology.from_yaml(c.to_yaml()) == c
    with pytest.raises(ValueError, match="m_nu"):
        Cosmology(m_nu=-0.1)
    with pytest.raises(ValueError, match="omega_c"):
        Cosmology(omega_m=0.04)


def _toy_power(cosmo: Cosmology, amplitude: float = 1e3, slope: float = -1.5) -> MatterPower:
    """z-independent power law with an analytic matter-dominated χ(z) = 2c/H0 (1 − 1/√(1+z))."""
    k = np.logspace(-4, 3, 300)
    z = np.linspace(0, 3, 200)
    chi = 2 * C_KM_S / (100 * cosmo.h) * (1 - 1 / np.sqrt(1 + z))
    power = np.broadcast_to(amplitude * (k / 0.1) ** slope, (z.size, k.size)).copy()
    return MatterPower(k, z, power, chi, cosmo)


def test_limber_matches_direct_quadrature() -> None:
    cosmo = Cosmology()
    pk = _toy_power(cosmo)
    ell = np.array([100.0, 1000.0, 5000.0])
    ours = limber_convergence_cl(cosmo, ell, z_source=1.0, power=pk, n_chi=2000)
    h0c = 100 * cosmo.h / C_KM_S
    chi_s = 2 / h0c * (1 - 1 / np.sqrt(2.0))

    def integrand(chi: float, multipole: float) -> float:
        a = (1 - h0c * chi / 2) ** 2  # inverse of χ(z) above: 1/(1+z)
        q = 1.5 * cosmo.omega_m * h0c**2 * chi / a * (chi_s - chi) / chi_s
        return q**2 / chi**2 * 1e3 * (((multipole + 0.5) / chi) / 0.1) ** -1.5

    exact = np.array([quad(integrand, 1e-6, chi_s, args=(m,), limit=200)[0] for m in ell])
    np.testing.assert_allclose(ours, exact, rtol=5e-3)


def test_tomography_of_a_narrow_bin_equals_single_plane_and_is_symmetric() -> None:
    cosmo = Cosmology()
    pk = _toy_power(cosmo)
    ell = np.array([200.0, 2000.0])
    z = np.linspace(0.05, 2.0, 400)
    nz = np.stack([np.exp(-0.5 * ((z - 1.0) / 0.01) ** 2), np.exp(-0.5 * ((z - 0.5) / 0.2) ** 2)])
    cl = tomographic_convergence_cl(cosmo, ell, z, nz, power=pk, n_chi=1000)
    single = limber_convergence_cl(cosmo, ell, 1.0, power=pk, n_chi=1000)
    np.testing.assert_allclose(cl[0, 0], single, rtol=1e-2)
    np.testing.assert_allclose(cl[0, 1], cl[1, 0])
    assert np.all(cl[1, 1] < cl[0, 0])  # lower sources are lensed less


def test_lensing_efficiency_closed_form_and_empty_beam() -> None:
    cosmo = Cosmology()
    chi = np.linspace(0, 3000, 7)
    q = lensing_efficiency(chi, np.zeros_like(chi), cosmo, np.array([2000.0]))
    pref = 1.5 * cosmo.omega_m * (100 * cosmo.h / C_KM_S) ** 2
    np.testing.assert_allclose(q, pref * chi * np.clip(2000 - chi, 0, None) / 2000)
    pk = _toy_power(cosmo)
    assert empty_beam_convergence(cosmo, 1.0, pk) < empty_beam_convergence(cosmo, 0.5, pk) < 0


def test_limber_matches_camb_source_window_to_one_percent(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real check: HMcode-2020 P(k) from CAMB through our Limber code vs CAMB's lensing window."""
    monkeypatch.setenv("NULEARN_CACHE", str(tmp_path))
    cosmo = Cosmology(m_nu=0.1)
    ell = np.array([300, 600, 1000])
    ours = limber_convergence_cl(cosmo, ell, 1.0)
    camb_cl = camb_convergence_cl(cosmo, ell, 1.0)
    np.testing.assert_allclose(ours, camb_cl, rtol=0.01)
    # second call reads the on-disk cache and gives identical numbers
    again = matter_power(cosmo, z_max=3.0)
    assert len(list(tmp_path.glob("cosmo/pk_*.npz"))) == 1
    np.testing.assert_array_equal(limber_convergence_cl(cosmo, ell, 1.0, power=again), ours)
