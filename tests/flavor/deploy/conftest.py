"""Fixtures: small trained models saved as model directories, and raw moments with invalid cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.deploy.raw_moments import features_from_raw
from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES
from nulearn.ml.domain import TrainingDomain
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


def raw_moments3d(
    n: int, seed: int, xln: bool = True, n_invalid: int = 0, n_undirected: int = 0
) -> dict[str, np.ndarray]:
    """3D moments of ``n`` cells: densities (arbitrary units) and flux vectors (units of n c).

    Directions scatter around a random axis per cell, so direction cosines cover [-1, 1]. The
    first ``n_invalid`` cells get one bad value each (non-positive or non-finite density,
    non-finite flux component, |flux| / n >= 1); the next ``n_undirected`` get a zero or a tiny
    (|F| < 1e-8, no direction) flux vector for one species.
    """
    rng = np.random.default_rng(seed)
    species = ("nue", "nuebar", "nux", "nuxbar") if xln else ("nue", "nuebar")
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    scale = rng.uniform(0.1, 10.0, n)
    out: dict[str, np.ndarray] = {}
    for s in species:
        # log-uniform densities over two decades: stable and unstable cells both common
        density = scale * np.exp(rng.uniform(np.log(0.1), np.log(10.0), n))
        direction = axis + 0.3 * rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        flux = (rng.uniform(0.0, 0.95, n) * density)[:, None] * direction
        out[f"n_{s}"] = density
        for j, ax in enumerate("xyz"):
            out[f"flux_{ax}_{s}"] = flux[:, j].copy()
    bad_density = [np.nan, np.inf, -np.inf, 0.0, -1.0]
    bad_flux = [np.nan, np.inf, -np.inf, 1.0, 1.5]  # the last two times n: |F| = 1, 1.5
    for i in range(n_invalid):
        s = species[i % len(species)]
        k = (i // len(species)) % 5
        if (i // (5 * len(species))) % 2 == 0:
            out[f"n_{s}"][i] = bad_density[k]
        else:
            ax = "xyz"[i % 3]
            for a in "xyz":
                out[f"flux_{a}_{s}"][i] = 0.0
            value = bad_flux[k]
            out[f"flux_{ax}_{s}"][i] = value * out[f"n_{s}"][i] if k >= 3 else value
    for i in range(n_invalid, n_invalid + n_undirected):
        s = species[i % len(species)]
        tiny = 0.0 if i % 2 else 1e-10 * out[f"n_{s}"][i]
        for a in "xyz":
            out[f"flux_{a}_{s}"][i] = tiny
    return out


def _training_data(xln: bool, three_d: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Features and labels of 1500 cells: 1D with a proxy label, 3D with the analytic 3D label."""
    if not three_d:
        names = XLN_FEATURES if xln else ELN_FEATURES
        x, _ = features_from_raw(raw_moments(1500, seed=1, xln=xln), names)
        return x, proxy_labels(x), names
    from nulearn.flavor.physics.moments3d import (
        ELN_FEATURES_3D,
        XLN_FEATURES_3D,
        features_from_moments3d,
        label_moments3d,
    )

    names = XLN_FEATURES_3D if xln else ELN_FEATURES_3D
    frame = pd.DataFrame(raw_moments3d(1500, seed=1, xln=xln))
    y = label_moments3d(frame, n_directions=1000)["crossing"].to_numpy(dtype=np.int64)
    return features_from_moments3d(frame)[list(names)].to_numpy(), y, names


def _train(kind: str, xln: bool, out: Path, three_d: bool = False, **kw: object) -> Path:
    from nulearn.flavor.models.registry import build_model

    x, y, names = _training_data(xln, three_d)
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
        # as train_carded_model records it: every export then carries the domain check
        domain=TrainingDomain.fit(x, names).to_dict(),
    )
    return save_model(est, card, out)


@pytest.fixture(scope="session")
def lr_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", False, tmp_path_factory.mktemp("lr_eln"), degree=2)


@pytest.fixture(scope="session")
def lr_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", True, tmp_path_factory.mktemp("lr_xln"), degree=2)


def _mlp_dir(
    tmp: Path,
    calibration: str,
    batch_norm: bool,
    xln: bool = True,
    three_d: bool = False,
    coordinates: str = "raw",
    max_epochs: int = 2,
) -> Path:
    import torch

    torch.set_num_threads(1)
    config = {
        "coordinates": coordinates,
        "hidden_layers": (16, 12),
        "max_epochs": max_epochs,
        "batch_size": 256,
        "num_threads": 1,
        "calibration": calibration,
        "batch_norm": batch_norm,
        "threshold": None,
        "class_weight": "balanced",
    }
    return _train("mlp", xln, tmp, three_d=three_d, config=config)


@pytest.fixture(scope="session")
def mlp_iso_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mlp_dir(tmp_path_factory.mktemp("mlp_iso"), "isotonic", True)


@pytest.fixture(scope="session")
def mlp_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _mlp_dir(tmp_path_factory.mktemp("mlp_temp"), "temperature", False)


# -- physical coordinates (log ratios, rapidities) --------------------------------------------------
@pytest.fixture(scope="session")
def lr_phys_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = {"coordinates": "physical"}
    return _train("lr", False, tmp_path_factory.mktemp("lr_phys_eln"), degree=2, config=cfg)


@pytest.fixture(scope="session")
def lr_phys_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = {"coordinates": "physical"}
    return _train("lr", True, tmp_path_factory.mktemp("lr_phys_xln"), degree=2, config=cfg)


@pytest.fixture(scope="session")
def mlp_phys_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mlp_phys_eln")
    return _mlp_dir(tmp, "temperature", False, xln=False, coordinates="physical")


@pytest.fixture(scope="session")
def mlp_phys_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mlp_phys_xln")
    return _mlp_dir(tmp, "isotonic", True, coordinates="physical")


# -- 3D moments -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def lr3d_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", False, tmp_path_factory.mktemp("lr3d_eln"), three_d=True, degree=2)


@pytest.fixture(scope="session")
def lr3d_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("lr", True, tmp_path_factory.mktemp("lr3d_xln"), three_d=True, degree=2)


@pytest.fixture(scope="session")
def mlp3d_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mlp3d_xln")
    return _mlp_dir(tmp, "isotonic", True, three_d=True, max_epochs=10)


@pytest.fixture(scope="session")
def tree3d_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("tree", True, tmp_path_factory.mktemp("tree3d_xln"), three_d=True)


# -- every other model kind (1D moments): LightGBM, SVM, decision tree, KNN -------------------------
#: small configurations: each trains in well under a second on the 1500 fixture cells
TINY_GBT = {"max_rounds": 60, "num_leaves": 15, "early_stopping_rounds": 20}


@pytest.fixture(scope="session")
def gbt_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("gbt", True, tmp_path_factory.mktemp("gbt_xln"), config=TINY_GBT)


@pytest.fixture(scope="session")
def gbt_closure_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = {**TINY_GBT, "closure_features": "maxent"}
    return _train("gbt", True, tmp_path_factory.mktemp("gbt_closure_xln"), config=cfg)


@pytest.fixture(scope="session")
def gbt_closure_eln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = {**TINY_GBT, "closure_features": "maxent"}
    return _train("gbt", False, tmp_path_factory.mktemp("gbt_closure_eln"), config=cfg)


@pytest.fixture(scope="session")
def svm_exact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("svm", True, tmp_path_factory.mktemp("svm_exact"))


@pytest.fixture(scope="session")
def svm_nystroem_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = {"exact_max_samples": 500, "n_components": 80, "gamma": 10.0}
    return _train("svm", True, tmp_path_factory.mktemp("svm_nystroem"), config=cfg)


@pytest.fixture(scope="session")
def tree_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("tree", True, tmp_path_factory.mktemp("tree_xln"))


@pytest.fixture(scope="session")
def knn_xln_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train("knn", True, tmp_path_factory.mktemp("knn_xln"))


@pytest.fixture(autouse=True)
def _kernel_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiled kernels and cached ONNX files go to a temporary directory, not ~/.cache."""
    monkeypatch.setenv("NULEARN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nulearn_cache"))
