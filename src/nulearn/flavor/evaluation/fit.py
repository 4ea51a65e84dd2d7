"""Fit-and-score: train a model, score it, and write what it did into a model card."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from nulearn.flavor.data.tables import label_array
from nulearn.flavor.evaluation.scoring import ModelEvaluation, evaluate_model, feature_matrix
from nulearn.flavor.models.registry import build_model, get_variant
from nulearn.ml.metrics import (
    threshold_sweep,
)

__all__ = ["degree_sweep", "fit_and_evaluate", "fit_model", "train_carded_model"]


def train_carded_model(
    name: str,
    frame: Any,
    features: tuple[str, ...],
    *,
    label: str = "crossing",
    degree: int | None = None,
    config: str | Path | Mapping[str, Any] | None = None,
    val_fraction: float = 0.1,
    random_state: int = 0,
    scheme: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Any:
    """Train model ``name`` on a labelled table and bind it to a model card.

    ``val_fraction`` of the rows (stratified) are held out; the model is fitted on the rest and
    its validation scores, with the Bayes ceiling of the validation rows when a ``family`` column
    is present, go into the card. The test data of a study never enter here.

    Args:
        name: a model key of :mod:`nulearn.flavor.models.registry` (or an alias); the card
            records it as given.
        frame: pandas DataFrame with the feature columns (finite, in their physical ranges) and
            ``label`` (0 or 1 on every row: anything else is refused, never dropped).
        features: feature columns in the order the model will read them.
        label, degree, config, random_state: as in :func:`build_model`.
        val_fraction: held-out share in [0, 1); 0 trains on everything and records no metrics.
        scheme: sampling scheme recorded on the card.
        extra: further provenance for the card (data file, ...).

    Returns:
        A fitted :class:`nulearn.ml.model_card.CardedModel`.
    """
    import time

    from nulearn.flavor.data.splits import split_dataset
    from nulearn.flavor.physics.validity import (
        check_feature_choice,
        validate_features,
        validate_labels,
    )
    from nulearn.ml.domain import TrainingDomain
    from nulearn.ml.model_card import CardedModel, ModelCard

    validate_labels(frame, label, source="training table")
    check_feature_choice(features, label)
    validate_features(frame, features, source="training table")
    if len(frame) < 10:
        raise ValueError(
            f"only {len(frame)} rows with a 0/1 label {label!r}; need at least 10 to train"
        )
    train, val, _ = split_dataset(
        frame, test_fraction=0.0, val_fraction=val_fraction, label=label, seed=random_state
    )
    variant = get_variant(name)
    model = variant.build(random_state, degree=degree, config=config)
    X = train.loc[:, list(features)].to_numpy(dtype=np.float64)
    y = train[label].to_numpy(dtype=np.int64)
    t0 = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - t0
    metrics: dict[str, Any] = {"train_seconds": seconds}
    if len(val):
        ev = evaluate_model(model, val, features, label=label, name=name)
        metrics["validation"] = ev.scores.to_dict() | {
            "roc_auc": ev.roc.area,
            "n_samples": len(val),
        }
        if "family" in val.columns:
            from nulearn.flavor.evaluation.ceiling import bayes_ceiling

            metrics["validation_bayes_ceiling"] = bayes_ceiling(val).to_dict()
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    card = ModelCard.for_training(
        name,
        train,
        y,
        feature_names=features,
        label=label,
        scheme=scheme,
        params=(
            {"degree": variant.polynomial_degree(degree), **params}
            if variant.estimator == "lr"
            else params
        ),
        metrics=metrics,
        classes=("no crossing", "crossing"),
        # Where the model was trained, so that predictions outside it can say they extrapolate.
        domain=TrainingDomain.fit(X, features, seed=random_state).to_dict(),
        # A model that chose its own operating point on validation (the MLP) hands it to the card,
        # whose predict applies it; its calibrator and config travel in ``extra``.
        threshold=float(getattr(model, "threshold_", 0.5)),
        extra=dict(extra or {}) | (model.card_fields() if hasattr(model, "card_fields") else {}),
    )
    card.params = {
        k: (v if isinstance(v, int | float | str | bool | type(None)) else repr(v))
        for k, v in card.params.items()
    }
    return CardedModel(model, card)


def fit_model(
    estimator: Any, train: pd.DataFrame, features: Sequence[str], label: str = "crossing"
) -> float:
    """Fit ``estimator`` in place on ``train[features]`` and ``train[label]``; returns the wall time in s."""
    X = feature_matrix(train, features)
    y = label_array(train, label)
    t0 = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - t0


def fit_and_evaluate(
    name: str,
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    *,
    label: str = "crossing",
    degree: int | None = None,
    config: Mapping[str, Any] | str | Path | None = None,
    random_state: int = 0,
    display: str | None = None,
) -> tuple[Any, dict[str, ModelEvaluation]]:
    """Build model ``name``, fit it on ``train`` and score it on every table in ``tests``.

    Returns:
        The fitted estimator and ``{test name: ModelEvaluation}`` (each with the training time).
    """
    model = build_model(name, degree=degree, config=config, random_state=random_state)
    seconds = fit_model(model, train, features, label)
    out = {}
    for test_name, test in tests.items():
        ev = evaluate_model(model, test, features, label=label, name=name, display=display)
        ev.train_seconds = seconds
        ev.n_train = len(train)
        out[test_name] = ev
    return model, out


def degree_sweep(
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    *,
    degrees: Iterable[int] = range(1, 11),
    label: str = "crossing",
    thresholds: Sequence[float] = (0.5,),
    random_state: int = 0,
) -> pd.DataFrame:
    """LR scores against polynomial degree (arXiv:2310.03807 Figs. 1-3).

    One LR per degree is fitted on ``train`` and scored on each test set at each threshold p_c.

    Returns:
        Long table with columns ``degree, test, threshold, accuracy, precision, recall, f1``
        (precision, recall and F1 of the crossing class) and ``train_s``.
    """
    base = build_model("lr", degree=1, random_state=random_state)
    X = feature_matrix(train, features)
    y = label_array(train, label)
    tests_xy = {k: (feature_matrix(t, features), label_array(t, label)) for k, t in tests.items()}
    rows = []
    for deg in degrees:
        model = clone(base).set_params(poly__degree=int(deg))
        t0 = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - t0
        for test_name, (Xt, yt) in tests_xy.items():
            p = model.predict_proba(Xt)[:, 1]
            sweep = threshold_sweep(yt, p, thresholds=np.asarray(thresholds, dtype=np.float64))
            for r in sweep.itertuples(index=False):
                rows.append(
                    {
                        "degree": int(deg),
                        "test": test_name,
                        "threshold": r.threshold,
                        "accuracy": r.accuracy,
                        "precision": r.precision,
                        "recall": r.recall,
                        "f1": r.f1,
                        "train_s": seconds,
                    }
                )
    return pd.DataFrame(rows)
