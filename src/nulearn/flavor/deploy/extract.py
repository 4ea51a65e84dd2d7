"""Turn fitted models into :class:`~nulearn.flavor.deploy.plan.DeployPlan` objects.

Supported for code generation:

* scikit-learn pipelines of ``PhysicalCoordinates`` (:mod:`nulearn.flavor.models.coordinates`),
  ``StandardScaler``, ``PolynomialFeatures`` and a final binary ``LogisticRegression`` (the
  polynomial LR of arXiv:2310.03807, in raw or physical coordinates);
* PyTorch feed-forward networks of ``Linear``, ``ReLU``, ``BatchNorm1d`` (eval mode, folded
  into the neighbouring ``Linear``), ``Dropout`` and ``Identity``, ending in one logit (or two
  softmax logits, reduced to their difference), optionally preceded by physical coordinates and a
  feature standardization;
* :class:`~nulearn.flavor.models.classical.BoostedTreesClassifier` (LightGBM): the
  ``ELNMomentFeatures`` transform (with or without the maximum-entropy closure features) and the
  trees, raw score as logit;
* a scikit-learn ``DecisionTreeClassifier``: one tree whose leaves hold the probability;
* :class:`~nulearn.flavor.models.classical.RBFSVMClassifier`: the exact RBF SVM (support vectors,
  dual coefficients, intercept) or its Nystroem approximation (landmarks, normalization, the
  float32 feature rounding, the linear model), then its temperature calibrator; a leading
  ``StandardScaler`` in a pipeline becomes a standardization.

KNN is exported through ONNX only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.plan import (
    Calibration,
    Coordinates,
    Dense,
    DeployPlan,
    Polynomial,
    RBFKernel,
    RoundToFloat32,
    Stage,
    Standardize,
)

__all__ = [
    "calibration_from",
    "coordinates_stage",
    "plan_from_boosted_trees",
    "plan_from_decision_tree",
    "plan_from_sklearn_pipeline",
    "plan_from_svm",
    "plan_from_torch",
    "stages_from_torch_layers",
]


def _f64(a: Any) -> NDArray[np.float64]:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.array(a, dtype=np.float64, copy=True)


def coordinates_stage(transformer: Any, n_in: int) -> Coordinates:
    """:class:`Coordinates` stage of a fitted :class:`~nulearn.flavor.models.coordinates.PhysicalCoordinates`.

    The stage is checked against ``transformer.transform`` on probe features, so that a change
    of the coordinate map that deployment does not know fails here instead of exporting a
    different model.

    Raises:
        ValueError: when the transformer is unfitted, fitted on another width than ``n_in``, or
            its map is not the one the stage reproduces.
    """
    from nulearn.flavor.deploy.plan import run_stages
    from nulearn.flavor.models.coordinates import (
        G_RATIO_SOFTENING,
        LEPTON_TERMS,
    )

    r = getattr(transformer, "ratio_columns_", None)
    width = getattr(transformer, "n_features_in_", None)
    if r is None or width is None:
        raise ValueError("PhysicalCoordinates is not fitted; fit the model before exporting it")
    if int(width) != n_in:
        raise ValueError(
            f"PhysicalCoordinates was fitted on {width} features, the model reads {n_in}"
        )
    g0_terms, g1_terms = LEPTON_TERMS.get(int(r), ((), ()))
    stage = Coordinates(
        ratio_columns=int(r),
        n_in=int(n_in),
        g0_terms=g0_terms,
        g1_terms=g1_terms,
        softening=float(G_RATIO_SOFTENING),
    )
    rng = np.random.default_rng(0)
    probe = np.column_stack(
        [rng.uniform(0.2, 3.0, (32, int(r))), rng.uniform(0.0, 0.95, (32, n_in - int(r)))]
    )
    expected = np.asarray(transformer.transform(probe), dtype=np.float64)
    got = run_stages((stage,), probe)
    if expected.shape != got.shape or not np.allclose(got, expected, rtol=1e-12, atol=1e-12):
        raise ValueError(
            f"{type(transformer).__name__} maps {n_in} features to {expected.shape[1]} columns "
            f"that the deploy Coordinates stage ({got.shape[1]} columns) does not reproduce; "
            "update nulearn.flavor.deploy to the new coordinate map"
        )
    return stage


def plan_from_sklearn_pipeline(
    pipeline: Any,
    *,
    name: str,
    scheme: str,
    feature_names: Sequence[str],
    threshold: float = 0.5,
    threshold_inclusive: bool = False,
    calibration: Calibration | None = None,
    card_hash: str = "",
) -> DeployPlan:
    """Plan of a fitted ``Pipeline([PhysicalCoordinates?, StandardScaler?, PolynomialFeatures?, ...,
    LogisticRegression])``.

    Raises:
        ValueError: for an unsupported step or a non-binary classifier.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from nulearn.flavor.models.coordinates import PhysicalCoordinates

    steps = [step for _, step in getattr(pipeline, "steps", [("model", pipeline)])]
    stages: list[Stage] = []
    width = len(feature_names)
    for i, step in enumerate(steps):
        if step is None or step == "passthrough":
            continue
        if isinstance(step, PhysicalCoordinates):
            coords = coordinates_stage(step, width)
            stages.append(coords)
            width = coords.n_out
        elif isinstance(step, StandardScaler):
            mean = _f64(step.mean_) if step.with_mean else np.zeros(width)
            scale = _f64(step.scale_) if step.with_std else np.ones(width)
            stages.append(Standardize(mean=mean, scale=scale))
        elif isinstance(step, PolynomialFeatures):
            powers = np.asarray(step.powers_, dtype=np.int64)
            stages.append(Polynomial(powers=powers))
            width = powers.shape[0]
        elif isinstance(step, LogisticRegression) and i == len(steps) - 1:
            coef = _f64(step.coef_)
            if coef.shape[0] != 1 or len(step.classes_) != 2:
                raise ValueError(
                    f"only binary logistic regression can be generated, got classes {step.classes_}"
                )
            stages.append(Dense(weight=coef, bias=_f64(step.intercept_).reshape(1)))
        else:
            raise ValueError(
                f"pipeline step {i} ({type(step).__name__}) cannot be generated as code; "
                "supported: PhysicalCoordinates, StandardScaler, PolynomialFeatures, final "
                "LogisticRegression (use ONNX otherwise)"
            )
    if not stages or not isinstance(stages[-1], Dense):
        raise ValueError("pipeline must end in a LogisticRegression")
    return DeployPlan(
        name=name,
        kind="poly_lr",
        scheme=scheme,
        feature_names=tuple(feature_names),
        stages=tuple(stages),
        calibration=calibration or Calibration(),
        threshold=float(threshold),
        threshold_inclusive=threshold_inclusive,
        card_hash=card_hash,
    )


def stages_from_torch_layers(layers: Sequence[Any]) -> list[Stage]:
    """Dense stages from a flat sequence of PyTorch layers (eval-mode semantics).

    BatchNorm after a Linear is folded into it (``W' = s W``, ``b' = s (b - mu) + beta`` with
    ``s = gamma / sqrt(var + eps)``); BatchNorm after a ReLU is folded into the next Linear.
    """
    import torch.nn as nn

    stages: list[Stage] = []
    pending: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None  # x -> s x + t
    last_linear_open = False  # the last stage is a Dense with nothing applied after it yet
    for layer in layers:
        if isinstance(layer, (nn.Dropout, nn.Identity, nn.Flatten)):
            continue
        if isinstance(layer, nn.Linear):
            w = _f64(layer.weight)
            b = _f64(layer.bias) if layer.bias is not None else np.zeros(w.shape[0])
            if pending is not None:
                s, t = pending
                b = b + w @ t
                w = w * s[None, :]
                pending = None
            stages.append(Dense(weight=w, bias=b))
            last_linear_open = True
        elif isinstance(layer, nn.BatchNorm1d):
            if layer.running_mean is None or layer.running_var is None:
                raise ValueError("BatchNorm1d without running statistics cannot be folded")
            gamma = _f64(layer.weight) if layer.affine else np.ones(layer.num_features)
            beta = _f64(layer.bias) if layer.affine else np.zeros(layer.num_features)
            s = gamma / np.sqrt(_f64(layer.running_var) + layer.eps)
            t = beta - s * _f64(layer.running_mean)
            if last_linear_open:
                d = stages[-1]
                assert isinstance(d, Dense)
                stages[-1] = Dense(weight=d.weight * s[:, None], bias=s * d.bias + t)
            elif pending is not None:
                ps, pt = pending
                pending = (ps * s, pt * s + t)
            else:
                pending = (s, t)
        elif isinstance(layer, nn.ReLU):
            prev = stages[-1] if stages else None
            if not last_linear_open or not isinstance(prev, Dense) or pending is not None:
                raise ValueError(
                    "ReLU must follow a Linear (optionally with BatchNorm) to be generated"
                )
            stages[-1] = Dense(weight=prev.weight, bias=prev.bias, relu=True)
            last_linear_open = False
        else:
            raise ValueError(
                f"layer {type(layer).__name__} cannot be generated as code; supported: Linear, ReLU, "
                "BatchNorm1d, Dropout, Identity (use ONNX or TorchScript otherwise)"
            )
    if pending is not None:
        raise ValueError("network ends in a BatchNorm without a following Linear")
    if not stages or not isinstance(stages[-1], Dense) or stages[-1].relu:
        raise ValueError("network must end in a Linear layer giving the logit")
    final = stages[-1]
    if final.n_out == 2:  # softmax over two classes: p1 = sigmoid(z1 - z0)
        stages[-1] = Dense(
            weight=(final.weight[1] - final.weight[0])[None, :],
            bias=np.array([final.bias[1] - final.bias[0]]),
        )
    elif final.n_out != 1:
        raise ValueError(f"network must output one logit (or two), got {final.n_out}")
    return stages


def _flat_layers(module: Any) -> list[Any]:
    children = list(module.children())
    if not children:
        return [module]
    out: list[Any] = []
    for child in children:
        out.extend(_flat_layers(child))
    return out


def plan_from_torch(
    network: Any,
    *,
    name: str,
    scheme: str,
    feature_names: Sequence[str],
    input_mean: Sequence[float] | NDArray[np.float64] | None = None,
    input_scale: Sequence[float] | NDArray[np.float64] | None = None,
    coordinates: Any = None,
    threshold: float = 0.5,
    threshold_inclusive: bool = False,
    calibration: Calibration | None = None,
    card_hash: str = "",
) -> DeployPlan:
    """Plan of a feed-forward PyTorch network (its leaf modules are taken in registration order).

    Args:
        network: ``torch.nn.Module`` mapping standardized features ``(n, k)`` to logits.
        input_mean, input_scale: feature standardization applied before the network, if any.
        coordinates: a fitted :class:`~nulearn.flavor.models.coordinates.PhysicalCoordinates` applied
            to the features before the standardization (``MLPClassifier.coordinates_``), or
            ``None`` for raw features.
    """
    stages: list[Stage] = []
    if coordinates is not None:
        stages.append(coordinates_stage(coordinates, len(feature_names)))
    if input_mean is not None and input_scale is not None:
        stages.append(Standardize(mean=_f64(input_mean), scale=_f64(input_scale)))
    stages.extend(stages_from_torch_layers(_flat_layers(network)))
    return DeployPlan(
        name=name,
        kind="mlp",
        scheme=scheme,
        feature_names=tuple(feature_names),
        stages=tuple(stages),
        calibration=calibration or Calibration(),
        threshold=float(threshold),
        threshold_inclusive=threshold_inclusive,
        card_hash=card_hash,
    )


def _leading_scalers(estimator: Any, width: int) -> tuple[list[Stage], Any]:
    """Standardize stages of leading ``StandardScaler`` steps of a pipeline, and its last step."""
    from sklearn.preprocessing import StandardScaler

    steps = [step for _, step in getattr(estimator, "steps", [("model", estimator)])]
    stages: list[Stage] = []
    for i, step in enumerate(steps[:-1]):
        if not isinstance(step, StandardScaler):
            raise ValueError(
                f"pipeline step {i} ({type(step).__name__}) cannot be generated as code before "
                f"{type(steps[-1]).__name__}; supported: StandardScaler"
            )
        mean = _f64(step.mean_) if step.with_mean else np.zeros(width)
        scale = _f64(step.scale_) if step.with_std else np.ones(width)
        stages.append(Standardize(mean=mean, scale=scale))
    return stages, steps[-1]


def plan_from_boosted_trees(estimator: Any, **common: Any) -> DeployPlan:
    """Plan of a fitted :class:`~nulearn.flavor.models.classical.BoostedTreesClassifier`.

    Stages: the ``ELNMomentFeatures`` transform when the model uses it, then the LightGBM trees
    (raw score); ``p = sigmoid(raw score)`` as LightGBM's binary objective gives it.
    ``common``: the keyword arguments of :class:`DeployPlan` other than kind and stages.
    """
    from nulearn.flavor.deploy.moment_features import moment_features_stage
    from nulearn.flavor.deploy.trees import tree_ensemble_from_lightgbm

    stages, model = _leading_scalers(estimator, len(common["feature_names"]))
    booster = getattr(model, "booster_", None)
    if booster is None:
        raise ValueError(f"{type(model).__name__} is not a fitted BoostedTreesClassifier")
    features = getattr(model, "features_", None)
    if features is not None and (model.moment_features or model.closure_features):
        stages.append(moment_features_stage(features))
    stages.append(tree_ensemble_from_lightgbm(booster.booster_))
    return DeployPlan(kind="gbt", stages=tuple(stages), **common)


def plan_from_decision_tree(estimator: Any, **common: Any) -> DeployPlan:
    """Plan of a fitted binary ``DecisionTreeClassifier``: one tree, leaves hold P(crossing)."""
    from nulearn.flavor.deploy.trees import tree_ensemble_from_sklearn

    stages, model = _leading_scalers(estimator, len(common["feature_names"]))
    stages.append(tree_ensemble_from_sklearn(model))
    return DeployPlan(
        kind="tree",
        stages=tuple(stages),
        **{**common, "calibration": Calibration(kind="identity")},
    )


def plan_from_svm(estimator: Any, **common: Any) -> DeployPlan:
    """Plan of a fitted :class:`~nulearn.flavor.models.classical.RBFSVMClassifier`.

    Exact mode: ``d = sum_j dual_coef_j K(sv_j, x) + intercept`` (scikit-learn's sign
    convention, positive for class 1). Nystroem mode: ``d = w . float32(N K(landmarks, x)) + b``
    as the model computes it. Then ``p = sigmoid(d / T)`` with the model's temperature.
    """

    stages, model = _leading_scalers(estimator, len(common["feature_names"]))
    mode = getattr(model, "mode_", None)
    if mode == "exact":
        svc = model.svc_
        if svc.kernel != "rbf" or len(svc.classes_) != 2:
            raise ValueError("only binary RBF support-vector machines can be exported")
        stages += [
            RBFKernel(centers=_f64(svc.support_vectors_), gamma=float(svc._gamma)),
            Dense(weight=_f64(svc.dual_coef_), bias=_f64(svc.intercept_).reshape(1)),
        ]
    elif mode == "nystroem":
        fmap, linear = model.feature_map_, model.linear_
        if fmap.kernel != "rbf":
            raise ValueError(f"Nystroem kernel {fmap.kernel!r} cannot be exported; supported: rbf")
        m, k = fmap.components_.shape
        gamma = float(fmap.gamma) if fmap.gamma is not None else 1.0 / k  # sklearn's default
        stages += [
            RBFKernel(centers=_f64(fmap.components_), gamma=gamma),
            Dense(weight=_f64(fmap.normalization_), bias=np.zeros(m)),
            RoundToFloat32(width=m),
            Dense(weight=_f64(linear.coef_), bias=_f64(linear.intercept_).reshape(1)),
        ]
    else:
        raise ValueError(f"{type(model).__name__} is not a fitted RBFSVMClassifier")
    calibration = calibration_from(model.calibrator_)
    return DeployPlan(kind="svm", stages=tuple(stages), **{**common, "calibration": calibration})


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
