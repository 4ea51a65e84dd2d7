"""Shared golden-test helpers: run one export target on raw moments, compare with Python."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nulearn.flavor.deploy import INVALID_FLAG, evaluate_plan, export_model, load_deployable
from nulearn.flavor.deploy.toolchain import build_kernel, compiler_available

#: every target a model can be exported to (``plan``: the NumPy run of the deploy plan;
#: ``cxx``: the C header compiled as C++ by g++)
TARGETS = ("plan", "c", "cxx", "fortran", "onnx", "torchscript")


def run_target(
    model_dir: Path, target: str, moments: dict[str, np.ndarray], tmp_path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """``(p_crossing, flag)`` of ``target`` on raw moments ``{name: (n,)}``; skips without compiler."""
    model = load_deployable(model_dir)
    if target == "plan":
        p, flag, _ = evaluate_plan(model.plan(), moments)
        return p, flag
    if target in ("c", "cxx", "fortran"):
        if not compiler_available(target):
            pytest.skip(f"no {target} compiler (make system-deps)")
        # the session's kernel cache (conftest): a plan compiled once serves every test
        return build_kernel(model.plan(), target)(moments)
    if target == "onnx":
        from nulearn.flavor.deploy.onnx_export import OnnxKernel

        res = export_model(model_dir, "onnx", tmp_path / "model.onnx")
        return OnnxKernel(res.path, res.raw_names, threads=1)(moments)
    import torch

    res = export_model(model_dir, "torchscript", tmp_path / "model.pt")
    module = torch.jit.load(str(res.path))
    p_t, flag_t = module(torch.from_numpy(np.stack([moments[k] for k in res.raw_names], axis=1)))
    assert flag_t.dtype == torch.int8
    return p_t.numpy(), flag_t.numpy()


def assert_golden(
    p: np.ndarray,
    flag: np.ndarray,
    ref: tuple[np.ndarray, np.ndarray, np.ndarray],
    n_invalid: int,
    tol: float = 1e-6,
) -> None:
    """Probabilities to ``tol``, flags exactly, -1 exactly on the ``n_invalid`` corrupted cells."""
    p_ref, flag_ref, valid = ref
    assert valid.sum() == valid.size - n_invalid  # every corrupted cell is caught, no other
    np.testing.assert_array_equal(flag, flag_ref)
    np.testing.assert_array_equal(flag == INVALID_FLAG, ~valid)
    assert np.isnan(p[~valid]).all()
    np.testing.assert_allclose(p[valid], p_ref[valid], rtol=0, atol=tol)
    # both classes present: the comparison means something
    assert 0 < (flag == 1).sum() < valid.sum()
