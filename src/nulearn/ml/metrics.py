"""Binary-classification metrics shared by every pillar.

One place for the scores the papers quote (arXiv:2310.03807 Eq. 7): accuracy, and per class
precision, recall and F1; the confusion matrix; ROC and precision-recall curves; the sweep of the
decision threshold p_c (arXiv:2310.03807 Fig. 3) and the threshold that maximises F1.

Conventions: labels are 0/1 with 1 the positive class (for nulearn.flavor: "crossing");
``score`` is any real-valued confidence that grows with the positive class (a probability for
the threshold functions). All functions are vectorized over samples.

>>> import numpy as np
>>> s = binary_scores(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
>>> round(s.accuracy, 2), s.confusion.tolist()
(0.75, [[1, 1], [0, 2]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn import metrics as _skm

__all__ = [
    "AUCComparison",
    "BinaryScores",
    "Curve",
    "best_f1_threshold",
    "binary_scores",
    "compare_aucs",
    "confusion_matrix",
    "non_binary_index",
    "normalised_confusion",
    "pr_curve",
    "roc_curve",
    "threshold_sweep",
]

DEFAULT_CLASS_NAMES: tuple[str, str] = ("negative", "positive")


def non_binary_index(labels: ArrayLike) -> int | None:
    """Index of the first entry of ``labels`` (flattened) that is not 0 or 1; ``None`` if none is."""
    bad = np.flatnonzero(~np.isin(np.asarray(labels), (0, 1)))
    return int(bad[0]) if bad.size else None


def _labels(y: ArrayLike, name: str) -> NDArray[np.int8]:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    i = non_binary_index(arr)
    if i is not None:
        raise ValueError(
            f"{name}[{i}] = {arr[i]!r} is not a binary label; allowed values are 0 and 1"
        )
    return arr.astype(np.int8)


def _scores(score: ArrayLike, n: int, name: str = "score") -> NDArray[np.float64]:
    arr = np.asarray(score, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) like the labels, got {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] = {arr[i]} is not finite")
    return arr


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[np.int64]:
    """2x2 confusion matrix, rows = true class (0, 1), columns = predicted class (0, 1)."""
    t = _labels(y_true, "y_true")
    p = _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} samples but y_pred has {p.size}")
    return np.bincount(2 * t.astype(np.int64) + p, minlength=4).reshape(2, 2)


def normalised_confusion(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int
) -> NDArray[np.float64]:
    """Multi-class confusion matrix ``(n_classes, n_classes)``, rows = true class normalised to 1.

    >>> normalised_confusion([0, 0, 1], [0, 1, 1], 2).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    t = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(y_pred, dtype=np.int64)
    if t.shape != p.shape or t.ndim != 1:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} must be equal 1-D shapes")
    for name, lab in (("y_true", t), ("y_pred", p)):
        bad = np.flatnonzero((lab < 0) | (lab >= n_classes))
        if bad.size:
            raise ValueError(
                f"{name}[{bad[0]}] = {lab[bad[0]]} outside the classes [0, {n_classes})"
            )
    cm = np.bincount(n_classes * t + p, minlength=n_classes**2).reshape(n_classes, n_classes)
    rows = cm.sum(1, keepdims=True).astype(np.float64)
    out: NDArray[np.float64] = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    return out


def _safe_div(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    # sklearn's zero_division=0 convention: an empty denominator scores 0, not NaN.
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class BinaryScores:
    """Scores of hard predictions against binary labels.

    Attributes:
        accuracy: (TP + TN) / N.
        per_class: one row per class (index: class names, negative first) with columns
            ``precision``, ``recall``, ``f1`` and ``support`` (number of true samples).
        confusion: (2, 2) counts, rows = true class, columns = predicted class.
    """

    accuracy: float
    per_class: pd.DataFrame
    confusion: NDArray[np.int64]

    def get(self, class_name: str, metric: str) -> float:
        """One per-class score, e.g. ``get("crossing", "f1")``."""
        names = [str(c) for c in self.per_class.index]
        if class_name not in names or metric not in self.per_class.columns:
            raise ValueError(
                f"no score {metric!r} for class {class_name!r}; classes {names}, metrics {list(self.per_class.columns)}"
            )
        return float(self.per_class[metric].to_numpy()[names.index(class_name)])

    @property
    def n_samples(self) -> int:
        """Number of scored samples."""
        return int(self.confusion.sum())

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (floats and ints only), for YAML model cards and JSON."""
        return {
            "accuracy": float(self.accuracy),
            "per_class": {
                str(name): {k: (int(v) if k == "support" else float(v)) for k, v in row.items()}
                for name, row in self.per_class.iterrows()
            },
            "confusion": self.confusion.tolist(),
        }


def binary_scores(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    class_names: tuple[str, str] = DEFAULT_CLASS_NAMES,
) -> BinaryScores:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix (arXiv:2310.03807 Eq. 7).

    Args:
        y_true: true labels, shape (n_samples,), values 0/1.
        y_pred: predicted labels, shape (n_samples,), values 0/1.
        class_names: names of class 0 and class 1 for the table index.
    """
    cm = confusion_matrix(y_true, y_pred).astype(np.float64)
    if cm.sum() == 0:
        raise ValueError("cannot score an empty set of predictions (n_samples = 0)")
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = _safe_div(tp, predicted)
    recall = _safe_div(tp, support)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    per_class = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(np.int64)},
        index=pd.Index(list(class_names), name="class"),
    )
    return BinaryScores(
        accuracy=float(tp.sum() / cm.sum()), per_class=per_class, confusion=cm.astype(np.int64)
    )


@dataclass(frozen=True)
class Curve:
    """A score-threshold curve.

    Attributes:
        x: abscissa (false-positive rate for ROC, recall for PR), shape (n_points,).
        y: ordinate (true-positive rate for ROC, precision for PR), shape (n_points,).
        thresholds: score thresholds of the points (length as sklearn returns them).
        area: ROC AUC or average precision.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    thresholds: NDArray[np.float64]
    area: float


def roc_curve(y_true: ArrayLike, score: ArrayLike) -> Curve:
    """ROC curve (x = false-positive rate, y = true-positive rate) and its area."""
    t = _labels(y_true, "y_true")
    s = _scores(score, t.size)
    fpr, tpr, thr = _skm.roc_curve(t, s)
    return Curve(
        fpr, tpr, thr, float(_skm.roc_auc_score(t, s)) if 0 < t.sum() < t.size else float("nan")
    )


@dataclass(frozen=True)
class AUCComparison:
    """Two ROC AUCs on the same events, compared with DeLong's test.

    Attributes:
        auc_a, auc_b: the two areas.
        stderr_a, stderr_b: their standard errors.
        difference: auc_a - auc_b.
        stderr_difference: standard error of the difference, from the paired covariance.
        p_value: two-sided p-value of "no difference" (normal approximation).
    """

    auc_a: float
    auc_b: float
    stderr_a: float
    stderr_b: float
    difference: float
    stderr_difference: float
    p_value: float


def compare_aucs(y_true: ArrayLike, score_a: ArrayLike, score_b: ArrayLike) -> AUCComparison:
    """Paired comparison of two classifiers' ROC AUCs on the same events (DeLong et al.,
    Biometrics 44, 837 (1988); the rank formulation of Sun and Xu, IEEE SPL 21, 1389 (2014)).

    Each score's AUC is the mean of its structural components (the fraction of negatives
    ranked below each positive, and of positives above each negative); their covariance across
    the two scores gives the variance of the difference, which a paired comparison needs
    because both classifiers see the same events. Ties count one half.
    """
    from scipy.stats import norm, rankdata

    t = _labels(y_true, "y_true").astype(bool)
    m, n = int(t.sum()), int((~t).sum())
    if m < 2 or n < 2:
        raise ValueError(f"need at least two events of each class; got {m} positive, {n} negative")
    scores = np.stack([_scores(score_a, t.size, "score_a"), _scores(score_b, t.size, "score_b")])
    pos, neg = scores[:, t], scores[:, ~t]
    rank_all = rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    v10 = (rank_all[:, :m] - rankdata(pos, axis=1)) / n  # (2, m)
    v01 = 1.0 - (rank_all[:, m:] - rankdata(neg, axis=1)) / m  # (2, n)
    auc = v10.mean(axis=1)
    cov = np.cov(v10) / m + np.cov(v01) / n
    var_diff = max(float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]), 0.0)
    diff = float(auc[0] - auc[1])
    se = float(np.sqrt(var_diff))
    if se > 0:
        p = float(2 * norm.sf(abs(diff) / se))
    else:  # identical rankings up to a constant offset
        p = 1.0 if diff == 0 else 0.0
    return AUCComparison(
        float(auc[0]),
        float(auc[1]),
        float(np.sqrt(cov[0, 0])),
        float(np.sqrt(cov[1, 1])),
        diff,
        se,
        p,
    )


def pr_curve(y_true: ArrayLike, score: ArrayLike) -> Curve:
    """Precision-recall curve of the positive class (x = recall, y = precision) and average precision."""
    t = _labels(y_true, "y_true")
    s = _scores(score, t.size)
    precision, recall, thr = _skm.precision_recall_curve(t, s)
    return Curve(recall, precision, thr, float(_skm.average_precision_score(t, s)))


def threshold_sweep(
    y_true: ArrayLike,
    probability: ArrayLike,
    thresholds: ArrayLike | None = None,
) -> pd.DataFrame:
    """Scores of the rule ``predict positive when probability >= p_c`` for many p_c at once.

    The sweep of arXiv:2310.03807 Fig. 3 (lower panel): lowering p_c trades precision for recall.
    Computed from one sort of the probabilities, O(n log n) for any number of thresholds.

    Args:
        y_true: labels, shape (n_samples,).
        probability: P(positive), shape (n_samples,), in [0, 1].
        thresholds: p_c values, shape (n_thresholds,); default 0.05, 0.10, ..., 0.95.

    Returns:
        DataFrame with columns ``threshold, accuracy, precision, recall, f1`` (precision, recall and
        F1 of the positive class; 0 where undefined).
    """
    t = _labels(y_true, "y_true")
    p = _scores(probability, t.size, "probability")
    thr = (
        np.round(np.arange(1, 20) * 0.05, 10)
        if thresholds is None
        else np.asarray(thresholds, dtype=np.float64)
    )
    if thr.ndim != 1 or thr.size == 0:
        raise ValueError(f"thresholds must be a non-empty 1-D array, got shape {thr.shape}")
    order = np.argsort(-p, kind="stable")
    p_desc = p[order]
    tp_cum = np.concatenate([[0], np.cumsum(t[order], dtype=np.int64)])
    # n_pos_pred[j] = number of samples with p >= thr[j]; p_desc is decreasing, so search its negative.
    n_pos_pred = np.searchsorted(-p_desc, -thr, side="right")
    tp = tp_cum[n_pos_pred].astype(np.float64)
    fp = n_pos_pred - tp
    positives = float(t.sum())
    tn = (t.size - positives) - fp
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, np.full_like(tp, positives))
    f1 = _safe_div(2 * precision * recall, precision + recall)
    return pd.DataFrame(
        {
            "threshold": thr,
            "accuracy": (tp + tn) / t.size,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    )


def best_f1_threshold(y_true: ArrayLike, probability: ArrayLike) -> tuple[float, float]:
    """The threshold p_c that maximises the positive-class F1, and that F1.

    Choose it on a validation split, never on the test split.

    Returns:
        ``(threshold, f1)``; the threshold is one of the observed probabilities.
    """
    t = _labels(y_true, "y_true")
    p = _scores(probability, t.size, "probability")
    if t.sum() == 0:
        raise ValueError("best_f1_threshold needs at least one positive label in y_true")
    precision, recall, thr = _skm.precision_recall_curve(t, p)
    f1 = _safe_div(2 * precision[:-1] * recall[:-1], precision[:-1] + recall[:-1])
    i = int(np.argmax(f1))
    return float(thr[i]), float(f1[i])
