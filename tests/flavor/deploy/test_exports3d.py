"""Models of 3D moments (number densities and flux vectors, as M1 codes evolve them) on every deployment target.

The exports take raw 3D moments and compute the rotation-invariant features themselves; they
must agree with the Python model fed by :func:`nulearn.flavor.physics.moments3d.features_from_moments3d`
(including flux vectors too short to have a direction), flag invalid cells, be invariant under
rotations of the flux vectors, and run through ``nulearn flavor export`` and ``flag``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.deploy import INVALID_FLAG, export_model, flag_snapshot, load_deployable
from nulearn.flavor.deploy.raw_moments import features_from_raw, raw_moment_names
from nulearn.flavor.deploy.toolchain import build_kernel, compiler_available
from nulearn.flavor.physics.moments3d import (
    ELN_FEATURES_3D,
    XLN_FEATURES_3D,
    features_from_moments3d,
    random_rotations,
)

from .conftest import raw_moments3d
from .golden import TARGETS, assert_golden, run_target

N_CELLS = 3000
N_INVALID = 60
N_UNDIRECTED = 40
CASES = [
    *((m, t) for m in ("lr3d_eln_dir", "lr3d_xln_dir") for t in TARGETS if t != "torchscript"),
    *(("mlp3d_xln_dir", t) for t in TARGETS),
    *(("tree3d_xln_dir", t) for t in TARGETS if t != "torchscript"),
]


def _moments(model_dir: Path, n: int = N_CELLS, seed: int = 11, **kw: Any) -> dict[str, np.ndarray]:
    xln = "n_nux" in load_deployable(model_dir).raw_names
    return raw_moments3d(n, seed, xln=xln, **kw)


def test_raw_names_and_features_mirror_the_library() -> None:
    """Inputs are n_<s> then flux vectors; the NumPy mirror equals features_from_moments3d,
    cosines are 0 for flux vectors without a direction, and bad cells are exactly the invalid ones."""
    assert raw_moment_names(ELN_FEATURES_3D) == (
        "n_nue",
        "n_nuebar",
        "flux_x_nue",
        "flux_y_nue",
        "flux_z_nue",
        "flux_x_nuebar",
        "flux_y_nuebar",
        "flux_z_nuebar",
    )
    moments = raw_moments3d(500, 3, xln=True, n_invalid=40, n_undirected=20)
    x, valid = features_from_raw(moments, XLN_FEATURES_3D)
    assert valid.sum() == 460 and not valid[:40].any()
    lib = features_from_moments3d(pd.DataFrame({k: v[valid] for k, v in moments.items()}))
    np.testing.assert_allclose(x[valid], lib[list(XLN_FEATURES_3D)].to_numpy(), rtol=0, atol=1e-15)
    cosines = x[40:60, 7:]
    assert (cosines == 0.0).sum() >= 20 * 3  # each undirected species zeroes its 3 cosines
    with pytest.raises(ValueError, match="cos_nue_nu"):
        raw_moment_names(("alpha", "cos_nue_nu"))


@pytest.mark.parametrize(("fixture", "target"), CASES)
def test_3d_export_matches_python(
    fixture: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    assert model.three_dimensional and model.name.endswith("_3d")
    moments = _moments(model_dir, n_invalid=N_INVALID, n_undirected=N_UNDIRECTED)
    p, flag = run_target(model_dir, target, moments, tmp_path)
    tol = 1e-9 if target == "plan" else 1e-6
    assert_golden(p, flag, model.predict_raw(moments), N_INVALID, tol=tol)


def test_3d_c_header_vectorizes(lr3d_eln_dir: Path, tmp_path: Path) -> None:
    """With -fno-math-errno (values unchanged) the 3D LR loop, sqrt included, vectorizes."""
    if not compiler_available("c"):
        pytest.skip("gcc not installed")
    header = export_model(lr3d_eln_dir, "c", tmp_path / "lr3d.h").path
    flags = [
        "-O3",
        "-march=native",
        "-fno-math-errno",
        "-fopt-info-vec-optimized",
        "-DNULEARN_API=",
    ]
    vec = subprocess.run(
        ["gcc", *flags, "-c", "-x", "c", str(header), "-o", str(tmp_path / "lr3d.o")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "loop vectorized" in vec.stderr


_KERNELS: dict[str, Any] = {}


def _rotation_kernels(
    factory: pytest.TempPathFactory, lr_dir: Path, mlp_dir: Path
) -> dict[str, Any]:
    """Exported 3D models as callables raw moments -> (p, flag), built once per session."""
    if not _KERNELS:
        from nulearn.flavor.deploy.onnx_export import OnnxKernel

        work = factory.mktemp("rotation")
        if compiler_available("c"):
            _KERNELS["c lr"] = build_kernel(load_deployable(lr_dir).plan(), "c")
        res = export_model(mlp_dir, "onnx", work / "mlp.onnx")
        _KERNELS["onnx mlp"] = OnnxKernel(res.path, res.raw_names, threads=1)
    return _KERNELS


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_rotating_flux_vectors_changes_nothing(
    seed: int,
    lr3d_eln_dir: Path,
    mlp3d_xln_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A random rotation of every flux vector (one per cell) leaves every exported output
    unchanged to 1e-6, flags included; zero and tiny flux vectors stay without a direction."""
    moments = raw_moments3d(256, seed, xln=True, n_invalid=8, n_undirected=16)
    rot = random_rotations(256, seed)
    rotated = dict(moments)
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        v = np.stack([moments[f"flux_{ax}_{s}"] for ax in "xyz"], axis=1)
        w = np.einsum("nij,nj->ni", rot, v)
        for j, ax in enumerate("xyz"):
            rotated[f"flux_{ax}_{s}"] = w[:, j]
    for kernel in _rotation_kernels(tmp_path_factory, lr3d_eln_dir, mlp3d_xln_dir).values():
        p0, f0 = kernel(moments)
        p1, f1 = kernel(rotated)
        np.testing.assert_array_equal(f0, f1)
        assert (f0[:8] == INVALID_FLAG).sum() >= 4  # ELN models ignore corrupted nux, nuxbar
        np.testing.assert_allclose(p1, p0, rtol=0, atol=1e-6, equal_nan=True)


def _write_snapshot3d(
    path: Path, moments: dict[str, np.ndarray], shape: tuple[int, ...], paths: dict[str, str]
) -> Path:
    """HDF5 snapshot of 3D moment fields (float32, as simulation output often is)."""
    with h5py.File(path, "w") as h5:
        for name, values in moments.items():
            h5.create_dataset(paths.get(name, name), data=values.reshape(shape).astype(np.float32))
    return path


@pytest.mark.parametrize("backend", ["auto", "onnx", "python"])
def test_flag_3d_snapshot(backend: str, mlp3d_xln_dir: Path, tmp_path: Path) -> None:
    """Flags of a 3D snapshot equal the Python reference on the grid, for every backend."""
    shape = (5, 6, 7)
    moments = _moments(mlp3d_xln_dir, n=int(np.prod(shape)), seed=5, n_invalid=9, n_undirected=6)
    snap = _write_snapshot3d(tmp_path / "snap3d.h5", moments, shape, {})
    res = flag_snapshot(snap, mlp3d_xln_dir, tmp_path / "flags.h5", chunk_cells=64, backend=backend)
    assert res.shape == shape and res.n_invalid == 9 and res.n_blocks > 1
    if backend == "auto" and compiler_available("c"):
        assert res.backend == "c"
    with h5py.File(snap) as h5:  # the reference reads what the file holds (float32)
        raw = {k: h5[k][...].ravel() for k in moments}
    p_ref, flag_ref, _ = load_deployable(mlp3d_xln_dir).predict_raw(raw)
    with h5py.File(res.out) as h5:
        np.testing.assert_array_equal(h5["flag"][...].ravel(), flag_ref)
        np.testing.assert_allclose(h5["p_crossing"][...].ravel(), p_ref, atol=1e-6, equal_nan=True)


def test_cli_generate3d_train_export_flag(tmp_path: Path) -> None:
    """End to end at tiny size: generate3d -> train (3D features) -> export every format
    -> flag a 3D snapshot with a mapped dataset, flags equal to the Python model."""
    runner = CliRunner()

    def ok(args: list[str]) -> str:
        r = runner.invoke(app, ["flavor", *args])
        assert r.exit_code == 0, r.output
        return r.output

    data = tmp_path / "d3.parquet"
    ok(
        [
            "generate3d",
            "--n",
            "600",
            "--out",
            str(data),
            "--scheme",
            "xln",
            "--n-directions",
            "1000",
        ]
    )
    model_dir = tmp_path / "lr3d"
    ok(
        [
            "train",
            "--model",
            "lr",
            "--data",
            str(data),
            "--out",
            str(model_dir),
            "--features",
            ",".join(XLN_FEATURES_3D),
        ]
    )
    model = load_deployable(model_dir)
    assert model.three_dimensional
    for fmt, suffix in (("c", "h"), ("fortran", "f90"), ("onnx", "onnx")):
        out = ok(
            ["export", str(model_dir), "--format", fmt, "--out", str(tmp_path / f"m.{suffix}")]
        )
        assert "n_nue, n_nuebar, n_nux, n_nuxbar, flux_x_nue, flux_y_nue, flux_z_nue" in out
    if compiler_available("c"):  # the header compiles as plain C99 with warnings as errors
        main = tmp_path / "main.c"
        main.write_text('#include "m.h"\nint main(void) { return 0; }\n')
        subprocess.run(
            [
                "gcc",
                "-std=c99",
                "-Wall",
                "-Werror",
                "-fno-math-errno",
                str(main),
                "-o",
                str(tmp_path / "main"),
                "-lm",
            ],
            check=True,
            cwd=tmp_path,
        )
    shape = (4, 5, 6)
    moments = raw_moments3d(int(np.prod(shape)), 7, xln=True, n_invalid=5)
    snap = _write_snapshot3d(tmp_path / "snap.h5", moments, shape, {"flux_z_nux": "/m1/Fz_x"})
    out = ok(
        [
            "flag",
            str(snap),
            "--model",
            str(model_dir),
            "--out",
            str(tmp_path / "flags.h5"),
            "--map",
            "flux_z_nux=m1/Fz_x",
            "--chunk-cells",
            "50",
            "--no-progress",
        ]
    )
    assert "120 cells" in out and "5 invalid" in out
    with h5py.File(snap) as h5:
        raw = {k: h5["/m1/Fz_x" if k == "flux_z_nux" else k][...].ravel() for k in moments}
    _, flag_ref, _ = model.predict_raw(raw)
    with h5py.File(tmp_path / "flags.h5") as h5:
        np.testing.assert_array_equal(h5["flag"][...].ravel(), flag_ref)
    bad = runner.invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(model_dir),
            "--out",
            str(tmp_path / "g.h5"),
            "--map",
            "flux_w_nue=/a",
        ],
    )
    assert bad.exit_code != 0 and "flux_x_<s>" in str(bad.exception)
    missing = runner.invoke(
        app,
        ["flavor", "flag", str(snap), "--model", str(model_dir), "--out", str(tmp_path / "h.h5")],
    )
    assert missing.exit_code != 0 and "flux_z_nux" in str(missing.exception)
