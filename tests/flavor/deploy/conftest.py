"""Fixtures: small trained models saved as model directories, and raw moments with invalid cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.deploy.raw_moments import features_from_raw
from nulearn.flavor.species import ELN_FEATURES, XLN_FEATURES
from nulearn.ml.model_card import ModelCard, save_model


def raw_moments(n: int, seed: int, xln: bool = True, n_invalid: int = 0) -> dict[str, np.ndarray]:
    """Raw moments of ``n`` cells (densities in arbitrary units), the first ``n_invalid`` corrupted."""
    rng = np.random.default_rng(seed)
    species = ("nue", "nuebar", "nux", "nuxbar") if xln else ("nue", "nuebar")
    out: dict[str, np.ndarray] = {}
    scale = rng.uniform(0.1, 10.0, n)  # a common density scale must not matter
    for s in species:
        out[f"n_{s}"] = scale * rng.uniform(0.3, 2.0, n)
        out[f"F_{s}"] = rng.uniform(0.0, 0.95, n)
    # each corrupted cell gets one out-of-range value: non-positive or non-finite densities,
    # flux factors outside [0, 1) or non-finite
    bad_density = [np.nan, np.inf, -np.inf, 0.0, -1.0]
    bad_flux = [np.nan, np.inf, 1.0, 1.5, -0.1, -np.inf]
    keys = list(out)
    for i in range(n_invalid):
        key = keys[i % len(keys)]
        bad = bad_density if key.startswith("n_") else bad_flux
        out[key][i] = bad[(i // len(keys)) % len(bad)]
    return out


def proxy_labels(x: np.ndarray) -> np.ndarray:
    """A nonlinear stand-in for the crossing label: an ELN crossing needs the sign of
    n_nuebar - n_nue to flip between forward and backward directions."""
    alpha, f_e, f_a = (
        x[:, 0],
        x[:, -4 if x.shape[1] == 7 else 1],
        x[:, -3 if x.shape[1] == 7 else 2],
    )
    forward = 1.0 + f_e - alpha * (1.0 + f_a)
    backward = 1.0 - f_e - alpha * (1.0 - f_a)
    return (forward * backward < 0).astype(np.int64)


def _train(kind: str, xln: bool, out: Path, **kw: object) -> Path:
    from nulearn.flavor.models import build_model

    names = XLN_FEATURES if xln else ELN_FEATURES
    x, _ = features_from_raw(raw_moments(1500, seed=1, xln=xln), names)
    y = proxy_labels(x)
    frame = pd.DataFrame(x, columns=list(names))
    est = build_model(kind, **kw)  # type: ignore[arg-type]
    est.fit(x, y)
    threshold = float(getattr(est, "threshold_", 0.5))
    card = ModelCard.for_training(
        kind,
        frame,
        y,
        feature_names=names,
        label="crossing",
        scheme="xln" if xln else "original",
        threshold=threshold,
    )
    return save_model(est, card, out)


@pytest.fixture(scope="session")
def lr_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", False, tmp_path_factory.mktemp("lr_eln"), degree=2)


@pytest.fixture(scope="session")
def lr_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", True, tmp_path_factory.mktemp("lr_xln"), degree=2)


def _mlp_dir(tmp: Path, calibration: str, batch_norm: bool) -> Path:
    import torch

    torch.set_num_threads(1)
    config = {
        "hidden_layers": (16, 12),
        "max_epochs": 2,
        "batch_size": 256,
        "num_threads": 1,
        "calibration": calibration,
        "batch_norm": batch_norm,
        "threshold": None,
        "class_weight": "balanced",
    }
    return _train("mlp", True, tmp, config=config)


@pytest.fixture(scope="session")
def mlp_iso_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mlp_dir(tmp_path_factory.mktemp("mlp_iso"), "isotonic", True)


@pytest.fixture(scope="session")
def mlp_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mlp_dir(tmp_path_factory.mktemp("mlp_temp"), "temperature", False)


@pytest.fixture(autouse=True)
def _kernel_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled kernels and cached ONNX files go to a temporary directory, not ~/.cache."""
    monkeypatch.setenv("NULEARN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nulearn_cache"))
