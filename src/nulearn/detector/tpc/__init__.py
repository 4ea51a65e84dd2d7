"""Liquid-xenon TPC charge readout (EXO-200-like): simulation, reconstruction, CNNs, WGAN-GP.

Arranged by role, imports flowing one way: :mod:`~nulearn.detector.tpc.physics` (detector,
deposits, response, simulator, conventional reconstruction) → :mod:`~nulearn.detector.tpc.data`
(waveform images, generator labels) → :mod:`~nulearn.detector.tpc.models` (energy regressor, site
discriminator, conditional WGAN-GP) → :mod:`~nulearn.detector.tpc.evaluation` (resolution and the
line-training pitfall, discrimination, generator validation) → :mod:`~nulearn.detector.tpc.study`
(the studies and their report).

The names below are imported on first use: ``import nulearn.detector.tpc`` imports no torch.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "physics.config": ("Q_BB_KEV", "TL208_GAMMA_KEV", "TPCConfig"),
    "physics.deposits": (
        "Deposits",
        "double_beta_events",
        "gamma_events",
        "uniform_energy_events",
        "uniform_gamma_events",
    ),
    "physics.simulator": ("channel_gains", "electronics_noise", "simulate"),
    "physics.reconstruction": ("Reconstruction", "energy_resolution", "reconstruct"),
    "data.dataset": ("TPCDataset", "network_images", "simulate_dataset"),
    "data.labels": ("LabelGeometry", "event_labels"),
    "models.energy": ("WaveformEnergyRegressor",),
    "models.discrimination": ("WaveformSiteClassifier",),
    "models.gan_training": ("WGANGP", "load_generator", "save_generator", "train_wgan"),
    "evaluation.energy": ("line_pull_metrics",),
    "evaluation.discrimination": ("signal_efficiency_at_rejection",),
    "evaluation.generation": ("compare_with_simulator",),
    "study.run": ("discrimination_study", "energy_study", "generation_study"),
    "study.report": ("tpc_report",),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
