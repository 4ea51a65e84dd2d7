"""CVN-style neutrino event classification from detector images (DUNE far-detector pixel maps).

Data flows one way: :mod:`~nulearn.detector.cvn.data` (pixel maps + truth) ->
:mod:`~nulearn.detector.cvn.features` (hand-made features) -> models
(:mod:`~nulearn.detector.cvn.baseline` boosted trees, :mod:`~nulearn.detector.cvn.cnn` multi-view
CNN) -> :mod:`~nulearn.detector.cvn.training` (k-fold, early stopping) and
:mod:`~nulearn.detector.cvn.tuning` (Optuna) -> :mod:`~nulearn.detector.cvn.evaluation` ->
:mod:`~nulearn.detector.cvn.report`. :mod:`~nulearn.detector.cvn.pipeline` runs the whole study
and stores it; interpretation and uncertainty tools for any image classifier live in
:mod:`nulearn.detector.interpret` and :mod:`nulearn.detector.uncertainty`.
"""

from nulearn.detector.cvn.baseline import BaselineConfig, make_baseline
from nulearn.detector.cvn.cnn import CNNConfig, CVNLightningModule, MultiViewCNN
from nulearn.detector.cvn.data import (
    FLAVOUR_NAMES,
    INTERACTION_NAMES,
    VIEW_NAMES,
    AugmentationConfig,
    CVNDataset,
    CVNSample,
    PixelMapConfig,
    default_data_dir,
    load_cvn_sample,
)
from nulearn.detector.cvn.features import feature_names, hand_features
from nulearn.detector.cvn.pipeline import CVNRun, CVNSettings, load_run, run_study
from nulearn.detector.cvn.training import CVNClassifier, cross_validate, predict_proba, train_cnn

__all__ = [
    "FLAVOUR_NAMES",
    "INTERACTION_NAMES",
    "VIEW_NAMES",
    "AugmentationConfig",
    "BaselineConfig",
    "CNNConfig",
    "CVNClassifier",
    "CVNDataset",
    "CVNLightningModule",
    "CVNRun",
    "CVNSample",
    "CVNSettings",
    "MultiViewCNN",
    "PixelMapConfig",
    "cross_validate",
    "default_data_dir",
    "feature_names",
    "hand_features",
    "load_cvn_sample",
    "load_run",
    "make_baseline",
    "predict_proba",
    "run_study",
    "train_cnn",
]
