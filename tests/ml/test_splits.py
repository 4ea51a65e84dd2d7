"""Holdout splits: partitions, seeding, stratification, whole groups on one side."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.ml.splits import (
    group_holdout,
    holdout_count,
    shuffled_holdout,
    stratified_folds,
    stratified_holdout,
)


@given(st.integers(2, 500), st.floats(0.01, 0.99), st.integers(0, 2**31 - 1))
@settings(max_examples=50, deadline=None)
def test_shuffled_holdout_partitions_and_is_seeded(n: int, fraction: float, seed: int) -> None:
    n_val = holdout_count(n, fraction)
    assert 1 <= n_val <= n - 1
    h = shuffled_holdout(n, n_val, seed)
    assert len(h.val) == n_val
    np.testing.assert_array_equal(np.sort(np.concatenate([h.train, h.val])), np.arange(n))
    again = shuffled_holdout(n, n_val, seed)
    np.testing.assert_array_equal(h.val, again.val)
    # the held-out samples are the head of numpy's seeded permutation
    np.testing.assert_array_equal(h.val, np.random.default_rng(seed).permutation(n)[:n_val])


def test_holdout_count_bounds() -> None:
    assert holdout_count(100, 0.15) == 15
    assert holdout_count(10, 0.01) == 1
    assert holdout_count(10, 0.99) == 9
    with pytest.raises(ValueError, match="fraction"):
        holdout_count(10, 1.0)
    with pytest.raises(ValueError, match="2 samples"):
        holdout_count(1, 0.5)
    with pytest.raises(ValueError, match="n_val"):
        shuffled_holdout(5, 6, 0)


def test_stratified_holdout_keeps_class_fractions() -> None:
    y = np.array([0] * 900 + [1] * 100)
    h = stratified_holdout(y, 0.2, seed=3)
    assert len(h.val) == 200 and y[h.val].sum() == 20 and y[h.train].sum() == 80
    np.testing.assert_array_equal(np.sort(np.concatenate([h.train, h.val])), np.arange(1000))


def test_stratification_is_skipped_when_a_class_is_too_small() -> None:
    y = np.array([0] * 9 + [1])
    h = stratified_holdout(y, 0.3, seed=0)  # one sample of class 1: cannot be on both sides
    assert len(h.val) == 3
    with pytest.raises(ValueError):
        stratified_holdout(y, 0.3, seed=0, stratify=True)


@given(st.integers(2, 12), st.floats(0.05, 0.95), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_group_holdout_never_splits_a_group(n_groups: int, fraction: float, seed: int) -> None:
    groups = np.repeat(np.arange(n_groups), 3)[::-1]
    h = group_holdout(groups, fraction, seed)
    assert set(groups[h.train]).isdisjoint(groups[h.val])
    assert len(h.train) + len(h.val) == groups.size
    assert 1 <= len(set(groups[h.train])) <= n_groups - 1
    with pytest.raises(ValueError, match="2 groups"):
        group_holdout(np.zeros(4), 0.5, seed)


def test_stratified_folds_hold_out_each_sample_once() -> None:
    y = np.repeat([0, 1, 2, 3], 5)
    folds = stratified_folds(y, 5, seed=1)
    held = np.concatenate([f.val for f in folds])
    np.testing.assert_array_equal(np.sort(held), np.arange(20))
    for f in folds:
        assert sorted(y[f.val].tolist()) == [0, 1, 2, 3]  # one of each class per fold
        assert set(f.train).isdisjoint(f.val) and len(f.train) + len(f.val) == 20
