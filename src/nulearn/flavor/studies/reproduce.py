"""``nulearn flavor reproduce``: regenerate Tables I-IV and Figs. 1-3 of arXiv:2310.03807.

One call generates the labelled data, trains every model, scores it beside the Bayes ceiling
and the published numbers, and writes one Markdown report with PNG figures.

The paper's set-ups and our analogues (we have no CCSN simulation data, so the paper's
"realistic" test set is played by the hierarchical scheme, whose flux-factor hierarchy
F_nue < F_nuebar was introduced precisely to mimic it; arXiv:2310.03807 Sec. III A):

- Table I / Fig. 1 red curve: models trained on the ``original`` scheme (arXiv:2303.05560),
  tested on the ``hierarchical`` one (train-on-one-scheme, test-on-another);
- Table II / Fig. 2: trained on ``hierarchical``, tested on ``hierarchical``;
- Table III / Fig. 3: the Table II models on the sub-population F_nuebar < 0.3 (nearly isotropic
  antineutrinos, our stand-in for the decoupling region r < 100 km) with the p_c sweep;
- Table IV: the ELN-XLN scheme, 50k samples, 80/20 split — the same kind of data as the paper,
  so the numbers are directly comparable.

Every model is also scored in-distribution on both ELN schemes and on single-family data,
which are the acceptance checks of the Bayes ceiling. Hyperparameters are fixed (the papers'
configurations) or chosen on a validation split carved from the training part; the test split
is only scored, and the "best model" is chosen by validation accuracy.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.splits import select_range, split_dataset
from nulearn.flavor.evaluation.ceiling import BayesCeiling, bayes_ceiling
from nulearn.flavor.evaluation.fit import degree_sweep, fit_and_evaluate
from nulearn.flavor.evaluation.scoring import CLASS_NAMES, ModelEvaluation
from nulearn.flavor.physics.species import feature_names
from nulearn.ml.report import Report

__all__ = [
    "PUBLISHED",
    "ModelSpec",
    "ReproduceConfig",
    "ReproduceResult",
    "acceptance_table",
    "reproduce",
    "write_report",
]


# -- the published numbers (arXiv:2310.03807 Tables I-IV), in percent ------------------------------
# model key -> (accuracy, {class: (precision, recall, F1)})
_Pub = tuple[float, dict[str, tuple[float, float, float]]]
PUBLISHED: dict[str, dict[str, _Pub]] = {
    "I": {
        "lr9": (68, {"no crossing": (72, 82, 77), "crossing": (59, 43, 50)}),
        "knn": (77, {"no crossing": (77, 89, 83), "crossing": (75, 55, 63)}),
        "svm": (87, {"no crossing": (98, 81, 89), "crossing": (75, 98, 85)}),
        "tree": (71, {"no crossing": (74, 84, 79), "crossing": (63, 48, 55)}),
    },
    "II": {
        "lr2": (94, {"no crossing": (96, 95, 95), "crossing": (91, 93, 92)}),
        "knn": (98, {"no crossing": (98, 99, 99), "crossing": (98, 97, 98)}),
        "svm": (97, {"no crossing": (98, 98, 98), "crossing": (96, 97, 97)}),
        "tree": (99, {"no crossing": (99, 99, 99), "crossing": (98, 98, 98)}),
    },
    "III": {
        "lr2": (96, {"no crossing": (96, 100, 98), "crossing": (94, 49, 64)}),
        "knn": (100, {"no crossing": (100, 100, 100), "crossing": (100, 99, 99)}),
        "svm": (99, {"no crossing": (99, 99, 99), "crossing": (92, 90, 91)}),
        "tree": (100, {"no crossing": (100, 100, 100), "crossing": (99, 99, 99)}),
    },
    "IV": {
        "lr2": (88, {"no crossing": (87, 89, 88), "crossing": (88, 86, 87)}),
        "knn": (88, {"no crossing": (89, 88, 89), "crossing": (88, 89, 88)}),
        "svm": (88, {"no crossing": (92, 84, 88), "crossing": (85, 93, 89)}),
        "tree": (87, {"no crossing": (87, 87, 87), "crossing": (87, 87, 87)}),
    },
}


@dataclass(frozen=True)
class ModelSpec:
    """A model as the report names it: key (``"lr2"``), builder name, polynomial degree, label."""

    key: str
    model: str
    degree: int = 2
    label: str = ""
    config: tuple[tuple[str, Any], ...] = ()
    #: reads features reconstructed under a closure (not only the moments and sums of them)
    uses_closure: bool = False

    @property
    def display(self) -> str:
        """Display name as in the papers' tables."""
        return self.label or self.key


_SPECS: dict[str, ModelSpec] = {
    "lr2": ModelSpec("lr2", "lr", 2, "LR (n = 2)"),
    "lr2_phys": ModelSpec(
        "lr2_phys",
        "lr",
        2,
        "LR (n = 2), physical coordinates",
        config=(("coordinates", "physical"),),
    ),
    "lr9": ModelSpec("lr9", "lr", 9, "LR (n = 9)"),
    "knn": ModelSpec("knn", "knn", label="KNN (k = 3)"),
    "svm": ModelSpec("svm", "svm", label="SVM (RBF, γ = 100)"),
    "tree": ModelSpec("tree", "tree", label="Decision tree"),
    "gbt": ModelSpec("gbt", "gbt", label="Gradient-boosted trees"),
    "gbt_closure": ModelSpec(
        "gbt_closure",
        "gbt",
        label="GBT + maxent-closure G(μ)",
        config=(("closure_features", "maxent"),),
        uses_closure=True,
    ),
    "mlp": ModelSpec(
        "mlp", "mlp", label="MLP (physical coordinates)", config=(("coordinates", "physical"),)
    ),
}

#: Test-set keys: scheme test splits plus the Table III sub-population.
_SUBSET = "hierarchical_subset"


@dataclass(frozen=True)
class ReproduceConfig:
    """Sizes and choices of a reproduction run.

    Attributes:
        n_xln: ELN-XLN samples (papers: 50k, split 80/20).
        n_eln: samples per ELN scheme (original, hierarchical), family mix.
        n_single: samples per scheme for the single-family (maxent) check.
        test_fraction: test share (papers: 0.2).
        val_fraction: share of the training part held out for validation (model choice, early stopping).
        svm_max_train: exact SVM trained on at most this many (random) training samples; ``None``: all
            (beyond 50k the SVM switches to its kernel approximation).
        sweep_max_train: training samples for each LR of the degree sweep (``None``: all).
        degrees: polynomial degrees of the sweep (Figs. 1-3).
        models: model keys for the main tables (``lr2, knn, svm, tree, gbt, mlp``; Table I adds ``lr9``).
        single_models: model keys for the single-family check.
        subset_column, subset_max: the Table III sub-population is ``subset_column < subset_max``.
        mlp_max_epochs: epoch cap of the report's small MLP.
        seed: master seed of data and models.
        n_jobs: parallel training processes.
    """

    n_xln: int = 50_000
    n_eln: int = 50_000
    n_single: int = 20_000
    test_fraction: float = 0.2
    val_fraction: float = 0.1
    svm_max_train: int | None = 20_000
    sweep_max_train: int | None = 8_000
    degrees: tuple[int, ...] = tuple(range(1, 11))
    models: tuple[str, ...] = (
        "lr2",
        "lr2_phys",
        "knn",
        "svm",
        "tree",
        "gbt",
        "gbt_closure",
        "mlp",
    )
    single_models: tuple[str, ...] = ("lr2", "lr2_phys", "knn", "gbt", "gbt_closure", "mlp")
    subset_column: str = "F_nuebar"
    subset_max: float = 0.3
    mlp_max_epochs: int = 50
    seed: int = 0
    n_jobs: int = 2

    def __post_init__(self) -> None:
        for name in ("n_xln", "n_eln", "n_single"):
            if getattr(self, name) < 50:
                raise ValueError(f"{name} = {getattr(self, name)} is too small; it must be >= 50")
        unknown = sorted((set(self.models) | set(self.single_models)) - set(_SPECS))
        if unknown:
            raise ValueError(f"unknown model keys {unknown}; allowed: {sorted(_SPECS)}")

    @classmethod
    def full(cls) -> ReproduceConfig:
        """The papers' sizes: 50k ELN-XLN samples with the exact SVM on all 40k training samples;
        200k samples per ELN scheme (arXiv:2303.05560 trained on O(10^5) artificial samples)."""
        return cls(
            n_xln=50_000,
            n_eln=200_000,
            n_single=100_000,
            svm_max_train=50_000,
            sweep_max_train=50_000,
        )

    @classmethod
    def sized(cls, n: int, **overrides: Any) -> ReproduceConfig:
        """A run of about ``n`` samples per dataset (for tests and quick looks)."""
        base: dict[str, Any] = {
            "n_xln": n,
            "n_eln": n,
            "n_single": n,
            "svm_max_train": min(n, 20_000),
            "sweep_max_train": min(n, 8_000),
        }
        base.update(overrides)
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the report header."""
        return dataclasses.asdict(self)


@dataclass
class ReproduceResult:
    """Everything the report shows.

    Attributes:
        config: the run's configuration.
        evaluations: ``{(train set, model key): {test set: ModelEvaluation}}``.
        ceilings: ``{test set: BayesCeiling}``.
        sweeps: ``{train set: degree-sweep table}``.
        datasets: ``{name: summary row}`` (size, crossing fraction, family mix).
        example: one ELN-XLN test sample with a crossing (its features and family).
        timings: wall-clock seconds of the stages.
    """

    config: ReproduceConfig
    evaluations: dict[tuple[str, str], dict[str, ModelEvaluation]]
    ceilings: dict[str, BayesCeiling]
    sweeps: dict[str, pd.DataFrame]
    datasets: dict[str, dict[str, Any]]
    example: dict[str, Any]
    timings: dict[str, float]

    def accuracy_table(self) -> pd.DataFrame:
        """Long table: train set, test set, model, accuracy, ceiling (all in [0, 1])."""
        rows = []
        for (train, key), evs in self.evaluations.items():
            for test, ev in evs.items():
                c = self.ceilings.get(test)
                rows.append(
                    {
                        "train": train,
                        "test": test,
                        "model": key,
                        "accuracy": ev.accuracy,
                        "f1_crossing": ev.scores.get("crossing", "f1"),
                        "ceiling_accuracy": None if c is None else c.accuracy,
                        "ceiling_f1": None if c is None else c.f1_crossing,
                    }
                )
        return pd.DataFrame(rows)

    def best_model(self, train: str, closure_free: bool = False) -> str:
        """The model trained on ``train`` with the highest *validation* accuracy.

        With ``closure_free`` only models that read nothing but the moment features (and sums of
        them) compete, i.e. not ``gbt_closure``.
        """
        val = f"{train}_val"
        scored = {
            k: evs[val].accuracy
            for (t, k), evs in self.evaluations.items()
            if t == train and val in evs and not (closure_free and _SPECS[k].uses_closure)
        }
        if not scored:
            raise ValueError(f"no validation scores for training set {train!r}")
        return max(scored, key=lambda k: scored[k])


# -- the run ---------------------------------------------------------------------------------------
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
    spec: ModelSpec,
    train_name: str,
    train: pd.DataFrame,
    tests: dict[str, pd.DataFrame],
    features: tuple[str, ...],
    config: ReproduceConfig,
) -> tuple[tuple[str, str], dict[str, ModelEvaluation], float]:
    _quiet()
    data = train
    if (
        spec.model == "svm"
        and config.svm_max_train is not None
        and len(train) > config.svm_max_train
    ):
        data = train.sample(n=config.svm_max_train, random_state=config.seed)
    model_config: dict[str, Any] = dict(spec.config)
    if spec.model == "mlp":
        model_config.update({"max_epochs": config.mlp_max_epochs, "num_threads": 1})
    cpu0 = time.process_time()
    _, evs = fit_and_evaluate(
        spec.model,
        data,
        tests,
        features,
        degree=spec.degree,
        config=model_config or None,
        random_state=config.seed,
        display=spec.display,
    )
    cpu = time.process_time() - cpu0
    for ev in evs.values():
        ev.name = spec.key
        ev.probability = ev.probability.astype(np.float32)
    return (train_name, spec.key), evs, cpu


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


def reproduce(config: ReproduceConfig | None = None, *, progress: bool = False) -> ReproduceResult:
    """Generate data, train and score every model of the papers' tables; no files are written.

    Args:
        config: sizes and choices (default: the 5-minute default run).
        progress: print one line per stage.

    Returns:
        The :class:`ReproduceResult` that :func:`write_report` lays out.
    """
    from joblib import Parallel, delayed

    from nulearn.flavor.data.generate import generate

    cfg = config or ReproduceConfig()
    timings: dict[str, float] = {}
    say = print if progress else (lambda *a, **k: None)
    t0 = time.perf_counter()

    # 1. data: every scheme with the 50/50 family mix, plus single-family (maxent) sets.
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
    splits[_SUBSET] = select_range(
        splits["hierarchical_test"], {cfg.subset_column: (None, cfg.subset_max)}
    )
    timings["generate"] = time.perf_counter() - t0
    say(f"[reproduce] data generated ({timings['generate']:.1f} s)")

    # 2. the Bayes ceiling of every test set (relabels each sample under the other family).
    t1 = time.perf_counter()
    ceilings = {
        k: bayes_ceiling(splits[k])
        for k in (
            "xln_test",
            "original_test",
            "hierarchical_test",
            _SUBSET,
            "original_maxent_test",
            "hierarchical_maxent_test",
            "xln_maxent_test",
        )
        if len(splits[k]) > 0
    }
    timings["ceiling"] = time.perf_counter() - t1

    # 3. training jobs: (spec, train set, {test name: table}, features).
    eln, xln = feature_names("original"), feature_names("xln")
    jobs: list[tuple[ModelSpec, str, pd.DataFrame, dict[str, pd.DataFrame], tuple[str, ...]]] = []
    for key in cfg.models:
        jobs.append(
            (
                _SPECS[key],
                "xln",
                splits["xln_train"],
                {k: splits[k] for k in ("xln_val", "xln_test")},
                xln,
            )
        )
    for key in ("lr9", *cfg.models):
        tests = {k: splits[k] for k in ("original_val", "original_test", "hierarchical_test")}
        jobs.append((_SPECS[key], "original", splits["original_train"], tests, eln))
    for key in cfg.models:
        tests = {
            k: splits[k]
            for k in ("hierarchical_val", "hierarchical_test", "original_test", _SUBSET)
        }
        jobs.append((_SPECS[key], "hierarchical", splits["hierarchical_train"], tests, eln))
    for scheme in ("original", "hierarchical", "xln"):
        name = f"{scheme}_maxent"
        feats = xln if scheme == "xln" else eln
        for key in cfg.single_models:
            tests = {k: splits[k] for k in (f"{name}_val", f"{name}_test")}
            jobs.append((_SPECS[key], name, splits[f"{name}_train"], tests, feats))
    # Longest first, so two workers finish together.
    cost = {"svm": 0, "mlp": 1, "gbt": 2, "gbt_closure": 2, "lr9": 3}
    jobs.sort(key=lambda j: (cost.get(j[0].key, 9), -len(j[2])))
    t2 = time.perf_counter()
    sweep_tests = {
        "hierarchical_test": splits["hierarchical_test"],
        "original_test": splits["original_test"],
        _SUBSET: splits[_SUBSET],
    }
    sweep_jobs = [(name, splits[f"{name}_train"]) for name in ("original", "hierarchical")]
    parallel = Parallel(n_jobs=cfg.n_jobs, backend="loky" if cfg.n_jobs != 1 else "sequential")
    outputs = parallel(
        [delayed(_train_job)(spec, tn, tr, te, ft, cfg) for spec, tn, tr, te, ft in jobs]
        + [delayed(_sweep_job)(name, tr, sweep_tests, cfg) for name, tr in sweep_jobs]
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
    timings["train_and_score"] = time.perf_counter() - t2
    say(f"[reproduce] {len(jobs)} models trained and scored ({timings['train_and_score']:.1f} s)")

    # 4. an example ELN-XLN sample with a crossing, for the angular-distribution figure.
    test = splits["xln_test"]
    pick = test[(test["crossing"] == 1) & (test["family"].astype(str) == "maxent")]
    row = (pick if len(pick) else test).iloc[0]
    example = {c: float(row[c]) for c in xln} | {
        "family": str(row["family"]),
        "crossing": int(row["crossing"]),
    }

    datasets = {name: _dataset_row(frame) for name, frame in raw.items()}
    timings["total"] = time.perf_counter() - t0
    return ReproduceResult(cfg, evaluations, ceilings, sweeps, datasets, example, timings)


# -- the report ------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _paper_table(
    result: ReproduceResult,
    train: str,
    test: str,
    published: Mapping[str, _Pub] | None,
    keys: Sequence[str],
) -> pd.DataFrame:
    """Rows laid out like the papers' tables: per model an accuracy and two class rows."""
    rows = []
    ceiling = result.ceilings.get(test)
    for key in keys:
        evs = result.evaluations.get((train, key))
        if evs is None or test not in evs:
            continue
        ev = evs[test]
        pub = (published or {}).get(key)
        for i, cls in enumerate(CLASS_NAMES):
            rows.append(
                {
                    "model": ev.label if i == 0 else "",
                    "accuracy": _pct(ev.accuracy) if i == 0 else "",
                    "published acc.": (f"{pub[0]:.0f}%" if pub else "—") if i == 0 else "",
                    "ceiling acc.": _pct(ceiling.accuracy if ceiling else None) if i == 0 else "",
                    "class": cls,
                    "precision": _pct(ev.scores.get(cls, "precision")),
                    "recall": _pct(ev.scores.get(cls, "recall")),
                    "F1": _pct(ev.scores.get(cls, "f1")),
                    "published P / R / F1": (
                        "/".join(f"{v:.0f}" for v in pub[1][cls]) if pub else "—"
                    ),
                    "ceiling F1": _pct(
                        None
                        if ceiling is None
                        else (ceiling.f1_crossing if i else ceiling.f1_no_crossing)
                    ),
                }
            )
    return pd.DataFrame(rows)


def _check(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def acceptance_table(result: ReproduceResult) -> pd.DataFrame:
    """The issue's acceptance checks: columns ``check``, ``measured``, ``status`` (pass / **FAIL** / info)."""
    rows = []
    ev = result.evaluations
    ceil = result.ceilings
    pub = PUBLISHED["IV"]
    for key in ("lr2", "knn", "svm", "tree"):
        if ("xln", key) in ev:
            acc = ev[("xln", key)]["xln_test"].accuracy
            diff = 100 * acc - pub[key][0]
            rows.append(
                {
                    "check": f"ELN-XLN {key}: near published {pub[key][0]:.0f}% (±2 points)",
                    "measured": f"{100 * acc:.1f}% ({diff:+.1f})",
                    "status": "pass" if abs(diff) <= 2 else "differs (see notes)",
                }
            )
    for closure_free in (False, True):
        best = result.best_model("xln", closure_free=closure_free)
        acc = ev[("xln", best)]["xln_test"].accuracy
        c = ceil["xln_test"].accuracy
        rows.append(
            {
                "check": f"ELN-XLN best {'closure-free ' if closure_free else ''}model (chosen on validation) "
                ">= 94% and within 1 point of the ceiling",
                "measured": f"{best}: {100 * acc:.1f}% (ceiling {100 * c:.1f}%)",
                "status": _check(acc >= 0.94 and acc >= c - 0.01),
            }
        )
    for scheme in ("original", "hierarchical"):
        test = f"{scheme}_test"
        c = ceil[test].accuracy
        if (scheme, "lr2_phys") in ev:
            acc = ev[(scheme, "lr2_phys")][test].accuracy
            rows.append(
                {
                    "check": f"{scheme} (family mix): LR (n = 2, physical coordinates) within 2 "
                    "points of the ceiling",
                    "measured": f"{100 * acc:.1f}% (ceiling {100 * c:.1f}%)",
                    "status": _check(acc >= c - 0.02),
                }
            )
        if (scheme, "lr2") in ev:
            acc = ev[(scheme, "lr2")][test].accuracy
            rows.append(
                {
                    "check": f"{scheme} (family mix): LR (n = 2) on the papers' raw features, for "
                    "reference (not a target: a quadric in alpha, F cannot follow the boundary)",
                    "measured": f"{100 * acc:.1f}% (ceiling {100 * c:.1f}%)",
                    "status": "pass" if acc >= c - 0.02 else "info",
                }
            )
        for closure_free in (False, True):
            best = result.best_model(scheme, closure_free=closure_free)
            acc = ev[(scheme, best)][test].accuracy
            rows.append(
                {
                    "check": f"{scheme} (family mix): best {'closure-free ' if closure_free else ''}model "
                    "within 0.5 point of the ceiling",
                    "measured": f"{best}: {100 * acc:.1f}% (ceiling {100 * c:.1f}%)",
                    "status": _check(acc >= c - 0.005),
                }
            )
    for scheme in ("original", "hierarchical", "xln"):
        name = f"{scheme}_maxent"
        for closure_free in (False, True):
            best = result.best_model(name, closure_free=closure_free)
            acc = ev[(name, best)][f"{name}_test"].accuracy
            rows.append(
                {
                    "check": f"{scheme}, single family (maxent, ceiling 100%): best "
                    f"{'closure-free ' if closure_free else ''}model >= 99.5%"
                    + (" (informational: beyond the issue's target)" if closure_free else ""),
                    "measured": f"{best}: {100 * acc:.2f}%",
                    "status": _check(acc >= 0.995)
                    if not closure_free
                    else ("pass" if acc >= 0.995 else "info"),
                }
            )
    return pd.DataFrame(rows)


def _timing_table(result: ReproduceResult, train: str, test: str) -> pd.DataFrame:
    rows = []
    for (t, _key), evs in result.evaluations.items():
        if t != train or test not in evs:
            continue
        ev = evs[test]
        rows.append(
            {
                "model": ev.label,
                "training samples": ev.n_train,
                "train wall [s]": f"{ev.train_seconds:.2f}",
                "train+score CPU [s]": f"{ev.extra.get('train_cpu_s', float('nan')):.2f}",
                "inference [µs/sample]": f"{1e6 * (ev.infer_seconds or 0.0) / max(ev.n_test, 1):.2f}",
                "ROC AUC": f"{ev.roc.area:.4f}",
            }
        )
    return pd.DataFrame(rows)


def _fig_degree(result: ReproduceResult) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    styles = {
        ("original", "hierarchical_test"): (
            "C3",
            "-",
            "trained on original, tested on hierarchical",
        ),
        ("hierarchical", "hierarchical_test"): (
            "C3",
            ":",
            "trained on hierarchical (improved), tested on hierarchical",
        ),
        ("original", "original_test"): ("k", "--", "trained on original, tested on original"),
        ("hierarchical", "original_test"): (
            "C0",
            "-.",
            "trained on hierarchical, tested on original",
        ),
    }
    for (train, test), (color, ls, label) in styles.items():
        tab = result.sweeps.get(train)
        if tab is None:
            continue
        sel = tab[(tab["test"] == test) & np.isclose(tab["threshold"], 0.5)]
        ax.plot(
            sel["degree"], 100 * sel["accuracy"], color=color, ls=ls, marker="o", ms=3, label=label
        )
    ceil = result.ceilings.get("hierarchical_test")
    if ceil is not None:
        ax.axhline(
            100 * ceil.accuracy, color="grey", lw=0.8, label="Bayes ceiling (hierarchical test)"
        )
    ax.set_xlabel("polynomial degree n")
    ax.set_ylabel("LR accuracy [%]")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


def _fig_prf(result: ReproduceResult, train: str, test: str, title: str) -> Any:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 1, figsize=(6, 4))
    tab = result.sweeps[train]
    sel = tab[(tab["test"] == test) & np.isclose(tab["threshold"], 0.5)]
    for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3"), ("f1", "C2")):
        axes.plot(sel["degree"], 100 * sel[col], color=c, marker="o", ms=3, label=col)
    axes.set_xlabel("polynomial degree n")
    axes.set_ylabel("score (crossing class) [%]")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return fig


def _fig_subset(result: ReproduceResult) -> Any:
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7))
    tab = result.sweeps["hierarchical"]
    sub = tab[tab["test"] == _SUBSET]
    for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3")):
        for thr, ls in ((0.5, "-"), (0.3, "--")):
            s = sub[np.isclose(sub["threshold"], thr)]
            top.plot(
                s["degree"],
                100 * s[col],
                color=c,
                ls=ls,
                marker="o",
                ms=3,
                label=f"{col}, p_c = {thr}",
            )
    top.set_xlabel("polynomial degree n")
    top.set_ylabel("score [%]")
    top.legend(fontsize=7, ncol=2)
    top.grid(alpha=0.3)
    ev = result.evaluations.get(("hierarchical", "lr2"), {}).get(_SUBSET)
    if ev is not None:
        sw = ev.sweep
        for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3"), ("f1", "C2")):
            bottom.plot(sw["threshold"], 100 * sw[col], color=c, marker="o", ms=3, label=col)
    bottom.set_xlabel("threshold probability p_c (LR, n = 2)")
    bottom.set_ylabel("score (crossing class) [%]")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    return fig


def _fig_curves(result: ReproduceResult, train: str, test: str) -> Any:
    import matplotlib.pyplot as plt

    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4))
    for (t, _key), evs in result.evaluations.items():
        if t != train or test not in evs:
            continue
        ev = evs[test]
        roc.plot(ev.roc.x, ev.roc.y, lw=1, label=f"{ev.label} (AUC {ev.roc.area:.3f})")
        pr.plot(ev.pr.x, ev.pr.y, lw=1, label=f"{ev.label} (AP {ev.pr.area:.3f})")
    roc.plot([0, 1], [0, 1], color="grey", lw=0.5, ls="--")
    roc.set_xlabel("false-positive rate")
    roc.set_ylabel("true-positive rate")
    pr.set_xlabel("recall (crossing)")
    pr.set_ylabel("precision (crossing)")
    for ax in (roc, pr):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return fig


def _fig_example(example: Mapping[str, Any]) -> tuple[Any, str]:
    import matplotlib.pyplot as plt

    from nulearn.flavor.physics.crossings import eln_from_distributions, find_crossings, mu_grid
    from nulearn.flavor.physics.families import get_family

    fam = get_family(str(example["family"]))
    mu = mu_grid(801)
    dens = {
        "nue": 1.0,
        "nuebar": example["alpha"],
        "nux": example["alpha_x"],
        "nuxbar": example["alpha_xbar"],
    }
    f: dict[str, Any] = {
        s: fam.distribution(np.array([dens[s]]), np.array([example[f"F_{s}"]]), mu, species=s)
        for s in ("nue", "nuebar", "nux", "nuxbar")
    }
    g = eln_from_distributions(f)
    res = find_crossings(g, mu)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    names = {"nue": "ν_e", "nuebar": "ν̄_e", "nux": "ν_x", "nuxbar": "ν̄_x"}
    for s, arr in f.items():
        top.plot(mu, arr[0], label=f"{names[s]} (F = {example[f'F_{s}']:.2f})")
    top.set_ylabel("f(μ) / n_νe")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.plot(mu, g[0], color="k", label="G(μ) = (f_νe − f_νx) − (f_ν̄e − f_ν̄x)")
    bottom.axhline(0, color="grey", lw=0.7)
    angles = [a for a in res.angles[0] if np.isfinite(a)]
    for a in angles:
        bottom.axvline(a, color="C3", ls="--", lw=1)
    bottom.scatter(angles, np.zeros(len(angles)), color="C3", zorder=3, label="crossing")
    bottom.set_xlabel("μ = cos θ")
    bottom.set_ylabel("G(μ) / n_νe")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    text = (
        f"{example['family']} family; crossing at μ = {', '.join(f'{a:.3f}' for a in angles) or 'none'}; "
        f"depth {res.depth[0]:.3f}"
    )
    return fig, text


_TEST_TITLES = {
    "xln_test": "ELN-XLN test split",
    "original_test": "original-scheme test split",
    "hierarchical_test": "hierarchical-scheme test split",
    _SUBSET: "hierarchical test samples with F_nuebar < 0.3",
}


def _ceiling_table(result: ReproduceResult) -> pd.DataFrame:
    rows = []
    for name, c in result.ceilings.items():
        rows.append(
            {
                "test set": name,
                "samples": c.n_samples,
                "family mix": ", ".join(f"{k} {v:.1%}" for k, v in c.family_fractions.items()),
                "labels differ between families": _pct(c.disagreement),
                "best accuracy": _pct(c.accuracy),
                "best F1 (crossing)": _pct(c.f1_crossing),
                "best F1 (no crossing)": _pct(c.f1_no_crossing),
            }
        )
    return pd.DataFrame(rows)


def write_report(result: ReproduceResult, out_dir: str | Path) -> Path:
    """Lay ``result`` out as ``<out_dir>/report.md`` with figures in ``<out_dir>/figures/``."""
    import matplotlib

    matplotlib.use("Agg")
    cfg = result.config
    rep = Report("Fast-flavor crossing detection: reproduction of arXiv:2310.03807")
    rep.text(
        "This report is written by `nulearn flavor reproduce`. It regenerates the tables and figures of "
        "Abbar & Nagakura, *Detecting fast neutrino flavor conversions with machine learning* "
        "(arXiv:2310.03807), on artificial data from `nulearn.flavor.data.generate`, and prints beside every "
        "score the **Bayes ceiling**: the best accuracy and F1 that any classifier of the moment features "
        "can reach when the data mix angular families (maximum entropy and Gaussian, 50/50) that disagree "
        "on the label at identical moments. Scores are on test splits that no model saw; validation splits "
        "(carved from the training part) choose early-stopping points and the best model."
    )
    rep.bullets(
        [
            f"sizes: ELN-XLN {cfg.n_xln:,} samples (split {1 - cfg.test_fraction:.0%}/{cfg.test_fraction:.0%}, "
            f"validation {cfg.val_fraction:.0%} of training), ELN schemes {cfg.n_eln:,} each, "
            f"single-family sets {cfg.n_single:,} each; seed {cfg.seed}",
            f"exact RBF SVM trained on at most {cfg.svm_max_train or 'all'} training samples"
            + (" (libsvm is O(n²); `--full` uses all)" if cfg.svm_max_train else ""),
            f"wall time: data {result.timings['generate']:.1f} s, ceilings {result.timings['ceiling']:.1f} s, "
            f"training and scoring {result.timings['train_and_score']:.1f} s, total {result.timings['total']:.1f} s "
            f"on {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), {cfg.n_jobs} worker(s)",
        ]
    )

    rep.heading("Acceptance checks")
    rep.table(acceptance_table(result))

    rep.heading("Data and Bayes ceilings")
    rep.table(
        pd.DataFrame([{"dataset": k, **v} for k, v in result.datasets.items()]),
        caption="Generated datasets (before splitting).",
    )
    rep.table(
        _ceiling_table(result),
        caption="Bayes ceiling per test set: fraction of samples whose maxent and Gaussian labels differ at the "
        "same moments, and the best expected accuracy / F1 for the set's family mix.",
    )

    rep.heading("Table IV: ELN-XLN crossings (arXiv:2310.03807 Table IV)")
    rep.text(
        "Same kind of data as the paper: seven features, family mix, 80/20 split. "
        + result.ceilings["xln_test"].describe()
    )
    rep.table(_paper_table(result, "xln", "xln_test", PUBLISHED["IV"], (*cfg.models,)))
    rep.table(
        _timing_table(result, "xln", "xln_test"), caption="Training and inference cost (ELN-XLN)."
    )
    rep.figure(
        _fig_curves(result, "xln", "xln_test"),
        "roc_pr_xln",
        "ROC and precision-recall curves, ELN-XLN test split.",
    )

    rep.heading(
        "Table I: trained on the original scheme, tested on another (arXiv:2310.03807 Table I)"
    )
    rep.text(
        "The paper tests models trained on the original artificial data (arXiv:2303.05560) on CCSN simulation "
        "data. We have no simulation data, so the hierarchical scheme (F_nue in (0.6 F_nuebar, F_nuebar), the "
        "paper's realistic-like hierarchy) plays the test set. The published numbers are shown for the "
        "set-up, not as a target: the test populations differ. "
        + result.ceilings["hierarchical_test"].describe()
    )
    rep.table(
        _paper_table(result, "original", "hierarchical_test", PUBLISHED["I"], ("lr9", *cfg.models))
    )

    rep.heading(
        "Table II: trained and tested on the hierarchical scheme (arXiv:2310.03807 Table II)"
    )
    rep.text(
        "The paper's Table II trains on realistic plus artificial data; our analogue trains on the "
        "realistic-like hierarchical scheme. " + result.ceilings["hierarchical_test"].describe()
    )
    rep.table(
        _paper_table(result, "hierarchical", "hierarchical_test", PUBLISHED["II"], cfg.models)
    )

    if _SUBSET in result.ceilings:
        rep.heading("Table III: a feature-range sub-population (arXiv:2310.03807 Table III)")
        rep.text(
            f"The Table II models on test samples with {cfg.subset_column} < {cfg.subset_max} (nearly isotropic "
            "antineutrinos, as deep in the decoupling region; the paper selects r < 100 km). "
            + result.ceilings[_SUBSET].describe()
        )
        rep.table(_paper_table(result, "hierarchical", _SUBSET, PUBLISHED["III"], cfg.models))

    rep.heading("In-distribution ELN results")
    for scheme in ("original", "hierarchical"):
        test = f"{scheme}_test"
        rep.text(
            f"**{scheme}** scheme, trained and tested on it. " + result.ceilings[test].describe()
        )
        rep.table(_paper_table(result, scheme, test, None, cfg.models))
    rep.table(
        _timing_table(result, "hierarchical", "hierarchical_test"),
        caption="Training and inference cost (ELN, hierarchical).",
    )
    rep.text(
        "Cross-scheme, trained on hierarchical and tested on original (extrapolation to F_nue > F_nuebar): "
        + result.ceilings["original_test"].describe()
    )
    rep.table(_paper_table(result, "hierarchical", "original_test", None, cfg.models))

    rep.heading("Single-family data (ceiling 100%)")
    rows = []
    for scheme in ("original", "hierarchical", "xln"):
        name = f"{scheme}_maxent"
        for key in cfg.single_models:
            ev = result.evaluations[(name, key)][f"{name}_test"]
            rows.append(
                {
                    "scheme": scheme,
                    "model": ev.label,
                    "validation acc.": _pct(
                        result.evaluations[(name, key)][f"{name}_val"].accuracy
                    ),
                    "test acc.": f"{100 * ev.accuracy:.2f}%",
                    "F1 (crossing)": _pct(ev.scores.get("crossing", "f1")),
                }
            )
    rep.table(pd.DataFrame(rows))

    rep.heading("Figures 1-3: the polynomial-degree sweep")
    rep.figure(
        _fig_degree(result),
        "fig1_degree_sweep",
        "Fig. 1 analogue: LR accuracy against polynomial degree for different training sets.",
    )
    rep.figure(
        _fig_prf(result, "hierarchical", "hierarchical_test", "trained and tested on hierarchical"),
        "fig2_degree_scores",
        "Fig. 2 analogue: LR accuracy, precision, recall and F1 (crossing class) against degree.",
    )
    if _SUBSET in result.ceilings:
        rep.figure(
            _fig_subset(result),
            "fig3_subset_threshold",
            f"Fig. 3 analogue: LR on the {cfg.subset_column} < {cfg.subset_max} sub-population against degree "
            "(top; solid p_c = 0.5, dashed p_c = 0.3) and the threshold sweep of LR (n = 2) (bottom).",
        )
    sweep = result.sweeps.get("hierarchical")
    if sweep is not None:
        tab = sweep[np.isclose(sweep["threshold"], 0.5)].pivot_table(
            index="degree", columns="test", values="accuracy"
        )
        rep.table(
            (100 * tab).round(2).reset_index(),
            caption="LR accuracy [%] by degree (trained on hierarchical).",
        )

    rep.heading("An angular distribution with its crossing")
    fig, text = _fig_example(result.example)
    rep.figure(fig, "example_angular_distribution", "A test sample of the ELN-XLN set: " + text)

    rep.heading("Notes on differences from the published numbers")
    rep.bullets(
        [
            "Our generator caps flux factors strictly below 1 (F <= 0.999) and inverts every closure exactly "
            "(round-trip error < 1e-9); the published generator caps F at 1, where its root finder fails "
            "silently and labels a distribution whose moments differ from the reported ones. Those wrong labels "
            "are extra label noise in the published data, which can lower the published scores; our data carry "
            "only the irreducible family noise that the ceiling measures.",
            "Tables I-III compare set-ups, not populations: the paper tests on CCSN simulation data we do not "
            "have; the hierarchical scheme stands in for it.",
            "The exact SVM (gamma = 100 on raw features) keeps nearly every training sample as a support vector; "
            "its accuracy grows with the training size, so a run that subsamples its training set "
            "(see the sizes above) under-reports it relative to the paper's full 40k.",
            "'LR (n = 2), physical coordinates' is the papers' degree-2 logistic regression on "
            "log density ratios, flux-factor rapidities artanh F, the flux factors and the closure-free "
            "moments g0, g1 of G(μ) (`nulearn.flavor.models.coordinates`) instead of (alpha, F): a density ratio "
            "acts multiplicatively and the angular shapes diverge as F -> 1, so the crossing boundary, far "
            "from a quadric in the raw features, is nearly one in these. The raw-feature LR (n = 2) rows "
            "keep the papers' configuration for comparison with their numbers.",
            "Gradient-boosted trees read, besides the features, the zeroth and first moments of G(μ) "
            "(closure-free sums of the features; `nulearn.flavor.models.classical.ELNMomentFeatures`). The row "
            "'GBT + maxent-closure G(μ)' also reads G(μ) at five angles as reconstructed by the maximum-entropy "
            "closure: physics-informed features that nearly decide the maxent label, so that model shows how "
            "close to the ceiling a deployable classifier gets when it is told the closure; the acceptance "
            "table lists the best closure-free model separately.",
        ]
    )
    rep.heading("Configuration")
    rep.text("```yaml\n" + _yaml(cfg.to_dict()) + "```")
    return rep.write(out_dir)


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}, sort_keys=False
    )
