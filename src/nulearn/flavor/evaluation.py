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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from nulearn.flavor.models import MODEL_LABELS, build_model
from nulearn.ml.metrics import (
    BinaryScores,
    Curve,
    binary_scores,
    non_binary_index,
    pr_curve,
    roc_curve,
    threshold_sweep,
)
from nulearn.ml.model_card import CardedModel

__all__ = [
    "CLASS_NAMES",
    "ModelEvaluation",
    "degree_sweep",
    "evaluate_model",
    "evaluate_probabilities",
    "fit_and_evaluate",
    "fit_model",
    "label_array",
    "parse_ranges",
    "select_range",
    "split_dataset",
]

#: Class names of label 0 and 1, as the papers' tables print them.
CLASS_NAMES: tuple[str, str] = ("no crossing", "crossing")


def label_array(frame: pd.DataFrame, label: str = "crossing") -> NDArray[np.int8]:
    """The 0/1 label column as int8, shape (n_samples,); raises if a label is missing or not 0/1."""
    if label not in frame.columns:
        raise ValueError(f"table has no label column {label!r}; columns: {list(frame.columns)}")
    y = frame[label].to_numpy()
    i = non_binary_index(y)
    if i is not None:
        raise ValueError(
            f"label {label!r} at row {i} is {y[i]!r}; allowed labels are 0 and 1 (drop invalid rows first)"
        )
    return y.astype(np.int8)


def _features(frame: pd.DataFrame, features: Sequence[str]) -> NDArray[np.float64]:
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
    X: Any = test if isinstance(estimator, CardedModel) else _features(test, features)
    t0 = time.perf_counter()
    p = np.asarray(estimator.predict_proba(X), dtype=np.float64)[:, 1]
    infer = time.perf_counter() - t0
    ev = evaluate_probabilities(y, p, threshold=threshold, name=name, label=display)
    ev.infer_seconds = infer
    return ev


def fit_model(
    estimator: Any, train: pd.DataFrame, features: Sequence[str], label: str = "crossing"
) -> float:
    """Fit ``estimator`` in place on ``train[features]`` and ``train[label]``; returns the wall time in s."""
    X = _features(train, features)
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
    degree: int = 2,
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
    X = _features(train, features)
    y = label_array(train, label)
    tests_xy = {k: (_features(t, features), label_array(t, label)) for k, t in tests.items()}
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


def select_range(
    frame: pd.DataFrame, ranges: Mapping[str, tuple[float | None, float | None]]
) -> pd.DataFrame:
    """Rows whose features lie inside a box: lo <= frame[col] < hi for every (col, (lo, hi)).

    ``None`` leaves a side open. Example: ``{"F_nuebar": (None, 0.3)}`` keeps the nearly isotropic
    cells deep inside the decoupling region, our analogue of arXiv:2310.03807 Table III (r < 100 km).
    """
    mask = np.ones(len(frame), dtype=bool)
    for col, (lo, hi) in ranges.items():
        if col not in frame.columns:
            raise ValueError(
                f"range column {col!r} is not in the table; columns: {list(frame.columns)}"
            )
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(
                f"range for {col!r} is empty: lower bound {lo} must be below upper bound {hi}"
            )
        v = frame[col].to_numpy(dtype=np.float64)
        if lo is not None:
            mask &= v >= lo
        if hi is not None:
            mask &= v < hi
    return frame.loc[mask]


def parse_ranges(specs: Sequence[str]) -> dict[str, tuple[float | None, float | None]]:
    """Parse ``"COL=LO:HI"`` strings (either bound may be empty) into :func:`select_range` input.

    >>> parse_ranges(["F_nuebar=:0.3", "alpha=0.5:1.5"])
    {'F_nuebar': (None, 0.3), 'alpha': (0.5, 1.5)}
    """
    out: dict[str, tuple[float | None, float | None]] = {}
    for spec in specs:
        col, sep, bounds = spec.partition("=")
        lo_s, colon, hi_s = bounds.partition(":")
        if not sep or not colon or not col:
            raise ValueError(
                f"feature range {spec!r} must look like COLUMN=LOW:HIGH (a bound may be empty)"
            )
        try:
            lo = float(lo_s) if lo_s.strip() else None
            hi = float(hi_s) if hi_s.strip() else None
        except ValueError as err:
            raise ValueError(f"feature range {spec!r}: bounds must be numbers ({err})") from err
        out[col.strip()] = (lo, hi)
    return out


def split_dataset(
    frame: pd.DataFrame,
    *,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    label: str = "crossing",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stratified train / validation / test split.

    ``test_fraction`` of the data is the test set (the papers' 80/20 split); ``val_fraction`` of
    the *remaining* training part is set aside for early stopping and model selection. Either
    fraction may be 0 (that part is then empty).

    Returns:
        ``(train, validation, test)`` tables.
    """
    for nm, fr in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not 0.0 <= fr < 1.0:
            raise ValueError(f"{nm} = {fr} is outside the allowed range [0, 1)")
    y = label_array(frame, label)

    def _cut(
        df: pd.DataFrame, yy: NDArray[np.int8], frac: float, s: int
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        if frac == 0.0:
            return df, df.iloc[:0]
        strat = yy if np.bincount(yy, minlength=2).min() >= 2 else None
        a, b = train_test_split(df, test_size=frac, random_state=s, stratify=strat)
        return a, b

    rest, test = _cut(frame, y, test_fraction, seed)
    train, val = _cut(rest, label_array(rest, label), val_fraction, seed + 1)
    return train, val, test
