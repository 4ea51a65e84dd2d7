"""Learned 3D-moment crossing classifiers compared with the analytic 3D maximum-entropy test."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.physics.moments3d import (
    DEFAULT_N_DIRECTIONS,
    feature_names_3d,
    label_moments3d,
    species_in,
)
from nulearn.ml.metrics import binary_scores

__all__ = ["compare_crossing_models3d", "default_models3d"]


def default_models3d(random_state: int = 0) -> dict[str, Any]:
    """Unfitted learned 3D classifiers: LightGBM gradient-boosted trees and the class-weighted deep MLP."""
    from lightgbm import LGBMClassifier

    from nulearn.flavor.models.mlp.classifier import MLPClassifier

    return {
        # One LightGBM thread: deterministic, and OpenMP oversubscription on shared cores costs 100x.
        "gradient-boosted trees": LGBMClassifier(
            n_estimators=400,
            learning_rate=0.05,
            num_leaves=31,
            n_jobs=1,
            random_state=random_state,
            verbose=-1,
        ),
        "MLP": MLPClassifier(
            hidden_layers=(128, 128, 64), max_epochs=30, batch_size=1024, seed=random_state
        ),
    }


def compare_crossing_models3d(
    train: pd.DataFrame,
    test: pd.DataFrame,
    models: Mapping[str, Any] | None = None,
    *,
    baseline_directions: int = DEFAULT_N_DIRECTIONS,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Learned 3D crossing classifiers next to the analytic 3D maxent test: accuracy and cells/s.

    Args:
        train, test: tables from :func:`generate3d` (raw moments, invariant features, ``crossing``);
            the test labels are the reference (label them with more directions than the baseline
            uses so that the baseline's own resolution error shows).
        models: name -> unfitted scikit-learn classifier, trained here on the invariant features
            (default :func:`default_models3d`).
        baseline_directions: Fibonacci directions of the analytic baseline.

    Returns:
        (table with ``model, accuracy, f1, cells_per_s``, {name: fitted estimator}).
    """
    from nulearn.flavor.evaluation.fit import fit_model
    from nulearn.flavor.evaluation.scoring import evaluate_probabilities

    features = feature_names_3d(species_in(test))
    y = test["crossing"].to_numpy()
    t0 = time.perf_counter()
    baseline = label_moments3d(test, n_directions=baseline_directions)["crossing"].to_numpy()
    seconds = time.perf_counter() - t0
    scores = binary_scores(y, baseline)
    rows = [
        {
            "model": f"analytic maxent ({baseline_directions} directions)",
            "accuracy": scores.accuracy,
            "f1": float(scores.per_class["f1"].iloc[1]),
            "cells_per_s": len(test) / seconds,
        }
    ]
    fitted = dict(models) if models is not None else default_models3d()
    x_test = test[list(features)].to_numpy(dtype=np.float64)
    for name, model in fitted.items():
        fit_model(model, train, features)
        model.predict_proba(x_test[:8])  # warm-up: first-call set-up is not per-cell cost
        # Timed on the bare feature matrix: what a simulation would hand the model per step.
        t0 = time.perf_counter()
        probability = model.predict_proba(x_test)[:, 1]
        seconds = time.perf_counter() - t0
        ev = evaluate_probabilities(y, probability, name=name)
        rows.append(
            {
                "model": name,
                "accuracy": ev.accuracy,
                "f1": float(ev.scores.per_class["f1"].iloc[1]),
                "cells_per_s": len(test) / max(seconds, 1e-12),
            }
        )
    return pd.DataFrame(rows), fitted
