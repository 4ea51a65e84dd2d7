"""The Bayes ceiling: closed forms, brute force, and the generator's own family labels."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.generate import generate
from nulearn.flavor.evaluation.ceiling import (
    bayes_ceiling,
    best_expected_accuracy,
    best_expected_f1,
    crossing_posterior,
    family_labels,
)


def test_posterior_and_accuracy_closed_form() -> None:
    labels = np.array([[1, 1], [0, 0], [1, 0], [0, 1]])
    post = crossing_posterior(labels, [0.7, 0.3])
    np.testing.assert_allclose(post, [1.0, 0.0, 0.7, 0.3])
    # Two families: best accuracy = 1 - D min(w) with D = fraction of disagreeing samples.
    assert best_expected_accuracy(post) == pytest.approx(1 - 0.5 * 0.3)
    # A label -1 (moments not representable) falls back to the other family.
    np.testing.assert_allclose(crossing_posterior(np.array([[-1, 1]]), [0.5, 0.5]), [1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        crossing_posterior(labels, [0.5, 0.6])


def test_best_f1_equals_brute_force_over_deterministic_rules() -> None:
    rng = np.random.default_rng(0)
    post = rng.choice([0.0, 0.3, 0.5, 0.8, 1.0], size=12)
    best = 0.0
    # Every subset of distinct posterior groups predicted positive (thresholding is optimal, so the
    # brute force over all group subsets must not beat it).
    groups = np.unique(post)
    for mask in itertools.product([0, 1], repeat=groups.size):
        pred = np.isin(post, groups[np.array(mask, dtype=bool)])
        tp = post[pred].sum()
        f1 = 2 * tp / (pred.sum() + post.sum())
        best = max(best, f1)
    assert best_expected_f1(post) == pytest.approx(best)
    assert best_expected_f1(np.array([1.0, 0.0])) == 1.0
    assert best_expected_f1(np.array([1.0, 0.0]), positive=False) == 1.0


def test_single_family_ceiling_is_one() -> None:
    frame = generate("original", "maxent", 200, seed=1)
    c = bayes_ceiling(frame)
    assert c.accuracy == 1.0 and c.f1_crossing == 1.0 and c.family_fractions == {"maxent": 1.0}


@pytest.mark.parametrize("scheme", ["original", "xln"])
def test_mixed_ceiling_from_generated_data(scheme: str) -> None:
    frame = generate(scheme, "mix", 3000, seed=2)
    labels = family_labels(frame)
    # The generator's label is the label of each sample's own family.
    own = np.where(
        frame["family"] == "maxent", labels["crossing_maxent"], labels["crossing_gaussian"]
    )
    np.testing.assert_array_equal(own, frame["crossing"].to_numpy())
    c = bayes_ceiling(frame)
    w = min(c.family_fractions.values())
    assert 0.02 < c.disagreement < 0.3
    assert c.accuracy == pytest.approx(1 - w * c.disagreement, abs=1e-12)
    # The oracle that knows both closures, and guesses the majority family where they disagree,
    # scores the ceiling up to sampling noise.
    majority = max(c.family_fractions, key=lambda k: c.family_fractions[k])
    oracle = np.where(
        labels.iloc[:, 0] == labels.iloc[:, 1], labels.iloc[:, 0], labels[f"crossing_{majority}"]
    )
    realized = (oracle == frame["crossing"].to_numpy()).mean()
    assert realized == pytest.approx(c.accuracy, abs=0.01)
    assert c.f1_crossing < 1.0 and "Bayes ceiling" in c.describe()


def test_explicit_weights_and_errors() -> None:
    frame = generate("original", "maxent", 100, seed=3).drop(columns="family")
    with pytest.raises(ValueError, match="no 'family' column"):
        bayes_ceiling(frame)
    c = bayes_ceiling(frame, weights={"maxent": 0.5, "gaussian": 0.5})
    assert c.accuracy < 1.0 or c.disagreement == 0.0
    with pytest.raises(ValueError, match="empty"):
        bayes_ceiling(frame.iloc[:0])
    with pytest.raises(ValueError, match="allowed families"):
        bayes_ceiling(
            pd.DataFrame({"alpha": [1.0], "F_nue": [0.1], "F_nuebar": [0.2], "family": ["minerbo"]})
        )


def test_subsampled_posterior_prior_shift() -> None:
    """Thinning stable rows raises P(crossing | x) by the odds ratio; the mean matches the new fraction."""
    from nulearn.flavor.evaluation.ceiling import subsampled_posterior

    p = np.array([0.0, 0.5, 0.5, 1.0, 0.0, 0.0])
    same = subsampled_posterior(p, float(p.mean()))
    np.testing.assert_allclose(same, p, atol=1e-9)
    shifted = subsampled_posterior(p, 0.45)
    assert shifted.mean() == pytest.approx(0.45, abs=1e-9)
    # Certain labels stay certain; the ambiguous ones move by odds r: r/(r+1) > 0.5.
    assert shifted[0] == 0.0 and shifted[3] == 1.0 and shifted[1] > 0.5
    with pytest.raises(ValueError, match="crossing_fraction"):
        subsampled_posterior(p, 1.0)
