"""The reproduction run: generate the data, score the Bayes ceilings, train and score every model.

:func:`reproduce` runs four named steps, each a function of this module:

1. :func:`generate_splits`: every scheme with the 50/50 family mix, single-family (maxent) sets,
   train/validation/test splits and the Table III sub-population;
2. :func:`score_ceilings`: the Bayes ceiling of every test set;
3. :func:`training_jobs` then :func:`run_jobs`: one job per (training set, model) and the
   degree sweeps, in parallel;
4. :func:`crossing_example`: an ELN-XLN test sample with a crossing for the report's figure.

Nothing is written; :func:`nulearn.flavor.studies.reproduce.report.write_report` lays the result out.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.splits import select_range, split_dataset
from nulearn.flavor.evaluation.ceiling import BayesCeiling, bayes_ceiling
from nulearn.flavor.evaluation.fit import degree_sweep, fit_and_evaluate
from nulearn.flavor.evaluation.scoring import ModelEvaluation
from nulearn.flavor.models.registry import ModelVariant, get_variant
from nulearn.flavor.physics.species import feature_names
from nulearn.flavor.studies.reproduce.config import SUBSET, ReproduceConfig, ReproduceResult

__all__ = [
    "TrainingJob",
    "crossing_example",
    "generate_splits",
    "reproduce",
    "run_jobs",
    "score_ceilings",
    "training_jobs",
]

#: Test sets whose Bayes ceiling the report prints.
_CEILING_TESTS: tuple[str, ...] = (
    "xln_test",
    "original_test",
    "hierarchical_test",
    SUBSET,
    "original_maxent_test",
    "hierarchical_maxent_test",
    "xln_maxent_test",
)

#: Scheduling order (lowest first): the slowest models start first, so two workers finish together.
_COST = {"svm": 0, "mlp": 1, "mlp_phys": 1, "gbt": 2, "gbt_closure": 2, "gbt_forward": 2, "lr9": 3}


@dataclass(frozen=True)
class TrainingJob:
    """One model trained on one training set and scored on named test (and validation) sets."""

    variant: ModelVariant
    train_name: str
    train: pd.DataFrame
    tests: dict[str, pd.DataFrame]
    features: tuple[str, ...]


def _quiet() -> None:
    """Silence per-model chatter (Lightning, LightGBM) and pin BLAS/torch to one thread per worker."""
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _train_job(
    job: TrainingJob, config: ReproduceConfig
) -> tuple[tuple[str, str], dict[str, ModelEvaluation], float]:
    _quiet()
    variant, data = job.variant, job.train
    if (
        variant.estimator == "svm"
        and config.svm_max_train is not None
        and len(data) > config.svm_max_train
    ):
        data = data.sample(n=config.svm_max_train, random_state=config.seed)
    overrides: dict[str, Any] = {}
    if variant.estimator == "mlp":
        overrides.update({"max_epochs": config.mlp_max_epochs, "num_threads": 1})
    cpu0 = time.process_time()
    _, evs = fit_and_evaluate(
        variant.key,
        data,
        job.tests,
        job.features,
        config=overrides or None,
        random_state=config.seed,
        display=variant.label,
    )
    cpu = time.process_time() - cpu0
    for ev in evs.values():
        ev.probability = ev.probability.astype(np.float32)
    return (job.train_name, variant.key), evs, cpu


def _sweep_job(
    train_name: str, train: pd.DataFrame, tests: dict[str, pd.DataFrame], config: ReproduceConfig
) -> tuple[str, pd.DataFrame]:
    _quiet()
    data = train
    if config.sweep_max_train is not None and len(train) > config.sweep_max_train:
        data = train.sample(n=config.sweep_max_train, random_state=config.seed)
    table = degree_sweep(
        data,
        tests,
        feature_names("original"),
        degrees=config.degrees,
        thresholds=(0.3, 0.5),
        random_state=config.seed,
    )
    return train_name, table


def _dataset_row(frame: pd.DataFrame) -> dict[str, Any]:
    fam = (
        frame["family"].astype(str).value_counts(normalize=True)
        if "family" in frame
        else pd.Series(dtype=float)
    )
    return {
        "samples": len(frame),
        "crossing fraction": float(frame["crossing"].mean()),
        "family mix": ", ".join(f"{k} {v:.0%}" for k, v in fam.items()),
    }


def generate_splits(
    cfg: ReproduceConfig,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Step 1: the generated tables and their splits.

    Returns:
        ``(raw, splits)``: ``raw`` by dataset (``xln``, ``original``, ``hierarchical`` with the
        family mix; ``<scheme>_maxent`` single-family); ``splits`` by ``<dataset>_train``,
        ``_val``, ``_test`` plus the Table III sub-population :data:`SUBSET`.
    """
    from nulearn.flavor.data.generate import generate

    raw: dict[str, pd.DataFrame] = {
        "xln": generate("xln", "mix", cfg.n_xln, seed=cfg.seed),
        "original": generate("original", "mix", cfg.n_eln, seed=cfg.seed + 1),
        "hierarchical": generate("hierarchical", "mix", cfg.n_eln, seed=cfg.seed + 2),
    }
    for i, scheme in enumerate(("original", "hierarchical", "xln")):
        raw[f"{scheme}_maxent"] = generate(scheme, "maxent", cfg.n_single, seed=cfg.seed + 10 + i)
    splits: dict[str, pd.DataFrame] = {}
    for name, frame in raw.items():
        tr, va, te = split_dataset(
            frame, test_fraction=cfg.test_fraction, val_fraction=cfg.val_fraction, seed=cfg.seed
        )
        splits[f"{name}_train"], splits[f"{name}_val"], splits[f"{name}_test"] = tr, va, te
    splits[SUBSET] = select_range(
        splits["hierarchical_test"], {cfg.subset_column: (None, cfg.subset_max)}
    )
    return raw, splits


def score_ceilings(splits: dict[str, pd.DataFrame]) -> dict[str, BayesCeiling]:
    """Step 2: the Bayes ceiling of every non-empty test set (relabels each sample under the other family)."""
    return {k: bayes_ceiling(splits[k]) for k in _CEILING_TESTS if len(splits[k]) > 0}


def training_jobs(cfg: ReproduceConfig, splits: dict[str, pd.DataFrame]) -> list[TrainingJob]:
    """Step 3a: every (training set, model) pair of the tables, slowest first."""
    eln, xln = feature_names("original"), feature_names("xln")

    def pick(*names: str) -> dict[str, pd.DataFrame]:
        return {k: splits[k] for k in names}

    jobs = [
        TrainingJob(get_variant(key), "xln", splits["xln_train"], pick("xln_val", "xln_test"), xln)
        for key in cfg.models
    ]
    original_tests = pick("original_val", "original_test", "hierarchical_test")
    jobs += [
        TrainingJob(get_variant(key), "original", splits["original_train"], original_tests, eln)
        for key in ("lr9", *cfg.models)
    ]
    hierarchical_tests = pick("hierarchical_val", "hierarchical_test", "original_test", SUBSET)
    jobs += [
        TrainingJob(
            get_variant(key), "hierarchical", splits["hierarchical_train"], hierarchical_tests, eln
        )
        for key in cfg.models
    ]
    for scheme in ("original", "hierarchical", "xln"):
        name = f"{scheme}_maxent"
        feats = xln if scheme == "xln" else eln
        tests = pick(f"{name}_val", f"{name}_test")
        jobs += [
            TrainingJob(get_variant(key), name, splits[f"{name}_train"], tests, feats)
            for key in cfg.single_models
        ]
    jobs.sort(key=lambda j: (_COST.get(j.variant.key, 9), -len(j.train)))
    return jobs


def run_jobs(
    cfg: ReproduceConfig, jobs: list[TrainingJob], splits: dict[str, pd.DataFrame]
) -> tuple[dict[tuple[str, str], dict[str, ModelEvaluation]], dict[str, pd.DataFrame]]:
    """Step 3b: train and score every job and the LR degree sweeps, ``cfg.n_jobs`` at a time.

    Returns:
        ``(evaluations, sweeps)`` as in :class:`ReproduceResult`; each evaluation carries the
        job's CPU seconds in ``extra["train_cpu_s"]``.
    """
    from joblib import Parallel, delayed

    sweep_tests = {k: splits[k] for k in ("hierarchical_test", "original_test", SUBSET)}
    parallel = Parallel(n_jobs=cfg.n_jobs, backend="loky" if cfg.n_jobs != 1 else "sequential")
    outputs = parallel(
        [delayed(_train_job)(job, cfg) for job in jobs]
        + [
            delayed(_sweep_job)(name, splits[f"{name}_train"], sweep_tests, cfg)
            for name in ("original", "hierarchical")
        ]
    )
    evaluations: dict[tuple[str, str], dict[str, ModelEvaluation]] = {}
    sweeps: dict[str, pd.DataFrame] = {}
    for out in outputs:
        if len(out) == 3:
            key, evs, cpu = out
            for ev in evs.values():
                ev.extra["train_cpu_s"] = cpu
            evaluations[key] = evs
        else:
            sweeps[out[0]] = out[1]
    return evaluations, sweeps


def crossing_example(splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Step 4: an ELN-XLN maxent test sample with a crossing (else the first), features and family."""
    test = splits["xln_test"]
    pick = test[(test["crossing"] == 1) & (test["family"].astype(str) == "maxent")]
    row = (pick if len(pick) else test).iloc[0]
    return {c: float(row[c]) for c in feature_names("xln")} | {
        "family": str(row["family"]),
        "crossing": int(row["crossing"]),
    }


def reproduce(config: ReproduceConfig | None = None, *, progress: bool = False) -> ReproduceResult:
    """Generate data, train and score every model of the papers' tables; no files are written.

    Args:
        config: sizes and choices (default: the 5-minute default run).
        progress: print one line per stage.

    Returns:
        The :class:`ReproduceResult` that :func:`~nulearn.flavor.studies.reproduce.report.write_report`
        lays out.
    """
    cfg = config or ReproduceConfig()
    say: Callable[..., None] = print if progress else (lambda *a, **k: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    raw, splits = generate_splits(cfg)
    timings["generate"] = time.perf_counter() - t0
    say(f"[reproduce] data generated ({timings['generate']:.1f} s)")

    t1 = time.perf_counter()
    ceilings = score_ceilings(splits)
    timings["ceiling"] = time.perf_counter() - t1

    jobs = training_jobs(cfg, splits)
    t2 = time.perf_counter()
    evaluations, sweeps = run_jobs(cfg, jobs, splits)
    timings["train_and_score"] = time.perf_counter() - t2
    say(f"[reproduce] {len(jobs)} models trained and scored ({timings['train_and_score']:.1f} s)")

    example = crossing_example(splits)
    datasets = {name: _dataset_row(frame) for name, frame in raw.items()}
    timings["total"] = time.perf_counter() - t0
    return ReproduceResult(cfg, evaluations, ceilings, sweeps, datasets, example, timings)
