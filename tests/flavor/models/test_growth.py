"""Growth-rate regression: data from the solver, GBT baseline, two-head MLP, errors by depth."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from nulearn.flavor.data.growth import growth_dataset, log_growth
from nulearn.flavor.evaluation.growth import error_by_depth, evaluate_growth_models
from nulearn.flavor.models.growth import GrowthMLPRegressor, gbt_growth_regressor
from nulearn.flavor.physics.species import feature_names
from nulearn.flavor.physics.stability import StabilityConfig

FEATURES = list(feature_names("original"))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    torch.set_num_threads(1)
    return growth_dataset("original", 260, seed=5, config=StabilityConfig(n_beams=12, n_k=32))


def test_log_growth_marks_stable_cells() -> None:
    out = log_growth([0.0, 1e-2, 1.0])
    assert np.isnan(out[0]) and out[1] == pytest.approx(-2.0) and out[2] == 0.0


def test_dataset_solver_agrees_with_crossings(data: pd.DataFrame) -> None:
    assert {"growth_rate", "log10_growth", "unstable", "depth", "crossing"} <= set(data.columns)
    assert data.attrs["solver_seconds_per_cell"] > 0
    clear = (data["depth"] > 0.01) | (data["crossing"] == 0)
    np.testing.assert_array_equal(data.loc[clear, "unstable"], data.loc[clear, "crossing"])
    assert np.isnan(data.loc[data["unstable"] == 0, "log10_growth"]).all()


def test_regressors_beat_the_mean_and_the_solver_speed(data: pd.DataFrame) -> None:
    train, test = data.iloc[:200], data.iloc[200:]
    unstable = train[train["unstable"] == 1]
    gbt = gbt_growth_regressor(n_estimators=200).fit(
        unstable[FEATURES].to_numpy(), unstable["log10_growth"].to_numpy()
    )
    mlp = GrowthMLPRegressor(
        hidden_layers=(32, 32), max_epochs=40, patience=8, batch_size=64, num_threads=1
    )
    mlp.fit(
        train[FEATURES].to_numpy(), train["log10_growth"].to_numpy(), train["unstable"].to_numpy()
    )
    summary, per_depth = evaluate_growth_models(
        {"gbt": gbt, "mlp": mlp}, test, FEATURES, data.attrs["solver_seconds_per_cell"]
    )
    assert summary["model"].tolist() == ["solver", "gbt", "mlp"]
    scored = summary.set_index("model")
    assert (scored.loc[["gbt", "mlp"], "r2"] > 0.3).all(), summary
    assert (scored.loc[["gbt", "mlp"], "speedup"] > 1).all()
    assert (
        per_depth["n"]
        .groupby(per_depth["model"])
        .sum()
        .eq(int((test["unstable"] == 1).sum()))
        .all()
    )
    # The second head classifies instability from the same trunk.
    p = mlp.predict_crossing_proba(test[FEATURES].to_numpy())
    assert ((p >= 0.5) == (test["unstable"] == 1)).mean() > 0.8
    rate = mlp.predict_growth_rate(test[FEATURES].to_numpy())
    assert ((rate > 0) == (p >= 0.5)).all()


def test_error_by_depth_bins() -> None:
    table = error_by_depth([0.0, 0.0, 0.0, 1.0], [0.5, -0.1, 0.3, 1.0], [5e-4, 0.03, 0.04, 0.3])
    assert table["depth_bin"].tolist() == ["[0, 0.001)", "[0.01, 0.05)", "[0.2, 0.5)"]
    np.testing.assert_allclose(table["mae_dex"], [0.5, 0.2, 0.0])
    assert table["n"].tolist() == [1, 2, 1]


def test_mlp_regressor_contract_and_validation() -> None:
    model = GrowthMLPRegressor(hidden_layers=(8,), max_epochs=2)
    assert clone(model).get_params()["hidden_layers"] == (8,)
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(x)
    with pytest.raises(ValueError, match=r"y\[0\].*finite on unstable"):
        model.fit(x, np.full(20, np.nan), np.ones(20))
    with pytest.raises(ValueError, match=r"X\[1, 2\]"):
        bad = x.copy()
        bad[1, 2] = np.inf
        model.fit(bad, np.zeros(20))
    with pytest.raises(ValueError, match="val_fraction"):
        GrowthMLPRegressor(val_fraction=1.5).fit(x, np.zeros(20))


def test_mlp_regressor_pickles_through_state_dicts() -> None:
    x = np.random.default_rng(1).normal(size=(40, 3))
    model = GrowthMLPRegressor(hidden_layers=(8,), max_epochs=2, num_threads=1).fit(x, x[:, 0])
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    np.testing.assert_array_equal(back.predict_crossing_proba(x), model.predict_crossing_proba(x))
    # standardization of the shared base: per feature, over the rows given to fit
    np.testing.assert_allclose(model.mean_, x.mean(axis=0))
