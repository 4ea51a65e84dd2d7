"""Flavour-classification figures of merit, with statistical uncertainties, for several models.

Efficiency of class c = selected and truly c / truly c (the recall); purity = selected and
truly c / selected as c (the precision). With a few hundred events per class both are binomial
proportions, quoted with the standard error sqrt(p (1 - p) / n). ROC curves are one class
against the rest, through the shared :mod:`nulearn.ml.metrics`; the confusion matrices and ROC
figures are those of :mod:`nulearn.ml.figures`.

The published DUNE CVN (Abi et al., PRD 102, 092003 (2020)) reaches a ν_e CC efficiency of up to
90 % and a ν_μ CC efficiency of 96 % after training on millions of simulated events; our numbers
come from a few hundred training events per fold, and :func:`published_comparison` puts the two
side by side with the training-set sizes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix as _sk_confusion

from nulearn.detector.cvn.data.pixel_maps import FLAVOUR_NAMES
from nulearn.ml.metrics import Curve, roc_curve

__all__ = [
    "PUBLISHED_CVN",
    "accuracy_table",
    "binomial_error",
    "efficiency_purity",
    "efficiency_vs_energy",
    "published_comparison",
    "roc_per_class",
]

#: Published DUNE CVN efficiencies (PRD 102, 092003): peak values, trained on O(10^6) events.
PUBLISHED_CVN: dict[str, float] = {"nue_cc": 0.90, "numu_cc": 0.96}


def binomial_error(p: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """Standard error sqrt(p (1 - p) / n) of a proportion ``p`` from ``n`` trials (0 where n = 0)."""
    p_arr = np.asarray(p, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.float64)
    out = np.zeros(np.broadcast(p_arr, n_arr).shape)
    np.divide(p_arr * (1 - p_arr), n_arr, out=out, where=n_arr > 0)
    return np.sqrt(out)


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> None:
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal 1-D shapes"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        bad = np.flatnonzero((y < 0) | (y >= n_classes))
        if bad.size:
            raise ValueError(f"{name}[{bad[0]}] = {y[bad[0]]} outside the classes [0, {n_classes})")


def efficiency_purity(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str] = FLAVOUR_NAMES
) -> pd.DataFrame:
    """Per-class efficiency and purity with binomial errors.

    Args:
        y_true: true class ``(n_events,)``.
        y_pred: selected class ``(n_events,)``.
        class_names: names of the classes, in label order.

    Returns:
        One row per class: ``class, n_true, n_selected, efficiency, efficiency_err, purity, purity_err``.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    k = len(class_names)
    _check_labels(y_true, y_pred, k)
    cm = _sk_confusion(y_true, y_pred, labels=np.arange(k))
    tp = np.diag(cm).astype(np.float64)
    n_true = cm.sum(1)
    n_sel = cm.sum(0)
    eff = np.divide(tp, n_true, out=np.zeros(k), where=n_true > 0)
    pur = np.divide(tp, n_sel, out=np.zeros(k), where=n_sel > 0)
    return pd.DataFrame(
        {
            "class": list(class_names),
            "n_true": n_true,
            "n_selected": n_sel,
            "efficiency": eff,
            "efficiency_err": binomial_error(eff, n_true),
            "purity": pur,
            "purity_err": binomial_error(pur, n_sel),
        }
    )


def roc_per_class(y_true: np.ndarray, proba: np.ndarray) -> list[Curve]:
    """One-vs-rest ROC curve of each class from probabilities ``(n_events, n_classes)``."""
    y_true = np.asarray(y_true)
    if proba.ndim != 2 or proba.shape[0] != y_true.shape[0]:
        raise ValueError(f"proba must have shape ({y_true.shape[0]}, n_classes), got {proba.shape}")
    return [roc_curve((y_true == c).astype(int), proba[:, c]) for c in range(proba.shape[1])]


def accuracy_table(
    y_true: np.ndarray, proba: Mapping[str, np.ndarray], fold: np.ndarray | None = None
) -> pd.DataFrame:
    """Overall accuracy of each model with its binomial error and, given folds, the fold mean ± std.

    Args:
        y_true: true class ``(n_events,)``.
        proba: model name -> out-of-fold probabilities ``(n_events, n_classes)``.
        fold: held-out fold of each event ``(n_events,)``.
    """
    rows = []
    for name, p in proba.items():
        correct = p.argmax(1) == y_true
        acc = float(correct.mean())
        row: dict[str, Any] = {
            "model": name,
            "n_events": int(correct.size),
            "accuracy": acc,
            "accuracy_err": float(binomial_error(acc, correct.size)),
        }
        if fold is not None:
            per_fold = np.array([correct[fold == f].mean() for f in np.unique(fold)])
            row.update(
                fold_mean=float(per_fold.mean()),
                fold_std=float(per_fold.std(ddof=1)) if per_fold.size > 1 else 0.0,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def efficiency_vs_energy(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    energy: np.ndarray,
    edges: Sequence[float] = (0.0, 2.0, 4.0, 6.0, 10.0, 20.0, 100.0),
    class_names: Sequence[str] = FLAVOUR_NAMES,
) -> pd.DataFrame:
    """Efficiency of each class in bins of true neutrino energy (GeV), with binomial errors.

    Returns:
        Long table: ``class, e_low, e_high, n_true, efficiency, efficiency_err``.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    _check_labels(y_true, y_pred, len(class_names))
    e = np.asarray(edges, dtype=np.float64)
    b = np.digitize(energy, e) - 1  # bin index, -1 / len(e)-1 outside
    nb = len(e) - 1
    inside = (b >= 0) & (b < nb)
    rows = []
    for c, name in enumerate(class_names):
        m = inside & (y_true == c)
        n = np.bincount(b[m], minlength=nb).astype(np.float64)
        k = np.bincount(b[m], weights=(y_pred[m] == c).astype(np.float64), minlength=nb)
        eff = np.divide(k, n, out=np.full(nb, np.nan), where=n > 0)
        err = binomial_error(np.nan_to_num(eff), n)
        for i in range(nb):
            rows.append((name, e[i], e[i + 1], int(n[i]), eff[i], err[i]))
    return pd.DataFrame(
        rows, columns=["class", "e_low", "e_high", "n_true", "efficiency", "efficiency_err"]
    )


def published_comparison(ours: Mapping[str, pd.DataFrame], n_train: int) -> pd.DataFrame:
    """Our ν_e CC and ν_μ CC efficiencies beside the published DUNE CVN ones, with training sizes.

    Args:
        ours: model name -> :func:`efficiency_purity` table.
        n_train: training events per fold of our models.
    """
    rows = [
        {
            "model": "DUNE CVN (PRD 102, 092003)",
            "training_events": "O(10^6) ('millions')",
            **{
                f"{c}_efficiency": f"up to {v:.2f}" if c == "nue_cc" else f"{v:.2f}"
                for c, v in PUBLISHED_CVN.items()
            },
        }
    ]
    for name, table in ours.items():
        eff = dict(zip(table["class"], table["efficiency"].to_numpy(np.float64), strict=True))
        err = dict(zip(table["class"], table["efficiency_err"].to_numpy(np.float64), strict=True))
        rows.append(
            {
                "model": name,
                "training_events": str(n_train),
                **{f"{c}_efficiency": f"{eff[c]:.3f} ± {err[c]:.3f}" for c in PUBLISHED_CVN},
            }
        )
    return pd.DataFrame(rows)
