"""Gradient-boosted trees on hand-made features: the pre-CNN baseline for flavour classification.

LightGBM's :class:`~lightgbm.LGBMClassifier` already honours the scikit-learn estimator contract,
so the baseline is a configured instance of it (it can go into ``cross_val_score`` or a
``Pipeline`` after :func:`~nulearn.detector.cvn.data.features.hand_features`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lightgbm import LGBMClassifier

from nulearn.ml.config import YAMLConfig

__all__ = ["BaselineConfig", "make_baseline"]


@dataclass(frozen=True)
class BaselineConfig(YAMLConfig):
    """Hyper-parameters of the boosted-tree baseline (small sample: shallow trees, shrinkage);
    round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_estimators: boosting rounds.
        learning_rate: shrinkage per round.
        num_leaves: leaves per tree.
        min_child_samples: minimum events per leaf (regularises on 600 training events).
        subsample: row fraction per round (bagging).
        colsample_bytree: feature fraction per tree.
        reg_lambda: L2 penalty on leaf values.
        seed: random seed.
        n_jobs: threads.
    """

    n_estimators: int = 300
    learning_rate: float = 0.03
    num_leaves: int = 15
    min_child_samples: int = 10
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    seed: int = 0
    n_jobs: int = 1


def make_baseline(config: BaselineConfig | None = None) -> LGBMClassifier:
    """An unfitted multi-class boosted-tree classifier; ``fit(features, flavour)``."""
    c = config or BaselineConfig()
    return LGBMClassifier(
        n_estimators=c.n_estimators,
        learning_rate=c.learning_rate,
        num_leaves=c.num_leaves,
        min_child_samples=c.min_child_samples,
        subsample=c.subsample,
        subsample_freq=1,
        colsample_bytree=c.colsample_bytree,
        reg_lambda=c.reg_lambda,
        random_state=c.seed,
        n_jobs=c.n_jobs,
        verbose=-1,
    )
