"""Model directories saved before the pillars were arranged by role still load and predict: the
module-rename tables of every pillar."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.ml.model_card import load_model
from nulearn.ml.persistence import resolve_moved, resolve_renamed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "premove_models"


@pytest.mark.parametrize("pillar", ["flavor", "cosmo", "detector"])
def test_moved_tables_point_at_existing_names(pillar: str) -> None:
    table = importlib.import_module(f"nulearn.{pillar}._moved")
    for new in {*table.MOVED_MODULES.values(), *table.MOVED_NAMES.values()}:
        importlib.import_module(new)
    for (_old, name), new in table.MOVED_NAMES.items():
        assert hasattr(importlib.import_module(new), name), (new, name)
    for new_module, new_name in getattr(table, "RENAMED", {}).values():
        assert hasattr(importlib.import_module(new_module), new_name), (new_module, new_name)


def test_renamed_and_moved_classes_resolve() -> None:
    assert resolve_renamed("nulearn.cosmo.cnn", "CNNConfig") == (
        "nulearn.cosmo.models.network",
        "LensingCNNConfig",
    )
    assert resolve_renamed("nulearn.detector.cvn.cnn", "CNNConfig") == (
        "nulearn.detector.cvn.models.network",
        "CVNConfig",
    )
    assert resolve_renamed("nulearn.cosmo.cnn", "CNNClassifier") == (
        "nulearn.cosmo.models.classifier",
        "CNNClassifier",
    )
    assert resolve_renamed("nulearn.detector.cvn.training", "CVNClassifier") == (
        "nulearn.detector.cvn.models.training",
        "CVNClassifier",
    )
    assert resolve_renamed("nulearn.cosmo.theory", "Cosmology")[0] == "nulearn.cosmo.theory.power"
    assert (
        resolve_moved("nulearn.flavor.mlp", "MLPClassifier")
        == "nulearn.flavor.models.mlp.classifier"
    )
    assert resolve_moved("nulearn.flavor.models", "build_model") == "nulearn.flavor.models.registry"
    assert resolve_moved("sklearn.pipeline", "Pipeline") == "sklearn.pipeline"


@pytest.mark.parametrize("name", ["lr2_phys", "gbt", "mlp"])
def test_model_saved_with_old_module_paths_predicts_the_same(name: str) -> None:
    probe = pd.read_csv(FIXTURES / "probe_predictions.csv")
    model = load_model(FIXTURES / name, trusted=True)  # written before cards carried a checksum
    p = model.predict_proba(probe[list(model.card.feature_names)])[:, 1]
    np.testing.assert_allclose(p, probe[f"p_{name}"].to_numpy(), rtol=0, atol=1e-12)


def test_old_models_need_trust() -> None:
    from nulearn.ml.model_card import ModelCardError

    with pytest.raises(ModelCardError, match="--trust-model"):
        load_model(FIXTURES / "lr2_phys")
