"""Crossing detection: analytic cases, fast kernel vs tabulated path, finer grids, invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.data.labelling import crossings_for_family
from nulearn.flavor.physics.crossings import (
    crossings_from_log_quadratic,
    eln_from_distributions,
    find_crossings,
    mu_grid,
)
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import species_signs

SPECIES4 = ("nue", "nuebar", "nux", "nuxbar")


def test_linear_eln_crossing_angle_and_depth() -> None:
    mu = mu_grid(2001)
    g = (mu - 0.3)[None, :]  # one crossing at mu = 0.3
    res = find_crossings(g, mu)
    assert res.has_crossing[0] and res.n_crossings[0] == 1
    assert res.angles[0, 0] == pytest.approx(0.3, abs=1e-12)
    # Negative part: int_{-1}^{0.3} (0.3 - mu) = 1.3^2/2; positive: 0.7^2/2.
    neg, pos = 1.3**2 / 2, 0.7**2 / 2
    assert res.depth[0] == pytest.approx(pos / (pos + neg), rel=1e-9)


def test_no_crossing_and_identical_species() -> None:
    mu = mu_grid()
    res = find_crossings(np.vstack([1 + mu**2, np.zeros_like(mu)]), mu)
    assert not res.has_crossing.any()
    assert np.all(res.depth == 0)


def test_narrow_crossing_is_found() -> None:
    """A negative dip 0.008 wide (narrower than 0.01) is found on the default grid."""
    mu = mu_grid()
    fine = mu_grid(40_001)
    g = lambda x: (x - 0.1234) ** 2 - 0.004**2  # noqa: E731  (negative on a width of 0.008)
    assert find_crossings(g(mu)[None, :], mu).n_crossings[0] == 2
    assert find_crossings(g(fine)[None, :], fine).n_crossings[0] == 2


def test_multiple_crossings_angles_sorted() -> None:
    mu = mu_grid(4001)
    g = np.sin(5 * np.pi * mu + 0.1)[None, :]
    res = find_crossings(g, mu)
    assert res.n_crossings[0] == 10
    assert np.all(np.diff(res.angles[0]) > 0)


def test_find_crossings_validates_input() -> None:
    mu = mu_grid(11)
    with pytest.raises(ValueError, match="expected"):
        find_crossings(np.zeros((2, 12)), mu)
    with pytest.raises(ValueError, match="increasing"):
        find_crossings(np.zeros((1, 11)), mu[::-1])
    bad = np.zeros((3, 11))
    bad[2, 4] = np.nan
    with pytest.raises(ValueError, match="cell 2"):
        find_crossings(bad, mu)


def _random_xln(n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    dens = {"nue": np.ones(n), "nuebar": rng.uniform(0.03, 2.5, n), "nux": rng.uniform(0.01, 3, n)}
    dens["nuxbar"] = dens["nux"] * rng.uniform(0.6, 1.4, n)
    flux = {s: rng.uniform(0, 0.999, n) for s in SPECIES4}
    return dens, flux


@pytest.mark.parametrize("family", ["maxent", "gaussian"])
def test_fast_kernel_matches_tabulated_and_10x_finer_grid(family: str) -> None:
    fam = get_family(family)
    dens, flux = _random_xln(4000, seed=11)
    fast = crossings_for_family(family, dens, flux)
    for n_mu in (401, 4001):
        mu = mu_grid(n_mu)
        g = eln_from_distributions({s: fam.distribution(dens[s], flux[s], mu) for s in SPECIES4})
        ref = find_crossings(g, mu)
        assert np.array_equal(fast.has_crossing, ref.has_crossing)
        if n_mu == 401:
            assert np.array_equal(fast.n_crossings, ref.n_crossings)
            np.testing.assert_allclose(fast.angles, ref.angles, atol=1e-9)
        else:
            # The fast path integrates in closed form between crossings; the tabulated reference is
            # a trapezoid estimate, itself off where a peak is narrower than its spacing.
            diff = np.abs(fast.depth - ref.depth)
            assert np.median(diff) < 1e-6
            assert np.percentile(diff, 99) < 1e-3
            assert diff.max() < 5e-3
    assert 0.2 < fast.has_crossing.mean() < 0.9
    assert np.all((fast.depth >= 0) & (fast.depth <= 0.5))


def test_maxent_eln_crossing_has_closed_form() -> None:
    """Two maxent species: ln f_e - ln f_ebar is linear in mu, so the crossing test is exact."""
    rng = np.random.default_rng(5)
    n = 20_000
    alpha = rng.uniform(0.03, 2.5, n)
    fe, fb = rng.uniform(0, 0.999, n), rng.uniform(0, 0.999, n)
    fam = get_family("maxent")
    ce, cb = fam.log_quadratic(np.ones(n), fe), fam.log_quadratic(alpha, fb)
    d1, ds = ce[:, 0] - cb[:, 0], ce[:, 1] - cb[:, 1]  # ln(f_e/f_ebar) = d1 + ds (mu - 1)
    at_minus, at_plus = d1 - 2 * ds, d1
    exact = np.sign(at_minus) * np.sign(at_plus) < 0
    margin = np.minimum(np.abs(at_minus), np.abs(at_plus)) > 1e-6
    res = crossings_for_family(
        "maxent", {"nue": np.ones(n), "nuebar": alpha}, {"nue": fe, "nuebar": fb}
    )
    assert np.array_equal(res.has_crossing[margin], exact[margin])


species_flux = st.floats(0.0, 0.999)
density = st.floats(0.02, 3.0)


@settings(max_examples=80, deadline=None)
@given(density, species_flux, species_flux, st.sampled_from(["maxent", "gaussian"]))
def test_property_swap_nue_nuebar(alpha: float, f_e: float, f_b: float, family: str) -> None:
    a = crossings_for_family(
        family, {"nue": [1.0], "nuebar": [alpha]}, {"nue": [f_e], "nuebar": [f_b]}
    )
    b = crossings_for_family(
        family, {"nue": [alpha], "nuebar": [1.0]}, {"nue": [f_b], "nuebar": [f_e]}
    )
    assert a.has_crossing[0] == b.has_crossing[0]
    assert a.n_crossings[0] == b.n_crossings[0]


@settings(max_examples=80, deadline=None)
@given(density, species_flux, st.sampled_from(["maxent", "gaussian"]))
def test_property_identical_species_never_cross(n: float, f: float, family: str) -> None:
    res = crossings_for_family(family, {"nue": [n], "nuebar": [n]}, {"nue": [f], "nuebar": [f]})
    assert not res.has_crossing[0]
    res4 = crossings_for_family(
        family,
        {"nue": [n], "nuebar": [1.0], "nux": [n], "nuxbar": [1.0]},
        {"nue": [f], "nuebar": [0.3], "nux": [f], "nuxbar": [0.3]},
    )
    assert not res4.has_crossing[0]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(density, min_size=4, max_size=4),
    st.lists(species_flux, min_size=4, max_size=4),
    st.floats(1e-6, 1e6),
    st.sampled_from(["maxent", "gaussian"]),
)
def test_property_common_scale_leaves_labels_unchanged(
    dens: list[float], flux: list[float], scale: float, family: str
) -> None:
    d = {s: [v] for s, v in zip(SPECIES4, dens, strict=True)}
    ds = {s: [v * scale] for s, v in zip(SPECIES4, dens, strict=True)}
    fl = {s: [v] for s, v in zip(SPECIES4, flux, strict=True)}
    a = crossings_for_family(family, d, fl)
    b = crossings_for_family(family, ds, fl)
    assert a.has_crossing[0] == b.has_crossing[0]
    assert a.n_crossings[0] == b.n_crossings[0]
    assert a.depth[0] == pytest.approx(b.depth[0], abs=1e-9)


def test_exact_depth_of_two_maxent_species() -> None:
    """ELN of two maxent species with one crossing: depth from the closed-form integrals."""
    fam = get_family("maxent")
    ce, cb = fam.log_quadratic([1.0], [0.1]), fam.log_quadratic([1.3], [0.5])
    res = crossings_from_log_quadratic(np.stack([ce, cb], axis=1), [1.0, -1.0])
    assert res.n_crossings[0] == 1
    mu = mu_grid(2_000_001)
    g = fam.distribution([1.0], [0.1], mu)[0] - fam.distribution([1.3], [0.5], mu)[0]
    pos, neg = np.trapezoid(np.clip(g, 0, None), mu), np.trapezoid(np.clip(-g, 0, None), mu)
    assert res.depth[0] == pytest.approx(min(pos, neg) / (pos + neg), rel=1e-6)


def test_log_quadratic_kernel_validates_shapes_and_peak() -> None:
    with pytest.raises(ValueError, match="shape"):
        crossings_from_log_quadratic(np.zeros((3, 2, 2)), species_signs(["nue", "nuebar"]))
    with pytest.raises(ValueError, match="peak"):
        crossings_from_log_quadratic(np.array([[[0.0, -1.0, 0.0], [0.0, 0.0, 0.0]]]), [1.0, -1.0])
    with pytest.raises(ValueError, match="s = 0 or c2 = 0"):
        crossings_from_log_quadratic(np.array([[[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]]), [1.0, -1.0])
