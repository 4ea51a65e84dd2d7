"""Class-weighted deep MLP for imbalanced crossing detection, as a scikit-learn classifier.

The recipe follows the deep-MLP study of fast-flavor-instability flags (McGuigan & Richers,
UTK summer 2025 research summary): a fully connected network with 4-6 hidden layers a few
hundred units wide, ReLU, BatchNorm and dropout; class-weighted binary cross-entropy

    L = -w1 y log(p) - w0 (1 - y) log(1 - p)   (+ decoupled weight decay through AdamW),

with w_c = n / (2 n_c) from the training split; a cosine or step learning-rate schedule;
batches of 4096-16384 at a learning rate of about 3e-3; early stopping on the validation loss.
Training runs through the shared Lightning glue :func:`nulearn.ml.training.fit`, so CPU, GPU
and several GPUs need no code change.

After training, on the validation split only (never a test split):

1. the prior shift caused by the class weights is undone in logit space
   (logit p = logit p_w - log(w1 / w0); Elkan 2001, "The foundations of cost-sensitive
   learning", Theorem 1), so raw outputs are estimates of P(crossing | x);
2. a calibrator (temperature scaling or isotonic regression, :mod:`nulearn.ml.calibration`)
   is fitted;
3. the decision threshold maximising F1 of the calibrated probabilities is chosen.

:meth:`MLPClassifier.predict_proba` applies the calibrator and :meth:`MLPClassifier.predict`
the threshold; both are stored in the pickled estimator and in :meth:`MLPClassifier.card_fields`.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(600, 3)); y = (X[:, 0] + X[:, 1] > 1.0).astype(int)
>>> clf = MLPClassifier(hidden_layers=(16, 16), max_epochs=3, batch_size=128, num_threads=1)
>>> clf.fit(X, y).predict(X[:5]).shape
(5,)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin

from nulearn.flavor.models.coordinates import PhysicalCoordinates
from nulearn.flavor.models.mlp.config import SCHEDULES, MLPConfig
from nulearn.flavor.models.mlp.network import (
    MLPModule,
    build_network,
    class_weights,
    multiply_adds_per_cell,
)
from nulearn.ml.calibration import (
    Calibrator,
    brier_score,
    expected_calibration_error,
    make_calibrator,
    sigmoid,
)
from nulearn.ml.estimator import TorchEstimator, predict_batches
from nulearn.ml.loaders import array_loader
from nulearn.ml.metrics import best_f1_threshold
from nulearn.ml.splits import stratified_holdout
from nulearn.ml.training import best_weights
from nulearn.ml.validation import finite_matrix

__all__ = [
    "SCHEDULES",
    "MLPClassifier",
    "MLPConfig",
    "MLPModule",
    "build_network",
    "class_weights",
    "default_features",
    "multiply_adds_per_cell",
    "table_xy",
]


def _as_labels(y: Any, n: int) -> NDArray[np.int64]:
    arr = np.asarray(y).reshape(-1)
    if arr.size != n:
        raise ValueError(f"y has {arr.size} labels but X has {n} rows")
    bad = np.flatnonzero((arr != 0) & (arr != 1))
    if bad.size:
        raise ValueError(f"y[{bad[0]}] = {arr[bad[0]]}; labels must be 0 or 1")
    return arr.astype(np.int64)


class MLPClassifier(ClassifierMixin, TorchEstimator):  # type: ignore[misc]
    """scikit-learn classifier around :class:`MLPModule`: standardization, class weights,
    calibration and the validation-F1 threshold inside (a :class:`~nulearn.ml.estimator.TorchEstimator`
    with per-feature standardization; pickled with the network as a state dict).

    Args:
        config: base configuration (default :class:`MLPConfig`).
        **overrides: fields of :class:`MLPConfig` replacing those of ``config``; these are
            also the estimator's parameters for ``get_params``/``set_params``, so
            ``GridSearchCV(MLPClassifier(), {"dropout": [0.0, 0.1]})`` works.

    Fitted attributes: ``classes_``, ``n_features_in_``, ``feature_names_in_`` (DataFrame
    input), ``mean_``/``scale_`` (standardization, ``(n_features,)``), ``class_weights_``,
    ``logit_offset_``, ``network_`` (CPU ``nn.Sequential``), ``calibrator_``, ``threshold_``,
    ``validation_`` (scores on the validation split), ``history_``.
    """

    standardization = "per-feature"
    torch_attributes = ("network_",)

    def __init__(self, config: MLPConfig | None = None, **overrides: Any) -> None:
        base = config if config is not None else MLPConfig()
        if not isinstance(base, MLPConfig):
            raise ValueError(f"config must be an MLPConfig, got {type(base).__name__}")
        self.config = self._replace(base, overrides) if overrides else base

    @staticmethod
    def _replace(config: MLPConfig, params: dict[str, Any]) -> MLPConfig:
        allowed = {f.name for f in fields(MLPConfig)}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValueError(
                f"unknown MLPClassifier parameter(s) {unknown}; allowed: {sorted(allowed)}"
            )
        return dataclasses.replace(config, **params)

    # -- scikit-learn parameter protocol: the parameters are the config's fields ---------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The :class:`MLPConfig` fields as a flat dict."""
        return {f.name: getattr(self.config, f.name) for f in fields(MLPConfig)}

    def set_params(self, **params: Any) -> MLPClassifier:
        """Replace config fields; unknown names raise a ValueError."""
        if "config" in params:
            cfg = params.pop("config")
            if not isinstance(cfg, MLPConfig):
                raise ValueError(f"config must be an MLPConfig, got {type(cfg).__name__}")
            self.config = cfg
        if params:
            self.config = self._replace(self.config, params)
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        tags.target_tags.required = True
        return tags

    # -- training -----------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        eval_set: tuple[Any, Any] | None = None,
        callbacks: list[Callback] | None = None,
    ) -> MLPClassifier:
        """Train on features ``X`` ``(n, n_features)`` and labels ``y`` ``(n,)`` in {0, 1}.

        Args:
            X: array or DataFrame; a DataFrame is restricted to ``config.features`` when set.
            y: binary labels.
            eval_set: optional ``(X_val, y_val)`` validation split; without it a stratified
                ``config.val_fraction`` of ``X`` is held out.
            callbacks: extra Lightning callbacks (e.g. Optuna pruning).

        Returns:
            self, fitted.
        """
        cfg = self.config
        X_arr = self._select(X, fitting=True)
        y_arr = _as_labels(y, len(X_arr))
        if eval_set is None:
            if min(np.bincount(y_arr, minlength=2)) < 2:
                raise ValueError("y needs at least 2 samples of each class to split off validation")
            split = stratified_holdout(y_arr, cfg.val_fraction, cfg.seed, stratify=True)
            X_tr, X_val, y_tr, y_val = (
                X_arr[split.train],
                X_arr[split.val],
                y_arr[split.train],
                y_arr[split.val],
            )
        else:
            X_tr, y_tr = X_arr, y_arr
            X_val = self._select(eval_set[0])
            y_val = _as_labels(eval_set[1], len(X_val))
        if y_val.min() == y_val.max():
            raise ValueError("the validation split needs both classes (0 and 1)")

        self.classes_ = np.array([0, 1])
        self._fit_standardization(X_tr)
        self.class_weights_ = class_weights(y_tr, cfg.class_weight)
        # Weighted BCE is minimised by odds_w = (w1 / w0) * odds (Elkan 2001, Thm. 1).
        self.logit_offset_ = float(np.log(self.class_weights_[1] / self.class_weights_[0]))

        train_loader = array_loader(
            torch.as_tensor(self._standardize(X_tr), dtype=torch.float32),
            torch.as_tensor(y_tr, dtype=torch.float32),
            batch_size=cfg.batch_size,
            shuffle=True,
            seed=cfg.seed,
            loader_generator=False,
        )
        val_loader = array_loader(
            torch.as_tensor(self._standardize(X_val), dtype=torch.float32),
            torch.as_tensor(y_val, dtype=torch.float32),
            batch_size=65536,
        )

        t0 = time.perf_counter()
        module, trainer = self._train(
            lambda: MLPModule(X_arr.shape[1], cfg, self.class_weights_),  # width after coordinates
            train_loader,
            val_loader,
            cfg.trainer_config(),
            callbacks,
        )
        fit_time = time.perf_counter() - t0
        self.network_ = module.net.to("cpu").eval()
        restorer = best_weights(trainer)
        best_epoch = restorer.best_epoch if restorer else None
        self.history_ = {
            "epochs": int(trainer.current_epoch),
            "best_epoch": None if best_epoch is None else int(best_epoch),
            "fit_time_s": fit_time,
            "n_train": len(y_tr),
            "n_val": len(y_val),
        }

        self._calibrate(X_val, y_val)
        return self

    def _calibrate(self, X_val: NDArray[np.float64], y_val: NDArray[np.int64]) -> None:
        """Fit the calibrator and choose the threshold on the validation split only."""
        cfg = self.config
        p_raw = sigmoid(self._logits(X_val))
        self.calibrator_: Calibrator = make_calibrator(cfg.calibration).fit(p_raw, y_val)
        p_cal = self.calibrator_.transform(p_raw)
        if cfg.threshold is None:
            self.threshold_, f1 = best_f1_threshold(y_val, p_cal)
            self.threshold_ = float(self.threshold_)
        else:
            self.threshold_ = float(cfg.threshold)
        pred = p_cal >= self.threshold_
        tp = int(np.count_nonzero(pred & (y_val == 1)))
        precision = tp / max(int(pred.sum()), 1)
        recall = tp / max(int((y_val == 1).sum()), 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        self.validation_ = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "threshold": self.threshold_,
            "ece_raw": expected_calibration_error(y_val, p_raw),
            "brier_raw": brier_score(y_val, p_raw),
            # In-sample for the calibrator (fitted on this split): an optimistic bound;
            # measure calibration on a test split for a fair figure.
            "ece_calibrated_insample": expected_calibration_error(y_val, p_cal),
        }

    def fit_frame(
        self, frame: pd.DataFrame, eval_frame: pd.DataFrame | None = None
    ) -> MLPClassifier:
        """Train on a table: feature columns ``config.features`` and label column ``config.label``.

        Without ``config.features`` the xln features are used when all present, else the ELN
        features (:mod:`nulearn.flavor.physics.species`). Rows with a negative label (invalid moments
        from :func:`nulearn.flavor.data.labelling.label_moments`) are dropped.
        """
        X, y = table_xy(frame, self.config.features, self.config.label)
        ev = (
            None
            if eval_frame is None
            else table_xy(eval_frame, tuple(X.columns), self.config.label)
        )
        return self.fit(X, y, eval_set=ev)

    # -- inference ----------------------------------------------------------------------------
    def _select(self, X: Any, fitting: bool = False) -> NDArray[np.float64]:
        if isinstance(X, pd.DataFrame):
            cols = list(self.config.features) if self.config.features else list(X.columns)
            missing = [c for c in cols if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks feature column(s) {missing}; has {list(X.columns)}")
            if fitting:
                self.feature_names_in_ = np.asarray(cols, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                cols = list(self.feature_names_in_)
                missing = [c for c in cols if c not in X.columns]
                if missing:
                    raise ValueError(f"X lacks feature column(s) {missing} seen in fit")
            X = X[cols]
        elif fitting and hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        arr = finite_matrix(X)
        if fitting:
            self.n_features_in_ = arr.shape[1]
            self.coordinates_ = (
                PhysicalCoordinates().fit(arr) if self.config.coordinates == "physical" else None
            )
        elif arr.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {arr.shape[1]} features; the model was fitted with {self.n_features_in_}"
            )
        coords = getattr(self, "coordinates_", None)
        return arr if coords is None else coords.transform(arr)

    def _logits(self, X: NDArray[np.float64], chunk: int = 1 << 16) -> NDArray[np.float64]:
        z = predict_batches(
            self.network_, X, chunk, lambda xb: torch.from_numpy(self._standardize(xb))
        )
        return z.reshape(len(X)) - self.logit_offset_

    def _rebuild(self, name: str) -> torch.nn.Sequential:
        cfg = self.config
        return build_network(len(self.mean_), cfg.hidden_layers, cfg.dropout, cfg.batch_norm)

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Prior-corrected, uncalibrated logits ``(n,)``: log-odds of a crossing."""
        self._check_fitted()
        return self._logits(self._select(X))

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Calibrated class probabilities ``(n, 2)``: columns P(stable), P(crossing)."""
        self._check_fitted()
        p1 = np.clip(self.calibrator_.transform(sigmoid(self._logits(self._select(X)))), 0.0, 1.0)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: Any) -> NDArray[np.int64]:
        """Labels ``(n,)``: 1 where the calibrated P(crossing) reaches ``threshold_``."""
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(np.int64)

    # -- description --------------------------------------------------------------------------
    @property
    def n_parameters_(self) -> int:
        """Trainable parameters of the fitted network."""
        self._check_fitted()
        return int(sum(p.numel() for p in self.network_.parameters()))

    def multiply_adds_per_cell(self) -> int:
        """Forward-pass multiply-adds for one cell (see :func:`multiply_adds_per_cell`)."""
        self._check_fitted()
        return multiply_adds_per_cell(len(self.mean_), self.config.hidden_layers)

    def card_fields(self) -> dict[str, Any]:
        """What a model card records: config, threshold, calibrator, class weights, validation scores."""
        self._check_fitted()
        return {
            "model": "mlp",
            "config": self.config.to_dict(),
            "threshold": self.threshold_,
            "calibration": self.calibrator_.describe(),
            "class_weights": list(self.class_weights_),
            "logit_offset": self.logit_offset_,
            "n_parameters": self.n_parameters_,
            "multiply_adds_per_cell": self.multiply_adds_per_cell(),
            "validation": dict(self.validation_),
            "history": dict(self.history_),
        }


def default_features(frame: pd.DataFrame) -> tuple[str, ...]:
    """The xln features when all present in ``frame``, else the ELN features; ValueError otherwise."""
    from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES

    for feats in (XLN_FEATURES, ELN_FEATURES):
        if all(c in frame.columns for c in feats):
            return tuple(feats)
    raise ValueError(
        f"no feature columns given and the table has neither the xln {XLN_FEATURES} nor the "
        f"ELN {ELN_FEATURES} features; name the feature columns"
    )


def table_xy(
    frame: pd.DataFrame, features: Sequence[str] | None = None, label: str = "crossing"
) -> tuple[pd.DataFrame, NDArray[np.int64]]:
    """Split a moment table into features ``(n, n_features)`` and labels ``(n,)``.

    Any table works: ``features`` names the feature columns (default :func:`default_features`)
    and ``label`` the 0/1 label column; a label other than 0 or 1 is refused, never dropped.
    """
    feats = tuple(features) if features else default_features(frame)
    missing = [c for c in (*feats, label) if c not in frame.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {missing}; has {list(frame.columns)}")
    from nulearn.flavor.physics.validity import validate_labels

    y = validate_labels(frame, label, source="table")
    return frame[list(feats)], y.astype(np.int64)
