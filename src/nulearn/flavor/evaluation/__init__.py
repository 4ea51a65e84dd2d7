"""Scoring: per-class metrics, the Bayes ceiling, fit-and-score with model cards, growth-rate and
3D-model comparisons.

* :mod:`~nulearn.flavor.evaluation.scoring`: scores of a fitted model or of probabilities;
* :mod:`~nulearn.flavor.evaluation.ceiling`: the Bayes ceiling of family-mixed data;
* :mod:`~nulearn.flavor.evaluation.fit`: fit-and-score, degree sweeps, carded training;
* :mod:`~nulearn.flavor.evaluation.files`: train, predict and evaluate with table files and
  model directories (the model commands), :mod:`~nulearn.flavor.evaluation.report` its report;
* :mod:`~nulearn.flavor.evaluation.growth`, :mod:`~nulearn.flavor.evaluation.models3d`.

Names resolve on first use.
"""

from nulearn.flavor._lazy import lazy_exports

_FIT = "nulearn.flavor.evaluation.fit"
_FILES = "nulearn.flavor.evaluation.files"
_HOMES = {
    "CLASS_NAMES": "nulearn.flavor.evaluation.scoring",
    "ModelEvaluation": "nulearn.flavor.evaluation.scoring",
    "evaluate_model": "nulearn.flavor.evaluation.scoring",
    "evaluate_probabilities": "nulearn.flavor.evaluation.scoring",
    "BayesCeiling": "nulearn.flavor.evaluation.ceiling",
    "bayes_ceiling": "nulearn.flavor.evaluation.ceiling",
    "degree_sweep": _FIT,
    "fit_and_evaluate": _FIT,
    "fit_model": _FIT,
    "train_carded_model": _FIT,
    "evaluate_saved_model": _FILES,
    "predict_table": _FILES,
    "train_from_table": _FILES,
    "evaluate_growth_models": "nulearn.flavor.evaluation.growth",
    "compare_crossing_models3d": "nulearn.flavor.evaluation.models3d",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
