"""``nulearn flavor flag ... --asymptotic``: closure moments beside the flags."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.deploy.closure_codegen import closure_reference
from nulearn.flavor.deploy.snapshot import RAW_MOMENTS
from nulearn.flavor.models.closure import CLOSURE_INPUTS, ClosureModel
from nulearn.ml.domain import TrainingDomain

from .conftest import raw_moments


def test_flag_writes_asymptotic_moments(lr_xln_dir: Path, tmp_path: Path) -> None:
    moments = raw_moments(72, seed=3, n_invalid=4)
    snap = tmp_path / "snap.h5"
    with h5py.File(snap, "w") as h5:
        for name in RAW_MOMENTS:
            h5.create_dataset(name, data=moments[name].reshape(9, 8))
    base = ClosureModel.untrained((5,), seed=1)
    x = pd.DataFrame({"alpha": moments["n_nuebar"] / moments["n_nue"]})
    x["alpha_x"] = moments["n_nux"] / moments["n_nue"]
    x["alpha_xbar"] = moments["n_nuxbar"] / moments["n_nue"]
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        x[f"F_{s}"] = moments[f"F_{s}"]
    ok = np.isfinite(x.to_numpy()).all(axis=1) & (x.to_numpy() > 0).all(axis=1)
    domain = TrainingDomain.fit(
        x[ok][list(CLOSURE_INPUTS)].to_numpy()[:40], CLOSURE_INPUTS, n_components=1
    )
    model = ClosureModel(base.mean, base.scale, base.weights, base.biases, domain.to_dict())
    model.save(tmp_path / "closure")
    out = tmp_path / "flags.h5"
    res = CliRunner().invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(lr_xln_dir),
            "--out",
            str(out),
            "--asymptotic",
            str(tmp_path / "closure"),
            "--chunk-cells",
            "20",
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "unstable cells converted" in res.output
    ref = closure_reference(model, moments)
    with h5py.File(out) as h5:
        flag = h5["flag"][...].reshape(-1)
        group = h5["asymptotic"]
        assert group.attrs["complete"]
        status = group["status"][...].reshape(-1)
        assert (flag == 1).any() and (flag == 0).any() and (flag == -1).any() and (flag == -1).any()
        for name in RAW_MOMENTS:
            got = group[name][...].reshape(-1)
            np.testing.assert_allclose(got[flag == 1], ref[f"{name}_out"][flag == 1], rtol=1e-12)
            np.testing.assert_array_equal(got[flag == 0], moments[name][flag == 0])
            assert np.isnan(got[(flag != 0) & (flag != 1)]).all()
        np.testing.assert_array_equal(status[flag == 1], ref["status"][flag == 1])
        assert (status[flag == 0] == 1).all()
    res = CliRunner().invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(lr_xln_dir),
            "--out",
            str(tmp_path / "g.h5"),
            "--asymptotic",
            str(tmp_path / "nothing"),
            "--no-progress",
        ],
    )
    assert res.exit_code != 0


def test_bad_closure_refused_before_any_flags_are_written(
    nulearn, lr_xln_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A missing closure, or a snapshot without heavy-lepton moments, is refused up front."""
    from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot

    snap = write_synthetic_snapshot(tmp_path / "s.h5", (4, 4, 4), seed=0)
    out = tmp_path / "flags.h5"
    res = nulearn(
        "flavor", "flag", str(snap), "--model", str(lr_xln_dir), "--out", str(out),
        "--asymptotic", str(tmp_path / "no-closure"),
    )  # fmt: skip
    assert res.exit_code == 2 and "closure" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()
