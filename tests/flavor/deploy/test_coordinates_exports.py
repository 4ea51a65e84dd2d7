"""Models in physical coordinates (log density ratios, artanh F, F) on every deployment target.

The polynomial LR carries the map as its first pipeline step, the MLP as ``coordinates_`` before
its standardization; every export must reproduce the Python model (same tolerances as the raw
golden tests) and ``nulearn flavor flag`` must give the flags of ``predict``.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.deploy import INVALID_FLAG, load_deployable
from nulearn.flavor.deploy.plan import Coordinates, Standardize
from nulearn.flavor.deploy.raw_moments import features_from_raw
from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot

from .conftest import raw_moments
from .golden import TARGETS, assert_golden, run_target

N_CELLS = 3000
N_INVALID = 60
MODELS = ["lr_phys_eln_dir", "lr_phys_xln_dir", "mlp_phys_eln_dir", "mlp_phys_xln_dir"]
CASES = [(m, t) for m in MODELS for t in TARGETS if t != "torchscript" or m.startswith("mlp")]


@pytest.mark.parametrize(("fixture", "target"), CASES)
def test_physical_coordinates_export_matches_python(
    fixture: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    moments = raw_moments(N_CELLS, 11, xln=len(model.raw_names) == 8, n_invalid=N_INVALID)
    p, flag = run_target(model_dir, target, moments, tmp_path)
    tol = 1e-9 if target == "plan" else 1e-6
    assert_golden(p, flag, model.predict_raw(moments), N_INVALID, tol=tol)


@pytest.mark.parametrize(
    ("fixture", "ratio_columns"),
    [("lr_phys_eln_dir", 1), ("lr_phys_xln_dir", 3), ("mlp_phys_xln_dir", 3)],
)
def test_plan_starts_with_coordinates(
    fixture: str, ratio_columns: int, request: pytest.FixtureRequest, lr_xln_dir: Path
) -> None:
    """The map is the first stage (before any scaling); raw models have no such stage, and the
    Python reference of the MLP applies the map (the float32 estimator agrees to ~1e-6)."""
    model = load_deployable(request.getfixturevalue(fixture))
    first, second = model.plan().stages[:2]
    assert isinstance(first, Coordinates) and first.ratio_columns == ratio_columns
    assert first.n_in == len(model.feature_names) and first.lepton_terms
    assert isinstance(second, Standardize) and second.n_out == first.n_out
    raw_plan = load_deployable(lr_xln_dir).plan()
    assert not any(isinstance(stage, Coordinates) for stage in raw_plan.stages)
    moments = raw_moments(500, 5, xln=len(model.raw_names) == 8)
    x, valid = features_from_raw(moments, model.feature_names)
    p_ref, _, _ = model.predict_raw(moments)
    p_est = model.estimator.predict_proba(x[valid])[:, 1]
    np.testing.assert_allclose(p_ref[valid], p_est, atol=1e-4)


def test_changed_coordinate_map_is_refused() -> None:
    """A coordinate map the deploy stage does not reproduce fails at export, never silently."""
    from nulearn.flavor.deploy.extract import coordinates_stage
    from nulearn.flavor.models.coordinates import PhysicalCoordinates

    class Shifted(PhysicalCoordinates):  # type: ignore[misc]
        def transform(self, X: np.ndarray) -> np.ndarray:
            return np.asarray(super().transform(X)) + 1e-9

    x = np.column_stack([np.full(5, 1.2), np.full(5, 0.3), np.full(5, 0.5)])
    stage = coordinates_stage(PhysicalCoordinates().fit(x), 3)
    assert stage.ratio_columns == 1 and stage.n_out == 8
    with pytest.raises(ValueError, match="does not reproduce"):
        coordinates_stage(Shifted().fit(x), 3)
    with pytest.raises(ValueError, match="not fitted"):
        coordinates_stage(PhysicalCoordinates(), 3)


@pytest.mark.parametrize(
    ("fixture", "backend"),
    [
        ("lr_phys_eln_dir", "c"),
        ("lr_phys_xln_dir", "onnx"),
        ("mlp_phys_xln_dir", "c"),
        ("mlp_phys_eln_dir", "onnx"),
        ("mlp_phys_xln_dir", "python"),
    ],
)
def test_cli_flag_equals_predict(
    fixture: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``nulearn flavor flag`` on a snapshot gives the estimator's own ``predict`` on every
    valid cell and -1 on the corrupted ones."""
    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    if backend == "c" and not __import__("shutil").which("gcc"):
        pytest.skip("gcc not installed")
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (6, 7, 8), seed=4)
    with h5py.File(snap, "r+") as h5:
        n = h5["n_nuebar"][...]
        n.flat[[3, 100]] = [0.0, np.inf]
        h5["n_nuebar"][...] = n
    r = CliRunner().invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(model_dir),
            "--out",
            str(tmp_path / "flags.h5"),
            "--backend",
            backend,
            "--chunk-cells",
            "100",
            "--no-progress",
            "--ignore-heavy-leptons",
        ],
    )
    assert r.exit_code == 0, r.output
    assert f"backend {backend}" in r.output
    with h5py.File(snap) as h5:
        raw = {k: h5[k][...].ravel() for k in model.raw_names}
    x, valid = features_from_raw(raw, model.feature_names)
    with h5py.File(tmp_path / "flags.h5") as h5:
        flag = h5["flag"][...].ravel()
    assert not valid[[3, 100]].any() and valid.mean() > 0.9
    np.testing.assert_array_equal(flag[~valid], INVALID_FLAG)
    predicted = model.estimator.predict(x[valid])
    # cells outside the card's training domain are flagged 2, the rest get the estimator's label
    inside = (
        model.domain.contains(x[valid])
        if model.domain is not None
        else np.ones_like(predicted, bool)
    )
    np.testing.assert_array_equal(flag[valid][~inside], 2)
    np.testing.assert_array_equal(flag[valid][inside], predicted[inside])
    assert 0 < predicted.sum() < valid.sum() and inside.mean() > 0.9
