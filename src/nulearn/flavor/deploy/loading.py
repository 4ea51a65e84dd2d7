"""A saved crossing classifier, seen from deployment: its plan, its Python reference, its provenance.

:func:`load_deployable` reads a model directory written by :func:`nulearn.ml.model_card.save_model`
(``card.yaml`` + ``estimator.joblib``) and recognizes

* ``poly_lr``: the scikit-learn pipeline of :func:`nulearn.flavor.models.polynomial_logistic_regression`;
* ``mlp``: :class:`nulearn.flavor.mlp.MLPClassifier` (standardization, network, prior-shift
  logit offset, calibrator, threshold);
* ``sklearn``: any other scikit-learn classifier (trees, KNN, SVM; ONNX export and Python
  inference only).

The Python reference (:meth:`DeployableModel.predict_raw`) is what every export is checked
against: the estimator's own ``predict_proba`` on the valid cells, the card's threshold
(``p >= threshold``, as :class:`~nulearn.ml.model_card.CardedModel` predicts) and flag -1 on
invalid cells. For the MLP it runs the network in float64 (the exports compute in float64;
the float32 network differs from it by ~1e-7 in the logit, which an isotonic calibrator's
steep segments can amplify beyond 1e-6 in probability).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.extract import plan_from_sklearn_pipeline, plan_from_torch
from nulearn.flavor.deploy.plan import INVALID_FLAG, Calibration, DeployPlan
from nulearn.flavor.deploy.raw_moments import features_from_raw, raw_moment_names
from nulearn.ml.model_card import CARD_FILE, file_sha256, load_model

__all__ = ["DeployableModel", "calibration_from", "load_deployable"]


def _kind(estimator: Any) -> str:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and isinstance(estimator.steps[-1][1], LogisticRegression):
        return "poly_lr"
    if type(estimator).__name__ == "MLPClassifier" and hasattr(estimator, "network_"):
        return "mlp"
    return "sklearn"


def calibration_from(calibrator: Any) -> Calibration:
    """:class:`Calibration` equivalent to a fitted :mod:`nulearn.ml.calibration` calibrator.

    Temperature scaling there clips probabilities to [1e-7, 1 - 1e-7] before the logit, so the
    raw logit is clipped to the same range here.
    """
    method = getattr(calibrator, "method", "none")
    if method == "none":
        return Calibration()
    if method == "temperature":
        from nulearn.ml.calibration import logit

        lo, hi = (float(v) for v in logit(np.array([0.0, 1.0])))
        return Calibration(
            kind="temperature",
            temperature=float(calibrator.temperature),
            logit_min=lo,
            logit_max=hi,
        )
    if method == "isotonic":
        iso = calibrator._iso  # the fitted sklearn IsotonicRegression (clip out of bounds)
        return Calibration(
            kind="isotonic",
            x=np.asarray(iso.X_thresholds_, dtype=np.float64),
            y=np.asarray(iso.y_thresholds_, dtype=np.float64),
        )
    raise ValueError(
        f"calibrator method {method!r} cannot be exported; supported: none, temperature, isotonic"
    )


@dataclass
class DeployableModel:
    """A loaded model directory plus what deployment needs to know about it.

    Attributes:
        model_dir: the directory.
        estimator: the fitted estimator.
        card: its :class:`~nulearn.ml.model_card.ModelCard`.
        card_hash: SHA-256 of ``card.yaml`` (which itself records the estimator's SHA-256).
        kind: ``"poly_lr"``, ``"mlp"`` or ``"sklearn"``.
    """

    model_dir: Path
    estimator: Any
    card: Any
    card_hash: str
    kind: str

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(self.card.feature_names)

    @property
    def raw_names(self) -> tuple[str, ...]:
        """Raw moments the model reads, in argument order."""
        return raw_moment_names(self.feature_names)

    @property
    def scheme(self) -> str:
        if self.card.scheme:
            return str(self.card.scheme)
        return "xln" if len(self.feature_names) > 3 else "eln"

    @property
    def threshold(self) -> float:
        return float(self.card.threshold)

    @property
    def name(self) -> str:
        """C identifier for generated functions, e.g. ``lr_xln``."""
        return re.sub(r"[^0-9a-zA-Z_]", "_", f"{self.card.model}_{self.scheme}")

    def plan(self, name: str | None = None) -> DeployPlan:
        """:class:`DeployPlan` for code generation.

        Raises:
            ValueError: for models that are not a polynomial LR or a feed-forward MLP.
        """
        common: dict[str, Any] = {
            "name": name or self.name,
            "scheme": self.scheme,
            "feature_names": self.feature_names,
            "threshold": self.threshold,
            "threshold_inclusive": True,
            "card_hash": self.card_hash,
        }
        if self.kind == "poly_lr":
            return plan_from_sklearn_pipeline(self.estimator, **common)
        if self.kind == "mlp":
            est = self.estimator
            plan = plan_from_torch(
                est.network_,
                input_mean=est.mean_,
                input_scale=est.scale_,
                calibration=calibration_from(est.calibrator_),
                **common,
            )
            return _shift_logit(plan, -float(getattr(est, "logit_offset_", 0.0)))
        raise ValueError(
            f"model {self.card.model!r} ({type(self.estimator).__name__}) cannot be generated as C/Fortran; "
            "supported: polynomial logistic regression (lr) and feed-forward MLPs (mlp); use --format onnx"
        )

    def predict_features(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Reference P(crossing) for a feature matrix ``(n, n_features)`` of valid cells."""
        if x.shape[0] == 0:
            return np.zeros(0)
        if self.kind == "mlp":
            return _mlp_proba_float64(self.estimator, x)
        return np.asarray(self.estimator.predict_proba(x), dtype=np.float64)[:, 1]

    def predict_raw(
        self, moments: Mapping[str, NDArray[np.floating]]
    ) -> tuple[NDArray[np.float64], NDArray[np.int8], NDArray[np.bool_]]:
        """Python reference on raw moments ``(n_cells,)``: ``(p_crossing, flag, valid)``.

        Invalid cells get ``p = NaN`` and ``flag = -1``.
        """
        x, valid = features_from_raw(moments, self.feature_names)
        p = np.full(x.shape[0], np.nan)
        p[valid] = self.predict_features(x[valid])
        flag = np.full(x.shape[0], INVALID_FLAG, dtype=np.int8)
        flag[valid] = (p[valid] >= self.threshold).astype(np.int8)
        return p, flag, valid


def _shift_logit(plan: DeployPlan, shift: float) -> DeployPlan:
    from dataclasses import replace

    from nulearn.flavor.deploy.plan import Dense

    last = plan.stages[-1]
    assert isinstance(last, Dense)
    stages = (*plan.stages[:-1], Dense(weight=last.weight, bias=last.bias + shift, relu=last.relu))
    return replace(plan, stages=stages)


def _mlp_proba_float64(est: Any, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """MLPClassifier.predict_proba with the network in float64 (see the module docstring)."""
    import torch

    from nulearn.ml.calibration import sigmoid

    net = copy.deepcopy(est.network_).double().eval()
    with torch.inference_mode():
        z = net(torch.from_numpy((x - est.mean_) / est.scale_)).squeeze(-1).numpy()
    z = z - float(getattr(est, "logit_offset_", 0.0))
    return np.clip(np.asarray(est.calibrator_.transform(sigmoid(z)), dtype=np.float64), 0.0, 1.0)


def load_deployable(model_dir: str | Path) -> DeployableModel:
    """Load a model directory (card checked by :func:`nulearn.ml.model_card.load_model`)."""
    model_dir = Path(model_dir)
    carded = load_model(model_dir)
    return DeployableModel(
        model_dir=model_dir,
        estimator=carded.estimator,
        card=carded.card,
        card_hash=file_sha256(model_dir / CARD_FILE),
        kind=_kind(carded.estimator),
    )
