"""A saved crossing classifier, seen from deployment: its plan, its Python reference, its provenance.

:func:`load_deployable` reads a model directory written by :func:`nulearn.ml.model_card.save_model`
(``card.yaml`` + ``estimator.joblib``) and recognizes

* ``poly_lr``: the scikit-learn pipeline of :func:`nulearn.flavor.models.classical.polynomial_logistic_regression`;
* ``mlp``: :class:`nulearn.flavor.models.mlp.classifier.MLPClassifier` (standardization, network, prior-shift
  logit offset, calibrator, threshold);
* ``gbt``: :class:`nulearn.flavor.models.classical.BoostedTreesClassifier` (LightGBM, with its
  moment and closure features);
* ``svm``: :class:`nulearn.flavor.models.classical.RBFSVMClassifier` (exact or Nystroem);
* ``tree``: a scikit-learn ``DecisionTreeClassifier``;
* ``knn`` (``KNeighborsClassifier``) and ``sklearn`` (any other scikit-learn classifier): ONNX
  export and Python inference only.

Every kind but ``knn`` and ``sklearn`` has a :class:`~nulearn.flavor.deploy.plan.DeployPlan`, hence
generated C and Fortran.

Models in physical coordinates (:mod:`nulearn.flavor.models.coordinates`: a ``coords`` pipeline step of
the LR, ``MLPClassifier.coordinates_``) and models of 3D-moment features (a direction cosine among
the features, :mod:`nulearn.flavor.physics.moments3d`) are recognized by the same code.

The Python reference (:meth:`DeployableModel.predict_raw`) is what every export is checked
against: the estimator's own ``predict_proba`` on the valid cells (features of 3D models from
:func:`nulearn.flavor.physics.moments3d.features_from_moments3d` itself), the card's threshold
(``p >= threshold``, as :class:`~nulearn.ml.model_card.CardedModel` predicts) and flag -1 on
invalid cells. For the MLP it runs the network in float64 (the exports compute in float64;
the float32 network differs from it by ~1e-7 in the logit, which an isotonic calibrator's
steep segments can amplify beyond 1e-6 in probability).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.extract import (
    calibration_from,
    plan_from_boosted_trees,
    plan_from_decision_tree,
    plan_from_sklearn_pipeline,
    plan_from_svm,
    plan_from_torch,
)
from nulearn.flavor.deploy.plan import DOMAIN_FLAG, INVALID_FLAG, DeployPlan, FeatureDomain
from nulearn.flavor.deploy.raw_moments import (
    features_from_raw,
    is_three_dimensional,
    raw_moment_names,
    species_for_features,
)
from nulearn.ml.model_card import CARD_FILE, file_sha256, load_model

__all__ = ["PLANNED_KINDS", "DeployableModel", "load_deployable"]


#: kinds of model that :meth:`DeployableModel.plan` turns into generated code
PLANNED_KINDS: tuple[str, ...] = ("poly_lr", "mlp", "gbt", "svm", "tree")


def _kind(estimator: Any) -> str:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.tree import DecisionTreeClassifier

    from nulearn.flavor.models.classical import BoostedTreesClassifier, RBFSVMClassifier

    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if isinstance(estimator, Pipeline) and isinstance(final, LogisticRegression):
        return "poly_lr"
    if type(estimator).__name__ == "MLPClassifier" and hasattr(estimator, "network_"):
        return "mlp"
    for cls, kind in (
        (BoostedTreesClassifier, "gbt"),
        (RBFSVMClassifier, "svm"),
        (DecisionTreeClassifier, "tree"),
        (KNeighborsClassifier, "knn"),
    ):
        if isinstance(final, cls):
            return kind
    return "sklearn"


@dataclass
class DeployableModel:
    """A loaded model directory plus what deployment needs to know about it.

    Attributes:
        model_dir: the directory.
        estimator: the fitted estimator.
        card: its :class:`~nulearn.ml.model_card.ModelCard`.
        card_hash: SHA-256 of ``card.yaml`` (which itself records the estimator's SHA-256).
        kind: ``"poly_lr"``, ``"mlp"``, ``"gbt"``, ``"svm"``, ``"tree"``, ``"knn"`` or
            ``"sklearn"`` (module docstring).
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
    def three_dimensional(self) -> bool:
        """Whether the model reads 3D moments (flux vectors; it has a direction-cosine feature)."""
        return is_three_dimensional(self.feature_names)

    @property
    def scheme(self) -> str:
        if self.card.scheme:
            return str(self.card.scheme)
        return "xln" if "nux" in species_for_features(self.feature_names) else "eln"

    @property
    def threshold(self) -> float:
        return float(self.card.threshold)

    @property
    def name(self) -> str:
        """C identifier for generated functions, e.g. ``lr_xln`` (``lr_xln_3d`` for 3D moments)."""
        suffix = "_3d" if self.three_dimensional else ""
        return re.sub(r"[^0-9a-zA-Z_]", "_", f"{self.card.model}_{self.scheme}{suffix}")

    @property
    def domain(self) -> FeatureDomain | None:
        """The card's training domain as a plan check (flag :data:`DOMAIN_FLAG` outside), or None."""
        training = self.card.training_domain()
        return None if training is None else FeatureDomain.from_training(training, DOMAIN_FLAG)

    def plan(self, name: str | None = None) -> DeployPlan:
        """:class:`DeployPlan` for code generation, with the card's training-domain check.

        Raises:
            ValueError: for models without generated code (KNN, other scikit-learn models).
        """
        plan = self._model_plan(name)
        return plan if self.domain is None else replace(plan, domain=self.domain)

    def _model_plan(self, name: str | None) -> DeployPlan:
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
                coordinates=getattr(est, "coordinates_", None),
                calibration=calibration_from(est.calibrator_),
                **common,
            )
            return _shift_logit(plan, -float(getattr(est, "logit_offset_", 0.0)))
        if self.kind == "gbt":
            return plan_from_boosted_trees(self.estimator, **common)
        if self.kind == "svm":
            return plan_from_svm(self.estimator, **common)
        if self.kind == "tree":
            return plan_from_decision_tree(self.estimator, **common)
        raise ValueError(
            f"model {self.card.model!r} ({type(self.estimator).__name__}) cannot be generated as C/Fortran; "
            "supported: lr, mlp, gbt, svm, tree; use --format onnx"
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

        Invalid cells get ``p = NaN`` and ``flag = -1``. The features of 3D models come from
        :func:`~nulearn.flavor.physics.moments3d.features_from_moments3d` on the valid cells (the
        library the generated code mirrors), those of 1D models from
        :func:`~nulearn.flavor.deploy.raw_moments.features_from_raw`.
        """
        x, valid = features_from_raw(moments, self.feature_names)
        if self.three_dimensional and valid.any():
            x = _library_features3d(moments, self.feature_names, valid)
        p = np.full(x.shape[0], np.nan)
        p[valid] = self.predict_features(x[valid])
        flag = np.full(x.shape[0], INVALID_FLAG, dtype=np.int8)
        flag[valid] = (p[valid] >= self.threshold).astype(np.int8)
        domain = self.domain
        if domain is not None and valid.any():
            outside = valid.copy()
            outside[valid] = ~domain.contains(x[valid])
            flag[outside] = domain.flag
        return p, flag, valid


def _library_features3d(
    moments: Mapping[str, NDArray[np.floating]],
    feature_names: tuple[str, ...],
    valid: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """Features ``(n_cells, n_features)`` of the valid cells by ``features_from_moments3d`` (NaN elsewhere)."""
    import pandas as pd

    from nulearn.flavor.physics.moments3d import features_from_moments3d

    frame = pd.DataFrame(
        {
            name: np.asarray(moments[name], dtype=np.float64).reshape(-1)[valid]
            for name in raw_moment_names(feature_names)
        }
    )
    x = np.full((valid.size, len(feature_names)), np.nan)
    x[valid] = features_from_moments3d(frame)[list(feature_names)].to_numpy(dtype=np.float64)
    return x


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
    coords = getattr(est, "coordinates_", None)  # physical coordinates come before the scaling
    x = x if coords is None else coords.transform(x)
    with torch.inference_mode():
        z = net(torch.from_numpy((x - est.mean_) / est.scale_)).squeeze(-1).numpy()
    z = z - float(getattr(est, "logit_offset_", 0.0))
    return np.clip(np.asarray(est.calibrator_.transform(sigmoid(z)), dtype=np.float64), 0.0, 1.0)


def load_deployable(model_dir: str | Path, *, trusted: bool = False) -> DeployableModel:
    """Load a model directory, or a built-in named ``builtin:NAME``
    (:func:`~nulearn.flavor.models.builtin_models.resolve_model_dir`); the card is checked by
    :func:`nulearn.ml.model_card.load_model` (``trusted`` as there)."""
    from nulearn.flavor.models.builtin_models import resolve_model_dir

    model_dir = resolve_model_dir(model_dir)
    carded = load_model(model_dir, trusted=trusted)
    return DeployableModel(
        model_dir=model_dir,
        estimator=carded.estimator,
        card=carded.card,
        card_hash=file_sha256(model_dir / CARD_FILE),
        kind=_kind(carded.estimator),
    )
