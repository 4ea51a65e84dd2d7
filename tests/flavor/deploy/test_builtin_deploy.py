"""The built-in models wherever a model directory goes: ``flag`` on a snapshot, ``export`` to C,
``predict`` and ``evaluate`` on tables of features or of raw moments (1D and 3D)."""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.tables import read_dataset, write_dataset
from nulearn.flavor.deploy import load_deployable
from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot
from nulearn.flavor.deploy.toolchain import compiler_available
from nulearn.flavor.physics.moments3d import features_from_moments3d
from nulearn.flavor.physics.species import features_from_moments

from .conftest import raw_moments, raw_moments3d

pytestmark = pytest.mark.filterwarnings("ignore:model .* package versions differ")


def test_flag_snapshot_with_builtin_gbt(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (6, 5, 4), seed=3)
    out = tmp_path / "flags.h5"
    res = nulearn(
        "flavor", "flag", snap, "--model", "builtin:xln-gbt", "--out", out, "--no-progress"
    )
    assert res.exit_code == 0, res.output
    assert "120 cells" in res.stdout
    model = load_deployable("builtin:xln-gbt")
    with h5py.File(snap) as h5:
        raw = {k: h5[k][...].ravel() for k in model.raw_names}
    p, flag, valid = model.predict_raw(raw)
    with h5py.File(out) as h5:
        np.testing.assert_array_equal(h5["flag"][...].ravel(), flag)
        np.testing.assert_allclose(h5["p_crossing"][...].ravel(), p, atol=1e-6, equal_nan=True)
    assert valid.any() and set(np.unique(flag[valid])) <= {0, 1, 2}


def test_export_builtin_lr_to_c(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    header = tmp_path / "xln_lr2.h"
    res = nulearn("flavor", "export", "builtin:xln-lr2", "--format", "c", "--out", header)
    if res.exit_code != 0 and not compiler_available("c"):
        pytest.skip("no C compiler to measure the export with")
    assert res.exit_code == 0, res.output
    text = header.read_text()
    assert "n_nux" in text and load_deployable("builtin:xln-lr2").card_hash in text


def test_predict_builtin_on_raw_moments(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``predict`` reads n_*, F_* (as flag and the exports do) and gives the same P(crossing)
    as on the features computed from them; an unphysical row is refused, or masked."""
    raw = pd.DataFrame(raw_moments(400, 2, xln=True))
    feats = features_from_moments(raw)
    write_dataset(raw, tmp_path / "raw.parquet", {})
    write_dataset(feats, tmp_path / "feats.parquet", {})
    for name in ("raw", "feats"):
        res = nulearn(
            "flavor", "predict", "builtin:xln-lr2", "--in", tmp_path / f"{name}.parquet",
            "--out", tmp_path / f"pred_{name}.parquet",
        )  # fmt: skip
        assert res.exit_code == 0, res.output
    p_raw = read_dataset(tmp_path / "pred_raw.parquet").frame["p_crossing"].to_numpy()
    p_feat = read_dataset(tmp_path / "pred_feats.parquet").frame["p_crossing"].to_numpy()
    np.testing.assert_allclose(p_raw, p_feat, rtol=0, atol=1e-12)
    bad = raw.copy()
    bad.loc[7, "F_nuebar"] = 1.2
    write_dataset(bad, tmp_path / "bad.parquet", {})
    args = ("flavor", "predict", "builtin:xln-lr2", "--in", tmp_path / "bad.parquet", "--out")
    res = nulearn(*args, tmp_path / "bad_pred.parquet")
    assert res.exit_code == 2 and "row 7" in res.stderr
    res = nulearn(*args, tmp_path / "masked.parquet", "--mask-invalid")
    assert res.exit_code == 0, res.output
    assert read_dataset(tmp_path / "masked.parquet").frame["crossing_pred"].iloc[7] == -1


def test_predict_builtin_3d_on_flux_vectors(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    moments = raw_moments3d(300, 4, xln=True)
    raw = pd.DataFrame(moments)
    write_dataset(raw, tmp_path / "raw3d.parquet", {})
    res = nulearn(
        "flavor", "predict", "builtin:xln3d-mlp", "--in", tmp_path / "raw3d.parquet",
        "--out", tmp_path / "pred3d.parquet",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got = read_dataset(tmp_path / "pred3d.parquet").frame["p_crossing"].to_numpy()
    model = load_deployable("builtin:xln3d-mlp")
    x = features_from_moments3d(raw)[list(model.feature_names)].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = model.estimator.predict_proba(x)[:, 1]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    bad = raw.copy()
    bad.loc[3, "n_nuebar"] = -1.0
    write_dataset(bad, tmp_path / "bad3d.parquet", {})
    args = ("flavor", "predict", "builtin:xln3d-mlp", "--in", tmp_path / "bad3d.parquet", "--out")
    res = nulearn(*args, tmp_path / "bad3d_pred.parquet")
    assert res.exit_code == 2 and "nuebar" in res.stderr
    res = nulearn(*args, tmp_path / "masked3d.parquet", "--mask-invalid")
    assert res.exit_code == 0, res.output
    masked = read_dataset(tmp_path / "masked3d.parquet").frame
    assert masked["crossing_pred"].iloc[3] == -1 and (masked["crossing_pred"] != -1).sum() == 299


def test_evaluate_builtin(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from nulearn.flavor.data.generate import generate

    write_dataset(generate("original", "mix", 2000, seed=9), tmp_path / "test.parquet", {})
    res = nulearn("flavor", "evaluate", "builtin:eln-lr2", "--data", tmp_path / "test.parquet")
    assert res.exit_code == 0, res.output
    assert "Bayes ceiling: accuracy" in res.stdout
    accuracy = float(res.stdout.split("accuracy ")[1].split(",")[0])
    assert 0.9 < accuracy <= 1.0
