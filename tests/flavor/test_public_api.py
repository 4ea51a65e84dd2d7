"""The curated public names of nulearn.flavor: pinned, resolvable, and cheap to import."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import nulearn.flavor

PUBLIC = [
    "AngularFamily",
    "BayesCeiling",
    "CrossingResult",
    "Dataset",
    "ELN_FEATURES",
    "ELN_SIGN",
    "FAMILIES",
    "MLPClassifier",
    "MLPConfig",
    "MODEL_VARIANTS",
    "ModelEvaluation",
    "ModelVariant",
    "PUBLISHED",
    "PhysicalCoordinates",
    "ReproduceConfig",
    "SCHEMES",
    "SPECIES",
    "SolverConfig",
    "StabilityConfig",
    "StudyConfig",
    "XLN_FEATURES",
    "bayes_ceiling",
    "build_model",
    "crossings_for_family",
    "eln_from_distributions",
    "evaluate_model",
    "export_model",
    "feature_names",
    "features_from_moments",
    "features_from_moments3d",
    "find_crossings",
    "fit_and_evaluate",
    "flag_snapshot",
    "generate",
    "generate3d",
    "get_family",
    "get_variant",
    "growth_rate",
    "growth_rate_from_moments",
    "label_moments",
    "label_moments3d",
    "load_deployable",
    "read_dataset",
    "realistic_dataset",
    "register_family",
    "reproduce",
    "run_study",
    "solve_profile",
    "split_by_profile",
    "split_dataset",
    "study_report",
    "train_carded_model",
    "validate_features",
    "write_dataset",
    "write_report",
]

ROLES = ("physics", "data", "models", "evaluation", "studies")


def test_all_is_pinned() -> None:
    assert nulearn.flavor.__all__ == sorted(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(nulearn.flavor, name)
    assert not isinstance(value, types.ModuleType), name
    assert name in dir(nulearn.flavor)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = nulearn.flavor.nope  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ROLES)
def test_role_packages_export_what_they_list(role: str) -> None:
    package = importlib.import_module(f"nulearn.flavor.{role}")
    assert package.__doc__ and package.__all__ == sorted(package.__all__)
    for name in package.__all__:
        assert not isinstance(getattr(package, name), types.ModuleType), (role, name)


def test_import_is_light() -> None:
    """A fresh ``import nulearn.flavor`` (and of its role packages) pulls in no ML framework."""
    code = (
        "import sys, nulearn.flavor, nulearn.flavor.physics, nulearn.flavor.data, "
        "nulearn.flavor.models, nulearn.flavor.evaluation, nulearn.flavor.studies, "
        "nulearn.flavor.models.registry\n"
        "heavy = ('torch', 'lightning', 'sklearn', 'lightgbm')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
