"""Crossing classifiers: the scikit-learn contract, the SVM's two modes, the moment features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from nulearn.flavor.models.classical import (
    BoostedTreesClassifier,
    ELNMomentFeatures,
    RBFSVMClassifier,
    polynomial_logistic_regression,
)
from nulearn.flavor.models.registry import ESTIMATORS as MODEL_NAMES
from nulearn.flavor.models.registry import build_model


def _toy(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """ELN-like features with a known nonlinear boundary (a 'crossing' when alpha F_nuebar > F_nue)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(0.03, 2.5, n), rng.uniform(0, 1, n), rng.uniform(0, 1, n)])
    y = (X[:, 0] * X[:, 2] > X[:, 1]).astype(int)
    return X, y


@pytest.mark.parametrize("name", ["lr", "knn", "svm", "tree", "gbt"])
def test_sklearn_contract(name: str) -> None:
    X, y = _toy()
    model = build_model(name)
    params = model.get_params()
    assert clone(model).get_params().keys() == params.keys()
    model.fit(X[:400], y[:400])
    p = model.predict_proba(X[400:])
    assert p.shape == (200, 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p[:, 1] >= 0.5).astype(int) == model.predict(X[400:])).mean() > 0.99
    assert (model.predict(X[400:]) == y[400:]).mean() > 0.8


def test_usable_in_cross_validation() -> None:
    X, y = _toy(300)
    scores = cross_val_score(build_model("lr", degree=2), X, y, cv=3)
    assert scores.mean() > 0.9


def test_polynomial_degree_and_validation() -> None:
    X, y = _toy(300)
    model = polynomial_logistic_regression(degree=3).fit(X, y)
    assert model.named_steps["poly"].n_output_features_ == 19  # C(3 + 3, 3) - 1 monomials
    with pytest.raises(ValueError, match="polynomial degree = 0"):
        polynomial_logistic_regression(degree=0)


def test_svm_modes_agree_on_an_easy_problem() -> None:
    X, y = _toy(1500, 1)
    exact = RBFSVMClassifier(gamma=5.0).fit(X[:1000], y[:1000])
    approx = RBFSVMClassifier(gamma=5.0, exact_max_samples=500, n_components=200, n_epochs=20).fit(
        X[:1000], y[:1000]
    )
    assert exact.mode_ == "exact" and approx.mode_ == "nystroem"
    acc_exact = (exact.predict(X[1000:]) == y[1000:]).mean()
    acc_approx = (approx.predict(X[1000:]) == y[1000:]).mean()
    assert acc_exact > 0.9 and acc_approx > 0.85
    # Probabilities are a monotone map of the decision function with P = 0.5 at d = 0.
    d = exact.decision_function(X[1000:])
    p = exact.predict_proba(X[1000:])[:, 1]
    assert np.all(np.diff(p[np.argsort(d)]) >= -1e-12)
    assert np.array_equal(p >= 0.5, d >= 0)


def test_moment_features_are_the_eln_moments() -> None:
    eln = np.array([[0.5, 0.2, 0.4]])
    out = ELNMomentFeatures().fit_transform(eln)
    assert out[0, 3] == pytest.approx(1 - 0.5)  # g0 = 1 - alpha
    assert out[0, 4] == pytest.approx(0.2 - 0.5 * 0.4)  # g1 = F_nue - alpha F_nuebar
    xln = np.array([[0.5, 1.0, 1.2, 0.2, 0.4, 0.6, 0.5]])
    out = ELNMomentFeatures().fit_transform(xln)
    assert out[0, 7] == pytest.approx(1 - 0.5 - 1.0 + 1.2)
    assert out[0, 8] == pytest.approx(0.2 - 0.5 * 0.4 - 1.0 * 0.6 + 1.2 * 0.5)
    with pytest.raises(ValueError, match="3 \\(ELN\\) or 7"):
        ELNMomentFeatures().fit(np.ones((2, 4)))


def test_boosted_trees_stop_early() -> None:
    X, y = _toy(800)
    model = BoostedTreesClassifier(max_rounds=2000, early_stopping_rounds=20).fit(X, y)
    assert 0 < model.n_rounds_ < 2000


def test_config_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "svm.yaml"
    cfg.write_text("C: 10.0\ngamma: 3.0\n")
    model = build_model("svm", config=cfg)
    assert model.C == 10.0 and model.gamma == 3.0
    assert build_model("lr", config={"logreg__C": 0.1}).get_params()["logreg__C"] == 0.1
    with pytest.raises(ValueError, match="invalid parameter"):
        build_model("tree", config={"no_such_param": 1})
    with pytest.raises(ValueError, match="unknown model 'rf'"):
        build_model("rf")
    assert set(MODEL_NAMES) == {"lr", "knn", "svm", "tree", "gbt", "mlp"}


def test_mlp_is_the_deep_learning_pillars_classifier(tmp_path: Path) -> None:
    from nulearn.flavor.models.mlp.classifier import MLPClassifier, MLPConfig

    model = build_model("mlp", config={"max_epochs": 2, "hidden_layers": (8,), "num_threads": 1})
    assert isinstance(model, MLPClassifier)
    assert model.get_params()["threshold"] == 0.5 and model.get_params()["hidden_layers"] == (8,)
    path = tmp_path / "mlp.yaml"
    MLPConfig(hidden_layers=(4,), max_epochs=1).to_yaml(path)
    assert build_model("mlp", config=path).get_params()["hidden_layers"] == (4,)


def test_maxent_closure_features_decide_the_maxent_eln_label() -> None:
    from nulearn.flavor.data.generate import generate

    frame = generate("original", "maxent", 2000, seed=4)
    X = frame[["alpha", "F_nue", "F_nuebar"]].to_numpy()
    out = ELNMomentFeatures(closure="maxent", n_points=5).fit_transform(X)
    g_minus, g_plus = out[:, 7], out[:, -1]  # G / sum f at mu = -1 and mu = +1
    # Under maxent, ln f is linear in mu, so the ELN crosses iff G has opposite signs at the poles.
    assert np.mean((g_minus * g_plus < 0) == frame["crossing"].to_numpy().astype(bool)) > 0.999
    assert np.all(np.abs(out[:, 7:]) <= 1.0 + 1e-12)
    with pytest.raises(ValueError, match="n_points = 1"):
        ELNMomentFeatures(closure="maxent", n_points=1).fit(X)
