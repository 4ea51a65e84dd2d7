"""Shared classification metrics against scikit-learn and brute force."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support, roc_auc_score

import nulearn.ml.metrics as metrics_module
from nulearn.ml.metrics import (
    best_f1_threshold,
    binary_scores,
    confusion_matrix,
    non_binary_index,
    normalised_confusion,
    pr_curve,
    roc_curve,
    threshold_sweep,
)


def _random(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + 0.65 * rng.uniform(size=n), 0, 1)
    return y, p


def test_binary_scores_match_sklearn() -> None:
    y, p = _random(2000, 1)
    pred = (p >= 0.5).astype(int)
    s = binary_scores(y, pred, class_names=("no crossing", "crossing"))
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred)
    np.testing.assert_allclose(s.per_class["precision"], prec)
    np.testing.assert_allclose(s.per_class["recall"], rec)
    np.testing.assert_allclose(s.per_class["f1"], f1)
    np.testing.assert_array_equal(s.per_class["support"], sup)
    assert s.accuracy == pytest.approx(accuracy_score(y, pred))
    assert s.get("crossing", "f1") == pytest.approx(f1[1])
    assert s.to_dict()["per_class"]["crossing"]["support"] == int(sup[1])


def test_confusion_layout_and_empty_class() -> None:
    cm = confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    assert cm.tolist() == [[1, 1], [1, 2]]
    s = binary_scores([0, 0, 0], [0, 0, 0])
    # No positive sample and no positive prediction: scores are 0, never NaN.
    assert s.per_class.loc["positive"].tolist()[:3] == [0.0, 0.0, 0.0]
    assert s.accuracy == 1.0


def test_invalid_labels_are_named() -> None:
    with pytest.raises(ValueError, match=r"y_pred\[2\]"):
        binary_scores([0, 1, 1], [0, 1, 2])
    with pytest.raises(ValueError, match="not finite"):
        roc_curve([0, 1], [0.1, np.nan])
    assert non_binary_index([0, 1, 1.0, True]) is None
    assert non_binary_index(np.array([0, 1, 0.5, -1])) == 2
    assert non_binary_index([0, np.nan]) == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.integers(0, 10_000))
def test_threshold_sweep_equals_brute_force(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.round(rng.uniform(size=n), 1)  # many ties, including at the thresholds
    thr = np.array([0.0, 0.1, 0.3, 0.5, 0.55, 1.0])
    sweep = threshold_sweep(y, p, thr)
    for t, row in zip(thr, sweep.itertuples(index=False), strict=True):
        pred = (p >= t).astype(int)
        assert row.accuracy == pytest.approx(accuracy_score(y, pred))
        assert row.f1 == pytest.approx(f1_score(y, pred, zero_division=0))


def test_best_f1_threshold_is_the_maximum() -> None:
    y, p = _random(500, 2)
    thr, best = best_f1_threshold(y, p)
    brute = max(f1_score(y, (p >= t).astype(int)) for t in np.unique(p))
    assert best == pytest.approx(brute)
    assert f1_score(y, (p >= thr).astype(int)) == pytest.approx(best)


def test_curves() -> None:
    y, p = _random(1000, 3)
    roc = roc_curve(y, p)
    assert roc.area == pytest.approx(roc_auc_score(y, p))
    assert roc.x[0] == 0 and roc.y[-1] == 1
    perfect = pr_curve(y, y.astype(float))
    assert perfect.area == pytest.approx(1.0)


def test_docstring_example() -> None:
    assert doctest.testmod(metrics_module).failed == 0


def test_compare_aucs_matches_sklearn_and_bootstrap() -> None:
    from sklearn.metrics import roc_auc_score

    from nulearn.ml.metrics import compare_aucs

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    a = y + rng.normal(0, 1.0, y.size)
    b = y + rng.normal(0, 1.3, y.size)
    r = compare_aucs(y, a, b)
    assert r.auc_a == pytest.approx(roc_auc_score(y, a)) and r.auc_b == pytest.approx(
        roc_auc_score(y, b)
    )
    boot = []
    for _ in range(300):
        i = rng.integers(0, y.size, y.size)
        boot.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]))
    assert r.stderr_difference == pytest.approx(np.std(boot), rel=0.2)
    assert r.difference > 0 and r.p_value < 0.01
    same = compare_aucs(y, a, a + 3.0)  # same ranking
    assert same.difference == 0 and same.p_value == 1.0
    with pytest.raises(ValueError, match="each class"):
        compare_aucs(np.ones(10), a[:10], b[:10])


def test_normalised_confusion_rows_sum_to_one() -> None:
    y_true = np.array([0, 1, 2, 3] * 3)
    y_pred = np.array([0, 1, 2, 3, 0, 1, 2, 2, 1, 1, 2, 3])
    cm = normalised_confusion(y_true, y_pred, 4)
    np.testing.assert_allclose(cm.sum(1), 1)
    assert cm[3, 2] == pytest.approx(1 / 3) and cm[0, 1] == pytest.approx(1 / 3)
    assert normalised_confusion([0], [0], 2)[1].tolist() == [0.0, 0.0]  # an absent class
    with pytest.raises(ValueError, match=r"y_pred\[0\] = 7"):
        normalised_confusion(y_true, np.full(12, 7), 4)
