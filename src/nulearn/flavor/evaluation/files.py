"""Train, predict and evaluate with table files and model directories: what ``nulearn flavor
train | predict | evaluate`` run, one function each.

A model directory holds the fitted estimator and its model card
(:mod:`nulearn.ml.model_card`): feature names in order, label, threshold, training provenance
and validation scores beside the Bayes ceiling.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.data.tables import check_table_output, read_table, write_dataset
from nulearn.flavor.models.builtin_models import resolve_model_dir

__all__ = [
    "Evaluation",
    "Prediction",
    "evaluate_saved_model",
    "model_inputs",
    "predict_table",
    "train_from_table",
    "training_features",
]


def training_features(
    frame: pd.DataFrame,
    metadata: Mapping[str, object],
    features: Sequence[str] | None = None,
    source: str | None = None,
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
        where = f"{source}: " if source else ""
        raise ValueError(f"{where}{err}; or name the columns with --features a,b,c") from None
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
    from nulearn.flavor.physics.validity import check_feature_choice, validate_features
    from nulearn.ml.io import check_output
    from nulearn.ml.model_card import save_model

    check_output(
        out,
        directory=True,
        what="--out (model directory)",
        replaceable=("card.yaml", "estimator.joblib"),
    )
    ds = read_table(data, label=label)
    feats, scheme = training_features(ds.frame, ds.metadata, features, str(data))
    check_feature_choice(feats, label)
    validate_features(ds.frame, feats, source=str(data))
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


def domain_mask(carded: Any, frame: pd.DataFrame, valid: np.ndarray, source: str) -> np.ndarray:
    """Rows of ``frame`` inside the model's training domain (False for invalid rows); warns in
    one line when more than 1% of the valid rows lie outside (:mod:`nulearn.ml.domain`)."""
    import warnings

    domain = carded.card.training_domain()
    if domain is None:
        return valid.copy()
    inside = np.zeros(len(frame), dtype=bool)
    if valid.any():
        report = domain.check(frame.loc[valid, list(carded.card.feature_names)].to_numpy())
        inside[valid] = report.inside
        message = report.warning(source)
        if message:
            warnings.warn(message, stacklevel=2)
    return inside


def model_inputs(
    frame: pd.DataFrame, features: Sequence[str], source: str, *, mask_invalid: bool = False
) -> pd.DataFrame:
    """``frame`` with the model's feature columns: as they are, or computed from raw moments
    when the table holds those instead, as ``label``, ``flag`` and the exported code accept them:
    ``n_*``, ``F_*`` (density ratios to n_nue and the flux factors), or for a 3D-moment model
    ``n_*``, ``flux_x_*``, ``flux_y_*``, ``flux_z_*``
    (:func:`~nulearn.flavor.physics.moments3d.features_from_moments3d`).

    Args:
        mask_invalid: 3D moments of an unphysical row (n <= 0, |flux| >= n, non-finite) give NaN
            features (then masked by the caller) instead of an error naming the row.

    Raises:
        ValueError: neither the features nor the raw moments they come from are present, or
            (without ``mask_invalid``) a row of 3D moments is unphysical.
    """
    from nulearn.flavor.physics.species import features_from_moments

    missing = [c for c in features if c not in frame.columns]
    if not missing:
        return frame
    computed = None
    if any(str(c).startswith("cos_") for c in features) and "flux_x_nue" in frame.columns:
        computed = _features3d(frame, source, mask_invalid)
    elif "n_nue" in frame.columns and "F_nue" in frame.columns:
        computed = features_from_moments(frame, validate=False)
    if computed is not None and all(c in computed.columns or c in frame.columns for c in features):
        keep = frame.drop(columns=[c for c in computed.columns if c in frame.columns])
        return keep.join(computed)
    raise ValueError(
        f"{source} lacks the model's feature columns {missing} (and the raw moments n_*, F_* "
        f"or n_*, flux_x_*, flux_y_*, flux_z_* to compute them); present: {list(map(str, frame.columns))}"
    )


def _features3d(frame: pd.DataFrame, source: str, mask_invalid: bool) -> pd.DataFrame:
    """3D invariant features; NaN on unphysical rows with ``mask_invalid``, else their error."""
    from nulearn.flavor.physics.moments3d import features_from_moments3d, species_in

    if not mask_invalid:
        try:
            return features_from_moments3d(frame)
        except ValueError as err:
            raise ValueError(f"{source}: {err}") from None
    species = species_in(frame)
    ok = np.ones(len(frame), dtype=bool)
    for s in species:
        n = frame[f"n_{s}"].to_numpy(dtype=np.float64)
        vec = frame[[f"flux_{a}_{s}" for a in "xyz"]].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            ok &= np.isfinite(n) & (n > 0) & np.isfinite(vec).all(axis=1)
            ok &= np.linalg.norm(np.where(np.isfinite(vec), vec, 0.0), axis=1) < n
    valid = features_from_moments3d(frame.loc[ok])
    return valid.reindex(frame.index)


@dataclass(frozen=True)
class Prediction:
    """Output of :func:`predict_table`.

    Attributes:
        frame: the input with ``p_crossing`` (NaN where invalid) and ``crossing_pred`` (-1 where invalid).
        valid: rows with physical moments, shape (n_rows,).
        model: the card's model key.
        threshold: decision threshold p_c applied.
        seconds: wall time of ``predict_proba``.
        in_domain: rows inside the model's training domain, shape (n_rows,) (all True when the
            card records no domain); also the output column ``in_domain``.
    """

    frame: pd.DataFrame
    valid: np.ndarray
    model: str
    threshold: float
    seconds: float
    in_domain: np.ndarray

    @property
    def fraction_outside(self) -> float:
        """Share of valid rows outside the training domain."""
        n = int(self.valid.sum())
        return float((self.valid & ~self.in_domain).sum() / n) if n else 0.0


@contextlib.contextmanager
def _refusing_overflow(
    frame: pd.DataFrame, rows: NDArray[np.bool_], features: list[str], where: str
) -> Iterator[None]:
    """Run a model on ``frame[rows]``. A physical value so far outside the training domain that
    the model's own features overflow (a density ratio of 1e300: a unit mix-up) cannot be
    evaluated; it is refused naming the row and value instead of a bare estimator error."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except ValueError as err:
        if "infinity" not in str(err) and "too large" not in str(err):
            raise
        values = frame.loc[rows, features].abs().to_numpy(dtype=np.float64)
        r, c = np.unravel_index(int(np.argmax(values)), values.shape)
        row = int(np.flatnonzero(rows)[r])
        raise ValueError(
            f"{where} cannot evaluate row {row}: {features[c]} = {values[r, c]:g} makes its "
            "features overflow, far outside its training domain; check the units"
        ) from None


def predict_table(
    model_dir: str | Path,  # or builtin:NAME (resolve_model_dir)
    inp: str | Path,
    out: str | Path,
    *,
    threshold: float | None = None,
    mask_invalid: bool = False,
    ignore_heavy_leptons: bool = False,
    trust_model: bool = False,
) -> Prediction:
    """P(crossing) for every row of a table, written with the input columns to ``out``.

    ``model_dir`` is a model directory or ``builtin:NAME``
    (:func:`~nulearn.flavor.models.builtin_models.resolve_model_dir`). The table holds the
    model's feature columns, or raw moments (``n_*``, ``F_*``) from which
    they are computed (:func:`model_inputs`). Flux factors must lie in [0, 1) and densities and
    density ratios be > 0: an unphysical row raises an error naming it, or with
    ``mask_invalid`` gets ``crossing_pred = -1``, never a label. ELN-XLN data given to an ELN
    model is refused unless ``ignore_heavy_leptons`` (:func:`~nulearn.flavor.physics.validity.check_scheme`).

    Raises:
        ValueError: an unphysical row, or the table does not match the card
            (:class:`~nulearn.ml.model_card.ModelCardError`).
    """
    from nulearn.flavor.physics.validity import check_scheme, validate_features
    from nulearn.ml.domain import DOMAIN_FLAG
    from nulearn.ml.model_card import load_model

    check_table_output(out)
    carded = load_model(resolve_model_dir(model_dir), trusted=trust_model)
    ds = read_table(inp)
    features = list(carded.card.feature_names)
    frame = model_inputs(ds.frame, features, str(inp), mask_invalid=mask_invalid)
    check_scheme(
        features,
        frame,
        source=str(inp),
        model=f"model {model_dir}",
        ignore_heavy_leptons=ignore_heavy_leptons,
    )
    valid = validate_features(frame, features, source=str(inp), mask=mask_invalid)
    t0 = time.perf_counter()
    p = np.full(len(frame), np.nan)
    if valid.any():
        with _refusing_overflow(frame, valid, features, f"{inp}: model {model_dir}"):
            p[valid] = carded.predict_proba(frame.loc[valid])[:, 1]
    seconds = time.perf_counter() - t0
    p_c = carded.card.threshold if threshold is None else threshold
    in_domain = domain_mask(carded, frame, valid, str(inp))
    frame = frame.copy()
    frame["p_crossing"] = p
    # Flags as every export writes them: 1 / 0, -1 invalid, 2 outside the training domain.
    decided = np.where(in_domain, p >= p_c, DOMAIN_FLAG)
    frame["crossing_pred"] = np.where(valid, decided, -1).astype("int8")
    frame["in_domain"] = in_domain
    meta = {
        **ds.metadata,
        "predicted_by": str(model_dir),
        "model": carded.card.model,
        "threshold": p_c,
    }
    write_dataset(frame, out, meta)
    return Prediction(frame, valid, str(carded.card.model), float(p_c), seconds, in_domain)


@dataclass(frozen=True)
class Evaluation:
    """Output of :func:`evaluate_saved_model`.

    Attributes:
        model: the card's model key.
        evaluation: the scores (:class:`~nulearn.flavor.evaluation.scoring.ModelEvaluation`).
        ceiling: the Bayes ceiling of the rows (``None`` without a ``family`` column).
        report: the written report (``None`` without a report folder).
        fraction_outside: share of the scored rows outside the model's training domain.
    """

    model: str
    evaluation: Any
    ceiling: Any
    report: Path | None
    fraction_outside: float = 0.0


def evaluate_saved_model(
    model_dir: str | Path,
    data: str | Path,
    *,
    where: Sequence[str] = (),
    threshold: float | None = None,
    report_dir: str | Path | None = None,
    ignore_heavy_leptons: bool = False,
    trust_model: bool = False,
) -> Evaluation:
    """Score a saved model on labelled data (never its training data), beside the Bayes ceiling.

    Args:
        model_dir: model directory written by :func:`train_from_table`, or ``builtin:NAME``
            (:func:`~nulearn.flavor.models.builtin_models.resolve_model_dir`).
        data: labelled test table; every label must be 0 or 1 (others are refused, not skipped).
        where: feature ranges ``COL=LOW:HIGH`` (:func:`nulearn.flavor.data.splits.parse_ranges`).
        threshold: decision threshold p_c (default: the card's).
        report_dir: folder for a Markdown report with ROC/PR curves and the p_c sweep.
    """
    from nulearn.flavor.data.splits import parse_ranges, select_range
    from nulearn.flavor.evaluation.ceiling import bayes_ceiling
    from nulearn.flavor.evaluation.report import evaluation_report
    from nulearn.flavor.evaluation.scoring import evaluate_model
    from nulearn.flavor.physics.validity import check_scheme, validate_features
    from nulearn.ml.model_card import load_model

    if report_dir is not None:
        from nulearn.ml.io import check_output

        check_output(report_dir, directory=True, what="--out (report folder)")
    carded = load_model(resolve_model_dir(model_dir), trusted=trust_model)
    label = carded.card.label
    features = list(carded.card.feature_names)
    frame = model_inputs(read_table(data, label=label).frame, features, str(data))
    check_scheme(
        features,
        frame,
        source=str(data),
        model=f"model {model_dir}",
        ignore_heavy_leptons=ignore_heavy_leptons,
    )
    validate_features(frame, features, source=str(data))
    if where:
        frame = select_range(frame, parse_ranges(list(where)))
    if len(frame) == 0:
        raise ValueError("no labelled rows left to evaluate (check --where)")
    in_domain = domain_mask(carded, frame, np.ones(len(frame), dtype=bool), str(data))
    every = np.ones(len(frame), dtype=bool)
    with _refusing_overflow(frame, every, features, f"{data}: model {model_dir}"):
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
    outside = float(1.0 - in_domain.mean()) if len(in_domain) else 0.0
    return Evaluation(str(carded.card.model), ev, ceiling, report, outside)
