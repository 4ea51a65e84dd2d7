"""Liquid-argon TPC wire-plane images (SBND-like): simulation and cosmic/neutrino segmentation.

Arranged by role, imports flowing one way: :mod:`~nulearn.detector.lartpc.physics` (detector
parameters, particle trajectories, the image simulator) → :mod:`~nulearn.detector.lartpc.data`
(labelled image sets) → :mod:`~nulearn.detector.lartpc.models` (UNet, Hough/timing cosmic
tagger) → :mod:`~nulearn.detector.lartpc.evaluation` (IoU, pixel accuracy, CosmicTagger targets)
→ :mod:`~nulearn.detector.lartpc.study` (train, evaluate, report).

The names below are imported on first use: ``import nulearn.detector.lartpc`` imports no torch.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "physics.config": ("LABEL_NAMES", "LArTPCConfig", "pixel_noise_sigma"),
    "physics.particles": ("Segments", "cosmic_segments", "em_shower", "neutrino_segments"),
    "physics.simulator": ("diffusion_sigma", "simulate_images"),
    "data.dataset": ("SegmentationSet", "load_dataset", "save_dataset", "simulate_dataset"),
    "models.unet": ("UNet", "load_unet", "predict_labels", "save_unet", "train_unet"),
    "models.baseline": ("HoughCosmicTagger",),
    "evaluation.metrics": ("TARGETS", "SegmentationScores", "segmentation_scores"),
    "study.run": ("TrainSettings", "evaluate_run", "run_study", "train_run"),
    "study.report": ("segment_report",),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
