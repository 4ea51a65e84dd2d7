"""What the artificial-to-realistic study is asked to do (:class:`StudyConfig`), which models its
tables hold (:func:`study_models`) and what it found (:class:`StudyResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nulearn.flavor.models.registry import ModelVariant, get_variant, model_names
from nulearn.flavor.physics.transport.profile import SolverConfig
from nulearn.ml.config import YAMLConfig

__all__ = ["StudyConfig", "StudyModel", "StudyResult", "previous_lr", "study_model", "study_models"]


@dataclass(frozen=True)
class StudyConfig(YAMLConfig):
    """Sizes and choices of the study; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_artificial: rows per artificial training set.
        family: angular family of the artificial data (``maxent``, ``gaussian`` or ``mix``).
        n_profiles: realistic profiles to solve when no ``realistic_path`` is given.
        realistic_path: an existing realistic table (``nulearn flavor transport`` output).
        train_profile_fraction: share of profiles whose cells may enter training.
        inner_radius_km: Table III restricts the test to r <= this.
        models: model keys of :mod:`nulearn.flavor.models.registry` (or their aliases); a bare
            ``lr`` is the LR at ``lr_degree``. Beside the papers' models the defaults hold the
            same inputs in coordinates that resolve forward-peaked distributions: ``lr2_phys``
            (LR in :mod:`nulearn.flavor.models.coordinates` physical coordinates), ``gbt_forward``
            (LightGBM on :mod:`nulearn.flavor.models.forward_coordinates`) and ``mlp_phys`` (the
            small MLP in physical coordinates).
        lr_degree: LR polynomial degree in the tables (the paper's n = 2).
        old_lr_degree: degree of the "previous" artificial-only LR of Table I (the paper's n = 9).
        degrees: degrees of the LR accuracy curve.
        sweep_rows: artificial rows used by the degree curve (it fits one LR per degree).
        dann_epochs: epoch cap of the domain-adaptation networks.
        label_check_profiles: fresh profiles (seed ``seed + 1000``) re-solved at higher resolution
            to check that the labels are not discretization artefacts (0 skips the check).
        seed: master seed (artificial data, profile split, models).
        solver: transport resolution when profiles are solved here.
    """

    n_artificial: int = 60_000
    family: str = "mix"
    n_profiles: int = 200
    realistic_path: str | None = None
    train_profile_fraction: float = 0.5
    inner_radius_km: float = 100.0
    models: tuple[str, ...] = (
        "lr",
        "knn",
        "svm",
        "tree",
        "gbt",
        "lr2_phys",
        "gbt_forward",
        "mlp_phys",
    )
    lr_degree: int = 2
    old_lr_degree: int = 9
    degrees: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    sweep_rows: int = 20_000
    dann_epochs: int = 30
    label_check_profiles: int = 20
    seed: int = 0
    solver: SolverConfig = field(default_factory=SolverConfig)

    def __post_init__(self) -> None:
        if self.n_artificial < 100:
            raise ValueError(f"n_artificial must be >= 100, got {self.n_artificial}")
        if not 0.0 < self.train_profile_fraction < 1.0:
            raise ValueError(
                f"train_profile_fraction must be in (0, 1), got {self.train_profile_fraction}"
            )
        if self.inner_radius_km <= 0:
            raise ValueError(f"inner_radius_km must be > 0, got {self.inner_radius_km}")
        if self.label_check_profiles < 0:
            raise ValueError(f"label_check_profiles must be >= 0, got {self.label_check_profiles}")
        for name in self.models:
            try:
                get_variant(name)
            except ValueError:
                raise ValueError(
                    f"unknown study model {name!r}; allowed: {', '.join(model_names())}"
                ) from None


@dataclass(frozen=True)
class StudyModel:
    """A model of the study's tables: its registry variant and the label the tables print."""

    variant: ModelVariant

    @property
    def key(self) -> str:
        """Registry key (``lr2`` for the bare ``lr`` at degree 2)."""
        return self.variant.key

    @property
    def label(self) -> str:
        """Compact display name, e.g. ``LR (n=2)``."""
        return self.variant.compact_label

    def build(self, random_state: int) -> Any:
        """An unfitted estimator."""
        return self.variant.build(random_state)


def study_model(name: str, config: StudyConfig) -> StudyModel:
    """The model of a configured name; a bare ``lr`` is the LR at ``config.lr_degree``."""
    variant = get_variant(name)
    if variant.key == "lr":
        variant = get_variant(f"lr{config.lr_degree}")
    return StudyModel(variant)


def study_models(config: StudyConfig) -> list[StudyModel]:
    """The models of the tables, in ``config.models`` order."""
    return [study_model(name, config) for name in config.models]


def previous_lr(config: StudyConfig) -> StudyModel:
    """The "previous" artificial-only LR of Table I, at ``config.old_lr_degree``."""
    return StudyModel(get_variant(f"lr{config.old_lr_degree}"))


@dataclass
class StudyResult:
    """All tables and figures of one study run (DataFrames keyed by experiment)."""

    config: StudyConfig
    tables: dict[str, pd.DataFrame]
    figures: dict[str, Any]
    notes: dict[str, Any]
