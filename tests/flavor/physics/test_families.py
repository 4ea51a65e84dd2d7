"""Angular families: closed-form moments against quadrature, inversion round trips, limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import simpson

from nulearn.flavor.physics.families import (
    FAMILIES,
    AngularFamily,
    Gaussian,
    MaxEntropy,
    get_family,
    register_family,
)

FAMILY_NAMES = ["maxent", "gaussian"]


@pytest.mark.parametrize("name", FAMILY_NAMES)
@pytest.mark.parametrize("flux", [0.0, 1e-9, 1e-4, 0.05, 0.33, 0.6, 0.9, 0.98])
def test_moments_match_quadrature(name: str, flux: float) -> None:
    fam = get_family(name)
    mu = np.linspace(-1.0, 1.0, 200_001)
    n = 3.7
    closed = fam.moments([n], [flux])[0]
    f = fam.distribution([n], [flux], mu)[0]
    quad = np.array([simpson(mu**k * f, x=mu) for k in range(4)])
    np.testing.assert_allclose(closed, quad, rtol=1e-8, atol=1e-9 * n)
    assert closed[0] == pytest.approx(n, rel=1e-13)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_round_trip_flux_factor_over_full_range(name: str) -> None:
    fam = get_family(name)
    flux = np.concatenate(
        [[0.0], np.geomspace(1e-14, 1e-3, 2000), np.linspace(0.0, 0.999, 200_001)]
    )
    back = fam.flux_factor(fam.shape_parameter(flux))
    pos = flux > 0
    assert np.max(np.abs(back[pos] - flux[pos]) / flux[pos]) < 1e-9
    assert np.all(back[~pos] == 0.0)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_round_trip_across_six_decades_of_density(name: str) -> None:
    fam = get_family(name)
    rng = np.random.default_rng(3)
    n = 10.0 ** rng.uniform(-3, 3, 5000)
    flux = rng.uniform(0, 0.999, 5000)
    moments = fam.moments(n, flux)
    np.testing.assert_allclose(moments[:, 0], n, rtol=1e-12)
    np.testing.assert_allclose(moments[:, 1] / moments[:, 0], flux, rtol=1e-9, atol=1e-15)


def test_maxent_closed_forms() -> None:
    fam = MaxEntropy()
    a = np.array([1e-8, 0.3, 2.0, 50.0, 1e4])
    m = fam.shape_moments(a)
    langevin = np.where(a > 1e-3, 1 / np.tanh(a) - 1 / np.where(a > 1e-3, a, 1), a / 3)
    np.testing.assert_allclose(m[:, 1], langevin, rtol=1e-12)
    np.testing.assert_allclose(m[:, 2], 1 - 2 * m[:, 1] / a, rtol=1e-6, atol=1e-12)
    # Small-a series: F = a/3 - a^3/45.
    assert m[1, 1] == pytest.approx(0.1 - 0.3**3 / 45 + 2 * 0.3**5 / 945, rel=1e-6)


def test_gaussian_limits() -> None:
    fam = Gaussian()
    b = np.array([1e-9, 1e-4, 1e6, 1e10])
    f = fam.flux_factor(b)
    # Isotropic limit F ~ 2b/3, forward limit 1 - F ~ 1/sqrt(pi b).
    assert f[0] == pytest.approx(2e-9 / 3, rel=1e-6)
    assert f[1] == pytest.approx(2e-4 / 3, rel=1e-3)
    assert 1 - f[2] == pytest.approx(1 / np.sqrt(np.pi * 1e6), rel=1e-6)
    assert 1 - f[3] == pytest.approx(1 / np.sqrt(np.pi * 1e10), rel=1e-6)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_extreme_flux_factors_finite(name: str) -> None:
    fam = get_family(name)
    flux = np.array([0.0, 1e-300, 1e-12, 1 - 1e-6, 1 - 1e-10])
    mu = np.linspace(-1, 1, 101)
    logf = fam.log_distribution(np.ones(5), flux, mu)
    assert np.isfinite(logf).all()
    assert np.isfinite(fam.moments(np.ones(5), flux)).all()
    assert np.isfinite(fam.log_quadratic(np.ones(5), flux)).all()


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_log_quadratic_matches_log_distribution(name: str) -> None:
    fam = get_family(name)
    rng = np.random.default_rng(0)
    n = 10 ** rng.uniform(-2, 2, 50)
    flux = rng.uniform(0, 0.999, 50)
    mu = np.linspace(-1, 1, 33)
    c = fam.log_quadratic(n, flux)
    x = mu[None, :] - 1
    quad = c[:, :1] + c[:, 1:2] * x + c[:, 2:3] * x**2
    np.testing.assert_allclose(quad, fam.log_distribution(n, flux, mu), rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize(
    ("density", "flux", "quantity"),
    [
        ([1.0, -2.0], [0.1, 0.2], "number density"),
        ([1.0, 0.0], [0.1, 0.2], "number density"),
        ([1.0, np.nan], [0.1, 0.2], "number density"),
        ([1.0, 1.0], [0.1, 1.0], "flux factor"),
        ([1.0, 1.0], [-0.1, 0.2], "flux factor"),
        ([1.0, 1.0], [0.1, np.inf], "flux factor"),
    ],
)
def test_invalid_moments_raise_naming_quantity_and_index(
    density: list[float], flux: list[float], quantity: str
) -> None:
    fam = get_family("maxent")
    with pytest.raises(ValueError, match=rf"nuebar: {quantity}.*row (0|1)"):
        fam.moments(density, flux, species="nuebar")


def test_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown angular family"):
        get_family("minerbo")


def test_user_family_can_be_registered() -> None:
    """A family without a log-quadratic form (here a linear 'Eddington' shape) plugs in."""

    class Linear(AngularFamily):
        name = "linear_test"

        def shape_moments(self, theta, n_max=3):  # type: ignore[no-untyped-def]
            t = np.atleast_1d(np.asarray(theta, dtype=float))
            # g = (1 + 3 t mu)/2 has <mu> = t, <mu^2> = 1/3, <mu^3> = 3t/5.
            cols = [np.ones_like(t), t, np.full_like(t, 1 / 3), 3 * t / 5][: n_max + 1]
            return np.stack(cols, axis=1)

        def shape_parameter(self, flux_factor):  # type: ignore[no-untyped-def]
            f = np.atleast_1d(np.asarray(flux_factor, dtype=float))
            if (f > 1 / 3).any():
                raise ValueError("linear shape is non-negative only for F <= 1/3")
            return f

        def log_shape(self, theta, mu):  # type: ignore[no-untyped-def]
            t = np.atleast_1d(np.asarray(theta, dtype=float))[:, None]
            return np.log(np.maximum((1 + 3 * t * np.asarray(mu)[None, :]) / 2, 1e-300))

    register_family(Linear())
    try:
        fam = get_family("linear_test")
        assert fam.moments([2.0], [0.2])[0, 1] == pytest.approx(0.4)
        assert fam.log_quadratic([1.0], [0.2]) is None
    finally:
        FAMILIES.pop("linear_test")


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 0.999), st.floats(1e-6, 1e6))
def test_property_moments_scale_with_density(flux: float, n: float) -> None:
    for name in FAMILY_NAMES:
        fam = get_family(name)
        unit = fam.moments([1.0], [flux])[0]
        scaled = fam.moments([n], [flux])[0]
        np.testing.assert_allclose(scaled, n * unit, rtol=1e-12, atol=1e-300)
