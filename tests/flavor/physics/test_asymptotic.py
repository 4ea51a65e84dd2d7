"""Analytic asymptotic-state prescriptions: conservation, limits, symmetries and the Box3D form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.physics.asymptotic import (
    PRESCRIPTIONS,
    box3d_moments,
    prescribed_moments,
    survival_probability,
)
from nulearn.flavor.physics.fast_flavor_beams import beam_cells, beams_from_moments, mixed_moments
from nulearn.flavor.physics.moments3d import flux_vector_columns, random_rotations
from nulearn.flavor.physics.species import SPECIES, XLN_FEATURES

CONSERVING = ("no_mixing", "box", "box_power", "box_smooth")


def _xln_cells(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "alpha": rng.uniform(0.5, 1.5, n),
            "alpha_x": rng.uniform(0.2, 1.5, n),
            "alpha_xbar": rng.uniform(0.2, 1.5, n),
            "F_nue": rng.uniform(0.0, 0.5, n),
            "F_nuebar": rng.uniform(0.1, 0.7, n),
            "F_nux": rng.uniform(0.2, 0.8, n),
            "F_nuxbar": rng.uniform(0.2, 0.8, n),
        }
    )


def _sides(g: np.ndarray) -> tuple[float, float]:
    return float(np.clip(g, 0, None).sum()), float(np.clip(-g, 0, None).sum())


@pytest.mark.parametrize("prescription", CONSERVING)
def test_lepton_number_conserved(prescription: str) -> None:
    cells = _xln_cells(40, 1)
    before = prescribed_moments(cells, "maxent", "no_mixing")
    after = prescribed_moments(cells, "maxent", prescription)
    np.testing.assert_allclose(after["eln_xln_number"], before["eln_xln_number"], atol=1e-11)
    # neutrino and antineutrino numbers (nue + nux, nuebar + nuxbar) are conserved by mixing
    for a, b in (("n_nue", "n_nux"), ("n_nuebar", "n_nuxbar")):
        np.testing.assert_allclose(after[a] + after[b], before[a] + before[b], rtol=1e-12)


def test_box_matches_its_closed_form() -> None:
    mu, w, _ = beam_cells(24)
    g = w * np.sin(3.0 * mu + 0.4) * np.exp(mu)
    p = survival_probability(g[None, :], mu, w, "box")[0]
    pos, neg = _sides(g)
    small, large = min(pos, neg), max(pos, neg)
    minority = g < 0 if neg < pos else g > 0
    np.testing.assert_allclose(p[minority], 0.5)
    np.testing.assert_allclose(p[~minority], 1.0 - small / (2.0 * large))


@pytest.mark.parametrize("prescription", ("box", "box_power", "box_smooth"))
def test_no_crossing_after_conversion_and_none_without_one(prescription: str) -> None:
    mu, w, _ = beam_cells(32)
    g = w * (np.cos(2.5 * mu) + 0.3)  # two crossings
    p = survival_probability(g[None, :], mu, w, prescription)[0]
    after = (2.0 * p - 1.0) * g
    assert (after >= -1e-15).all() or (after <= 1e-15).all()
    assert ((p >= 0.5 - 1e-12) & (p <= 1.0 + 1e-12)).all()
    single = w * (np.cos(2.5 * mu) + 1.5)
    np.testing.assert_array_equal(survival_probability(single[None, :], mu, w, prescription), 1.0)


@pytest.mark.parametrize("prescription", ("box_power", "box_smooth"))
def test_smooth_variants_are_continuous_at_the_crossing(prescription: str) -> None:
    # the beam nearest the crossing approaches P = 1/2 as the beams get denser; the box jumps
    gaps = []
    for n_mu in (16, 64, 256):
        mu, w, _ = beam_cells(n_mu)
        g = w * (np.exp(3.0 * mu) - 2.0)  # one crossing at ln(2) / 3, I_< / I_> = 0.4
        p = survival_probability(g[None, :], mu, w, prescription)[0]
        nearest = np.argsort(np.abs(mu - np.log(2.0) / 3.0))[:2]
        gaps.append(np.abs(p[nearest] - 0.5).max())
    assert gaps[2] < gaps[0] and gaps[2] < 0.05
    box = survival_probability(g[None, :], mu, w, "box")[0]
    assert np.abs(box[nearest] - 0.5).max() > 0.2


def test_box_power_leaves_the_farthest_direction_unmixed() -> None:
    mu, w, _ = beam_cells(48)
    g = w * (np.exp(2.0 * mu) - 2.2)
    p = survival_probability(g[None, :], mu, w, "box_power")[0]
    assert p[0] == pytest.approx(1.0, abs=1e-9)


def test_box_smooth_narrow_ramp_tends_to_box() -> None:
    cells = _xln_cells(20, 2)
    beams = beams_from_moments(cells, "maxent", 128)
    box = mixed_moments(beams, survival_probability(beams.eln, beams.mu, beams.weights, "box"))
    narrow = mixed_moments(
        beams,
        survival_probability(
            beams.eln, beams.mu, beams.weights, "box_smooth", transition_width=1e-3
        ),
    )
    np.testing.assert_allclose(narrow["n_nue"], box["n_nue"], atol=5e-3)


def test_equipartition_and_no_mixing_limits() -> None:
    cells = _xln_cells(10, 3)
    eq = prescribed_moments(cells, "maxent", "equipartition")
    none = prescribed_moments(cells, "maxent", "no_mixing")
    np.testing.assert_allclose(eq["n_nue"], 0.5 * (1.0 + cells["alpha_x"]), rtol=1e-10)
    np.testing.assert_allclose(none["F_nuebar"], cells["F_nuebar"], rtol=1e-9)
    np.testing.assert_allclose(none["n_nuxbar"], cells["alpha_xbar"], rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    coeffs=st.lists(st.floats(-2.0, 2.0), min_size=5, max_size=5),
    n_mu=st.sampled_from([8, 24, 64]),
)
def test_every_conserving_prescription_conserves_for_any_distribution(
    coeffs: list[float], n_mu: int
) -> None:
    # includes nearly balanced crossings (I_< ~ I_>) and a direction carrying most of |G|
    mu, w, _ = beam_cells(n_mu)
    g = w * np.polynomial.legendre.legval(mu, coeffs)
    g[-1] *= 20.0
    for prescription in CONSERVING:
        p = survival_probability(g[None, :], mu, w, prescription)[0]
        assert ((2 * p - 1) * g).sum() == pytest.approx(g.sum(), abs=1e-10 * np.abs(g).sum())


@settings(max_examples=30, deadline=None)
@given(
    coeffs=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4),
    scale=st.floats(0.01, 100.0),
    prescription=st.sampled_from(PRESCRIPTIONS),
)
def test_mirror_scale_and_sign_symmetries(
    coeffs: list[float], scale: float, prescription: str
) -> None:
    # P(mu) depends on G only through its shape: mirror mu -> -mu, G -> c G and G -> -G commute
    mu, w, _ = beam_cells(24)
    g = w * np.polynomial.legendre.legval(mu, [0.1, *coeffs])
    p = survival_probability(g[None, :], mu, w, prescription)[0]
    mirrored = survival_probability(g[::-1][None, :], mu, w, prescription)[0][::-1]
    scaled = survival_probability(-scale * g[None, :], mu, w, prescription)[0]
    np.testing.assert_allclose(mirrored, p, atol=1e-9)
    np.testing.assert_allclose(scaled, p, atol=1e-9)


def test_invalid_inputs_are_named() -> None:
    mu, w, _ = beam_cells(8)
    with pytest.raises(ValueError, match="unknown prescription"):
        survival_probability(np.ones((1, 8)), mu, w, "boxy")
    with pytest.raises(ValueError, match="row 1"):
        survival_probability(np.array([np.ones(8), np.full(8, np.nan)]), mu, w, "box")
    bad = _xln_cells(3, 0)
    bad.loc[2, "F_nux"] = 1.2
    with pytest.raises(ValueError, match=r"F_nux.*row 2"):
        prescribed_moments(bad, "maxent", "box")


# ---------------------------------------------------------------------------------------------
# Box3D
# ---------------------------------------------------------------------------------------------
def _moments3d(cells: pd.DataFrame, directions: np.ndarray) -> pd.DataFrame:
    """3D moments with every species' flux along its own given direction, shape (n, 4, 3)."""
    frame = pd.DataFrame(index=cells.index)
    density = {
        "nue": 1.0,
        "nuebar": cells["alpha"],
        "nux": cells["alpha_x"],
        "nuxbar": cells["alpha_xbar"],
    }
    for k, s in enumerate(SPECIES):
        n = np.broadcast_to(np.asarray(density[s], dtype=float), (len(cells),))
        frame[f"n_{s}"] = n
        vec = n[:, None] * cells[f"F_{s}"].to_numpy()[:, None] * directions[:, k]
        for axis, col in enumerate(flux_vector_columns(s)):
            frame[col] = vec[:, axis]
    return frame


def _random_directions(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 4, 3))
    return v / np.linalg.norm(v, axis=2, keepdims=True)


def test_box3d_conserves_lepton_and_particle_numbers() -> None:
    cells = _xln_cells(30, 4)
    frame = _moments3d(cells, _random_directions(30, 5))
    after = box3d_moments(frame, n_directions=1000)
    eln = frame["n_nue"] - frame["n_nuebar"] - frame["n_nux"] + frame["n_nuxbar"]
    np.testing.assert_allclose(after["eln_xln_number"], eln, atol=1e-12)
    # three flavors with nu_mu = nu_tau = nu_x: nue + 2 nux per helicity is conserved
    for e, x in (("nue", "nux"), ("nuebar", "nuxbar")):
        np.testing.assert_allclose(
            after[f"n_{e}"] + 2 * after[f"n_{x}"], frame[f"n_{e}"] + 2 * frame[f"n_{x}"], rtol=1e-12
        )
    assert (after["n_nue"] != frame["n_nue"]).any()


def test_box3d_without_crossing_is_identity() -> None:
    cells = pd.DataFrame(
        {
            "alpha": [0.3],
            "alpha_x": [0.1],
            "alpha_xbar": [0.1],
            "F_nue": [0.2],
            "F_nuebar": [0.2],
            "F_nux": [0.2],
            "F_nuxbar": [0.2],
        }
    )
    frame = _moments3d(cells, np.tile(np.array([0.0, 0.0, 1.0]), (1, 4, 1)))
    pd.testing.assert_frame_equal(box3d_moments(frame)[frame.columns], frame)


def test_box3d_balanced_crossing_gives_three_flavor_equipartition() -> None:
    # nue and nuebar alike but streaming in opposite directions: I+ = I-, so P = 1/3 everywhere
    cells = pd.DataFrame(
        {
            "alpha": [1.0],
            "alpha_x": [0.6],
            "alpha_xbar": [0.6],
            "F_nue": [0.4],
            "F_nuebar": [0.4],
            "F_nux": [0.0],
            "F_nuxbar": [0.0],
        }
    )
    dirs = np.array([[[0, 0, 1.0], [0, 0, -1.0], [0, 0, 1.0], [0, 0, 1.0]]])
    after = box3d_moments(_moments3d(cells, dirs), n_directions=4000)
    assert after["n_nue"].iloc[0] == pytest.approx((1.0 + 2 * 0.6) / 3.0, rel=2e-3)
    assert after["n_nux"].iloc[0] == pytest.approx((1.0 + 2 * 0.6) / 3.0, rel=2e-3)


def test_box3d_commutes_with_rotations() -> None:
    cells = _xln_cells(8, 6)
    frame = _moments3d(cells, _random_directions(8, 7))
    rot = random_rotations(8, seed=8)
    rotated_in = frame.copy()
    for s in SPECIES:
        cols = list(flux_vector_columns(s))
        rotated_in[cols] = np.einsum("nij,nj->ni", rot, frame[cols].to_numpy())
    a = box3d_moments(rotated_in, n_directions=4000)
    b = box3d_moments(frame, n_directions=4000)
    for s in SPECIES:
        cols = list(flux_vector_columns(s))
        np.testing.assert_allclose(a[f"n_{s}"], b[f"n_{s}"], rtol=2e-3)
        rotated_b = np.einsum("nij,nj->ni", rot, b[cols].to_numpy())
        np.testing.assert_allclose(a[cols].to_numpy(), rotated_b, atol=2e-3)


def test_box3d_rejects_missing_species_and_bad_flux() -> None:
    cells = _xln_cells(2, 9)
    frame = _moments3d(cells, _random_directions(2, 9))
    with pytest.raises(ValueError, match="lacks columns"):
        box3d_moments(frame.drop(columns=["n_nux"]))
    frame.loc[1, "flux_z_nuebar"] = 5.0
    with pytest.raises(ValueError, match="nuebar"):
        box3d_moments(frame)
    assert set(XLN_FEATURES) <= set(cells.columns)
