"""Turn fitted models into :class:`~nulearn.flavor.deploy.plan.DeployPlan` objects.

Supported for code generation:

* scikit-learn pipelines of ``PhysicalCoordinates`` (:mod:`nulearn.flavor.models.coordinates`),
  ``StandardScaler``, ``PolynomialFeatures`` and a final binary ``LogisticRegression`` (the
  polynomial LR of arXiv:2310.03807, in raw or physical coordinates);
* PyTorch feed-forward networks of ``Linear``, ``ReLU``, ``BatchNorm1d`` (eval mode, folded
  into the neighbouring ``Linear``), ``Dropout`` and ``Identity``, ending in one logit (or two
  softmax logits, reduced to their difference), optionally preceded by physical coordinates and a
  feature standardization.

Other models (trees, KNN, SVM) are exported through ONNX only.
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
    Stage,
    Standardize,
)

__all__ = [
    "coordinates_stage",
    "plan_from_sklearn_pipeline",
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
