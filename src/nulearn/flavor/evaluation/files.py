"""Train, predict and evaluate with table files and model directories: what ``nulearn flavor
train | predict | evaluate`` run, one function each.

A model directory holds the fitted estimator and its model card
(:mod:`nulearn.ml.model_card`): feature names in order, label, threshold, training provenance
and validation scores beside the Bayes ceiling.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.tables import read_dataset, write_dataset

__all__ = [
    "Evaluation",
    "Prediction",
    "evaluate_saved_model",
    "predict_table",
    "train_from_table",
    "training_features",
]


def training_features(
    frame: pd.DataFrame, metadata: Mapping[str, object], features: Sequence[str] | None = None
) -> tuple[tuple[str, ...], str | None]:
    """Feature columns (in order) and sampling scheme of a training table.

    The columns are ``features`` when given, else the dataset's ``features`` metadata, else the
    ELN-XLN or ELN features the table holds; the scheme is the dataset's ``scheme`` metadata.

    Raises:
        ValueError: no features given and the table lacks the ELN feature columns.
    """
    from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES, species_for_features

    scheme = metadata.get("scheme")
    scheme_name = str(scheme) if scheme is not None else None
    if features:
        return tuple(features), scheme_name
    meta_features = metadata.get("features")
    if isinstance(meta_features, list) and meta_features:
        return tuple(str(f) for f in meta_features), scheme_name
    try:
        species = species_for_features(frame.columns)
    except ValueError as err:
        raise ValueError(f"{err}; or name the columns with --features a,b,c") from err
    return (XLN_FEATURES if len(species) == 4 else ELN_FEATURES), scheme_name


def train_from_table(
    model: str,
    data: str | Path,
    out: str | Path,
    *,
    degree: int | None = None,
    config: str | Path | None = None,
    features: Sequence[str] | None = None,
    label: str = "crossing",
    val_fraction: float = 0.1,
    seed: int = 0,
) -> Any:
    """Train registry model ``model`` on a labelled table and save it with its card to ``out``.

    Args:
        model: a key (or alias) of :mod:`nulearn.flavor.models.registry`.
        data: labelled training table (.parquet or .h5).
        out: model directory to write (estimator + ``card.yaml``).
        degree, config: polynomial degree of a bare ``lr``; hyperparameter YAML (an
            ``MLPConfig`` YAML for the MLP).
        features: feature columns in order (default: :func:`training_features`).
        label, val_fraction, seed: as in :func:`~nulearn.flavor.evaluation.fit.train_carded_model`.

    Returns:
        The saved :class:`nulearn.ml.model_card.CardedModel`.
    """
    from nulearn.flavor.evaluation.fit import train_carded_model
    from nulearn.ml.model_card import save_model

    ds = read_dataset(data)
    feats, scheme = training_features(ds.frame, ds.metadata, features)
    carded = train_carded_model(
        model,
        ds.frame,
        feats,
        label=label,
        degree=degree,
        config=config,
        val_fraction=val_fraction,
        random_state=seed,
        scheme=scheme,
        extra={"data": str(data), "family": ds.metadata.get("family")},
    )
    save_model(carded.estimator, carded.card, out)
    return carded


@dataclass(frozen=True)
class Prediction:
    """Output of :func:`predict_table`.

    Attributes:
        frame: the input with ``p_crossing`` (NaN where invalid) and ``crossing_pred`` (-1 where invalid).
        valid: rows with physical moments, shape (n_rows,).
        model: the card's model key.
        threshold: decision threshold p_c applied.
        seconds: wall time of ``predict_proba``.
    """

    frame: pd.DataFrame
    valid: np.ndarray
    model: str
    threshold: float
    seconds: float


def predict_table(
    model_dir: str | Path,
    inp: str | Path,
    out: str | Path,
    *,
    threshold: float | None = None,
    mask_invalid: bool = False,
) -> Prediction:
    """P(crossing) for every row of a table, written with the input columns to ``out``.

    Refuses tables with missing or reordered features. Flux factors must lie in [0, 1) and
    density ratios be > 0: an unphysical row raises an error naming it, or with
    ``mask_invalid`` gets ``crossing_pred = -1``, never a label.

    Raises:
        ValueError: an unphysical row, or the table does not match the card
            (:class:`~nulearn.ml.model_card.ModelCardError`).
    """
    from nulearn.flavor.physics.validity import validate_features
    from nulearn.ml.model_card import load_model

    carded = load_model(model_dir)
    ds = read_dataset(inp)
    features = list(carded.card.feature_names)
    missing = [c for c in features if c not in ds.frame.columns]
    valid = np.ones(len(ds.frame), dtype=bool)
    if not missing:
        valid = validate_features(ds.frame, features, mask=mask_invalid)
    t0 = time.perf_counter()
    p = np.full(len(ds.frame), np.nan)
    if valid.any():
        p[valid] = carded.predict_proba(ds.frame.loc[valid])[:, 1]
    seconds = time.perf_counter() - t0
    p_c = carded.card.threshold if threshold is None else threshold
    frame = ds.frame.copy()
    frame["p_crossing"] = p
    frame["crossing_pred"] = np.where(valid, p >= p_c, -1).astype("int8")
    meta = {
        **ds.metadata,
        "predicted_by": str(model_dir),
        "model": carded.card.model,
        "threshold": p_c,
    }
    write_dataset(frame, out, meta)
    return Prediction(frame, valid, str(carded.card.model), float(p_c), seconds)


@dataclass(frozen=True)
class Evaluation:
    """Output of :func:`evaluate_saved_model`.

    Attributes:
        model: the card's model key.
        evaluation: the scores (:class:`~nulearn.flavor.evaluation.scoring.ModelEvaluation`).
        ceiling: the Bayes ceiling of the rows (``None`` without a ``family`` column).
        report: the written report (``None`` without a report folder).
    """

    model: str
    evaluation: Any
    ceiling: Any
    report: Path | None


def evaluate_saved_model(
    model_dir: str | Path,
    data: str | Path,
    *,
    where: Sequence[str] = (),
    threshold: float | None = None,
    report_dir: str | Path | None = None,
) -> Evaluation:
    """Score a saved model on labelled data (never its training data), beside the Bayes ceiling.

    Args:
        model_dir: model directory written by :func:`train_from_table`.
        data: labelled test table; rows whose label is not 0/1 are skipped.
        where: feature ranges ``COL=LOW:HIGH`` (:func:`nulearn.flavor.data.splits.parse_ranges`).
        threshold: decision threshold p_c (default: the card's).
        report_dir: folder for a Markdown report with ROC/PR curves and the p_c sweep.
    """
    from nulearn.flavor.data.splits import parse_ranges, select_range
    from nulearn.flavor.evaluation.ceiling import bayes_ceiling
    from nulearn.flavor.evaluation.report import evaluation_report
    from nulearn.flavor.evaluation.scoring import evaluate_model
    from nulearn.ml.model_card import load_model

    carded = load_model(model_dir)
    frame = read_dataset(data).frame
    label = carded.card.label
    frame = frame[frame[label].isin((0, 1))] if label in frame.columns else frame
    if where:
        frame = select_range(frame, parse_ranges(list(where)))
    if len(frame) == 0:
        raise ValueError("no labelled rows left to evaluate (check --where)")
    ev = evaluate_model(
        carded,
        frame,
        carded.feature_names,
        label=label,
        threshold=carded.card.threshold if threshold is None else threshold,
        name=carded.card.model,
    )
    ceiling = bayes_ceiling(frame) if "family" in frame.columns else None
    report = None
    if report_dir is not None:
        description = (
            f"Data: `{data}`"
            + (f", range {', '.join(where)}" if where else "")
            + f"; {ev.n_test:,} samples."
        )
        rep = evaluation_report(f"Evaluation of {model_dir}", description, ev, ceiling)
        report = rep.write(report_dir)
    return Evaluation(str(carded.card.model), ev, ceiling, report)
