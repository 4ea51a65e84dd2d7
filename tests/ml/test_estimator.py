"""The base of torch-backed estimators: standardization rules, seeded training, the classifier
contract, and pickling through state dicts (including estimators pickled with whole networks)."""

from __future__ import annotations

import pickle
from typing import Any

import lightning as L
import numpy as np
import pytest
import torch
from sklearn.base import RegressorMixin, clone

from nulearn.ml.estimator import (
    TorchBinaryClassifier,
    TorchEstimator,
    predict_batches,
    standardization,
    standardize,
)
from nulearn.ml.loaders import holdout_loaders
from nulearn.ml.splits import shuffled_holdout
from nulearn.ml.training import TrainerConfig


class _LinearModule(L.LightningModule):
    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.net = torch.nn.Linear(n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.mean((self(x) - y) ** 2)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.mean((self(x) - y) ** 2))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=0.1)


class TinyRegressor(RegressorMixin, TorchEstimator):
    standardization = "per-feature"
    torch_attributes = ("module_",)

    def __init__(self, seed: int = 0, max_epochs: int = 3) -> None:
        self.seed = seed
        self.max_epochs = max_epochs

    def fit(self, X: Any, y: Any) -> TinyRegressor:
        x = np.asarray(X, dtype=np.float64)
        self._fit_standardization(x)
        loaders = holdout_loaders(
            (self._standardize(x), np.asarray(y, np.float32)),
            shuffled_holdout(len(x), len(x) // 5, self.seed),
            batch_size=16,
            seed=self.seed,
        )
        config = TrainerConfig(
            max_epochs=self.max_epochs, patience=5, accelerator="cpu", seed=self.seed
        )
        self.n_features_in_ = x.shape[1]
        self.module_, _ = self._train(lambda: _LinearModule(x.shape[1]), *loaders, config)
        return self

    def _rebuild(self, name: str) -> _LinearModule:
        return _LinearModule(self.n_features_in_)

    def predict(self, X: Any) -> np.ndarray:
        self._check_fitted()
        return predict_batches(self.module_, self._standardize(X))


class Threshold(TorchBinaryClassifier):
    """Logit x0 - 1: a fixed 'network' for the classifier contract."""

    def fit(self, X: Any, y: Any) -> Threshold:
        self.classes_ = np.array(["low", "high"])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)[:, 0] - 1.0


def _data(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]
    return X, (X @ np.array([1.0, 0.2, 3.0])).astype(np.float32)


def test_standardization_rules_closed_form() -> None:
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    mean, scale = standardization(x, "per-feature")
    np.testing.assert_array_equal(mean, [2.0, 5.0])
    np.testing.assert_array_equal(scale, [1.0, 1.0])  # a constant column keeps scale 1
    offset, s = standardization(x, "global")
    assert offset == 0.0 and s == pytest.approx(np.std(x))
    np.testing.assert_allclose(standardize(x, offset, s, "global"), x / np.std(x), rtol=1e-6)
    assert standardization(x, "none") == (0.0, 1.0)
    assert standardize(x, 0.0, 1.0, "none").dtype == np.float32
    with pytest.raises(ValueError, match="standardization"):
        standardization(x, "robust")
    with pytest.raises(ValueError, match="global"):
        standardization(np.zeros((3, 3)), "global")


def test_seeded_training_is_reproducible_and_clone_works() -> None:
    X, y = _data()
    a = TinyRegressor(seed=3).fit(X, y).predict(X)
    b = clone(TinyRegressor(seed=3)).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, TinyRegressor(seed=4).fit(X, y).predict(X))


def test_pickle_holds_state_dicts_not_networks() -> None:
    X, y = _data()
    est = TinyRegressor().fit(X, y)
    state = est.__getstate__()
    assert isinstance(state["module_"], dict) and not isinstance(state["module_"], torch.nn.Module)
    assert "_LinearModule" not in str(pickle.dumps(est))  # the network class is not named
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert not back.module_.training


def test_estimator_pickled_with_the_whole_network_still_loads() -> None:
    X, y = _data()
    est = TinyRegressor().fit(X, y)
    old = TinyRegressor.__new__(TinyRegressor)
    old.__setstate__(dict(vars(est)))  # as a pickle made before state-dict packing holds it
    np.testing.assert_array_equal(old.predict(X), est.predict(X))


def test_unfitted_estimator_raises() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="TinyRegressor"):
        TinyRegressor().predict(np.zeros((2, 3)))


def test_binary_classifier_contract() -> None:
    X = np.array([[0.0], [0.9], [1.1], [3.0]])
    clf = Threshold().fit(X, None)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert proba[3, 1] == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert clf.predict(X).tolist() == ["low", "low", "high", "high"]


def test_predict_batches_concatenates_in_order() -> None:
    net = torch.nn.Linear(2, 1)
    x = np.random.default_rng(0).normal(size=(11, 2)).astype(np.float32)
    out = predict_batches(net, x, batch_size=4)
    with torch.no_grad():
        np.testing.assert_allclose(out, net(torch.from_numpy(x)).double().numpy())
    assert predict_batches(net, x[:0]).shape == (0,)
