"""Golden comparisons for every model kind and every target it exports to.

LightGBM (with and without the maximum-entropy closure features), the RBF SVM (exact and
Nystroem), the decision tree and KNN, beside the LR and MLP of ``test_exports.py``: generated C,
the same header compiled as C++, Fortran, ONNX (and TorchScript for the MLP) on raw moments with
corrupted cells, against the Python model: probabilities to 1e-6, flags exactly, -1 exactly on
the invalid cells. The training-domain hook of the plans is checked on every code target.
"""

from __future__ import annotations

import ctypes
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nulearn.flavor.deploy import export_model, load_deployable
from nulearn.flavor.deploy.moment_features import maxent_shape_parameter
from nulearn.flavor.deploy.plan import (
    FeatureDomain,
    MomentFeatures,
    RBFKernel,
    RoundToFloat32,
    TreeEnsemble,
    evaluate_plan,
    run_stages,
)
from nulearn.flavor.deploy.raw_moments import features_from_raw
from nulearn.flavor.deploy.toolchain import build_kernel, compiler_available
from nulearn.ml.domain import DOMAIN_FLAG

from .conftest import raw_moments
from .golden import assert_golden, run_target

N_CELLS = 3000
N_INVALID = 60
CODE_TARGETS = ("plan", "c", "cxx", "fortran", "onnx")
MODELS = (
    "gbt_xln_dir",
    "gbt_closure_xln_dir",
    "gbt_closure_eln_dir",
    "svm_exact_dir",
    "svm_nystroem_dir",
    "tree_xln_dir",
    "lr_xln_dir",
    "mlp_iso_dir",
)
CASES = [
    *((m, t) for m in MODELS for t in CODE_TARGETS),
    ("mlp_iso_dir", "torchscript"),
    ("knn_xln_dir", "onnx"),
]


N_FAR = 40


def _moments(model_dir: Path, n: int = N_CELLS, seed: int = 11) -> dict[str, np.ndarray]:
    """Raw moments: ``N_INVALID`` corrupted cells first, the last ``N_FAR`` far outside the
    training domain (nu_ebar 200 times or 1/200 as dense as nu_e; training spans ~0.15-7)."""
    xln = len(load_deployable(model_dir).raw_names) == 8
    moments = raw_moments(n, seed, xln=xln, n_invalid=N_INVALID)
    ratio = np.where(np.arange(N_FAR) % 2 == 0, 200.0, 1 / 200.0)
    moments["n_nuebar"][-N_FAR:] = ratio * moments["n_nue"][-N_FAR:]
    return moments


@pytest.mark.parametrize(("fixture", "target"), CASES)
def test_every_model_and_target_matches_python(
    fixture: str, target: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model_dir = request.getfixturevalue(fixture)
    model = load_deployable(model_dir)
    moments = _moments(model_dir)
    p, flag = run_target(model_dir, target, moments, tmp_path)
    # the Nystroem features are rounded to float32 in Python as in every target, but a 1e-16
    # difference in the kernel (scikit-learn forms it by a matrix product) can round differently
    tol = 1e-9 if target == "plan" and fixture != "svm_nystroem_dir" else 1e-6
    assert_golden(p, flag, model.predict_raw(moments), N_INVALID, tol=tol)
    # the cells far outside the training domain are marked DOMAIN_FLAG by every target
    assert (flag[-N_FAR:] == DOMAIN_FLAG).all()


@pytest.mark.parametrize(
    ("fixture", "stages"),
    [
        ("gbt_xln_dir", (MomentFeatures, TreeEnsemble)),
        ("svm_exact_dir", (RBFKernel,)),
        ("svm_nystroem_dir", (RBFKernel, RoundToFloat32)),
        ("tree_xln_dir", (TreeEnsemble,)),
    ],
)
def test_plans_have_the_model_stages(
    fixture: str, stages: tuple[type, ...], request: pytest.FixtureRequest
) -> None:
    """Each kind becomes its own stages (not a fallback), and the plan reproduces the estimator's
    own predict_proba on valid cells to rounding."""
    model = load_deployable(request.getfixturevalue(fixture))
    plan = model.plan()
    kinds = {type(stage) for stage in plan.stages}
    assert set(stages) <= kinds
    moments = _moments(model.model_dir)
    x, valid = features_from_raw(moments, model.feature_names)
    p, _, _ = evaluate_plan(plan, moments)
    own = model.estimator.predict_proba(x[valid])[:, 1]
    tol = 1e-12 if fixture != "svm_nystroem_dir" else 1e-6  # sklearn's kernel by a matrix product
    np.testing.assert_allclose(p[valid], own, rtol=0, atol=tol)


def test_lightgbm_raw_score_is_the_tree_sum(gbt_closure_xln_dir: Path) -> None:
    """The flattened trees give LightGBM's own raw score (init score folded in) to rounding."""
    model = load_deployable(gbt_closure_xln_dir)
    est = model.estimator
    x, valid = features_from_raw(_moments(gbt_closure_xln_dir), model.feature_names)
    z = est.booster_.predict(est.features_.transform(x[valid]), raw_score=True)
    plan = model.plan()
    np.testing.assert_allclose(run_stages(plan.stages, x[valid])[:, 0], z, rtol=0, atol=1e-12)
    trees = plan.stages[-1]
    assert isinstance(trees, TreeEnsemble) and trees.n_trees == est.n_rounds_


def test_maxent_inversion_matches_the_family() -> None:
    """The fixed-step inversion agrees with the physics family to 1e-12 relative on [0, 0.999],
    through the isotropic and near-saturated limits."""
    from nulearn.flavor.physics.families import get_family

    f = np.concatenate([[0.0, 1e-300, 1e-12, 1e-6, 0.999], np.linspace(0.0, 0.999, 4001)])
    a = maxent_shape_parameter(f)
    ref = get_family("maxent").shape_parameter(f)
    np.testing.assert_allclose(a, ref, rtol=1e-12, atol=0)
    assert a[0] == 0.0


needs_gcc = pytest.mark.skipif(not compiler_available("c"), reason="gcc not installed")


@needs_gcc
def test_c_maxent_inversion_matches_numpy(gbt_closure_eln_dir: Path, tmp_path: Path) -> None:
    """The C helper of a generated header, called directly, gives the NumPy shape parameter."""
    header = tmp_path / "gbt.h"
    export_model(gbt_closure_eln_dir, "c", header, name="g")
    source = tmp_path / "inv.c"
    source.write_text(
        f'#include "{header}"\n'
        "void invert(const double *f, double *a, int n) {\n"
        "  for (int i = 0; i < n; ++i) a[i] = nulearn_maxent_a_(f[i]);\n}\n"
    )
    lib = tmp_path / "inv.so"
    subprocess.run(
        ["gcc", "-O2", "-fPIC", "-shared", str(source), "-o", str(lib), "-lm"], check=True
    )
    f = np.concatenate([[0.0, 1e-300, 1e-9, 0.5, 0.999], np.linspace(0.0, 0.999, 2001)])
    a = np.empty_like(f)
    dptr = ctypes.POINTER(ctypes.c_double)
    ctypes.CDLL(str(lib)).invert(f.ctypes.data_as(dptr), a.ctypes.data_as(dptr), f.size)
    np.testing.assert_allclose(a, maxent_shape_parameter(f), rtol=1e-14, atol=0)


@pytest.mark.parametrize("target", ["c", "cxx", "fortran", "onnx"])
def test_training_domain_hook(target: str, gbt_closure_xln_dir: Path) -> None:
    """Valid cells outside a plan's feature domain get the domain flag in every code target,
    invalid cells keep -1, and probabilities are unchanged."""
    if target != "onnx" and not compiler_available(target):
        pytest.skip(f"no {target} compiler")
    model = load_deployable(gbt_closure_xln_dir)
    moments = _moments(gbt_closure_xln_dir)
    x, valid = features_from_raw(moments, model.feature_names)
    lower = np.quantile(x[valid], 0.05, axis=0)
    upper = np.full(x.shape[1], np.inf)
    plan = replace(model.plan(), domain=FeatureDomain(lower=lower, upper=upper, flag=-3))
    p_ref, flag_ref, _ = evaluate_plan(plan, moments)
    outside = flag_ref == -3
    assert 0.1 < outside.mean() < 0.5 and (flag_ref[~valid] == -1).all()
    if target == "onnx":
        import onnxruntime as ort

        from nulearn.flavor.deploy.onnx_plan import plan_onnx_model

        session = ort.InferenceSession(plan_onnx_model(plan).SerializeToString())
        table = np.stack([moments[k] for k in plan.raw_names], axis=1)
        p, flag = session.run(["p_crossing", "flag"], {"moments": table})
    else:
        p, flag = build_kernel(plan, target)(moments)
    np.testing.assert_array_equal(flag, flag_ref)
    np.testing.assert_allclose(p, p_ref, rtol=0, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("fmt", ["c", "fortran"])
def test_knn_has_no_generated_code(knn_xln_dir: Path, tmp_path: Path, fmt: str) -> None:
    with pytest.raises(ValueError, match="cannot be generated"):
        export_model(knn_xln_dir, fmt, tmp_path / ("knn.h" if fmt == "c" else "knn.f90"))


def test_export_measures_throughput(knn_xln_dir: Path, gbt_xln_dir: Path, tmp_path: Path) -> None:
    """The export reports the measured rate of the written file; KNN says it is slow."""
    knn = export_model(knn_xln_dir, "onnx", tmp_path / "knn.onnx", measure=True)
    assert knn.cells_per_second and knn.cells_per_second > 0 and "SLOW" in knn.speed
    assert "1500 training samples" in knn.speed or "training samples" in knn.speed
    if compiler_available("c"):
        gbt = export_model(gbt_xln_dir, "c", tmp_path / "gbt.h", name="gbt", measure=True)
        assert gbt.cells_per_second and gbt.cells_per_second > knn.cells_per_second
        assert "cells/s on one core" in gbt.speed and "SLOW" not in gbt.speed


def test_cli_export_prints_the_rate(tree_xln_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nulearn.cli import app

    out = tmp_path / "tree.onnx"
    r = CliRunner().invoke(
        app, ["flavor", "export", str(tree_xln_dir), "--format", "onnx", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "cells/s on one core" in r.output and out.exists()


def test_flag_snapshot_runs_the_generated_trees(gbt_closure_xln_dir: Path, tmp_path: Path) -> None:
    """``flag`` uses the generated C kernel for LightGBM (not the Python model) and agrees."""
    import h5py

    from nulearn.flavor.deploy import flag_snapshot
    from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot

    snap = write_synthetic_snapshot(tmp_path / "s.h5", (6, 7), seed=1)
    res = flag_snapshot(snap, gbt_closure_xln_dir, tmp_path / "f.h5", chunk_cells=10)
    if compiler_available("c"):
        assert res.backend == "c"
    model = load_deployable(gbt_closure_xln_dir)
    with h5py.File(snap) as h5, h5py.File(res.out) as out:
        p_ref, flag_ref, _ = model.predict_raw({k: h5[k][...].ravel() for k in model.raw_names})
        np.testing.assert_array_equal(out["flag"][...].ravel(), flag_ref)
        np.testing.assert_allclose(out["p_crossing"][...].ravel(), p_ref, rtol=0, atol=1e-6)
