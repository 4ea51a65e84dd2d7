"""Golden comparisons: generated C/Fortran, ONNX and TorchScript against the Python models.

Every export takes raw moments (a few thousand cells, some corrupted) and must agree with the
Python reference to 1e-6 in probability and exactly in the flags, with flag -1 exactly on the
invalid cells.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.deploy import INVALID_FLAG, evaluate_plan, export_model, load_deployable
from nulearn.flavor.deploy.toolchain import C_FLAGS, build_kernel, compiler_available

from .conftest import raw_moments

N_CELLS = 3000
N_INVALID = 60
needs_gcc = pytest.mark.skipif(
    not compiler_available("c"), reason="gcc not installed (make system-deps)"
)
needs_gfortran = pytest.mark.skipif(
    not compiler_available("fortran"), reason="gfortran not installed (make system-deps)"
)


def _moments(model_dir: Path, seed: int = 11) -> dict[str, np.ndarray]:
    model = load_deployable(model_dir)
    return raw_moments(N_CELLS, seed, xln=len(model.raw_names) == 8, n_invalid=N_INVALID)


def _assert_golden(
    p: np.ndarray,
    flag: np.ndarray,
    ref: tuple[np.ndarray, np.ndarray, np.ndarray],
    tol: float = 1e-6,
) -> None:
    p_ref, flag_ref, valid = ref
    assert valid.sum() == N_CELLS - N_INVALID  # every corrupted cell is caught, no other
    np.testing.assert_array_equal(flag, flag_ref)
    np.testing.assert_array_equal(flag == INVALID_FLAG, ~valid)
    assert np.isnan(p[~valid]).all()
    np.testing.assert_allclose(p[valid], p_ref[valid], rtol=0, atol=tol)
    assert (
        0 < (flag == 1).sum() < valid.sum()
    )  # both classes present: the comparison means something


MODELS = ["lr_eln_dir", "lr_xln_dir", "mlp_iso_dir", "mlp_temp_dir"]


@pytest.mark.parametrize("fixture", MODELS)
def test_plan_matches_estimator(fixture: str, request: pytest.FixtureRequest) -> None:
    """The flat plan (BatchNorm folded, logit offset, calibrator) reproduces the estimator."""
    model = load_deployable(request.getfixturevalue(fixture))
    moments = _moments(model.model_dir)
    p, flag, _ = evaluate_plan(model.plan(), moments)
    _assert_golden(p, flag, model.predict_raw(moments), tol=1e-9)


@needs_gcc
@pytest.mark.parametrize("fixture", MODELS)
def test_generated_c_matches_python(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model = load_deployable(request.getfixturevalue(fixture))
    moments = _moments(model.model_dir)
    kernel = build_kernel(model.plan(), "c", tmp_path)
    _assert_golden(*kernel(moments), model.predict_raw(moments))


@needs_gfortran
@pytest.mark.parametrize("fixture", MODELS)
def test_generated_fortran_matches_python(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The Fortran module is called through its bind(C) interface, as a C code would call it."""
    model = load_deployable(request.getfixturevalue(fixture))
    moments = _moments(model.model_dir)
    kernel = build_kernel(model.plan(), "fortran", tmp_path)
    _assert_golden(*kernel(moments), model.predict_raw(moments))


@needs_gcc
def test_c_header_standalone_program(lr_eln_dir: Path, tmp_path: Path) -> None:
    """The header works as a plain include in a C program and its hot loop vectorizes."""
    header = tmp_path / "lr.h"
    res = export_model(lr_eln_dir, "c", header, name="lr2")
    assert res.symbol == "nulearn_lr2" and res.raw_names == (
        "n_nue",
        "n_nuebar",
        "F_nue",
        "F_nuebar",
    )
    main = tmp_path / "main.c"
    main.write_text(
        '#include <stdio.h>\n#include "lr.h"\n'
        "int main(void) {\n"
        "  double n_e[3] = {1.0, 2.0, -1.0}, n_a[3] = {1.2, 1.0, 1.0};\n"
        "  double f_e[3] = {0.1, 0.3, 0.2}, f_a[3] = {0.4, 0.2, 0.2}, p[3]; int8_t flag[3];\n"
        "  nulearn_lr2(n_e, n_a, f_e, f_a, 3, p, flag);\n"
        '  for (int i = 0; i < 3; ++i) printf("%.17g %d\\n", p[i], flag[i]);\n'
        "  return 0;\n}\n"
    )
    exe = tmp_path / "main"
    subprocess.run(
        ["gcc", "-O3", "-march=native", "-std=c99", "-Wall", "-Werror", str(main), "-o", str(exe)],
        check=True,
    )
    # the cell loop of the LR kernel vectorizes with plain -O3 -march=native (no fast-math, which
    # would drop the NaN checks that flag invalid cells)
    vec = subprocess.run(
        [
            "gcc",
            "-O3",
            "-march=native",
            "-fopt-info-vec-optimized",
            "-DNULEARN_API=",
            "-c",
            "-x",
            "c",
            str(header),
            "-o",
            str(tmp_path / "lr.o"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "loop vectorized" in vec.stderr
    lines = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(
        "\n"
    )
    model = load_deployable(lr_eln_dir)
    p_ref, flag_ref, _ = model.predict_raw(
        {
            "n_nue": np.array([1.0, 2.0, -1.0]),
            "n_nuebar": np.array([1.2, 1.0, 1.0]),
            "F_nue": np.array([0.1, 0.3, 0.2]),
            "F_nuebar": np.array([0.4, 0.2, 0.2]),
        }
    )
    got = [line.split() for line in lines if line]
    assert [int(g[1]) for g in got] == flag_ref.tolist()
    assert flag_ref[2] == INVALID_FLAG and got[2][0].lower() == "nan"
    np.testing.assert_allclose([float(g[0]) for g in got[:2]], p_ref[:2], atol=1e-6)


@needs_gfortran
def test_fortran_module_in_fortran_program(lr_eln_dir: Path, tmp_path: Path) -> None:
    """A Fortran code uses the module directly (no C in between)."""
    export_model(lr_eln_dir, "fortran", tmp_path / "lr.f90", name="lr2")
    prog = tmp_path / "main.f90"
    prog.write_text(
        "program main\n  use iso_c_binding\n  use nulearn_lr2_mod\n  implicit none\n"
        "  real(c_double) :: n_e(2) = [1.0d0, 0.0d0], n_a(2) = [1.2d0, 1.0d0]\n"
        "  real(c_double) :: f_e(2) = [0.1d0, 0.2d0], f_a(2) = [0.4d0, 0.2d0], p(2)\n"
        "  integer(c_int8_t) :: flag(2)\n"
        "  call nulearn_lr2(n_e, n_a, f_e, f_a, 2_c_int64_t, p, flag)\n"
        "  print '(es25.17, i4)', p(1), flag(1)\n  print '(i4)', flag(2)\nend program main\n"
    )
    exe = tmp_path / "main"
    subprocess.run(
        [
            "gfortran",
            "-O2",
            "-J",
            str(tmp_path),
            str(tmp_path / "lr.f90"),
            str(prog),
            "-o",
            str(exe),
        ],
        check=True,
        capture_output=True,
    )
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    p_ref, flag_ref, _ = load_deployable(lr_eln_dir).predict_raw(
        {
            "n_nue": np.array([1.0]),
            "n_nuebar": np.array([1.2]),
            "F_nue": np.array([0.1]),
            "F_nuebar": np.array([0.4]),
        }
    )
    assert (
        abs(float(out[0]) - p_ref[0]) < 1e-6
        and int(out[1]) == flag_ref[0]
        and int(out[2]) == INVALID_FLAG
    )


@needs_gcc
@settings(max_examples=15, deadline=None)
@given(exponent=st.integers(-60, 60), seed=st.integers(0, 2**16))
def test_c_kernel_density_scale_invariance(
    exponent: int, seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Features are ratios of densities (arXiv:2303.05560 Eq. 6): a common factor 2^k on every
    density (exact in binary floating point) changes no probability and no flag."""
    kernel = _scale_kernel(tmp_path_factory)
    moments = raw_moments(256, seed, xln=True, n_invalid=8)
    scaled = {k: (v * 2.0**exponent if k.startswith("n_") else v) for k, v in moments.items()}
    p0, f0 = kernel(moments)
    p1, f1 = kernel(scaled)
    np.testing.assert_array_equal(f0, f1)
    np.testing.assert_array_equal(p0, p1)


_SCALE_KERNEL: dict[str, object] = {}


def _scale_kernel(factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if "k" not in _SCALE_KERNEL:
        from .conftest import _train

        model = load_deployable(_train("lr", True, factory.mktemp("lr_scale"), degree=2))
        _SCALE_KERNEL["k"] = build_kernel(model.plan(), "c", factory.mktemp("kern"))
    return _SCALE_KERNEL["k"]


@pytest.mark.parametrize("fixture", MODELS)
def test_onnx_matches_python(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from nulearn.flavor.deploy.onnx_export import OnnxKernel

    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    moments = _moments(model_dir)
    res = export_model(model_dir, "onnx", tmp_path / "model.onnx")
    _assert_golden(
        *OnnxKernel(res.path, res.raw_names, threads=1)(moments), model.predict_raw(moments)
    )


def test_onnx_tree_model(tmp_path: Path) -> None:
    """The decision tree exports through skl2onnx (and as C through its tree stage)."""
    from nulearn.flavor.deploy.onnx_export import OnnxKernel

    from .conftest import _train

    model_dir = _train("tree", False, tmp_path / "tree")
    model = load_deployable(model_dir)
    moments = _moments(model_dir)
    res = export_model(model_dir, "onnx", tmp_path / "tree.onnx")
    _assert_golden(
        *OnnxKernel(res.path, res.raw_names, threads=1)(moments), model.predict_raw(moments)
    )


def test_onnx_float32_mlp_close_to_float64(mlp_temp_dir: Path, tmp_path: Path) -> None:
    from nulearn.flavor.deploy.onnx_export import OnnxKernel

    model = load_deployable(mlp_temp_dir)
    moments = _moments(mlp_temp_dir)
    res = export_model(mlp_temp_dir, "onnx", tmp_path / "f32.onnx", precision="float32")
    p, flag = OnnxKernel(res.path, res.raw_names, threads=1)(moments)
    p_ref, flag_ref, valid = model.predict_raw(moments)
    np.testing.assert_allclose(p[valid], p_ref[valid], atol=1e-4)
    np.testing.assert_array_equal(flag == INVALID_FLAG, ~valid)
    clear = ~valid | (
        np.abs(p_ref - model.threshold) > 1e-4
    )  # float32 may flip cells at the threshold
    np.testing.assert_array_equal(flag[clear], flag_ref[clear])


@pytest.mark.parametrize("fixture", ["mlp_iso_dir", "mlp_temp_dir"])
def test_torchscript_matches_python(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import torch

    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    moments = _moments(model_dir)
    res = export_model(model_dir, "torchscript", tmp_path / "mlp.pt")
    module = torch.jit.load(str(res.path))
    x = torch.from_numpy(np.stack([moments[k] for k in res.raw_names], axis=1))
    p, flag = module(x)
    assert flag.dtype == torch.int8
    _assert_golden(p.numpy(), flag.numpy(), model.predict_raw(moments))


def test_export_rejects_bad_requests(lr_eln_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format 'wasm' unknown"):
        export_model(lr_eln_dir, "wasm", tmp_path / "x")
    with pytest.raises(ValueError, match="TorchScript export is for the PyTorch MLP"):
        export_model(lr_eln_dir, "torchscript", tmp_path / "x.pt")


def test_compile_flags_do_not_change_values() -> None:
    """-ffast-math would let the compiler drop the NaN checks; the kernels must not use it."""
    assert not any("fast-math" in f for f in C_FLAGS)


def test_cli_export_mlp(mlp_temp_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nulearn.cli import app

    runner = CliRunner()
    for fmt, suffix in (("torchscript", "pt"), ("c", "h"), ("onnx", "onnx")):
        r = runner.invoke(
            app,
            [
                "flavor",
                "export",
                str(mlp_temp_dir),
                "--format",
                fmt,
                "--out",
                str(tmp_path / f"m.{suffix}"),
            ],
        )
        assert r.exit_code == 0, r.output
        assert "n_nue, n_nuebar, n_nux, n_nuxbar, F_nue, F_nuebar, F_nux, F_nuxbar" in r.output
    r = runner.invoke(
        app,
        ["flavor", "export", str(mlp_temp_dir), "--format", "wasm", "--out", str(tmp_path / "m")],
    )
    assert r.exit_code != 0 and "wasm" in r.output
