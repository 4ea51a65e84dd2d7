"""The one registry of named crossing-classifier variants."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from nulearn.flavor.models.classical import (
    BoostedTreesClassifier,
    RBFSVMClassifier,
    polynomial_logistic_regression,
)

__all__ = ["MODEL_LABELS", "MODEL_NAMES", "build_model", "load_model_config"]


#: Names accepted by :func:`build_model` and ``nulearn flavor train --model``.
MODEL_NAMES: tuple[str, ...] = ("lr", "knn", "svm", "tree", "gbt", "mlp")


#: Display names, as the papers' tables spell them.
MODEL_LABELS: dict[str, str] = {
    "lr": "LR",
    "knn": "KNN (k=3)",
    "svm": "SVM",
    "tree": "Decision tree",
    "gbt": "Gradient-boosted trees",
    "mlp": "MLP",
}


def load_model_config(config: str | Path | Mapping[str, Any] | None) -> dict[str, Any]:
    """Hyperparameter overrides from a YAML file path or a mapping (``None``: no overrides)."""
    if config is None:
        return {}
    if isinstance(config, Mapping):
        return dict(config)
    data = yaml.safe_load(Path(config).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(
            f"model config {config} must hold a YAML mapping of parameter: value, got {type(data).__name__}"
        )
    return data


def _mlp(config: str | Path | Mapping[str, Any] | None, random_state: int) -> Any:
    # Imported lazily: torch is heavy and only this model needs it.
    from nulearn.flavor.models.mlp import classifier as _mlp_module

    if isinstance(config, str | Path):
        return _mlp_module.MLPClassifier(_mlp_module.MLPConfig.from_yaml(config))
    # A small, fast default for moment features (3 or 7 inputs, balanced classes): the deep,
    # class-weighted recipe of nulearn.flavor.models.mlp.classifier is for rare instabilities. Threshold 0.5 on
    # calibrated probabilities is the accuracy-optimal rule that the papers' tables score.
    overrides: dict[str, Any] = {
        "hidden_layers": (128, 128, 64),
        "dropout": 0.0,
        "batch_size": 512,
        "learning_rate": 3e-3,
        "max_epochs": 50,
        "patience": 8,
        "val_fraction": 0.1,
        "class_weight": "none",
        "threshold": 0.5,
        "accelerator": "cpu",
        "devices": 1,
        "seed": random_state,
    }
    overrides.update(dict(config or {}))
    return _mlp_module.MLPClassifier(**overrides)


def build_model(
    name: str,
    *,
    degree: int = 2,
    config: str | Path | Mapping[str, Any] | None = None,
    random_state: int = 0,
) -> Any:
    """An unfitted crossing classifier by name.

    Args:
        name: one of :data:`MODEL_NAMES`.
        degree: polynomial degree for ``lr`` (ignored otherwise).
        config: hyperparameter overrides (YAML path or mapping), applied with ``set_params``;
            for ``mlp`` a YAML path is read by ``MLPConfig.from_yaml`` and a mapping is passed as
            keyword overrides.
        random_state: seed for the models that use randomness.

    Returns:
        A scikit-learn-compatible classifier with ``predict_proba``.
    """
    if name == "mlp":
        return _mlp(config, random_state)
    overrides = load_model_config(config)
    model: Any
    if name == "lr":
        coordinates = str(overrides.pop("coordinates", "raw"))
        model = polynomial_logistic_regression(
            degree=degree, random_state=random_state, coordinates=coordinates
        )
    elif name == "knn":
        model = KNeighborsClassifier(n_neighbors=3, weights="distance")
    elif name == "svm":
        model = RBFSVMClassifier(gamma=100.0, random_state=random_state)
    elif name == "tree":
        model = DecisionTreeClassifier(random_state=random_state)
    elif name == "gbt":
        model = BoostedTreesClassifier(random_state=random_state)
    else:
        raise ValueError(f"unknown model {name!r}; allowed: {', '.join(MODEL_NAMES)}")
    if overrides:
        try:
            model.set_params(**overrides)
        except ValueError as err:
            valid = sorted(model.get_params(deep=True))
            raise ValueError(
                f"model config for {name!r} has an invalid parameter ({err}); valid: {valid}"
            ) from err
    return model
