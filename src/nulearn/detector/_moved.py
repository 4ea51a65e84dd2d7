"""Module paths of :mod:`nulearn.detector` before its studies were arranged by role, for loading
estimators pickled with the old paths.

Consulted by :func:`nulearn.ml.persistence.load_estimator`; append here whenever a module that may
appear in a saved model moves.
"""

from __future__ import annotations

__all__ = ["MOVED_MODULES", "MOVED_NAMES", "RENAMED"]

#: Old module path -> the module that holds its names now.
MOVED_MODULES: dict[str, str] = {
    "nulearn.detector.cvn.data": "nulearn.detector.cvn.data.pixel_maps",
    "nulearn.detector.cvn.features": "nulearn.detector.cvn.data.features",
    "nulearn.detector.cvn.baseline": "nulearn.detector.cvn.models.baseline",
    "nulearn.detector.cvn.cnn": "nulearn.detector.cvn.models.network",
    "nulearn.detector.cvn.training": "nulearn.detector.cvn.models.training",
    "nulearn.detector.cvn.tuning": "nulearn.detector.cvn.models.tuning",
    "nulearn.detector.cvn.evaluation": "nulearn.detector.cvn.evaluation.selection",
    "nulearn.detector.cvn.pipeline": "nulearn.detector.cvn.study.run",
    "nulearn.detector.cvn.report": "nulearn.detector.cvn.study.report",
    "nulearn.detector.uncertainty": "nulearn.detector.cvn.evaluation.uncertainty",
    "nulearn.detector.interpret": "nulearn.detector.cvn.evaluation.interpretation",
    "nulearn.detector.tpc.config": "nulearn.detector.tpc.physics.config",
    "nulearn.detector.tpc.deposits": "nulearn.detector.tpc.physics.deposits",
    "nulearn.detector.tpc.response": "nulearn.detector.tpc.physics.response",
    "nulearn.detector.tpc.simulator": "nulearn.detector.tpc.physics.simulator",
    "nulearn.detector.tpc.reconstruction": "nulearn.detector.tpc.physics.reconstruction",
    "nulearn.detector.tpc.dataset": "nulearn.detector.tpc.data.dataset",
    "nulearn.detector.tpc.networks": "nulearn.detector.tpc.models.networks",
    "nulearn.detector.tpc.training": "nulearn.detector.tpc.models.training",
    "nulearn.detector.tpc.energy_cnn": "nulearn.detector.tpc.models.energy",
    "nulearn.detector.tpc.discrimination": "nulearn.detector.tpc.models.discrimination",
    "nulearn.detector.tpc.wgan": "nulearn.detector.tpc.models.gan_networks",
    "nulearn.detector.tpc.study": "nulearn.detector.tpc.study.run",
    "nulearn.detector.tpc.report": "nulearn.detector.tpc.study.report",
}

#: (old module path, name) -> new module, where an old module was split.
MOVED_NAMES: dict[tuple[str, str], str] = {
    ("nulearn.detector.cvn.data", "AugmentationConfig"): "nulearn.detector.cvn.data.augmentation",
    ("nulearn.detector.cvn.data", "CVNDataset"): "nulearn.detector.cvn.data.augmentation",
    ("nulearn.detector.tpc.wgan", "LabelGeometry"): "nulearn.detector.tpc.data.labels",
    ("nulearn.detector.tpc.wgan", "WGANGP"): "nulearn.detector.tpc.models.gan_training",
}

#: (old module path, old name) -> (new module, new name), for renamed classes.
RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("nulearn.detector.cvn.cnn", "CNNConfig"): ("nulearn.detector.cvn.models.network", "CVNConfig"),
}
