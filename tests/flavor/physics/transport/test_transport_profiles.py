"""Backgrounds, opacity hierarchy and resolution convergence of realistic profiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.physics.transport.background import (
    PARAMETER_RANGES,
    BackgroundParams,
    build_background,
    perturb_background_params,
    sample_background_params,
)
from nulearn.flavor.physics.transport.profile import (
    SolverConfig,
    radial_optical_depth,
    solve_profile,
)


def test_sampled_parameters_lie_in_documented_ranges_and_are_deterministic() -> None:
    a = sample_background_params(20, seed=4)
    b = sample_background_params(20, seed=4)
    assert a == b
    for p in a:
        for name, (lo, hi, _) in PARAMETER_RANGES.items():
            value = getattr(p, name)
            assert lo <= value <= hi or (name == "ye_dip_depth" and value == 0.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 3.0))
def test_perturbed_profiles_stay_in_range_and_move_by_the_step(seed: int, step: float) -> None:
    """Snapshots of a profile stay in the documented ranges, keep a missing low-Ye pocket
    missing, and move by the step in unit coordinates (none at step 0)."""
    base = sample_background_params(8, seed=seed)
    moved = perturb_background_params(base, step, seed=seed + 1)
    assert perturb_background_params(base, 0.0) == base
    shifts = []
    for b, m in zip(base, moved, strict=True):
        for name, (lo, hi, scale) in PARAMETER_RANGES.items():
            value = getattr(m, name)
            assert lo <= value <= hi or (name == "ye_dip_depth" and value == 0.0)
            if name == "ye_dip_depth" and getattr(b, name) == 0.0:
                assert value == 0.0
                continue
            pair = np.array([value, getattr(b, name)])
            unit = (
                np.log(pair / lo) / np.log(hi / lo) if scale == "log" else (pair - lo) / (hi - lo)
            )
            shifts.append(unit[0] - unit[1])
    if step < 0.05:  # reflection at the range ends leaves small steps intact in most draws
        assert np.sqrt(np.mean(np.square(shifts))) == pytest.approx(step, rel=0.5, abs=1e-12)
    with pytest.raises(ValueError, match="step"):
        perturb_background_params(base, -0.1)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_params_yaml_roundtrip(seed: int) -> None:
    p = sample_background_params(1, seed=seed)[0]
    assert BackgroundParams.from_yaml(p.to_yaml()) == p


def test_params_validation_names_quantity() -> None:
    with pytest.raises(ValueError, match="scale_height_km"):
        BackgroundParams(scale_height_km=-1.0)
    with pytest.raises(ValueError, match="unknown"):
        BackgroundParams.from_dict({"pns_mass": 1.4})
    with pytest.raises(ValueError, match="method"):
        SolverConfig(method="newton")
    assert SolverConfig.from_yaml(SolverConfig(n_radii=64).to_yaml()) == SolverConfig(n_radii=64)


def test_background_is_physical() -> None:
    bg = build_background(BackgroundParams(), 96)
    assert np.all(np.diff(bg.radius) > 0)
    assert np.all(np.diff(bg.density) < 0) and np.all(np.diff(bg.temperature) < 0)
    assert np.all((bg.electron_fraction > 0) & (bg.electron_fraction < 0.6))
    # deleptonized PNS: Ye rises from the inner boundary outwards
    assert bg.electron_fraction[0] < bg.electron_fraction[40]


@pytest.fixture(scope="module")
def default_profile():  # type: ignore[no-untyped-def]
    return solve_profile(BackgroundParams(), SolverConfig(n_radii=96, n_core=16))


def test_species_decouple_in_hierarchy(default_profile) -> None:  # type: ignore[no-untyped-def]
    sol = default_profile
    chi = sol.opacities.absorption + sol.opacities.scattering
    tau = radial_optical_depth(sol.background.radius, chi)
    sphere = [np.interp(2 / 3, t[::-1], sol.background.radius[::-1]) for t in tau]
    # nu_e most opaque -> largest neutrinosphere; heavy leptons smallest
    assert sphere[0] > sphere[1] > sphere[2]
    assert sphere[1] > sphere[3]
    moments = sol.transport.moments()
    flux = moments[:, :, 1] / moments[:, :, 0]
    outside = sol.background.radius > 40.0
    # opacity hierarchy at every node, and heavy leptons the most forward peaked beyond decoupling
    behind = sol.background.radius < 0.8 * BackgroundParams().shock_radius_km  # dissociated matter
    assert np.all(chi[0, behind] > chi[2, behind]) and np.all(chi[1, behind] > chi[2, behind])
    assert np.all(flux[2, outside] > np.maximum(flux[0, outside], flux[1, outside]))
    deep = sol.background.radius < sol.background.radius[0] + 2.0
    assert np.all(np.abs(flux[:, deep]) < 0.02)
    assert np.all(flux[:, -2] > 0.99)


def test_realistic_profile_converges_with_resolution(default_profile) -> None:  # type: ignore[no-untyped-def]
    fine = solve_profile(BackgroundParams(), SolverConfig(n_radii=192, n_core=32))
    coarse = default_profile
    radii = np.array([30.0, 40.0, 60.0, 100.0, 300.0])

    def flux_at(sol) -> np.ndarray:  # type: ignore[no-untyped-def]
        m = sol.transport.moments()
        f = m[:, :, 1] / m[:, :, 0]
        return np.array([np.interp(radii, sol.background.radius, row) for row in f])

    assert np.max(np.abs(flux_at(coarse) - flux_at(fine))) < 0.03
    lum = [p.background.radius[-1] ** 2 * p.transport.moments()[:, -1, 1] for p in (coarse, fine)]
    np.testing.assert_allclose(lum[0], lum[1], rtol=0.08)
