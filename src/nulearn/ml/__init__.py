"""Machine learning shared by every pillar, written once; it imports no pillar.

By role: configurations (:mod:`~nulearn.ml.config`), splits and loaders
(:mod:`~nulearn.ml.splits`, :mod:`~nulearn.ml.loaders`), the base of the torch-backed estimators
(:mod:`~nulearn.ml.estimator`), training and tuning (:mod:`~nulearn.ml.training`,
:mod:`~nulearn.ml.tuning`), metrics and calibration (:mod:`~nulearn.ml.metrics`,
:mod:`~nulearn.ml.calibration`), attribution, uncertainty and embeddings
(:mod:`~nulearn.ml.attribution`, :mod:`~nulearn.ml.uncertainty`, :mod:`~nulearn.ml.embedding`),
model directories (:mod:`~nulearn.ml.model_card`, :mod:`~nulearn.ml.persistence`), reports and
figures (:mod:`~nulearn.ml.report`, :mod:`~nulearn.ml.figures`).

The names below are imported on first use, so ``import nulearn.ml`` imports neither torch nor
matplotlib.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "attribution": ("integrated_gradients", "occlusion", "saliency"),
    "calibration": ("Calibrator", "brier_score", "expected_calibration_error", "make_calibrator"),
    "config": ("FloatConfig", "YAMLConfig", "check_choice", "check_range"),
    "embedding": ("embed_2d", "learned_features"),
    "estimator": ("STANDARDIZATIONS", "TorchBinaryClassifier", "TorchEstimator", "predict_batches"),
    "figures": (
        "confusion_figure",
        "embedding_figure",
        "pr_figure",
        "rejection_figure",
        "reliability_diagram",
        "roc_figure",
        "roc_pr_figure",
    ),
    "loaders": ("array_loader", "holdout_loaders"),
    "metrics": (
        "BinaryScores",
        "Curve",
        "best_f1_threshold",
        "binary_scores",
        "compare_aucs",
        "pr_curve",
        "roc_curve",
        "threshold_sweep",
    ),
    "model_card": ("ModelCard", "load_model", "save_model"),
    "persistence": ("dump_estimator", "load_estimator"),
    "report": ("Report",),
    "splits": (
        "Holdout",
        "group_holdout",
        "holdout_count",
        "shuffled_holdout",
        "stratified_folds",
        "stratified_holdout",
    ),
    "training": ("TrainerConfig", "fit", "load_weights", "seed_everything"),
    "tuning": ("PruningCallback", "create_study", "run_trials"),
    "uncertainty": (
        "confidence_ece",
        "ensemble_proba",
        "gaussian_mixture",
        "mc_dropout_proba",
        "predictive_summary",
    ),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
