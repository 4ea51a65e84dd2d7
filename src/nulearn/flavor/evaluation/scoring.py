"""Scoring crossing classifiers the way arXiv:2310.03807 does, plus what a deployer needs.

- :func:`evaluate_model`: accuracy, per-class precision/recall/F1 (Tables I-IV), confusion matrix,
  ROC and precision-recall curves, the p_c threshold sweep (Fig. 3) and the inference time;
- :func:`fit_and_evaluate`: train one model and score it on several test sets (the papers'
  train-on-one-scheme, test-on-another set-ups);
- :func:`degree_sweep`: LR accuracy, precision and recall against the polynomial degree (Figs. 1-3);
- :func:`select_range`: the sub-population inside a feature box (Table III's post-shock region);
- :func:`split_dataset`: stratified train/validation/test splits (tune on validation, never on test).

Metrics come from :mod:`nulearn.ml.metrics`; nothing is recomputed here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.data.tables import label_array
from nulearn.flavor.models.registry import MODEL_LABELS
from nulearn.ml.metrics import (
    BinaryScores,
    Curve,
    binary_scores,
    pr_curve,
    roc_curve,
    threshold_sweep,
)
from nulearn.ml.model_card import CardedModel

__all__ = ["CLASS_NAMES", "ModelEvaluation", "evaluate_model", "evaluate_probabilities"]

#: Class names of label 0 and 1, as the papers' tables print them.
CLASS_NAMES: tuple[str, str] = ("no crossing", "crossing")


def feature_matrix(frame: pd.DataFrame, features: Sequence[str]) -> NDArray[np.float64]:
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(f"table lacks feature column(s) {missing}; columns: {list(frame.columns)}")
    return frame.loc[:, list(features)].to_numpy(dtype=np.float64)


@dataclass
class ModelEvaluation:
    """Scores of one model on one test set.

    Attributes:
        name: model key (``"lr"``, ...); ``label``: display name.
        scores: accuracy, per-class table and confusion matrix at ``threshold``.
        roc, pr: ROC and precision-recall curves of P(crossing).
        sweep: threshold sweep (columns threshold, accuracy, precision, recall, f1).
        probability: P(crossing) on the test samples, shape (n_test,).
        threshold: decision threshold p_c used for ``scores``.
        train_seconds: wall time of ``fit`` (``None`` if not timed here).
        infer_seconds: wall time of ``predict_proba`` on the test set.
        n_train: training samples (``None`` if unknown).
        extra: anything else worth reporting (e.g. the Bayes ceiling).
    """

    name: str
    label: str
    scores: BinaryScores
    roc: Curve
    pr: Curve
    sweep: pd.DataFrame
    probability: NDArray[np.float64]
    threshold: float = 0.5
    train_seconds: float | None = None
    infer_seconds: float | None = None
    n_train: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        """Accuracy at ``threshold``."""
        return self.scores.accuracy

    @property
    def n_test(self) -> int:
        """Number of test samples."""
        return self.scores.n_samples

    def summary(self) -> dict[str, Any]:
        """One flat row: accuracy, per-class P/R/F1, AUCs and timings (seconds, microseconds/sample)."""
        row: dict[str, Any] = {"model": self.label, "accuracy": self.accuracy}
        for cls, vals in self.scores.per_class.iterrows():
            for k in ("precision", "recall", "f1"):
                row[f"{k} ({cls})"] = float(vals[k])
        row["roc_auc"] = self.roc.area
        row["average_precision"] = self.pr.area
        row["n_train"] = self.n_train
        row["n_test"] = self.n_test
        row["train_s"] = self.train_seconds
        row["infer_us_per_sample"] = (
            None if self.infer_seconds is None else 1e6 * self.infer_seconds / max(self.n_test, 1)
        )
        return row


def evaluate_probabilities(
    y_true: ArrayLike,
    probability: ArrayLike,
    *,
    threshold: float = 0.5,
    name: str = "model",
    label: str | None = None,
) -> ModelEvaluation:
    """Score probabilities P(crossing) (n_samples,) against labels (n_samples,) at ``threshold``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold p_c = {threshold} is outside the allowed range [0, 1]")
    y = np.asarray(y_true)
    p = np.asarray(probability, dtype=np.float64)
    pred = (p >= threshold).astype(np.int8)
    return ModelEvaluation(
        name=name,
        label=label or MODEL_LABELS.get(name, name),
        scores=binary_scores(y, pred, class_names=CLASS_NAMES),
        roc=roc_curve(y, p),
        pr=pr_curve(y, p),
        sweep=threshold_sweep(y, p),
        probability=p,
        threshold=threshold,
    )


def evaluate_model(
    estimator: Any,
    test: pd.DataFrame,
    features: Sequence[str],
    *,
    label: str = "crossing",
    threshold: float = 0.5,
    name: str = "model",
    display: str | None = None,
) -> ModelEvaluation:
    """Score a fitted estimator on a labelled table, timing its ``predict_proba``.

    Args:
        estimator: fitted classifier with ``predict_proba`` (or a :class:`~nulearn.ml.model_card.
            CardedModel`, which then checks the columns itself).
        test: table with the feature columns and the label, shape (n_test, ...).
        features: feature columns in the estimator's order.
        label: label column (0/1).
        threshold: decision threshold p_c on P(crossing).
        name, display: model key and display name for tables.
    """
    y = label_array(test, label)
    # A loaded model directory selects and checks its own columns; a bare estimator gets ours.
    X: Any = test if isinstance(estimator, CardedModel) else feature_matrix(test, features)
    t0 = time.perf_counter()
    p = np.asarray(estimator.predict_proba(X), dtype=np.float64)[:, 1]
    infer = time.perf_counter() - t0
    ev = evaluate_probabilities(y, p, threshold=threshold, name=name, label=display)
    ev.infer_seconds = infer
    return ev


