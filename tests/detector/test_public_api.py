"""The curated public names of nulearn.detector, .cvn and .tpc: pinned, resolvable, imported
lazily; one name per concept."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import nulearn.detector

CVN = [
    "AugmentationConfig",
    "BaselineConfig",
    "CVNClassifier",
    "CVNConfig",
    "CVNDataset",
    "CVNLightningModule",
    "CVNRun",
    "CVNSample",
    "CVNSettings",
    "FLAVOUR_NAMES",
    "INTERACTION_NAMES",
    "MultiViewCNN",
    "PixelMapConfig",
    "VIEW_NAMES",
    "blank_channel",
    "cross_validate",
    "default_data_dir",
    "efficiency_purity",
    "evaluation_report",
    "explanation_report",
    "feature_names",
    "hand_features",
    "load_cvn_sample",
    "load_run",
    "make_baseline",
    "ood_table",
    "predict_proba",
    "run_study",
    "train_cnn",
]
TPC = [
    "Deposits",
    "LabelGeometry",
    "Q_BB_KEV",
    "Reconstruction",
    "TL208_GAMMA_KEV",
    "TPCConfig",
    "TPCDataset",
    "WGANGP",
    "WaveformEnergyRegressor",
    "WaveformSiteClassifier",
    "channel_gains",
    "compare_with_simulator",
    "discrimination_study",
    "double_beta_events",
    "electronics_noise",
    "energy_resolution",
    "energy_study",
    "event_labels",
    "gamma_events",
    "generation_study",
    "line_pull_metrics",
    "load_generator",
    "network_images",
    "reconstruct",
    "save_generator",
    "signal_efficiency_at_rejection",
    "simulate",
    "simulate_dataset",
    "tpc_report",
    "train_wgan",
    "uniform_energy_events",
    "uniform_gamma_events",
]


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        ("nulearn.detector", ["cvn", "lartpc", "optical", "tpc"]),
        ("nulearn.detector.cvn", CVN),
        ("nulearn.detector.tpc", TPC),
    ],
)
def test_all_is_pinned_and_every_name_resolves(package: str, expected: list[str]) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == expected
    for name in expected:
        assert getattr(module, name) is not None, (package, name)


def test_import_is_light() -> None:
    code = (
        "import sys, nulearn.detector, nulearn.detector.cvn, nulearn.detector.tpc\n"
        "print(sorted(m for m in ('torch', 'captum', 'lightning') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_one_name_per_concept() -> None:
    from nulearn.cosmo.models.network import LensingCNNConfig
    from nulearn.detector.cvn.models.network import CVNConfig

    assert LensingCNNConfig.__name__ != CVNConfig.__name__
    assert not hasattr(nulearn.detector.cvn, "CNNConfig")
