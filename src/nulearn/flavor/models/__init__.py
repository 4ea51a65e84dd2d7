"""Crossing classifiers and regressors: the registry of named variants, classical estimators,
coordinate maps, the deep MLP, growth-rate regressors and domain adaptation.

* :mod:`~nulearn.flavor.models.registry`: every named variant (``lr2``, ``lr2_phys``, ``gbt``,
  ``mlp_phys``, ...) with its label and builder -- add a model there;
* :mod:`~nulearn.flavor.models.classical`: polynomial LR, RBF SVM, boosted trees;
* :mod:`~nulearn.flavor.models.coordinates`, :mod:`~nulearn.flavor.models.forward_coordinates`:
  coordinate maps of the moment features;
* :mod:`~nulearn.flavor.models.mlp`: the PyTorch MLP, its configuration and tuning;
* :mod:`~nulearn.flavor.models.growth`, :mod:`~nulearn.flavor.models.domain_adaptation`.

Names resolve on first use (the MLP and domain adaptation import torch).
"""

from nulearn.flavor._lazy import lazy_exports

_REGISTRY = "nulearn.flavor.models.registry"
_CLASSICAL = "nulearn.flavor.models.classical"
_HOMES = {
    "ALIASES": _REGISTRY,
    "ESTIMATORS": _REGISTRY,
    "MODEL_KEYS": _REGISTRY,
    "MODEL_VARIANTS": _REGISTRY,
    "ModelVariant": _REGISTRY,
    "build_model": _REGISTRY,
    "get_variant": _REGISTRY,
    "BoostedTreesClassifier": _CLASSICAL,
    "ELNMomentFeatures": _CLASSICAL,
    "RBFSVMClassifier": _CLASSICAL,
    "polynomial_logistic_regression": _CLASSICAL,
    "PhysicalCoordinates": "nulearn.flavor.models.coordinates",
    "ForwardPeakCoordinates": "nulearn.flavor.models.forward_coordinates",
    "MLPClassifier": "nulearn.flavor.models.mlp.classifier",
    "MLPConfig": "nulearn.flavor.models.mlp.config",
    "DomainAdversarialClassifier": "nulearn.flavor.models.domain_adaptation",
    "GrowthMLPRegressor": "nulearn.flavor.models.growth",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
