"""Studies around the deep MLP: test-split scores with calibration, seed reproducibility, and
F1 against inference cost for compact models.

- :func:`evaluate_mlp`: precision, recall and F1 of the crossing class at the model's own
  (validation-chosen) threshold, and ECE/Brier of raw and calibrated probabilities, on a test split.
- :func:`seed_study`: one model per seed on one fixed train/test split; the table of precision,
  recall and F1 per seed with mean and standard deviation, laid out like the reference study's
  seed table (seeds 17 and 43).
- :func:`calibration_study`: one model, raw vs temperature-scaled vs isotonic probabilities:
  threshold (best F1 on validation), P/R/F1, ECE and Brier on the test split, reliability diagram.
- :func:`compact_study`: F1 against parameters, multiply-adds per cell and measured cells per
  second over a range of network sizes, to pick a model for in-situ use in a simulation code.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.models.mlp.classifier import MLPClassifier, MLPConfig
from nulearn.ml.calibration import (
    brier_score,
    expected_calibration_error,
    make_calibrator,
    sigmoid,
)
from nulearn.ml.figures import reliability_diagram
from nulearn.ml.metrics import best_f1_threshold, binary_scores, threshold_sweep

__all__ = [
    "DEFAULT_COMPACT_SIZES",
    "CalibrationStudy",
    "calibration_study",
    "compact_study",
    "evaluate_mlp",
    "measure_throughput",
    "seed_study",
    "summarize_seeds",
]

#: Hidden-layer widths from the study's 6 x 512 down to a 2 x 16 network.
DEFAULT_COMPACT_SIZES: tuple[tuple[int, ...], ...] = (
    (512, 512, 256, 256, 128, 128),
    (256, 256, 256, 128),
    (128, 128, 128, 64),
    (64, 64, 64),
    (32, 32),
    (16, 16),
)


def evaluate_mlp(clf: MLPClassifier, X: Any, y: Any) -> dict[str, float]:
    """Scores of a fitted MLP on a test split ``X`` ``(n, n_features)``, ``y`` ``(n,)``.

    Returns:
        ``precision, recall, f1`` of the crossing class at ``clf.threshold_``, ``accuracy``,
        ``ece_raw``/``ece_calibrated`` and ``brier_raw``/``brier_calibrated``, ``threshold``.
    """
    y_arr = np.asarray(y).reshape(-1).astype(np.int64)
    p_raw = sigmoid(clf.decision_function(X))
    p_cal = np.clip(clf.calibrator_.transform(p_raw), 0.0, 1.0)
    scores = binary_scores(y_arr, (p_cal >= clf.threshold_).astype(np.int64))
    pos = scores.per_class.iloc[1]
    return {
        "precision": float(pos["precision"]),
        "recall": float(pos["recall"]),
        "f1": float(pos["f1"]),
        "accuracy": scores.accuracy,
        "threshold": float(clf.threshold_),
        "ece_raw": expected_calibration_error(y_arr, p_raw),
        "ece_calibrated": expected_calibration_error(y_arr, p_cal),
        "brier_raw": brier_score(y_arr, p_raw),
        "brier_calibrated": brier_score(y_arr, p_cal),
    }


def summarize_seeds(
    per_seed: pd.DataFrame, columns: Sequence[str] = ("precision", "recall", "f1")
) -> pd.DataFrame:
    """Append ``mean`` and ``std`` rows (sample std, ddof = 1; 0 for one seed) to a per-seed table."""
    vals = per_seed[list(columns)].astype(float)
    std = vals.std(ddof=1) if len(vals) > 1 else vals.iloc[0] * 0.0
    summary = pd.DataFrame([vals.mean(), std])
    summary.insert(0, "seed", ["mean", "std"])
    out = per_seed[["seed", *columns]].astype({"seed": object})
    return pd.concat([out, summary], ignore_index=True)


def _steps(items: Any, what: str, progress: bool) -> Any:
    """``items``, with a progress bar on stderr when ``progress`` (one step per trained network)."""
    from tqdm.auto import tqdm

    return tqdm(list(items), desc=what, unit="model", disable=not progress, file=sys.stderr)


def seed_study(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    seeds: Sequence[int],
    config: MLPConfig | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Train one MLP per seed and score each on the same test split.

    The seed sets the validation split, the initialisation and the batch order; the
    train/test split is fixed by the caller, so the spread measures training randomness only.

    Args:
        X_train, y_train: training data ``(n, n_features)``, ``(n,)``.
        X_test, y_test: test data, never used for the threshold or the calibrator.
        seeds: one model per seed (at least one).
        config: base configuration; its ``seed`` is replaced.

    Returns:
        One row per seed: ``seed, precision, recall, f1, threshold, ece_calibrated, epochs,
        fit_time_s``. Pass it to :func:`summarize_seeds` for the mean and std rows.
    """
    if len(seeds) == 0:
        raise ValueError("seeds: need at least one seed")
    base = config or MLPConfig()
    rows = []
    for seed in _steps(seeds, "seeds", progress):
        clf = MLPClassifier(dataclasses.replace(base, seed=int(seed))).fit(X_train, y_train)
        s = evaluate_mlp(clf, X_test, y_test)
        rows.append(
            {
                "seed": int(seed),
                "precision": s["precision"],
                "recall": s["recall"],
                "f1": s["f1"],
                "threshold": s["threshold"],
                "ece_calibrated": s["ece_calibrated"],
                "epochs": clf.history_["epochs"],
                "fit_time_s": clf.history_["fit_time_s"],
            }
        )
    return pd.DataFrame(rows)


def measure_throughput(clf: MLPClassifier, X: Any, repeats: int = 3) -> float:
    """Cells per second of ``clf.predict`` on ``X`` (best of ``repeats``), with the current torch threads."""
    if repeats < 1:
        raise ValueError(f"repeats = {repeats}; allowed range [1, inf)")
    X_arr = np.asarray(X, dtype=np.float64)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        clf.predict(X_arr)
        best = min(best, time.perf_counter() - t0)
    return float(len(X_arr) / max(best, 1e-9))


def compact_study(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    sizes: Sequence[Sequence[int]] = DEFAULT_COMPACT_SIZES,
    config: MLPConfig | None = None,
    n_timing: int = 200_000,
    progress: bool = False,
) -> pd.DataFrame:
    """F1 against inference cost over network sizes.

    Args:
        X_train, y_train: training data.
        X_test, y_test: test data for F1 and for timing.
        sizes: hidden-layer widths per model.
        config: base configuration; ``hidden_layers`` is replaced.
        n_timing: cells used to time ``predict`` (the test rows, tiled when fewer).

    Returns:
        One row per size: ``hidden_layers, n_parameters, multiply_adds_per_cell,
        cells_per_s, precision, recall, f1, fit_time_s``.
    """
    base = config or MLPConfig()
    X_test_arr: NDArray[np.float64] = np.asarray(X_test, dtype=np.float64)
    reps = int(np.ceil(n_timing / max(len(X_test_arr), 1)))
    X_time = np.tile(X_test_arr, (reps, 1))[:n_timing]
    rows = []
    for hidden in _steps(sizes, "network sizes", progress):
        clf = MLPClassifier(dataclasses.replace(base, hidden_layers=tuple(int(w) for w in hidden)))
        clf.fit(X_train, y_train)
        s = evaluate_mlp(clf, X_test, y_test)
        rows.append(
            {
                "hidden_layers": "x".join(str(int(w)) for w in hidden),
                "n_parameters": clf.n_parameters_,
                "multiply_adds_per_cell": clf.multiply_adds_per_cell(),
                "cells_per_s": measure_throughput(clf, X_time),
                "precision": s["precision"],
                "recall": s["recall"],
                "f1": s["f1"],
                "fit_time_s": clf.history_["fit_time_s"],
            }
        )
    return pd.DataFrame(rows)


@dataclass
class CalibrationStudy:
    """Outcome of :func:`calibration_study`.

    Attributes:
        table: one row per method (``none``, ``temperature``, ``isotonic``): ``threshold``
            (best F1 on validation), test ``precision, recall, f1, ece, brier``.
        sweep: test-split threshold sweep of the isotonic probabilities
            (:func:`nulearn.ml.metrics.threshold_sweep`).
        figure: reliability diagram of the test split, one curve per method.
        model: the trained (uncalibrated) classifier.
    """

    table: pd.DataFrame
    sweep: pd.DataFrame
    figure: Any
    model: MLPClassifier


def calibration_study(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    config: MLPConfig | None = None,
    methods: Sequence[str] = ("none", "temperature", "isotonic"),
) -> CalibrationStudy:
    """Train one MLP and compare calibrators fitted on its validation split, scored on the test split.

    The validation split (a stratified ``config.val_fraction`` of the training data, seeded by
    ``config.seed``) serves early stopping, the calibrators and each method's best-F1 threshold;
    the test split only scores.
    """
    from nulearn.ml.splits import stratified_holdout

    cfg = config or MLPConfig()
    y_tr_all = np.asarray(y_train).reshape(-1)
    h = stratified_holdout(y_tr_all, cfg.val_fraction, cfg.seed, stratify=True)
    # Keep a table a table: the MLP reads feature names where it has them.
    take = X_train.iloc if hasattr(X_train, "iloc") else np.asarray(X_train)
    X_tr, X_val, y_tr, y_val = take[h.train], take[h.val], y_tr_all[h.train], y_tr_all[h.val]
    clf = MLPClassifier(dataclasses.replace(cfg, calibration="none")).fit(
        X_tr, y_tr, eval_set=(X_val, y_val)
    )
    y_te = np.asarray(y_test).reshape(-1).astype(np.int64)
    p_val_raw = sigmoid(clf.decision_function(X_val))
    p_test_raw = sigmoid(clf.decision_function(X_test))
    rows, curves = [], {}
    for method in methods:
        cal = make_calibrator(method).fit(p_val_raw, y_val)
        thr, _ = best_f1_threshold(y_val, cal.transform(p_val_raw))
        p_test = np.clip(cal.transform(p_test_raw), 0.0, 1.0)
        curves[method] = p_test
        pos = binary_scores(y_te, (p_test >= thr).astype(np.int64)).per_class.iloc[1]
        rows.append(
            {
                "calibration": method,
                "threshold": thr,
                "precision": float(pos["precision"]),
                "recall": float(pos["recall"]),
                "f1": float(pos["f1"]),
                "ece": expected_calibration_error(y_te, p_test),
                "brier": brier_score(y_te, p_test),
            }
        )
    sweep_p = curves.get("isotonic", next(iter(curves.values())))
    return CalibrationStudy(
        table=pd.DataFrame(rows),
        sweep=threshold_sweep(y_te, sweep_p),
        figure=reliability_diagram(y_te, curves, title="Reliability on the test split"),
        model=clf,
    )
