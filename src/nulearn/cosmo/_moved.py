"""Module paths of :mod:`nulearn.cosmo` before it was arranged by role (theory, data, models,
evaluation, study), for loading estimators pickled with the old paths.

Consulted by :func:`nulearn.ml.persistence.load_estimator`; append here whenever a module that may
appear in a saved model moves.
"""

from __future__ import annotations

__all__ = ["MOVED_MODULES", "MOVED_NAMES", "RENAMED"]

#: Old module path -> the module that holds its names now.
MOVED_MODULES: dict[str, str] = {
    "nulearn.cosmo.fourier": "nulearn.cosmo.theory.fourier",
    "nulearn.cosmo.theory": "nulearn.cosmo.theory.lensing",
    "nulearn.cosmo.maps": "nulearn.cosmo.data.maps",
    "nulearn.cosmo.datasets": "nulearn.cosmo.data.streaming",
    "nulearn.cosmo.baselines": "nulearn.cosmo.models.baselines",
    "nulearn.cosmo.cnn": "nulearn.cosmo.models.network",
    "nulearn.cosmo.regression": "nulearn.cosmo.models.regressor",
    "nulearn.cosmo.evaluation": "nulearn.cosmo.evaluation.comparison",
    "nulearn.cosmo.saliency": "nulearn.cosmo.evaluation.saliency",
    "nulearn.cosmo.report": "nulearn.cosmo.study.report",
}

#: (old module path, name) -> new module, where an old module was split.
MOVED_NAMES: dict[tuple[str, str], str] = {
    ("nulearn.cosmo.theory", "Cosmology"): "nulearn.cosmo.theory.power",
    ("nulearn.cosmo.theory", "MatterPower"): "nulearn.cosmo.theory.power",
    ("nulearn.cosmo.cnn", "CNNClassifier"): "nulearn.cosmo.models.classifier",
    ("nulearn.cosmo.cnn", "MapClassifierModule"): "nulearn.cosmo.models.classifier",
    ("nulearn.cosmo.regression", "interval_coverage"): "nulearn.cosmo.evaluation.regression",
}

#: (old module path, old name) -> (new module, new name), for renamed classes.
RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("nulearn.cosmo.cnn", "CNNConfig"): ("nulearn.cosmo.models.network", "LensingCNNConfig"),
}
