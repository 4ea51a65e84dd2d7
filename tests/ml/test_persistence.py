"""Model directories saved before the flavor package was split by role still load and predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.ml.model_card import load_model
from nulearn.ml.persistence import resolve_moved

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "premove_models"


def test_moved_table_points_at_existing_modules() -> None:
    import importlib

    from nulearn.flavor._moved import MOVED_MODULES, MOVED_NAMES

    for new in {*MOVED_MODULES.values(), *MOVED_NAMES.values()}:
        importlib.import_module(new)
    for (_old, name), new in MOVED_NAMES.items():
        assert hasattr(importlib.import_module(new), name), (new, name)
    assert resolve_moved("nulearn.flavor.mlp", "MLPClassifier") == "nulearn.flavor.models.mlp.classifier"
    assert resolve_moved("nulearn.flavor.models", "build_model") == "nulearn.flavor.models.registry"
    assert resolve_moved("sklearn.pipeline", "Pipeline") == "sklearn.pipeline"


@pytest.mark.parametrize("name", ["lr2_phys", "gbt", "mlp"])
def test_model_saved_with_old_module_paths_predicts_the_same(name: str) -> None:
    probe = pd.read_csv(FIXTURES / "probe_predictions.csv")
    model = load_model(FIXTURES / name)
    p = model.predict_proba(probe[list(model.card.feature_names)])[:, 1]
    np.testing.assert_allclose(p, probe[f"p_{name}"].to_numpy(), rtol=0, atol=1e-12)
