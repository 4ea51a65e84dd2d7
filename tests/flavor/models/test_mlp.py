"""Tests of the class-weighted MLP classifier (nulearn.flavor.models.mlp.classifier) and its deep studies."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from nulearn.flavor.models.mlp.classifier import (
    MLPClassifier,
    MLPConfig,
    build_network,
    class_weights,
    multiply_adds_per_cell,
)
from nulearn.flavor.studies.deep import compact_study, evaluate_mlp, seed_study, summarize_seeds
from nulearn.ml.calibration import sigmoid
from nulearn.ml.metrics import best_f1_threshold

torch.set_num_threads(1)

TINY = {
    "hidden_layers": (16, 16),
    "max_epochs": 4,
    "batch_size": 256,
    "num_threads": 1,
    "accelerator": "cpu",
}


def _data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Imbalanced (about 10% positive) problem with a curved boundary in 3 features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 1.6).astype(np.int64)
    return X, y


@pytest.fixture(scope="module")
def fitted() -> tuple[MLPClassifier, np.ndarray, np.ndarray]:
    X, y = _data()
    return MLPClassifier(**{**TINY, "max_epochs": 15}).fit(X, y), X, y


def test_config_yaml_round_trip(tmp_path) -> None:
    cfg = MLPConfig(
        hidden_layers=(64, 32, 16, 8),
        dropout=0.2,
        schedule="step",
        features=("a", "b"),
        threshold=0.3,
    )
    path = tmp_path / "cfg.yaml"
    cfg.to_yaml(path)
    assert MLPConfig.from_yaml(path) == cfg
    assert MLPConfig.from_yaml(str(path)) == cfg
    assert MLPConfig.from_yaml(cfg.to_yaml()) == cfg
    assert MLPConfig.from_yaml("mlp:\n  dropout: 0.1\n").dropout == 0.1
    assert MLPConfig.from_yaml("hidden_layers: [8, 4]\n").hidden_layers == (8, 4)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("dropout", 1.0, r"dropout = 1.0; allowed range \[0.0, 1.0\)"),
        ("learning_rate", 0.0, "learning_rate"),
        ("schedule", "linear", "schedule = 'linear'; allowed: cosine, step, constant"),
        ("calibration", "platt", "calibration"),
        ("hidden_layers", (8, 0), r"hidden_layers\[1\] = 0"),
        ("val_fraction", 1.0, "val_fraction"),
        ("threshold", 1.5, "threshold"),
    ],
)
def test_config_rejects_out_of_range(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MLPConfig(**{field: value})


def test_config_unknown_field_named() -> None:
    with pytest.raises(ValueError, match="widht"):
        MLPConfig.from_dict({"widht": 3})
    with pytest.raises(ValueError, match="widht"):
        MLPClassifier(widht=3)


def test_network_shape_and_cost() -> None:
    net = build_network(3, (4, 5), dropout=0.0, batch_norm=False)
    assert net(torch.zeros(7, 3)).shape == (7, 1)
    # MACs 3*4 + 4*5 + 5*1; parameters add one bias per unit.
    assert multiply_adds_per_cell(3, (4, 5)) == 37
    assert sum(p.numel() for p in net.parameters()) == 37 + 4 + 5 + 1
    kinds = [type(m).__name__ for m in build_network(3, (4,), dropout=0.1, batch_norm=True)]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]


def test_class_weights_balanced() -> None:
    y = np.array([0] * 90 + [1] * 10)
    w0, w1 = class_weights(y)
    assert w0 == pytest.approx(100 / 180) and w1 == pytest.approx(100 / 20)
    assert class_weights(y, "none") == (1.0, 1.0)
    with pytest.raises(ValueError, match="both classes"):
        class_weights(np.zeros(5))


def test_fit_predict_contract(fitted) -> None:
    clf, X, y = fitted
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # predict applies the stored threshold to the calibrated probability ...
    np.testing.assert_array_equal(clf.predict(X), (proba[:, 1] >= clf.threshold_).astype(int))
    # ... and the calibrated probability is the calibrator applied to the raw one.
    np.testing.assert_allclose(
        proba[:, 1], np.clip(clf.calibrator_.transform(sigmoid(clf.decision_function(X))), 0, 1)
    )
    s = evaluate_mlp(clf, X, y)
    assert s["f1"] > 0.8, s
    assert list(clf.classes_) == [0, 1] and clf.n_features_in_ == 3


def test_class_weights_come_from_training_split(fitted) -> None:
    clf, _, y = fitted
    n_train = clf.history_["n_train"]
    assert n_train == round(0.8 * len(y))
    # The stratified split keeps the positive fraction, so the weights match n_train/(2 n_c).
    n1 = round(y.mean() * n_train)
    assert clf.class_weights_[1] == pytest.approx(n_train / (2 * n1), rel=2e-3)
    assert clf.logit_offset_ == pytest.approx(np.log(clf.class_weights_[1] / clf.class_weights_[0]))


def test_threshold_is_best_f1_on_validation_split() -> None:
    X, y = _data(2400, seed=1)
    Xv, yv = _data(800, seed=2)
    clf = MLPClassifier(**TINY, calibration="none").fit(X, y, eval_set=(Xv, yv))
    thr, f1 = best_f1_threshold(yv, clf.predict_proba(Xv)[:, 1])
    assert clf.threshold_ == pytest.approx(thr)
    assert clf.validation_["f1"] == pytest.approx(f1)
    fixed = MLPClassifier(**TINY, threshold=0.25).fit(X, y, eval_set=(Xv, yv))
    assert fixed.threshold_ == 0.25


def test_prior_shift_correction_makes_raw_probabilities_honest() -> None:
    # Class weights inflate P(1) by w1/w0 in odds; the stored logit offset undoes it, so the
    # uncalibrated mean probability tracks the true positive fraction, not 0.5.
    X, y = _data(4000, seed=3)
    clf = MLPClassifier(**{**TINY, "max_epochs": 8}, calibration="none").fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    assert abs(p.mean() - y.mean()) < 0.04, (p.mean(), y.mean())
    p_weighted = sigmoid(clf.decision_function(X) + clf.logit_offset_)
    assert p_weighted.mean() > y.mean() + 0.1


@pytest.mark.parametrize("method", ["temperature", "isotonic"])
def test_calibrators_stored_and_applied(method: str) -> None:
    X, y = _data(2000, seed=4)
    clf = MLPClassifier(**TINY, calibration=method).fit(X, y)
    assert clf.card_fields()["calibration"]["method"] == method
    if method == "temperature":
        assert clf.card_fields()["calibration"]["temperature"] > 0


def test_deterministic_for_a_seed() -> None:
    X, y = _data(1500, seed=5)
    a = MLPClassifier(**TINY, seed=3).fit(X, y).predict_proba(X)
    b = MLPClassifier(**TINY, seed=3).fit(X, y).predict_proba(X)
    c = MLPClassifier(**TINY, seed=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sklearn_params_clone_and_cv() -> None:
    clf = MLPClassifier(MLPConfig(dropout=0.2), **TINY)
    params = clf.get_params()
    assert params["dropout"] == 0.2 and params["hidden_layers"] == (16, 16)
    assert clf.set_params(dropout=0.1).config.dropout == 0.1
    twin = clone(clf)
    assert twin.config == clf.config and twin is not clf
    X, y = _data(1200, seed=6)
    scores = cross_val_score(MLPClassifier(**{**TINY, "max_epochs": 2}), X, y, cv=2, scoring="f1")
    assert scores.shape == (2,) and np.all(scores > 0.3)


def test_pickle_and_joblib_round_trip(fitted, tmp_path) -> None:
    clf, X, _ = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.card_fields()["threshold"] == clf.threshold_
    # the network is pickled as its state dict (shared TorchEstimator base), not as a module
    assert isinstance(clf.__getstate__()["network_"], dict)
    assert "Sequential" not in str(pickle.dumps(clf))


def test_dataframe_features_and_label_columns() -> None:
    X, y = _data(2000, seed=7)
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(noise=0.0, flag=y)
    clf = MLPClassifier(**TINY, features=("u", "v", "w"), label="flag").fit_frame(frame)
    assert clf.history_["n_train"] + clf.history_["n_val"] == len(frame)
    assert list(clf.feature_names_in_) == ["u", "v", "w"]
    # Prediction picks the named columns from a wider table in any column order.
    shuffled = frame[["w", "flag", "u", "v"]]
    np.testing.assert_array_equal(
        clf.predict(shuffled), clf.predict(frame[["u", "v", "w"]].to_numpy())
    )
    with pytest.raises(ValueError, match=r"lacks feature column\(s\) \['w'\]"):
        clf.predict(frame[["u", "v"]])
    # A label other than 0/1 (e.g. -1 on rows with invalid moments) is refused, never dropped.
    frame.loc[:9, "flag"] = -1
    with pytest.raises(ValueError, match=r"label 'flag' must be 0 or 1; 10 rows"):
        MLPClassifier(**TINY, features=("u", "v", "w"), label="flag").fit_frame(frame)


def test_input_validation_names_index() -> None:
    X, y = _data(200)
    X[17, 2] = np.nan
    with pytest.raises(ValueError, match=r"X\[17, 2\] = nan"):
        MLPClassifier(**TINY).fit(X, y)
    X, y = _data(200)
    y[5] = 2
    with pytest.raises(ValueError, match=r"y\[5\] = 2"):
        MLPClassifier(**TINY).fit(X, y)
    clf = MLPClassifier(**TINY)
    with pytest.raises(Exception, match="not fitted"):
        clf.predict(X)
    y[5] = 0
    clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features; the model was fitted with 3"):
        clf.predict(X[:, :2])


def test_seed_and_compact_tables() -> None:
    X, y = _data(2000, seed=8)
    Xt, yt = _data(1000, seed=9)
    cfg = MLPConfig(**{**TINY, "max_epochs": 2})
    per_seed = seed_study(X, y, Xt, yt, seeds=[17, 43], config=cfg)
    assert list(per_seed["seed"]) == [17, 43]
    table = summarize_seeds(per_seed)
    assert list(table["seed"]) == [17, 43, "mean", "std"]
    assert table.loc[2, "f1"] == pytest.approx(per_seed["f1"].mean())
    assert table.loc[3, "f1"] == pytest.approx(per_seed["f1"].std(ddof=1))
    compact = compact_study(X, y, Xt, yt, sizes=[(32, 32), (8,)], config=cfg, n_timing=5000)
    assert list(compact["hidden_layers"]) == ["32x32", "8"]
    assert list(compact["multiply_adds_per_cell"]) == [3 * 32 + 32 * 32 + 32, 3 * 8 + 8]
    assert compact["n_parameters"].iloc[0] > compact["n_parameters"].iloc[1]
    assert (compact["cells_per_s"] > 0).all()


def test_model_directory_keeps_threshold_and_calibrator(fitted, tmp_path) -> None:
    from nulearn.ml.model_card import ModelCard, load_model, save_model

    clf, X, y = fitted
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    card = ModelCard.for_training(
        "mlp",
        frame,
        y,
        feature_names=("a", "b", "c"),
        label="crossing",
        threshold=clf.threshold_,
        extra=clf.card_fields(),
    )
    save_model(clf, card, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    assert loaded.card.threshold == clf.threshold_
    assert loaded.card.extra["calibration"]["method"] == "isotonic"
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(X))
