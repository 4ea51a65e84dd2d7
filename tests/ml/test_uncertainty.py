"""Predictive uncertainty: entropy decomposition limits, MC dropout, ensembles, top-label ECE,
Gaussian mixtures of ensemble members."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.ml.uncertainty import (
    confidence_ece,
    ensemble_proba,
    gaussian_mixture,
    mc_dropout_proba,
    predictive_summary,
    top_label,
)


def test_summary_limits() -> None:
    uniform = np.full((5, 3, 4), 0.25)
    s = predictive_summary(uniform)
    np.testing.assert_allclose(s["entropy"], np.log(4))
    np.testing.assert_allclose(s["mutual_information"], 0, atol=1e-12)
    # Confident but contradicting members: low expected entropy, high mutual information.
    disagree = np.stack([np.eye(4)[[0, 1]], np.eye(4)[[1, 0]]]) * 0.97 + 0.0075
    s = predictive_summary(disagree)
    assert (s["mutual_information"] > 0.5).all() and (s["expected_entropy"] < 0.2).all()
    with pytest.raises(ValueError, match="shape"):
        predictive_summary(np.ones((3, 4)))


def test_confidence_ece_of_calibrated_and_overconfident_models() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    conf = rng.uniform(0.3, 1.0, n)
    correct = rng.uniform(size=n) < conf
    pred = rng.integers(0, 4, n)
    y = np.where(correct, pred, (pred + 1) % 4)
    proba = np.zeros((n, 4))
    proba[np.arange(n), pred] = conf
    proba[np.arange(n), (pred + 1) % 4] = 1 - conf  # top class keeps probability `conf`
    assert confidence_ece(y, proba) < 0.03
    over = np.eye(4)[pred]  # always certain, right ~65 % of the time
    assert confidence_ece(y, over) > 0.3
    right, top = top_label(y, over)
    np.testing.assert_array_equal(right, (pred == y).astype(int))
    np.testing.assert_array_equal(top, 1.0)


def test_mc_dropout_varies_only_with_dropout() -> None:
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)
    ).eval()
    x = np.random.default_rng(0).random((6, 3, 2, 2)).astype(np.float32)
    s = mc_dropout_proba(net, x, n_samples=8, seed=1)
    assert s.shape == (8, 6, 3) and s.std(0).max() > 1e-3
    np.testing.assert_array_equal(s, mc_dropout_proba(net, x, n_samples=8, seed=1))  # seeded
    assert not net.training  # mode restored
    e = ensemble_proba([net, net], x)
    np.testing.assert_allclose(e[0], e[1])
    np.testing.assert_allclose(e.sum(-1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="Dropout"):
        mc_dropout_proba(torch.nn.Linear(3, 2), x)
    with pytest.raises(ValueError, match="at least one model"):
        ensemble_proba([], x)


@given(
    st.lists(st.floats(-5, 5), min_size=2, max_size=6),
    st.floats(0.01, 4.0),
)
@settings(max_examples=30, deadline=None)
def test_gaussian_mixture_moments(means: list[float], variance: float) -> None:
    mu = np.asarray(means)[:, None]
    mean, std = gaussian_mixture(mu, np.full_like(mu, variance))
    assert mean[0] == pytest.approx(mu.mean())
    # law of total variance: mean of the variances plus the variance of the means
    assert std[0] ** 2 == pytest.approx(variance + mu.var(), rel=1e-9)


def test_gaussian_mixture_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="n_members"):
        gaussian_mixture(np.zeros((2, 3)), np.zeros((3, 2)))
