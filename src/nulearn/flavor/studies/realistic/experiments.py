"""The experiments of the artificial-to-realistic study, one function per table.

Every function trains the study's models (:func:`~nulearn.flavor.studies.realistic.config.study_models`)
on its training sets and returns the rows of one table; realistic data are split by profile
(:func:`nulearn.flavor.data.splits.split_by_profile`) before they get here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.evaluation.fit import degree_sweep, fit_model
from nulearn.flavor.evaluation.scoring import evaluate_model, evaluate_probabilities
from nulearn.flavor.models.forward_coordinates import bright_sphere_crossing
from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES
from nulearn.flavor.studies.realistic.config import (
    StudyConfig,
    StudyModel,
    previous_lr,
    study_model,
    study_models,
)
from nulearn.flavor.studies.realistic.data import RADIAL_BINS, add_family_moments

__all__ = [
    "PROFILE_CURVE_FRACTIONS",
    "SHALLOW_DEPTH",
    "analytic_table",
    "best_accuracy",
    "degree_curve",
    "domain_adaptation_table",
    "error_budget",
    "higher_moments_table",
    "profile_learning_curve",
    "table_1",
    "tables_2_and_3",
    "targets",
    "xln_table",
]

#: Crossings shallower than this (minority-sign share of |G|) are counted apart in the error budget.
SHALLOW_DEPTH = 1e-3
#: Shares of the training profiles in the learning curve (the last is all of them).
PROFILE_CURVE_FRACTIONS: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0)
#: Models of the learning curve in training profiles, when they are among the study's models.
_CURVE_MODELS = ("gbt", "gbt_forward", "mlp_phys")
#: Feature sets of the higher-moments experiment: ELN features plus I_n / I_0 of nue and nuebar.
_HIGHER = {
    "ELN (3)": (),
    "+ I2 (5)": ("I2_nue", "I2_nuebar"),
    "+ I2, I3 (7)": ("I2_nue", "I2_nuebar", "I3_nue", "I3_nuebar"),
}
_ELN = list(ELN_FEATURES)


def _row(train: str, model: str, test: str, ev: Any) -> dict[str, Any]:
    summary = ev.summary()
    out = {
        "train": train,
        "model": model,
        "test": test,
        "n_test": ev.n_test,
        "accuracy": ev.accuracy,
    }
    for cls in ("no crossing", "crossing"):
        for k in ("precision", "recall", "f1"):
            out[f"{k} ({cls})"] = summary[f"{k} ({cls})"]
    return out


def _fit_eval(
    model: StudyModel,
    train: pd.DataFrame,
    tests: Mapping[str, pd.DataFrame],
    features: Sequence[str],
    seed: int,
) -> dict[str, Any]:
    """Fit ``model`` on ``train`` and score it on every non-empty test table."""
    estimator = model.build(seed)
    fit_model(estimator, train, list(features))
    return {
        k: evaluate_model(estimator, t, list(features), name=model.key)
        for k, t in tests.items()
        if len(t)
    }


def _analytic(frame: pd.DataFrame, family: str, features: Sequence[str]) -> tuple[Any, float]:
    """The analytic crossing test of ``family`` scored on ``frame``; and its invalid-row fraction."""
    labelled = label_moments(frame[list(features)], family=family, on_invalid="mask")
    pred = labelled["crossing"].to_numpy()
    valid = pred >= 0
    ev = evaluate_probabilities(
        frame["crossing"].to_numpy()[valid], pred[valid].astype(np.float64), name=family
    )
    return ev, float(1.0 - valid.mean())


def table_1(
    config: StudyConfig,
    artificial: Mapping[str, pd.DataFrame],
    realistic: pd.DataFrame,
    test_real: pd.DataFrame,
) -> pd.DataFrame:
    """Table I analogue: trained on artificial data only, tested on every realistic cell."""
    rows = []
    for set_name, train in artificial.items():
        for model in (previous_lr(config), *study_models(config)):
            evs = _fit_eval(
                model, train, {"all": realistic, "held-out": test_real}, _ELN, config.seed
            )
            rows.append(_row(set_name, model.label, "all realistic", evs["all"]))
            rows.append(_row(set_name, model.label, "held-out profiles", evs["held-out"]))
    return pd.DataFrame(rows)


def degree_curve(
    config: StudyConfig,
    artificial: Mapping[str, pd.DataFrame],
    train_real: pd.DataFrame,
    test_real: pd.DataFrame,
) -> pd.DataFrame:
    """Fig. 1 analogue: LR accuracy against degree, artificial-only and artificial + realistic training."""
    sweep_sets = {
        k: v.sample(n=min(config.sweep_rows, len(v)), random_state=config.seed)
        for k, v in artificial.items()
    }
    sweep_sets["hierarchical + realistic"] = pd.concat(
        [sweep_sets["hierarchical"], train_real], ignore_index=True
    )
    curves = []
    for set_name, train in sweep_sets.items():
        c = degree_sweep(
            train, {"held-out": test_real}, _ELN, degrees=config.degrees, random_state=config.seed
        )
        c["train"] = set_name
        curves.append(c)
    return pd.concat(curves, ignore_index=True)


def _radial_hits(test_real: pd.DataFrame, bins: pd.Series, hit: np.ndarray) -> pd.Series:
    """Fraction of correct cells per radial bin."""
    return pd.Series(hit, index=test_real.index).groupby(bins, observed=True).mean()


def tables_2_and_3(
    config: StudyConfig, combined: pd.DataFrame, test_real: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tables II and III analogues and the accuracy by radius.

    The study's models are trained on ``combined`` (hierarchical artificial + realistic training
    profiles) and scored on the held-out profiles (Table II, with the :func:`error_budget`) and on
    their cells at r <= ``config.inner_radius_km`` (Table III). Beside them, the accuracy per
    radial bin of the analytic tests, the bright-sphere closure and "always no crossing".

    Returns:
        ``(table_2, table_3, accuracy_by_radius)``.
    """
    inner = test_real[test_real["radius_km"] <= config.inner_radius_km]
    rows2, rows3 = [], []
    by_radius: dict[str, pd.Series] = {}
    bins = pd.cut(test_real["radius_km"], list(RADIAL_BINS))
    truth = test_real["crossing"].to_numpy()
    for model in study_models(config):
        evs = _fit_eval(model, combined, {"test": test_real, "inner": inner}, _ELN, config.seed)
        row = _row("hierarchical + realistic", model.label, "held-out profiles", evs["test"])
        row.update(error_budget(truth, evs["test"].probability >= 0.5, test_real["depth"]))
        rows2.append(row)
        by_radius[model.label] = _radial_hits(
            test_real, bins, (evs["test"].probability >= 0.5) == truth
        )
        if "inner" in evs:
            test_name = f"held-out, r <= {config.inner_radius_km:g} km"
            rows3.append(_row("hierarchical + realistic", model.label, test_name, evs["inner"]))
    for family in ("maxent", "gaussian"):
        pred = label_moments(test_real[_ELN], family=family, on_invalid="mask")["crossing"]
        by_radius[f"analytic {family}"] = _radial_hits(test_real, bins, pred.to_numpy() == truth)
    sphere = bright_sphere_crossing(test_real[_ELN].to_numpy())
    by_radius["bright spheres"] = _radial_hits(test_real, bins, sphere == truth.astype(bool))
    by_radius["no crossing"] = _radial_hits(test_real, bins, truth == 0)
    radial_acc = pd.DataFrame(by_radius)
    radial_acc.insert(0, "cells", bins.value_counts().reindex(radial_acc.index).to_numpy())
    radial_acc.index = [f"{iv.left:g}-{iv.right:g}" for iv in radial_acc.index]
    return (
        pd.DataFrame(rows2),
        pd.DataFrame(rows3),
        radial_acc.rename_axis("radius [km]").reset_index(),
    )


def analytic_table(
    config: StudyConfig, realistic: pd.DataFrame, test_real: pd.DataFrame
) -> pd.DataFrame:
    """The analytic maximum-entropy, Gaussian and bright-sphere (cone) tests on the same cells."""
    inner = test_real[test_real["radius_km"] <= config.inner_radius_km]
    rows = []
    for family in ("maxent", "gaussian"):
        for test_name, test in (
            ("all realistic", realistic),
            ("held-out profiles", test_real),
            ("held-out inner", inner),
        ):
            if len(test) == 0:
                continue
            ev, invalid = _analytic(test, family, _ELN)
            row = _row("-", f"analytic {family}", test_name, ev)
            row["invalid fraction"] = invalid
            rows.append(row)
    for test_name, test in (("all realistic", realistic), ("held-out profiles", test_real)):
        pred = bright_sphere_crossing(test[_ELN].to_numpy()).astype(np.float64)
        ev = evaluate_probabilities(test["crossing"].to_numpy(), pred, name="bright spheres")
        rows.append(_row("-", "analytic bright spheres (cone closure)", test_name, ev))
    return pd.DataFrame(rows)


def domain_adaptation_table(
    config: StudyConfig,
    source: pd.DataFrame,
    train_real: pd.DataFrame,
    realistic: pd.DataFrame,
    test_real: pd.DataFrame,
) -> pd.DataFrame:
    """A domain-adversarial network (labelled artificial ``source`` + unlabelled realistic
    training profiles) against the same network without the adversary."""
    from nulearn.flavor.models.domain_adaptation import DomainAdversarialClassifier

    rows = []
    X = np.vstack([source[_ELN].to_numpy(), train_real[_ELN].to_numpy()])
    y = np.concatenate([source["crossing"].to_numpy(), -np.ones(len(train_real), dtype=np.int64)])
    for adversarial in (False, True):
        clf = DomainAdversarialClassifier(
            adversarial=adversarial, max_epochs=config.dann_epochs, random_state=config.seed
        )
        t0 = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - t0
        name = "DANN (gradient reversal)" if adversarial else "same network, no adversary"
        train = "hierarchical (+ unlabelled realistic)" if adversarial else "hierarchical"
        for test_name, test in (("all realistic", realistic), ("held-out profiles", test_real)):
            row = _row(train, name, test_name, evaluate_model(clf, test, _ELN, name="dann"))
            row["train_s"] = seconds
            rows.append(row)
    return pd.DataFrame(rows)


def higher_moments_table(
    config: StudyConfig, source: pd.DataFrame, train_real: pd.DataFrame, test_real: pd.DataFrame
) -> pd.DataFrame:
    """ELN features plus I2/I0 (and I3/I0); artificial rows get them from their own family."""
    art_hm = add_family_moments(source)
    combined_hm = pd.concat([art_hm, train_real], ignore_index=True)
    rows = []
    for feat_name, extra in _HIGHER.items():
        features = _ELN + list(extra)
        for train_name, train in (
            ("hierarchical", art_hm),
            ("hierarchical + realistic", combined_hm),
            ("realistic only", train_real),
        ):
            for name in ("lr", "knn", "tree", "gbt_forward"):
                model = study_model(name, config)
                evs = _fit_eval(model, train, {"test": test_real}, features, config.seed)
                row = _row(train_name, model.label, "held-out profiles", evs["test"])
                row["features"] = feat_name
                rows.append(row)
    return pd.DataFrame(rows)


def xln_table(
    config: StudyConfig, train_real: pd.DataFrame, test_real: pd.DataFrame
) -> pd.DataFrame:
    """ELN-XLN crossings: models trained on the ``xln`` scheme (alone and with realistic cells),
    tested on the realistic XLN labels; models that read ELN features only are left out."""
    xln_art = generate("xln", config.family, config.n_artificial, config.seed + 2)
    xln = list(XLN_FEATURES)
    test = test_real.assign(crossing=test_real["crossing_xln"])
    rows = []
    for train_name, train in (
        ("xln artificial", xln_art),
        (
            "xln artificial + realistic",
            pd.concat(
                [xln_art, train_real.assign(crossing=train_real["crossing_xln"])], ignore_index=True
            ),
        ),
    ):
        for model in study_models(config):
            if model.variant.eln_only:
                continue
            evs = _fit_eval(model, train, {"test": test}, xln, config.seed)
            rows.append(_row(train_name, model.label, "held-out profiles (XLN label)", evs["test"]))
    for family in ("maxent", "gaussian"):
        ev, _ = _analytic(test, family, xln)
        rows.append(_row("-", f"analytic {family}", "held-out profiles (XLN label)", ev))
    return pd.DataFrame(rows)


def error_budget(
    truth: np.ndarray, predicted: np.ndarray, depth: pd.Series | np.ndarray
) -> dict[str, float]:
    """Where a classifier's errors lie, as fractions of all cells (they sum to 1 - accuracy).

    Args:
        truth: exact labels (0/1), shape (n_cells,).
        predicted: predicted labels (bool or 0/1), shape (n_cells,).
        depth: crossing depth of each cell (0 without a crossing), shape (n_cells,).

    Returns:
        ``missed, depth < SHALLOW_DEPTH``, ``missed, deeper`` and ``false alarms``.

    >>> error_budget(np.array([1, 1, 0, 0]), np.array([0, 1, 1, 0]), np.array([1e-4, 0.2, 0, 0]))
    {'missed, depth < 0.001': 0.25, 'missed, deeper': 0.0, 'false alarms': 0.25}
    """
    t = np.asarray(truth).astype(bool)
    p = np.asarray(predicted).astype(bool)
    d = np.asarray(depth, dtype=np.float64)
    n = max(t.size, 1)
    missed = t & ~p
    return {
        f"missed, depth < {SHALLOW_DEPTH:g}": float(np.sum(missed & (d < SHALLOW_DEPTH)) / n),
        "missed, deeper": float(np.sum(missed & (d >= SHALLOW_DEPTH)) / n),
        "false alarms": float(np.sum(~t & p) / n),
    }


def profile_learning_curve(
    artificial: pd.DataFrame,
    train_real: pd.DataFrame,
    test_real: pd.DataFrame,
    config: StudyConfig,
    fractions: Sequence[float] = PROFILE_CURVE_FRACTIONS,
) -> pd.DataFrame:
    """Held-out accuracy against the number of realistic training profiles (Table II recipe).

    The best Table II candidates (``gbt``, ``gbt_forward``, ``mlp_phys``, those in
    ``config.models``) are trained on ``artificial`` plus the cells of the first ``fraction`` of
    the training profiles (a fixed random order), and scored on all held-out cells and on those
    beyond ``config.inner_radius_km``. Accuracy that still rises at the full training set means
    the score is limited by the number of independent profiles, not by the model.

    Returns:
        Rows ``model, train profiles, train cells, accuracy, accuracy (r > inner)``.
    """
    profiles = np.random.default_rng(config.seed + 7).permutation(
        np.unique(train_real["profile"].to_numpy())
    )
    outer = test_real[test_real["radius_km"] > config.inner_radius_km]
    configured = {m.key: m for m in study_models(config)}
    models = [configured[k] for k in _CURVE_MODELS if k in configured]
    rows = []
    for frac in fractions:
        k = max(1, round(frac * profiles.size))
        part = train_real[train_real["profile"].isin(profiles[:k])]
        train = pd.concat([artificial, part], ignore_index=True)
        for model in models:
            evs = _fit_eval(model, train, {"test": test_real, "outer": outer}, _ELN, config.seed)
            rows.append(
                {
                    "model": model.label,
                    "train profiles": k,
                    "train cells": len(part),
                    "accuracy": evs["test"].accuracy,
                    f"accuracy (r > {config.inner_radius_km:g} km)": (
                        evs["outer"].accuracy if "outer" in evs else float("nan")
                    ),
                }
            )
    return pd.DataFrame(rows)


def best_accuracy(frame: pd.DataFrame, test: str) -> tuple[float, str]:
    """Highest accuracy among ``frame``'s rows for ``test``, and "model trained on set" of that row."""
    rows = frame[frame["test"] == test]
    if rows.empty:
        return float("nan"), "-"
    top = rows.iloc[int(np.argmax(rows["accuracy"].to_numpy()))]
    return float(top["accuracy"]), f"{top['model']} trained on {top['train']}"


def targets(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """The realistic-data targets: >= 95 % trained on artificial data only, >= 98 % with realistic
    profiles in training (the within-model accuracies of arXiv:2310.03807 Tables I-II)."""
    art, art_model = best_accuracy(tables["table_1"], "all realistic")
    mixed, mixed_model = best_accuracy(tables["table_2"], "held-out profiles")
    analytic = tables["analytic"]
    out = {
        "artificial only, all realistic cells (target >= 0.95)": f"{art:.4f} ({art_model})",
        "artificial + realistic, held-out profiles (target >= 0.98)": f"{mixed:.4f} ({mixed_model})",
    }
    for family in ("maxent", "gaussian"):
        for test in ("all realistic", "held-out profiles"):
            acc = analytic[
                (analytic["model"] == f"analytic {family}") & (analytic["test"] == test)
            ]["accuracy"]
            if len(acc):
                out[f"analytic {family}, {test}"] = f"{float(acc.iloc[0]):.4f}"
    return out
