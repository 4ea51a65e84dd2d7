"""Fast-flavor solver: linear growth against the dispersion relation, conservation, stability without
a crossing, the published asymptotic behaviour, resolution convergence and symmetries."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nulearn.flavor.physics.asymptotic import survival_probability
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.fast_flavor import (
    EvolveConfig,
    EvolveResult,
    box_growth_rates,
    evolve,
)
from nulearn.flavor.physics.fast_flavor_beams import (
    SpeciesBeams,
    beams_from_eln,
    beams_from_moments,
    beams_from_tabulated,
)
from nulearn.flavor.physics.stability import StabilityConfig, growth_rate_beams, linearized_matrix

#: One ELN crossing: nu_e dominate backwards, anti-nu_e forwards; I_< / I_> = 0.63.
CROSSING = pd.DataFrame({"alpha": [0.9], "F_nue": [0.1], "F_nuebar": [0.4]})
#: Same shape for both species and alpha < 1: G > 0 everywhere.
NO_CROSSING = pd.DataFrame({"alpha": [0.5], "F_nue": [0.2], "F_nuebar": [0.3]})
#: Nonlinear runs: 24 beams, 128 points, box of 100 / (mu0 S), relaxation >= 250 after the linear phase.
NONLINEAR = EvolveConfig(n_mu=24, n_z=128, box_length=100.0, t_relax=250.0)


def _side_survival(result: EvolveResult) -> tuple[float, float, float]:
    """|G|-weighted mean survival on the minority and majority sides, and the box prediction there."""
    g = result.eln
    pos, neg = np.clip(g, 0, None).sum(), np.clip(-g, 0, None).sum()
    minority = g < 0 if neg <= pos else g > 0
    weight = np.abs(g)
    p = result.survival
    box = 1.0 - min(pos, neg) / (2.0 * max(pos, neg))
    return (
        float(weight[minority] @ p[minority] / weight[minority].sum()),
        float(weight[~minority] @ p[~minority] / weight[~minority].sum()),
        box,
    )


@pytest.fixture(scope="module")
def nonlinear() -> EvolveResult:
    return evolve(beams_from_moments(CROSSING, "maxent", NONLINEAR.n_mu), NONLINEAR)


# -- (i) linear phase against the dispersion relation -------------------------------------------
def test_two_beam_growth_matches_closed_form() -> None:
    # beams at mu = -+0.5 with g = (0.4, -0.1): Im omega = (1 - mu1 mu2) sqrt(-g1 g2) = 0.25 at
    # |K| = 0.625 (stability's closed form); a box of 2 pi / 0.625 holds that mode (n = 1).
    mu = np.array([-0.5, 0.5])
    beams = SpeciesBeams(mu, np.ones(2), np.array([[0.4, -0.1]]), {}, {})
    scale = 0.5  # sum |g|: the config is in units of 1 / (mu0 S)
    cfg = EvolveConfig(n_mu=2, n_z=16, box_length=2 * math.pi / 0.625 * scale, t_end=40.0, dt=0.05)
    res = evolve(beams, cfg)
    assert res.growth_rate == pytest.approx(0.25, rel=0.01)
    assert abs(res.dominant_wavenumber) == pytest.approx(0.625, rel=1e-9)
    assert res.growth_rate_predicted == pytest.approx(0.25, rel=1e-9)


def test_growth_rate_matches_dispersion_relation_for_box_modes() -> None:
    cfg = EvolveConfig(n_mu=16, n_z=64, box_length=60.0, t_end=60.0, dt=0.1)
    beams = beams_from_moments(CROSSING, "maxent", cfg.n_mu)
    res = evolve(beams, cfg)
    g, mu = beams.eln[0], beams.mu
    # Independent evaluation: the solver's mode at K is the dispersion relation's mode at -K.
    k = res.dominant_wavenumber
    a = linearized_matrix(mu, g[None, :], np.array([[-k - g @ mu]]), m=0)[0, 0]
    expected = float(np.linalg.eigvals(a).imag.max())
    assert res.growth_rate == pytest.approx(expected, rel=0.05)
    # k is one of the box's wavenumbers 2 pi n / L (L in 1/mu0)
    length = cfg.box_length / np.abs(g).sum()
    n = k * length / (2 * math.pi)
    assert n == pytest.approx(round(n), abs=1e-9)
    # the fastest box mode cannot beat the continuum maximum and nearly reaches it in this box
    continuum = growth_rate_beams(mu, g[None, :], StabilityConfig(n_k=256, n_refine=4))
    assert res.growth_rate_box_max <= continuum.growth_rate_m0[0] * (1 + 1e-9)
    assert res.growth_rate_box_max > 0.97 * continuum.growth_rate_m0[0]
    assert res.growth_rate == pytest.approx(res.growth_rate_box_max, rel=0.05)


def test_box_growth_rates_are_symmetric_in_the_two_signs_only_by_physics() -> None:
    # the box modes +K and -K grow differently for an asymmetric G; the fastest of each sign exists
    mu, w = np.polynomial.legendre.leggauss(16)
    g = w * (np.exp(2 * mu) - 2.5)
    k, rate = box_growth_rates(mu, g, 80.0, 64)
    assert rate.shape == k.shape == (64,)
    assert rate[k > 0].max() > 0 and rate[k < 0].max() > 0
    assert rate[0] >= 0


# -- (ii) conservation --------------------------------------------------------------------------
def test_lepton_number_conserved(nonlinear: EvolveResult) -> None:
    assert nonlinear.saturated
    assert nonlinear.conservation_error < 1e-8
    hist = nonlinear.history["lepton_number_error"].to_numpy()
    assert np.all(hist < 1e-8)
    before, after = nonlinear.moments_before, nonlinear.moments_after
    assert after["eln_xln_number"] == pytest.approx(before["eln_xln_number"], rel=1e-8)
    # mixing moves particles between flavors only
    assert after["n_nue"] + after["n_nux"] == pytest.approx(before["n_nue"], rel=1e-12)
    assert after["n_nuebar"] + after["n_nuxbar"] == pytest.approx(before["n_nuebar"], rel=1e-12)


# -- (iii) no crossing, no mixing ---------------------------------------------------------------
def test_no_crossing_stays_unmixed() -> None:
    cfg = EvolveConfig(n_mu=16, n_z=64, t_end=300.0, skip_single_signed=False)
    beams = beams_from_moments(NO_CROSSING, "maxent", cfg.n_mu)
    assert (beams.eln > 0).all()
    res = evolve(beams, cfg)
    assert res.evolved and res.growth_rate_box_max == 0.0
    assert np.all(res.survival >= 1.0 - 1e-6)
    assert res.history["transverse_rms"].max() < 1e-4
    skipped = evolve(beams, replace(cfg, skip_single_signed=True))
    assert not skipped.evolved and np.all(skipped.survival == 1.0)


# -- (iv) the published asymptotic behaviour ----------------------------------------------------
def test_minority_side_equilibrates_and_majority_keeps_the_balance(nonlinear: EvolveResult) -> None:
    # Zaizen & Nagakura 2023; Wu et al. 2021: flavor equipartition on the side of the crossing with
    # the smaller |int G|, the other side fixed by lepton-number conservation (box prescription).
    # Tolerances: 0.1 and 0.06, about three times the seed-to-seed scatter of this box (~0.02).
    minority, majority, box = _side_survival(nonlinear)
    assert minority == pytest.approx(0.5, abs=0.1)
    assert majority == pytest.approx(box, abs=0.06)
    assert nonlinear.drift < 0.05
    # the box-averaged G after conversion has (almost) no crossing left
    after = (2 * nonlinear.survival - 1) * nonlinear.eln
    minority_part = min(np.clip(after, 0, None).sum(), np.clip(-after, 0, None).sum())
    assert minority_part < 0.1 * np.abs(after).sum()


def test_moments_follow_the_box_prescription(nonlinear: EvolveResult) -> None:
    # number densities within 0.1 n_nue of the box prescription (Xiong et al. 2023 report box
    # errors of this size); far from no mixing (n_nue = 1)
    beams = beams_from_moments(CROSSING, "maxent", NONLINEAR.n_mu)
    box = survival_probability(beams.eln, beams.mu, beams.weights, "box")[0]
    box_nue = float(box @ beams.number["nue"][0])  # no heavy leptons in an ELN cell
    assert nonlinear.moments_after["n_nue"] == pytest.approx(box_nue, abs=0.1)
    assert nonlinear.moments_after["n_nue"] < 0.7


# -- (v) resolution convergence (the heavier study is in benchmarks/bench_fast_flavor.py) --------
def test_asymptotic_state_converges_in_angle_and_space(nonlinear: EvolveResult) -> None:
    coarse_cfg = replace(NONLINEAR, n_mu=NONLINEAR.n_mu // 2, n_z=NONLINEAR.n_z // 2)
    coarse = evolve(beams_from_moments(CROSSING, "maxent", coarse_cfg.n_mu), coarse_cfg)
    for a, b in zip(_side_survival(coarse)[:2], _side_survival(nonlinear)[:2], strict=True):
        assert a == pytest.approx(b, abs=0.03)
    for q in ("n_nue", "F_nue", "n_nuebar", "F_nuebar"):
        assert coarse.moments_after[q] == pytest.approx(nonlinear.moments_after[q], abs=0.03)


# -- symmetry: seed, mirror mu -> -mu and G -> -G change nothing beyond the box's noise ---------
SMALL = EvolveConfig(n_mu=16, n_z=64, box_length=60.0, t_relax=200.0)


@pytest.fixture(scope="module")
def small_reference() -> tuple[float, float]:
    res = evolve(beams_from_moments(CROSSING, "maxent", SMALL.n_mu), SMALL)
    minority, majority, _ = _side_survival(res)
    return minority, majority


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(1, 10_000), mirror=st.booleans(), flip=st.booleans())
def test_asymptotic_state_invariant_under_seed_mirror_and_sign(
    small_reference: tuple[float, float], seed: int, mirror: bool, flip: bool
) -> None:
    beams = beams_from_moments(CROSSING, "maxent", SMALL.n_mu)
    g = beams.eln[0][::-1] if mirror else beams.eln[0]
    g = -g if flip else g
    res = evolve(
        SpeciesBeams(beams.mu, beams.weights, g[None, :], {}, {}), replace(SMALL, seed=seed)
    )
    minority, majority, _ = _side_survival(res)
    assert minority == pytest.approx(small_reference[0], abs=0.05)
    assert majority == pytest.approx(small_reference[1], abs=0.05)


# -- inputs -------------------------------------------------------------------------------------
def test_tabulated_input_matches_moments_input() -> None:
    grid = np.linspace(-1, 1, 2001)
    fam = get_family("maxent")
    dist = {
        "nue": fam.distribution([1.0], [0.1], grid)[0],
        "nuebar": fam.distribution([0.9], [0.4], grid)[0],
    }
    tab = beams_from_tabulated(grid, dist, 16)
    # cell integrals keep every species' number and flux; they differ from the point values of
    # the moments input at second order in the beam spacing
    for s, (n, f) in {"nue": (1.0, 0.1), "nuebar": (0.9, 0.4)}.items():
        assert tab.number[s].sum() == pytest.approx(n, rel=1e-6)
        assert tab.flux[s].sum() == pytest.approx(n * f, rel=1e-5)
    mom = beams_from_moments(CROSSING, "maxent", 16)
    np.testing.assert_allclose(tab.eln, mom.eln, atol=5e-4)
    eln_only = beams_from_eln(grid, dist["nue"] - dist["nuebar"], 16)
    np.testing.assert_allclose(eln_only.eln, tab.eln, atol=1e-12)
    cfg = EvolveConfig(n_mu=16, n_z=32, t_end=30.0)
    assert set(evolve(eln_only, cfg).moments_after) == {"eln_xln_number", "eln_xln_flux"}


def test_invalid_inputs_fail_with_a_clear_message() -> None:
    bad = pd.DataFrame({"alpha": [0.9, 0.9], "F_nue": [0.1, 1.0], "F_nuebar": [0.4, 0.4]})
    with pytest.raises(ValueError, match=r"F_nue.*row 1"):
        beams_from_moments(bad, "maxent", 8)
    with pytest.raises(ValueError, match="negative value in row 0"):
        beams_from_tabulated([-1, 1], {"nue": [1.0, -1.0], "nuebar": [1.0, 1.0]}, 8)
    with pytest.raises(ValueError, match="nuebar: number density must be finite and > 0; row 1"):
        beams_from_tabulated([-1, 1], {"nue": [[1.0, 1.0]] * 2, "nuebar": [[1.0, 1.0], [0, 0]]}, 8)
    with pytest.raises(ValueError, match="n_mu"):
        evolve(beams_from_moments(CROSSING, "maxent", 8), EvolveConfig(n_mu=16))
    with pytest.raises(ValueError, match="n_z"):
        EvolveConfig(n_z=63)
    assert EvolveConfig.from_yaml(NONLINEAR.to_yaml()) == NONLINEAR
