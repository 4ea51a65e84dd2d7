"""Forward-peak coordinates against uniformly bright spheres (closed-form moments)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from nulearn.flavor.models.forward_coordinates import (
    ForwardPeakCoordinates,
    bright_sphere_crossing,
    forward_peak_coordinates,
)


def _cone_moments(mu_c: np.ndarray) -> list[np.ndarray]:
    """F, I2/I0, I3/I0 of f = const for mu > mu_c (a uniformly bright sphere seen from outside)."""
    return [(1.0 - mu_c ** (n + 1)) / ((n + 1) * (1.0 - mu_c)) for n in (1, 2, 3)]


def _sphere_features(
    r: np.ndarray, r_nue: float, r_nuebar: float, brightness_ratio: float
) -> np.ndarray:
    """ELN features + I2, I3 of two bright spheres seen from radius r (nuebar brightness ratio)."""
    mu_e = np.sqrt(1.0 - (r_nue / r) ** 2)
    mu_eb = np.sqrt(1.0 - (r_nuebar / r) ** 2)
    f_e, i2_e, i3_e = _cone_moments(mu_e)
    f_eb, i2_eb, i3_eb = _cone_moments(mu_eb)
    # n = brightness x (1 - mu_c): the density ratio follows from the solid angles
    alpha = brightness_ratio * (1.0 - mu_eb) / (1.0 - mu_e)
    return np.column_stack([alpha, f_e, f_eb, i2_e, i2_eb, i3_e, i3_eb])


def test_cone_brightness_and_size_ratios_are_recovered() -> None:
    r = np.array([60.0, 600.0, 2000.0])
    X = _sphere_features(r, r_nue=30.0, r_nuebar=24.0, brightness_ratio=1.7)
    Z = forward_peak_coordinates(X)
    assert Z.shape == (3, 13)
    # log alpha + log(1 - F_nue) - log(1 - F_nuebar) is the log brightness ratio
    np.testing.assert_allclose(Z[:, 7], np.log(1.7), rtol=1e-7)  # rounding of 1 - F
    # log((1 - F_nue) / (1 - F_nuebar)) -> log(R_nue^2 / R_nuebar^2) far away, whatever r
    np.testing.assert_allclose(Z[1:, 6], np.log((30.0 / 24.0) ** 2), rtol=1e-3)
    # shape indices of a thin uniform cone: (1 - I2)/(1 - F) -> 2, (1 - I3)/(1 - F) -> 3
    far = Z[-1]
    np.testing.assert_allclose(far[9:11], np.log(2.0), atol=1e-3)
    np.testing.assert_allclose(far[11:13], np.log(3.0), atol=1e-3)
    # g1 = F_nue - alpha F_nuebar
    np.testing.assert_allclose(Z[:, 8], X[:, 1] - X[:, 0] * X[:, 2])


def test_widths_and_transformer_contract() -> None:
    X = _sphere_features(np.array([50.0, 80.0]), 20.0, 18.0, 0.8)
    for width, out in ((3, 9), (5, 11), (7, 13)):
        tr = clone(ForwardPeakCoordinates()).fit(X[:, :width])
        assert tr.transform(X[:, :width]).shape == (2, out)
    with pytest.raises(ValueError, match="got shape"):
        forward_peak_coordinates(X[:, :4])
    with pytest.raises(ValueError, match="3, 5 or 7"):
        ForwardPeakCoordinates().fit(X[:, :6])


@pytest.mark.parametrize(
    ("col", "value", "match"),
    [(0, 0.0, r"'alpha' must be finite and > 0; row 1"), (2, 1.0, r"'F_nuebar' .* row 1 has 1\.0")],
)
def test_invalid_inputs_name_column_and_row(col: int, value: float, match: str) -> None:
    X = _sphere_features(np.array([50.0, 80.0]), 20.0, 18.0, 0.8)[:, :3]
    X[1, col] = value
    with pytest.raises(ValueError, match=match):
        forward_peak_coordinates(X)


def test_bright_sphere_crossing_matches_sign_changes_of_the_two_cones() -> None:
    rng = np.random.default_rng(3)
    n = 400
    mu_c = rng.uniform(-0.5, 0.9999, (n, 2))  # cone edges of nue, nuebar
    bright = rng.lognormal(0.0, 0.7, (n, 2))
    width = 1.0 - mu_c
    alpha = bright[:, 1] * width[:, 1] / (bright[:, 0] * width[:, 0])
    X = np.column_stack([alpha, (1.0 + mu_c[:, 0]) / 2, (1.0 + mu_c[:, 1]) / 2])
    # G on a grid that resolves both edges: evaluate just inside each cone and in between
    probes = np.sort(np.column_stack([mu_c, (mu_c.max(axis=1) + 1) / 2]), axis=1) + 1e-7
    g = np.stack(
        [
            bright[:, 0] * (probes[:, k] > mu_c[:, 0]) - bright[:, 1] * (probes[:, k] > mu_c[:, 1])
            for k in range(3)
        ],
        axis=1,
    )
    expected = (g > 0).any(axis=1) & (g < 0).any(axis=1)
    np.testing.assert_array_equal(bright_sphere_crossing(X), expected)
    assert 0.2 < expected.mean() < 0.8
