"""The study run: split the realistic cells by profile, then every experiment in turn."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from nulearn.flavor.data.label_resolution import label_resolution_check
from nulearn.flavor.data.splits import split_by_profile
from nulearn.flavor.studies.realistic.config import StudyConfig, StudyResult
from nulearn.flavor.studies.realistic.data import (
    artificial_training_sets,
    load_realistic,
    radial_crossing_profile,
)
from nulearn.flavor.studies.realistic.experiments import (
    analytic_table,
    degree_curve,
    domain_adaptation_table,
    higher_moments_table,
    profile_learning_curve,
    table_1,
    tables_2_and_3,
    targets,
    xln_table,
)
from nulearn.flavor.studies.realistic.figures import degree_curve_figure, radial_figure

__all__ = ["run_study"]


def _split_notes(
    realistic: pd.DataFrame, train_real: pd.DataFrame, test_real: pd.DataFrame
) -> dict[str, Any]:
    return {
        "n_cells": len(realistic),
        "n_profiles": int(realistic["profile"].nunique()),
        "n_train_profiles": int(train_real["profile"].nunique()),
        "n_test_profiles": int(test_real["profile"].nunique()),
        "crossing_fraction": float(realistic["crossing"].mean()),
        "crossing_fraction_xln": float(realistic["crossing_xln"].mean()),
    }


def _stepper(progress: bool, total: int) -> Any:
    """``step(what)`` prints ``study [k/total] what (t s)`` on stderr when ``progress``."""
    import sys

    t0 = time.perf_counter()
    count = [0]

    def step(what: str) -> None:
        count[0] += 1
        if progress:
            elapsed = time.perf_counter() - t0
            print(
                f"study [{count[0]}/{total}] {what} ({elapsed:.0f} s)", file=sys.stderr, flush=True
            )

    return step


def run_study(
    config: StudyConfig, realistic: pd.DataFrame | None = None, *, progress: bool = False
) -> StudyResult:
    """Run every experiment of :mod:`nulearn.flavor.studies.realistic`.

    Args:
        config: sizes and choices.
        realistic: the realistic table (default: :func:`~nulearn.flavor.studies.realistic.data.load_realistic`).

    Returns:
        :class:`StudyResult` with tables ``radial``, ``label_resolution`` (when checked),
        ``table_1``, ``degree_curve``, ``table_2``, ``accuracy_by_radius``, ``table_3``,
        ``profile_curve``, ``analytic``, ``domain_adaptation``, ``higher_moments``, ``xln``.
    """
    t_start = time.perf_counter()
    step = _stepper(progress, 10)
    notes: dict[str, Any] = {}
    step("realistic table" + (" (solving profiles)" if config.realistic_path is None else ""))
    if realistic is None:
        realistic, meta = load_realistic(config)
        notes["realistic_metadata"] = meta
    train_real, test_real = split_by_profile(realistic, config.train_profile_fraction, config.seed)
    notes.update(_split_notes(realistic, train_real, test_real))
    tables: dict[str, pd.DataFrame] = {"radial": radial_crossing_profile(realistic)}
    if config.label_check_profiles > 0:
        tables["label_resolution"] = label_resolution_check(
            config.label_check_profiles, config.seed + 1000, config.solver
        )
    figures: dict[str, Any] = {"radial": radial_figure(realistic)}

    step("artificial training sets")
    artificial = artificial_training_sets(config)
    step("table 1: artificial-only models on realistic cells")
    tables["table_1"] = table_1(config, artificial, realistic, test_real)
    step("polynomial-degree curve")
    curve = degree_curve(config, artificial, train_real, test_real)
    tables["degree_curve"] = curve[
        ["train", "degree", "accuracy", "precision", "recall", "f1", "train_s"]
    ]
    figures["degree_curve"] = degree_curve_figure(curve)

    source = artificial["hierarchical"]
    combined = pd.concat([source, train_real], ignore_index=True)
    step("tables 2 and 3: realistic profiles in training")
    table_2, table_3, by_radius = tables_2_and_3(config, combined, test_real)
    tables["table_2"] = table_2
    tables["accuracy_by_radius"] = by_radius
    tables["table_3"] = table_3
    step("learning curve in training profiles")
    tables["profile_curve"] = profile_learning_curve(source, train_real, test_real, config)
    step("analytic closure tests")
    tables["analytic"] = analytic_table(config, realistic, test_real)
    step("domain-adversarial network")
    tables["domain_adaptation"] = domain_adaptation_table(
        config, source, train_real, realistic, test_real
    )
    step("higher moments")
    tables["higher_moments"] = higher_moments_table(config, source, train_real, test_real)
    step("ELN-XLN labels")
    tables["xln"] = xln_table(config, train_real, test_real)
    notes["targets"] = targets(tables)
    notes["study_seconds"] = time.perf_counter() - t_start
    return StudyResult(config, tables, figures, notes)
