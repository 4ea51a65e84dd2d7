"""What a reproduction run is asked to do (:class:`ReproduceConfig`) and what it found
(:class:`ReproduceResult`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nulearn.flavor.evaluation.ceiling import BayesCeiling
from nulearn.flavor.evaluation.scoring import ModelEvaluation
from nulearn.flavor.models.registry import get_variant, model_names

__all__ = ["SUBSET", "ReproduceConfig", "ReproduceResult"]

#: Test-set key of the Table III sub-population (a feature range of the hierarchical test split).
SUBSET = "hierarchical_subset"


def _known(*keys: tuple[str, ...]) -> set[str]:
    """The names among ``keys`` that the model registry resolves."""
    known = set()
    for key in {k for group in keys for k in group}:
        try:
            get_variant(key)
        except ValueError:
            continue
        known.add(key)
    return known


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
        models: model keys (:mod:`nulearn.flavor.models.registry`) for the main tables; Table I
            adds ``lr9``.
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
        "mlp_phys",
    )
    single_models: tuple[str, ...] = ("lr2", "lr2_phys", "knn", "gbt", "gbt_closure", "mlp_phys")
    subset_column: str = "F_nuebar"
    subset_max: float = 0.3
    mlp_max_epochs: int = 50
    seed: int = 0
    n_jobs: int = 2

    def __post_init__(self) -> None:
        for name in ("n_xln", "n_eln", "n_single"):
            if getattr(self, name) < 50:
                raise ValueError(f"{name} = {getattr(self, name)} is too small; it must be >= 50")
        unknown = sorted(
            {*self.models, *self.single_models} - _known(self.models, self.single_models)
        )
        if unknown:
            raise ValueError(f"unknown model keys {unknown}; allowed: {sorted(model_names())}")
        # Results are keyed by registry key, so an alias (lr_physical) names the same rows as its key.
        for name in ("models", "single_models"):
            keys = tuple(get_variant(key).key for key in getattr(self, name))
            object.__setattr__(self, name, keys)

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

    @classmethod
    def from_options(
        cls,
        *,
        full: bool = False,
        size: int | None = None,
        seed: int = 0,
        n_jobs: int = 2,
        models: tuple[str, ...] | None = None,
    ) -> ReproduceConfig:
        """The configuration of ``nulearn flavor reproduce``'s options.

        Args:
            full: the papers' sizes (:meth:`full`); excludes ``size``.
            size: samples per dataset (:meth:`sized`); ``None``: the default run.
            seed, n_jobs: master seed and parallel training processes.
            models: model keys of the tables (the single-family check drops ``svm``); ``None``:
                the defaults.
        """
        if full and size is not None:
            raise ValueError("--full and --size exclude each other")
        cfg = cls.full() if full else (cls.sized(size) if size else cls())
        overrides: dict[str, Any] = {"seed": seed, "n_jobs": n_jobs}
        if models:
            overrides["models"] = models
            overrides["single_models"] = tuple(k for k in models if k != "svm") or models
        return dataclasses.replace(cfg, **overrides)

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
            if t == train and val in evs and not (closure_free and get_variant(k).uses_closure)
        }
        if not scored:
            raise ValueError(f"no validation scores for training set {train!r}")
        return max(scored, key=lambda k: scored[k])
