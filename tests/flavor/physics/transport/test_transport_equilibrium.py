"""Equilibrium thermodynamics against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.physics.transport.background import electron_fraction_for_degeneracy
from nulearn.flavor.physics.transport.equilibrium import (
    HBAR_C_MEV_FM,
    electron_chemical_potential,
    equilibrium_degeneracies,
    fermi_integral,
)

ZETA3 = 1.2020569031595942
ZETA5 = 1.0369277551433699


def test_fermi_integrals_at_zero_degeneracy() -> None:
    # F_k(0) = (1 - 2^-k) k! zeta(k+1)
    assert fermi_integral(2, 0.0) == pytest.approx(0.75 * 2 * ZETA3, rel=1e-10)
    assert fermi_integral(4, 0.0) == pytest.approx((1 - 2**-4) * 24 * ZETA5, rel=1e-10)


def test_fermi_integral_limits() -> None:
    eta = np.array([-30.0, 40.0])
    f2 = fermi_integral(2, eta)
    # non-degenerate: 2 e^eta; degenerate (Sommerfeld, exact for k=2 up to e^-eta): eta^3/3 + pi^2 eta/3
    assert f2[0] == pytest.approx(2 * np.exp(-30.0), rel=1e-10)
    assert f2[1] == pytest.approx(40.0**3 / 3 + np.pi**2 * 40.0 / 3, rel=1e-10)


def test_fermi_integral_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="finite"):
        fermi_integral(2, np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="order"):
        fermi_integral(-1, 0.0)


@settings(max_examples=25, deadline=None)
@given(
    rho=st.floats(1e6, 1e14),
    ye=st.floats(0.03, 0.55),
    temp=st.floats(0.1, 20.0),
)
def test_electron_chemical_potential_inverts_net_density(
    rho: float, ye: float, temp: float
) -> None:
    mu = electron_chemical_potential(np.array([rho]), np.array([ye]), np.array([temp]))[0]
    n_net = (mu**3 + np.pi**2 * temp**2 * mu) / (3 * np.pi**2 * HBAR_C_MEV_FM**3)  # fm^-3
    assert n_net == pytest.approx(rho * ye / 1.66053907e-24 * 1e-39, rel=1e-8)


def test_antineutrino_degeneracy_is_opposite_and_heavy_leptons_split() -> None:
    eta = equilibrium_degeneracies(np.array([1e11]), np.array([0.3]), np.array([5.0]), 0.2)
    assert eta[1, 0] == -eta[0, 0]
    assert eta[2, 0] == pytest.approx(0.2) and eta[3, 0] == pytest.approx(-0.2)


def test_electron_fraction_for_degeneracy_roundtrip() -> None:
    rho = np.geomspace(1e9, 1e13, 7)
    temp = np.linspace(2.0, 10.0, 7)
    target = np.linspace(-1.0, 3.0, 7)
    ye = electron_fraction_for_degeneracy(rho, temp, target)
    back = equilibrium_degeneracies(rho, ye, temp)[0]
    np.testing.assert_allclose(back, target, atol=1e-8)
