"""Linear stability: dispersion-relation growth rates against closed forms, theorems and limits."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.data.labelling import crossings_for_family, label_moments
from nulearn.flavor.data.tables import read_dataset, write_dataset
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.lobes import (
    ExactCrossings,
    adaptive_beams,
    exact_crossings,
    moment_arrays,
)
from nulearn.flavor.physics.species import ELN_SPECIES, SPECIES, species_signs
from nulearn.flavor.physics.stability import (
    SQRT2_GF_CM3_PER_S,
    StabilityConfig,
    beam_eln,
    beams,
    growth_rate,
    growth_rate_beams,
    growth_rate_from_moments,
    growth_rate_per_second,
    growth_table,
    linearized_matrix,
)

from .stress_cells import near_beam_features, random_features, shallow_features

FAST = StabilityConfig(n_beams=16, n_k=48, n_refine=3)


def _random_eln_cells(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "alpha": rng.uniform(0.3, 2.0, n),
            "F_nue": rng.uniform(0.0, 0.8, n),
            "F_nuebar": rng.uniform(0.0, 0.9, n),
        }
    )


@pytest.mark.parametrize(
    ("mu1", "mu2", "g1", "g2"),
    [(-0.5, 0.5, 0.4, -0.1), (0.9, -0.3, -0.25, 0.7), (0.2, 0.8, 1.0, -1.0)],
)
def test_two_beams_match_closed_form(mu1: float, mu2: float, g1: float, g2: float) -> None:
    # 2x2 problem: Im omega_max = (1 - mu1 mu2) sqrt(-g1 g2) at K = (g1 - g2)(1 - mu1 mu2)/(mu1 - mu2) for m = 0,
    # and (1/2) s1 s2 sqrt(-g1 g2) for m = 1 (s = sqrt(1 - mu^2)).
    cfg = StabilityConfig(n_k=201, n_refine=6, k_span=8.0)
    res = growth_rate_beams([mu1, mu2], [[g1, g2]], cfg)
    c = 1.0 - mu1 * mu2
    assert res.growth_rate_m0[0] == pytest.approx(c * math.sqrt(-g1 * g2), rel=1e-9)
    assert res.k_m0[0] == pytest.approx((g1 - g2) * c / (mu1 - mu2), abs=1e-3)
    s1, s2 = math.sqrt(1 - mu1**2), math.sqrt(1 - mu2**2)
    assert res.growth_rate_m1[0] == pytest.approx(0.5 * s1 * s2 * math.sqrt(-g1 * g2), rel=1e-9)
    assert res.growth_rate[0] == max(res.growth_rate_m0[0], res.growth_rate_m1[0])


def test_two_beams_of_one_sign_are_stable() -> None:
    res = growth_rate_beams(
        [-0.5, 0.5], [[0.4, 0.1], [-0.3, -0.2]], StabilityConfig(skip_single_signed=False)
    )
    assert np.all(res.growth_rate < 1e-12)
    assert np.isnan(res.k_m0).all()


def test_flavor_rotation_is_a_zero_mode() -> None:
    # At K = 0 a uniform rotation of all beams (Q_i = const) costs nothing: Omega = 0, i.e.
    # omega = Omega - Lambda_0 = -Lambda_0 at k = K - Lambda_1 = -Lambda_1. This fixes the relative
    # sign of the diagonal and the collective term of the m = 0 matrix.
    mu, _ = beams(12)
    g = beam_eln(_random_eln_cells(3, 1), n_beams=12)
    lam0, lam1 = g.sum(axis=1), g @ mu
    a = linearized_matrix(mu, g, -lam1[:, None], m=0)[:, 0]
    np.testing.assert_allclose(a @ np.ones(12), -lam0[:, None] * np.ones(12), atol=1e-13)


def test_no_crossing_is_exactly_stable_even_without_the_shortcut() -> None:
    # One-signed G: the matrix is similar to a symmetric one, so every omega is real.
    cells = pd.DataFrame(
        {
            "alpha": [0.3, 0.5, 0.8, 0.2],
            "F_nue": [0.3, 0.1, 0.5, 0.6],
            "F_nuebar": [0.35, 0.2, 0.55, 0.9],
        }
    )
    mu, _ = beams(16)
    g = beam_eln(cells, n_beams=16)
    assert (g > 0).all()
    res = growth_rate_beams(mu, g, StabilityConfig(n_k=24, skip_single_signed=False))
    scale = np.abs(g).max(axis=1)
    assert np.all(res.growth_rate < 1e-9 * scale)


def test_growth_iff_crossing_away_from_marginal_cases() -> None:
    # Morinaga 2022: an ELN crossing is necessary and sufficient for a fast instability.
    cells = _random_eln_cells(60, seed=7)
    labels = label_moments(cells, "maxent", n_mu=801)
    mu = np.linspace(-1, 1, 801)
    fam = get_family("maxent")
    g = fam.distribution(np.ones(len(cells)), cells["F_nue"], mu) - fam.distribution(
        cells["alpha"], cells["F_nuebar"], mu
    )
    margin = np.abs(g).min(axis=1) / np.abs(g).max(axis=1)
    clear = ((labels["crossing"] == 1) & (labels["depth"] > 0.02)) | (
        (labels["crossing"] == 0) & (margin > 0.01)
    )
    assert clear.sum() >= 40 and 0 < labels.loc[clear, "crossing"].mean() < 1
    res = growth_rate_from_moments(cells[clear], "maxent", FAST)
    unstable = (res["growth_rate"] > 1e-8).to_numpy()
    np.testing.assert_array_equal(unstable, labels.loc[clear, "crossing"].to_numpy() == 1)


def test_converges_in_beams_and_wavenumber_grid() -> None:
    cells = pd.DataFrame(
        {"alpha": [0.9, 1.2, 1.05], "F_nue": [0.2, 0.1, 0.3], "F_nuebar": [0.3, 0.35, 0.33]}
    )
    coarse = growth_rate_from_moments(cells, config=StabilityConfig(n_beams=16, n_k=64))
    fine = growth_rate_from_moments(cells, config=StabilityConfig(n_beams=32, n_k=32))
    dense_k = growth_rate_from_moments(
        cells, config=StabilityConfig(n_beams=16, n_k=301, n_refine=4)
    )
    assert (fine["growth_rate"] > 0).all()
    np.testing.assert_allclose(coarse["growth_rate_m0"], fine["growth_rate_m0"], rtol=1e-4)
    # The symmetry-breaking branch converges more slowly in N (its coupling s_i s_j weighs mu ~ 0).
    np.testing.assert_allclose(coarse["growth_rate_m1"], fine["growth_rate_m1"], rtol=3e-3)
    np.testing.assert_allclose(coarse["growth_rate"], dense_k["growth_rate"], rtol=1e-5)


def test_scale_and_sign_symmetry_and_batching() -> None:
    # G -> c G scales every omega by c (k by c); the real matrix has conjugate pairs, so -G is as unstable.
    mu, _ = beams(16)
    g = beam_eln(_random_eln_cells(4, 3), n_beams=16)
    base = growth_rate_beams(mu, g, FAST).growth_rate
    np.testing.assert_allclose(
        growth_rate_beams(mu, 2.5 * g, FAST).growth_rate, 2.5 * base, rtol=1e-6
    )
    np.testing.assert_allclose(growth_rate_beams(mu, -g, FAST).growth_rate, base, rtol=1e-6)
    one_by_one = np.array(
        [growth_rate_beams(mu, g[i : i + 1], FAST).growth_rate[0] for i in range(4)]
    )
    np.testing.assert_allclose(base, one_by_one, rtol=1e-12)


def test_tabulated_distributions_are_integrated_over_beam_cells() -> None:
    cells = pd.DataFrame({"alpha": [1.2], "F_nue": [0.1], "F_nuebar": [0.35]})
    fam = get_family("maxent")
    mu = np.linspace(-1, 1, 2001)
    g = fam.distribution([1.0], [0.1], mu) - fam.distribution([1.2], [0.35], mu)
    cfg = StabilityConfig(n_beams=32, n_k=48, n_refine=3)
    from_grid = growth_rate(g, mu, cfg).growth_rate
    from_moments = growth_rate_from_moments(cells, config=cfg)["growth_rate"].to_numpy()
    # Cell integrals are second order in the beam spacing, point values spectral.
    np.testing.assert_allclose(from_grid, from_moments, rtol=3e-3)


def test_forward_peaked_species_keeps_its_weight() -> None:
    # F_nuebar = 0.999 (a ~ 1000) peaks within 1e-3 of mu = 1, between the last node and mu = 1:
    # point values would lose the nuebar and call a deep crossing stable.
    cells = pd.DataFrame({"alpha": [1.023149], "F_nue": [0.169073], "F_nuebar": [0.999]})
    g = beam_eln(cells, n_beams=16)
    assert g.sum() == pytest.approx(1.0 - 1.023149, rel=1e-9)
    coarse = growth_rate_from_moments(cells, config=FAST)["growth_rate"][0]
    fine = growth_rate_from_moments(cells, config=StabilityConfig(n_beams=64, n_k=48, n_refine=3))[
        "growth_rate"
    ][0]
    assert coarse > 0.5 and coarse == pytest.approx(fine, rel=2e-2)


def test_xln_distribution_includes_heavy_leptons() -> None:
    cells = pd.DataFrame(
        {
            "alpha": [1.1],
            "alpha_x": [0.7],
            "alpha_xbar": [0.6],
            "F_nue": [0.2],
            "F_nuebar": [0.3],
            "F_nux": [0.5],
            "F_nuxbar": [0.55],
        }
    )
    mu, w = beams(8)
    fam = get_family("maxent")
    f = {
        s: fam.distribution([n], [cells[f"F_{s}"][0]], mu)
        for s, n in (("nue", 1.0), ("nuebar", 1.1), ("nux", 0.7), ("nuxbar", 0.6))
    }
    expected = (f["nue"] - f["nux"]) - (f["nuebar"] - f["nuxbar"])
    np.testing.assert_allclose(beam_eln(cells, n_beams=8), expected * w, rtol=1e-12)


def test_units_per_second_and_validation() -> None:
    # sqrt(2) G_F N_A = 7.63e-14 eV cm^3 (standard matter-potential value) divided by hbar.
    assert SQRT2_GF_CM3_PER_S == pytest.approx(7.63e-14 / 6.0221e23 / 6.5821e-16, rel=2e-3)
    np.testing.assert_allclose(
        growth_rate_per_second([0.1], 1e32), [0.1 * SQRT2_GF_CM3_PER_S * 1e32]
    )
    with pytest.raises(ValueError, match=r"n_nue_cm3.*index 1"):
        growth_rate_per_second([0.1, 0.2], [1e30, -1.0])
    with pytest.raises(ValueError, match="weighted_eln"):
        growth_rate_beams([0.0, 0.5], [[np.nan, 1.0]])
    with pytest.raises(ValueError, match=r"nuebar: flux factor"):
        growth_rate_from_moments(pd.DataFrame({"alpha": [1.0], "F_nue": [0.2], "F_nuebar": [1.0]}))
    with pytest.raises(ValueError, match="branches"):
        StabilityConfig(branches=(2,))
    cfg = StabilityConfig(n_beams=20, branches=(0,))
    assert StabilityConfig.from_yaml(cfg.to_yaml()) == cfg
    only_m0 = growth_rate_from_moments(
        pd.DataFrame({"alpha": [1.2], "F_nue": [0.1], "F_nuebar": [0.35]}), config=cfg
    )
    assert np.isnan(only_m0["growth_rate_m1"]).all() and (only_m0["growth_rate"] > 0).all()


def test_growth_table_from_raw_moments_with_density() -> None:
    raw = pd.DataFrame(
        {
            "n_nue": [2.0, 2.0],
            "n_nuebar": [2.4, 1.0],
            "F_nue": [0.1, 0.3],
            "F_nuebar": [0.35, 0.4],
            "n_nue_cm3": [1e32, 1e33],
        }
    )
    out = growth_table(raw, config=FAST)
    assert {"growth_rate", "growth_rate_per_s", "k_m0"} <= set(out.columns)
    np.testing.assert_allclose(
        out["growth_rate_per_s"], out["growth_rate"] * SQRT2_GF_CM3_PER_S * raw["n_nue_cm3"]
    )
    assert out["growth_rate"][0] > 0 and out["growth_rate"][1] == 0.0


def test_cli_growth_from_moments_and_distributions(tmp_path) -> None:
    runner = CliRunner()
    cells = _random_eln_cells(5, 11)
    write_dataset(cells, tmp_path / "moments.parquet", {"scheme": "original"})
    res = runner.invoke(
        app,
        [
            "flavor",
            "growth",
            "--in",
            str(tmp_path / "moments.parquet"),
            "--out",
            str(tmp_path / "g.parquet"),
            "--n-beams",
            "12",
            "--n-k",
            "24",
            "--n-nue-cm3",
            "1e32",
        ],
    )
    assert res.exit_code == 0, res.output
    table = read_dataset(tmp_path / "g.parquet")
    assert len(table.frame) == 5 and (table.frame["growth_rate_per_s"] >= 0).all()
    assert table.metadata["growth"]["n_beams"] == 12 and "ms/cell" in res.output
    mu = np.linspace(-1, 1, 101)
    np.savez(tmp_path / "eln.npz", eln=np.outer([1.0, -1.0], np.tanh(4 * mu) + 0.3), mu=mu)
    res = runner.invoke(
        app,
        [
            "flavor",
            "growth",
            "--in",
            str(tmp_path / "eln.npz"),
            "--out",
            str(tmp_path / "d.h5"),
            "--n-beams",
            "12",
        ],
    )
    assert res.exit_code == 0, res.output
    rates = read_dataset(tmp_path / "d.h5").frame["growth_rate"].to_numpy()
    assert rates[0] > 0 and rates[0] == pytest.approx(rates[1], rel=1e-6)
    np.savez(tmp_path / "bad.npz", g=np.zeros(3))
    res = runner.invoke(
        app,
        [
            "flavor",
            "growth",
            "--in",
            str(tmp_path / "bad.npz"),
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert res.exit_code != 0 and "eln" in str(res.exception)


# -- exact sign structure and adaptive refinement of marginal cells --------------------------------
SIGNS = {"eln": species_signs(ELN_SPECIES), "xln": species_signs(SPECIES)}
_FAMILIES = st.sampled_from(["maxent", "gaussian"])
_SCHEMES = st.sampled_from(["eln", "xln"])


def _exact(features: pd.DataFrame, family: str) -> ExactCrossings:
    _, density, flux = moment_arrays(features)
    return exact_crossings(density, flux, SIGNS["xln" if density.shape[1] == 4 else "eln"], family)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(family=_FAMILIES, scheme=_SCHEMES, seed=st.integers(0, 2**16))
def test_exact_crossings_match_a_fine_grid_search(family, scheme, seed) -> None:
    cells = random_features(8, seed, scheme)
    exact = _exact(cells, family)
    grid = label_moments(cells, family, n_mu=20_001)
    np.testing.assert_array_equal(exact.has_crossing, grid["crossing"] == 1)
    np.testing.assert_array_equal(exact.n_crossings, grid["n_crossings"])
    ref = crossings_for_family(
        family,
        {
            s: d
            for s, d in zip(
                ("nue", "nuebar", "nux", "nuxbar"), moment_arrays(cells)[1].T, strict=False
            )
        },
        {
            s: f
            for s, f in zip(
                ("nue", "nuebar", "nux", "nuxbar"), moment_arrays(cells)[2].T, strict=False
            )
        },
        n_mu=20_001,
    )
    # Grid angles interpolate G linearly between points 1e-4 apart.
    np.testing.assert_allclose(exact.angles, ref.angles[:, :3], atol=1e-4)


def test_exact_crossings_place_a_1e9_wide_lobe_to_machine_precision() -> None:
    # ELN maxent: ln(f_nue / f_nuebar) = dl + (a_nue - a_nuebar)(mu - 1) is linear in mu; choosing
    # alpha so that it is +-1e-9 (a_nue - a_nuebar) at mu = 1 puts the zero at 1 -+ 1e-9.
    fam = get_family("maxent")
    (l_e, a_e, _), (l_b, a_b, _) = fam.log_quadratic([1.0, 1.0], [0.3, 0.1])
    alphas = [math.exp(l_e - l_b - sign * 1e-9 * (a_e - a_b)) for sign in (1.0, -1.0)]
    cells = pd.DataFrame({"alpha": alphas, "F_nue": [0.3, 0.3], "F_nuebar": [0.1, 0.1]})
    exact = _exact(cells, "maxent")
    assert exact.has_crossing.tolist() == [True, False]
    assert exact.angles[0, 0] == pytest.approx(1.0 - 1e-9, abs=1e-15)


@settings(max_examples=16, deadline=None, derandomize=True)
@given(family=_FAMILIES, scheme=_SCHEMES, seed=st.integers(0, 2**16))
def test_growth_is_positive_exactly_when_g_crosses(family, scheme, seed) -> None:
    cells = random_features(5, seed, scheme, max_flux=0.99)
    rates = growth_rate_from_moments(cells, family)
    crossing = _exact(cells, family).has_crossing
    depth = label_moments(cells, family, n_mu=4001)["depth"].to_numpy()
    growth = rates["growth_rate"].to_numpy()
    assert np.all(growth[~crossing] == 0.0)
    resolvable = crossing & (depth >= 1e-7)
    assert np.all(growth[resolvable] > 0)
    # A crossing left at zero growth is never reported as converged.
    assert not rates["growth_converged"][crossing & (growth == 0)].any()


def _exact_label(family: str):
    def label(features: pd.DataFrame) -> np.ndarray:
        return _exact(features, family).has_crossing.astype(np.int8)

    return label


@pytest.mark.parametrize("family", ["maxent", "gaussian"])
@pytest.mark.parametrize("scheme", ["eln", "xln"])
def test_shallow_crossings_grow_and_their_twins_do_not(family, scheme) -> None:
    # Pairs straddling the crossing boundary (bisection in alpha to a gap 1e-3..1e-6): the default
    # 24 beams call most of the crossing side stable.
    cells = shallow_features(3, 5, _exact_label(family), scheme, gaps=(3.0, 6.0))
    rates = growth_rate_from_moments(cells, family)
    growth = rates["growth_rate"].to_numpy()
    depth = label_moments(cells, family, n_mu=4001)["depth"].to_numpy()
    inside = np.arange(len(cells)) % 2 == 0
    assert np.all(growth[~inside] == 0.0)
    assert np.all(growth[inside & (depth >= 1e-7)] > 0)
    default = growth_rate_from_moments(cells, family, replace(StabilityConfig(), adaptive=False))
    assert {"growth_converged"} <= set(default.columns) and default["growth_converged"].all()


def _resolved_reference(cells: pd.DataFrame, family: str = "maxent") -> np.ndarray:
    """Many beams (16-node panels graded to 1e-6 at mu = 1, split at the crossings) and a fine k grid."""
    fam = get_family(family)
    _, density, flux = moment_arrays(cells)
    zeros = _exact(cells, family).zeros
    x, w = np.polynomial.legendre.leggauss(16)
    out = []
    for i in range(len(cells)):
        ends = sorted(
            {-1.0, 0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 1.0}
            | set(zeros[i][np.isfinite(zeros[i])])
        )
        lo, hi = np.array(ends[:-1])[:, None], np.array(ends[1:])[:, None]
        mu, wt = (0.5 * (hi - lo) * x + 0.5 * (hi + lo)).ravel(), (0.5 * (hi - lo) * w).ravel()
        g = wt * (SIGNS["eln"] @ fam.distribution(density[i], flux[i], mu))
        cfg = StabilityConfig(n_k=201, n_refine=6, adaptive=False)
        out.append(growth_rate_beams(mu, g[None, :], cfg).growth_rate[0])
    return np.array(out)


def test_near_beams_match_a_resolved_reference() -> None:
    # F = 0.9999 nuebar with alpha >= 100 (or nue with alpha <= 0.01): the default beams put the
    # beam in their last cell and are up to ~25% low.
    cells = near_beam_features(2, 8)
    rates = growth_rate_from_moments(cells)
    assert rates["growth_converged"].all()
    np.testing.assert_allclose(rates["growth_rate"], _resolved_reference(cells), rtol=2e-2)


@pytest.mark.slow
def test_near_beams_match_a_resolved_reference_many() -> None:
    cells = near_beam_features(10, 9)
    rates = growth_rate_from_moments(cells)
    np.testing.assert_allclose(rates["growth_rate"], _resolved_reference(cells), rtol=2e-2)


def test_adaptive_beams_end_panels_at_the_crossings() -> None:
    zeros = np.array([-0.3, 0.999, np.nan])
    mu, w = adaptive_beams(zeros, peak_width=1e-4, nodes_per_panel=6, resonances=[(0.2, 1e-3)])
    assert w.sum() == pytest.approx(2.0, rel=1e-14) and np.all(np.diff(mu) > 0)
    # Panels end at every anchor: |mu - z| is then piecewise linear and integrated exactly.
    for z in (-0.3, 0.999, 0.2):
        assert (w * np.abs(mu - z)).sum() == pytest.approx(
            ((1 + z) ** 2 + (1 - z) ** 2) / 2, rel=1e-13
        )
    assert np.min(np.abs(mu - 0.2)) < 1e-4  # graded towards the resonance (width 1e-3)
    assert 1.0 - mu.max() < 1e-5  # and towards mu = 1 (peak width 1e-4)
