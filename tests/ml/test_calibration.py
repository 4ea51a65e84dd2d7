"""Tests of nulearn.ml.calibration: calibrators, ECE, Brier score, reliability diagram."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.ml.calibration import (
    IdentityCalibration,
    IsotonicCalibration,
    TemperatureScaling,
    brier_score,
    expected_calibration_error,
    logit,
    make_calibrator,
    reliability_curve,
    sigmoid,
)
from nulearn.ml.figures import reliability_diagram


def _overconfident(
    n: int = 40000, temperature: float = 3.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels drawn from p_true; the 'model' reports sigmoid(T * logit p_true), i.e. too sharp."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, size=n)
    p_true = sigmoid(z)
    y = (rng.uniform(size=n) < p_true).astype(int)
    return y, p_true, sigmoid(temperature * z)


def test_sigmoid_logit_inverse_and_stable() -> None:
    z = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    p = sigmoid(z)
    assert np.all(np.isfinite(p)) and p[0] == 0.0 and p[-1] == 1.0 and p[2] == 0.5
    np.testing.assert_allclose(logit(p[1:4]), z[1:4], rtol=1e-12)


def test_ece_closed_forms() -> None:
    # All predictions 0.8 in one bin, 60% positives: ECE = |0.6 - 0.8| = 0.2.
    y = np.array([1, 1, 1, 0, 0])
    assert expected_calibration_error(y, np.full(5, 0.8)) == pytest.approx(0.2)
    # Perfect hard predictions are perfectly calibrated.
    assert expected_calibration_error(y, y.astype(float)) == 0.0
    assert brier_score(y, np.full(5, 0.8)) == pytest.approx((3 * 0.04 + 2 * 0.64) / 5)
    curve = reliability_curve(y, np.array([0.1, 0.9, 0.9, 0.1, 0.1]), n_bins=10)
    assert list(curve["count"]) == [3, 2]
    np.testing.assert_allclose(curve["fraction_positive"], [1 / 3, 1.0])


def test_ece_of_true_probabilities_is_small_and_overconfidence_is_seen() -> None:
    y, p_true, p_sharp = _overconfident()
    assert expected_calibration_error(y, p_true) < 0.015
    assert expected_calibration_error(y, p_sharp) > 0.05
    assert expected_calibration_error(y, p_true, strategy="quantile") < 0.015


def test_temperature_scaling_recovers_the_temperature() -> None:
    y, _, p_sharp = _overconfident(temperature=3.0)
    ts = TemperatureScaling().fit(p_sharp, y)
    assert ts.temperature == pytest.approx(3.0, rel=0.05)
    p_cal = ts.transform(p_sharp)
    assert expected_calibration_error(y, p_cal) < 0.015
    assert brier_score(y, p_cal) < brier_score(y, p_sharp)
    # Temperature scaling keeps the ranking.
    order = np.argsort(p_sharp)
    assert np.all(np.diff(p_cal[order]) >= -1e-15)


def test_isotonic_calibrates_a_monotone_distortion() -> None:
    y, p_true, _ = _overconfident(seed=1)
    distorted = p_true**3  # monotone but far off
    iso = IsotonicCalibration().fit(distorted[:20000], y[:20000])
    p_cal = iso.transform(distorted[20000:])
    assert expected_calibration_error(y[20000:], p_cal) < 0.02
    assert expected_calibration_error(y[20000:], distorted[20000:]) > 0.1
    assert np.all((p_cal >= 0) & (p_cal <= 1))
    assert iso.describe()["n_steps"] > 1


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=60),
    st.integers(0, 10_000),
)
def test_calibrators_are_monotone_and_bounded(ps: list[float], seed: int) -> None:
    p = np.asarray(ps)
    y = (np.random.default_rng(seed).uniform(size=p.size) < p).astype(int)
    y[0], y[1] = 0, 1
    grid = np.linspace(0.0, 1.0, 101)
    for method in ("none", "temperature", "isotonic"):
        out = make_calibrator(method).fit(p, y).transform(grid)
        assert np.all((out >= 0.0) & (out <= 1.0))
        assert np.all(np.diff(out) >= -1e-12), method


def test_validation_errors_name_the_index() -> None:
    with pytest.raises(ValueError, match=r"labels: index 2 is 3, allowed values are 0 and 1"):
        brier_score([0, 1, 3], [0.1, 0.2, 0.3])
    with pytest.raises(
        ValueError, match=r"probabilities: index 1 is 1.5, allowed range is \[0, 1\]"
    ):
        expected_calibration_error([0, 1], [0.1, 1.5])
    with pytest.raises(ValueError, match="differ in length"):
        brier_score([0, 1], [0.5])
    with pytest.raises(ValueError, match="allowed: none, temperature, isotonic"):
        make_calibrator("platt")
    with pytest.raises(ValueError, match="n_bins"):
        reliability_curve([0, 1], [0.2, 0.4], n_bins=0)


def test_identity_and_reliability_diagram(tmp_path) -> None:
    y, p_true, p_sharp = _overconfident(n=2000)
    assert np.array_equal(IdentityCalibration().fit(p_sharp, y).transform(p_sharp), p_sharp)
    fig = reliability_diagram(y, {"raw": p_sharp, "true": p_true})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("raw (ECE") for label in labels)
    fig.savefig(tmp_path / "rel.png")
    assert (tmp_path / "rel.png").stat().st_size > 1000
