"""The active-learning loop: ensemble spread, selection, curves, and active beating random where
the function has structure the random design misses."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.ml.active import BootstrapEnsemble, compare_strategies, learning_curve, select


def _bump(x: np.ndarray) -> np.ndarray:
    # flat almost everywhere, a narrow steep feature near x0 = 0.8: labels there are worth most
    return np.c_[np.tanh(40 * (x[:, 0] - 0.8)) * (x[:, 1] > 0)]


def test_ensemble_is_unsure_away_from_the_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.5, (80, 1))
    y = np.c_[np.where(x[:, 0] > 0.25, 1.0, 0.0)]
    _, var = BootstrapEnsemble(8, seed=0).fit(x, y).predict(np.array([[0.1], [0.25], [0.45]]))
    assert var[1, 0] > 10 * max(var[0, 0], var[2, 0], 1e-6)  # the step is where members disagree


def test_select_takes_the_largest_scaled_variance_among_the_unlabelled() -> None:
    var = np.array([[1.0, 0.0], [0.0, 9.0], [5.0, 0.0], [0.0, 2.0]])
    available = np.array([True, True, False, True])
    rng = np.random.default_rng(0)
    assert select("greedy", var, available, 2, rng).tolist() == [1, 3]
    # the second target varies 10x more over the labels: its variance counts 10x less
    assert select("greedy", var, available, 2, rng, scale=np.array([1.0, 10.0])).tolist() == [0, 1]
    # power acquisition draws in proportion to the score: row 1 (9 of 12) almost always
    drawn = [select("active", var, available, 1, rng)[0] for _ in range(200)]
    assert 0.65 < np.mean(np.array(drawn) == 1) < 0.85 and 2 not in drawn
    picked = select("random", None, available, 3, rng)
    assert sorted(picked.tolist()) == [0, 1, 3]
    with pytest.raises(ValueError, match="unknown strategy"):
        select("bald", var, available, 1, rng)


def test_learning_curve_counts_labels_and_refuses_bad_sizes() -> None:
    rng = np.random.default_rng(1)
    pool = rng.uniform(-1, 1, (300, 2))
    calls: list[int] = []

    def oracle(idx: np.ndarray) -> np.ndarray:
        calls.append(len(idx))
        return _bump(pool[idx])

    test = rng.uniform(-1, 1, (100, 2))
    curve = learning_curve(pool, oracle, test, _bump(test), initial=10, batch=7, budget=30, seed=3)
    assert curve["n_labels"].tolist() == [10, 17, 24, 30]
    assert calls == [10, 7, 7, 6]
    with pytest.raises(ValueError, match="initial"):
        learning_curve(pool, oracle, test, _bump(test), initial=40, batch=5, budget=30)


def test_active_beats_random_on_a_localized_feature() -> None:
    rng = np.random.default_rng(2)
    pool = rng.uniform(-1, 1, (2000, 2))
    test = rng.uniform(-1, 1, (500, 2))
    curves = compare_strategies(
        pool, lambda i: _bump(pool[i]), test, _bump(test), initial=20, batch=20, budget=120,
        seeds=(0, 1),
    )  # fmt: skip
    first = curves[curves["n_labels"] == 20].groupby("strategy")["error"].mean()
    last = curves[curves["n_labels"] == 120].groupby("strategy")["error"].mean()
    assert first["active"] == first["random"]  # same initial design per seed
    assert last["active"] < 0.9 * last["random"]
