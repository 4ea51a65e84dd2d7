"""Physical coordinates: closed forms, the one-sign bound on G's moments, input validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.data.generate import generate
from nulearn.flavor.models.coordinates import (
    PhysicalCoordinates,
    lepton_number_moments,
    physical_coordinates,
)
from nulearn.flavor.models.registry import build_model
from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES


def test_eln_closed_form() -> None:
    X = np.array([[0.5, 0.2, 0.6]])
    out = physical_coordinates(X)
    g0, g1 = 1 - 0.5, 0.2 - 0.5 * 0.6
    expected = [np.log(0.5), np.arctanh(0.2), np.arctanh(0.6), 0.2, 0.6, g0, g1, g1 / (g0 + 0.01)]
    np.testing.assert_allclose(out[0], expected, rtol=1e-14)


def test_xln_widths_and_names() -> None:
    X = generate("xln", "maxent", 200, seed=3)[list(XLN_FEATURES)]
    pc = PhysicalCoordinates().fit(X)
    out = pc.transform(X)
    names = pc.get_feature_names_out(list(XLN_FEATURES))
    assert out.shape == (200, 3 + 2 * 4 + 3) == (200, len(names))
    assert names[0] == "log(alpha)" and names[3] == "artanh(F_nue)" and names[-3] == "g0"
    assert np.isfinite(out).all()


@pytest.mark.parametrize("scheme", ["original", "xln"])
def test_one_signed_lepton_number_has_bounded_flux(scheme: str) -> None:
    """A G(mu) of one sign obeys |I_1(G)| <= |I_0(G)|; so every stable cell has |g1| <= |g0|."""
    frame = generate(scheme, "mix", 4000, seed=1)
    cols = list(XLN_FEATURES if scheme == "xln" else ELN_FEATURES)
    g0, g1 = lepton_number_moments(frame[cols].to_numpy())
    stable = frame["crossing"].to_numpy() == 0
    assert stable.any() and (~stable).any()
    assert np.all(np.abs(g1[stable]) <= np.abs(g0[stable]) * (1 + 1e-9) + 1e-12)
    # and the bound is what separates the classes in part: many crossing cells violate it
    assert np.mean(np.abs(g1[~stable]) > np.abs(g0[~stable])) > 0.1


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.01, 3.0),
    st.floats(0.0, 0.99),
    st.floats(0.0, 0.99),
    st.floats(0.1, 10.0),
)
def test_lepton_moments_and_log_ratio_scaling(
    alpha: float, f_e: float, f_eb: float, s: float
) -> None:
    """g1 has its closed form; scaling n_nuebar by s shifts log(alpha) by log(s), nothing else."""
    X = np.array([[alpha, f_e, f_eb]])
    _, g1 = lepton_number_moments(X)
    assert g1[0] == pytest.approx(f_e - alpha * f_eb, abs=1e-15)
    log_alpha = physical_coordinates(np.array([[alpha * s, f_e, f_eb]]))[0, 0]
    assert log_alpha == pytest.approx(np.log(alpha) + np.log(s), abs=1e-12)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([0.0, 0.2, 0.3], r"'alpha' must be finite and > 0; row 1 has 0\.0"),
        ([np.nan, 0.2, 0.3], r"'alpha' must be finite and > 0; row 1 has nan"),
        ([1.0, 1.0, 0.3], r"'F_nue' must be finite and in \[0, 1\); row 1 has 1\.0"),
        ([1.0, 0.2, -0.1], r"'F_nuebar' must be finite and in \[0, 1\); row 1 has -0\.1"),
    ],
)
def test_rejects_unphysical_input(row: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        physical_coordinates(np.array([[0.5, 0.1, 0.1], row]))


def test_rejects_non_canonical_width() -> None:
    with pytest.raises(ValueError, match="3 = ELN or 7 = ELN-XLN"):
        PhysicalCoordinates().fit(np.ones((4, 5)) * 0.5)


def test_lr2_in_physical_coordinates_beats_raw_on_eln() -> None:
    """The reason the coordinates exist: a quadratic boundary in them fits the ELN schemes."""
    frame = generate("original", "maxent", 6000, seed=2)
    X, y = frame[list(ELN_FEATURES)], frame["crossing"].to_numpy()
    scores = {}
    for coords in ("raw", "physical"):
        model = build_model("lr", degree=2, config={"coordinates": coords})
        model.fit(X.iloc[:5000], y[:5000])
        scores[coords] = float(np.mean(model.predict(X.iloc[5000:]) == y[5000:]))
    assert scores["physical"] >= 0.97 > scores["raw"] + 0.02, scores


@pytest.mark.parametrize("scheme", ["original", "hierarchical"])
def test_lr2_physical_within_two_points_of_ceiling(scheme: str) -> None:
    """Acceptance at reduced size: family-mix ELN data, LR (n = 2) within 2 points of the ceiling."""
    from nulearn.flavor.evaluation.ceiling import bayes_ceiling

    frame = generate(scheme, "mix", 12_000, seed=5)
    train, test = frame.iloc[:9000], frame.iloc[9000:]
    model = build_model("lr", degree=2, config={"coordinates": "physical"})
    model.fit(train[list(ELN_FEATURES)], train["crossing"])
    acc = float(np.mean(model.predict(test[list(ELN_FEATURES)]) == test["crossing"].to_numpy()))
    ceiling = bayes_ceiling(test, weights={"maxent": 0.5, "gaussian": 0.5}).accuracy
    assert ceiling - 0.02 <= acc <= ceiling + 0.01, (acc, ceiling)
