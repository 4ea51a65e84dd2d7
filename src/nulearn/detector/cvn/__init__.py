"""CVN-style neutrino event classification from detector images (DUNE far-detector pixel maps).

Arranged by role, imports flowing one way: :mod:`~nulearn.detector.cvn.data` (pixel maps and
truth, hand-made features, augmentation) → :mod:`~nulearn.detector.cvn.models` (boosted-tree
baseline, multi-view CNN, k-fold training, tuning) → :mod:`~nulearn.detector.cvn.evaluation`
(efficiency and purity, uncertainty and the blanked-view test, attributions) →
:mod:`~nulearn.detector.cvn.study` (the study's run folder and report). Attribution, uncertainty
and figure machinery shared with the other pillars is in :mod:`nulearn.ml`.

The names below are imported on first use: ``import nulearn.detector.cvn`` imports no torch.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "data.pixel_maps": (
        "FLAVOUR_NAMES",
        "INTERACTION_NAMES",
        "VIEW_NAMES",
        "CVNSample",
        "PixelMapConfig",
        "default_data_dir",
        "load_cvn_sample",
    ),
    "data.augmentation": ("AugmentationConfig", "CVNDataset"),
    "data.features": ("feature_names", "hand_features"),
    "models.baseline": ("BaselineConfig", "make_baseline"),
    "models.network": ("CVNConfig", "CVNLightningModule", "MultiViewCNN"),
    "models.training": ("CVNClassifier", "cross_validate", "predict_proba", "train_cnn"),
    "evaluation.selection": ("efficiency_purity",),
    "evaluation.uncertainty": ("blank_channel", "ood_table"),
    "study.run": ("CVNRun", "CVNSettings", "load_run", "run_study"),
    "study.report": ("evaluation_report", "explanation_report"),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
