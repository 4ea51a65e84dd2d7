"""Evaluation helpers: splits, ranges, sweeps, scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.splits import parse_ranges, select_range, split_dataset
from nulearn.flavor.evaluation.fit import degree_sweep, fit_and_evaluate
from nulearn.flavor.evaluation.scoring import evaluate_probabilities


def _frame(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "alpha": rng.uniform(0.03, 2.5, n),
            "F_nue": rng.uniform(0, 1, n),
            "F_nuebar": rng.uniform(0, 1, n),
        }
    )
    df["crossing"] = (df["alpha"] * df["F_nuebar"] > df["F_nue"]).astype("int8")
    return df


FEATURES = ("alpha", "F_nue", "F_nuebar")


def test_split_is_disjoint_stratified_and_sized() -> None:
    df = _frame()
    train, val, test = split_dataset(df, test_fraction=0.2, val_fraction=0.1, seed=0)
    assert len(test) == 240 and len(val) == 96 and len(train) == 864
    assert not (set(train.index) & set(test.index)) and not (set(val.index) & set(train.index))
    assert abs(test["crossing"].mean() - df["crossing"].mean()) < 0.01
    _, empty_val, _ = split_dataset(df, val_fraction=0.0)
    assert len(empty_val) == 0
    with pytest.raises(ValueError, match=r"test_fraction = 1\.0"):
        split_dataset(df, test_fraction=1.0)


def test_ranges() -> None:
    df = _frame()
    sub = select_range(df, parse_ranges(["F_nuebar=:0.3", "alpha=0.5:"]))
    assert len(sub) > 0 and sub["F_nuebar"].max() < 0.3 and sub["alpha"].min() >= 0.5
    with pytest.raises(ValueError, match="COLUMN=LOW:HIGH"):
        parse_ranges(["F_nuebar<0.3"])
    with pytest.raises(ValueError, match="'nope' is not in the table"):
        select_range(df, {"nope": (0, 1)})
    with pytest.raises(ValueError, match="empty"):
        select_range(df, {"alpha": (1.0, 0.5)})


def test_evaluate_probabilities_threshold() -> None:
    y = np.array([0, 0, 1, 1])
    ev = evaluate_probabilities(y, np.array([0.1, 0.4, 0.35, 0.9]), threshold=0.3, name="lr")
    assert ev.label == "LR" and ev.accuracy == 0.75
    assert ev.scores.get("crossing", "recall") == 1.0
    assert len(ev.sweep) == 19 and ev.roc.area == 0.75
    with pytest.raises(ValueError, match="threshold"):
        evaluate_probabilities(y, y, threshold=2.0)


def test_fit_and_evaluate_reports_times() -> None:
    df = _frame()
    train, _, test = split_dataset(df, val_fraction=0.0)
    _model, evs = fit_and_evaluate("tree", train, {"test": test}, FEATURES)
    ev = evs["test"]
    assert ev.accuracy > 0.85 and ev.train_seconds is not None and ev.n_train == len(train)
    row = ev.summary()
    assert row["infer_us_per_sample"] > 0 and row["n_test"] == len(test)
    bad = test.assign(crossing=-1)
    with pytest.raises(ValueError, match="allowed labels are 0 and 1"):
        fit_and_evaluate("tree", train, {"bad": bad}, FEATURES)


def test_degree_sweep_shape_and_trend() -> None:
    df = _frame(1500)
    train, _, test = split_dataset(df, val_fraction=0.0)
    tab = degree_sweep(train, {"t": test}, FEATURES, degrees=(1, 2, 3), thresholds=(0.3, 0.5))
    assert len(tab) == 6 and set(tab.columns) >= {
        "degree",
        "accuracy",
        "precision",
        "recall",
        "threshold",
    }
    acc = tab[tab["threshold"] == 0.5].set_index("degree")["accuracy"]
    # The boundary alpha F_nuebar = F_nue is quadratic: degree 2 must beat degree 1.
    assert acc[2] > acc[1] + 0.02
    low = tab[tab["threshold"] == 0.3].set_index("degree")["recall"]
    high = tab[tab["threshold"] == 0.5].set_index("degree")["recall"]
    assert (low >= high).all()
