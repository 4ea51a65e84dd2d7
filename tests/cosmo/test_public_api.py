"""The curated public names of nulearn.cosmo: pinned, resolvable, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import nulearn.cosmo

EXPECTED = [
    "BandBinning",
    "CNNClassifier",
    "CNNRegressor",
    "Cosmology",
    "LensingCNNConfig",
    "MapCNN",
    "MapConfig",
    "MapMaker",
    "MapSet",
    "PowerSpectrumLikelihoodRatio",
    "SpectrumTable",
    "StreamingMaps",
    "band_powers",
    "camb_convergence_cl",
    "compare_paired",
    "density_split",
    "ell_grid",
    "fisher_forecast",
    "interval_coverage",
    "limber_convergence_cl",
    "load_maps",
    "matter_power",
    "peak_counts",
    "run_baselines",
    "save_maps",
    "simulate_maps",
    "theory_check",
    "tomographic_convergence_cl",
    "tune_classifier",
    "verdict",
]


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(nulearn.cosmo.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(nulearn.cosmo, name) is not None, name


def test_import_is_light() -> None:
    code = (
        "import sys, nulearn.cosmo\n"
        "print(sorted(m for m in ('torch', 'camb', 'captum', 'lightning') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
