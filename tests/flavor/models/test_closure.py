"""The learned asymptotic closure: exact conservation, realizability, persistence, fitting,
scoring, the generated C against NumPy, and the CLI."""

from __future__ import annotations

import ctypes
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.deploy.closure_codegen import (
    CLOSURE_OUT_NAMES,
    TILE,
    closure_reference,
    generate_closure_c,
)
from nulearn.flavor.deploy.closure_fortran import generate_closure_fortran
from nulearn.flavor.deploy.fortran_arrays import fortran_literal, wrap
from nulearn.flavor.deploy.toolchain import compile_shared, compiler_available
from nulearn.flavor.evaluation.closure import (
    CLOSURE_NAME,
    conservation_error,
    load_solver_rows,
    score_closure,
    split_rows,
)
from nulearn.flavor.models.closure import (
    CLOSURE_INPUTS,
    ClosureModel,
    _torch_rebuild,
    fit_closure,
    moments_before,
    rebuild_moments,
)
from nulearn.flavor.physics.species import SPECIES
from nulearn.ml.domain import TrainingDomain

ROWS = Path(__file__).parents[2] / "fixtures" / "closure" / "solver_rows.parquet"


def _cells(n: int, seed: int = 0) -> pd.DataFrame:
    from nulearn.flavor.data.sampling import sample_features

    return pd.DataFrame(sample_features("xln", n, np.random.default_rng(seed)))


def test_any_logits_conserve_exactly_and_stay_realizable() -> None:
    cells = _cells(200)
    before = moments_before(cells)
    logits = np.random.default_rng(1).normal(0.0, 8.0, (200, 3))
    after = rebuild_moments(before, logits)
    for e, x in (("nue", "nux"), ("nuebar", "nuxbar")):
        total = before[f"n_{e}"] + before[f"n_{x}"]
        np.testing.assert_allclose(after[f"n_{e}"] + after[f"n_{x}"], total, atol=1e-13)
        flux = before[f"j_{e}"] + before[f"j_{x}"]
        np.testing.assert_allclose(after[f"j_{e}"] + after[f"j_{x}"], flux, atol=1e-13)
    pred = pd.DataFrame({k: v for k, v in after.items() if not k.startswith("j_")})
    assert conservation_error(cells, pred) < 1e-12
    for s in SPECIES:
        assert (after[f"n_{s}"] >= -1e-15).all()
        assert (np.abs(after[f"j_{s}"]) <= after[f"n_{s}"] + 1e-12).all()


def test_torch_twin_matches_numpy() -> None:
    import torch

    cells = _cells(50, seed=2)
    before = moments_before(cells)
    logits = np.random.default_rng(3).normal(size=(50, 3))
    a = rebuild_moments(before, logits)
    b = _torch_rebuild({k: torch.tensor(v) for k, v in before.items()}, torch.tensor(logits))
    for k, v in b.items():
        np.testing.assert_allclose(v.numpy(), a[k], atol=1e-14)


def test_save_load_roundtrip_and_refusals(tmp_path: Path) -> None:
    model = ClosureModel.untrained((4,))
    model.save(tmp_path / "c")
    back = ClosureModel.load(tmp_path / "c")
    cells = _cells(20)
    pd.testing.assert_frame_equal(model.predict(cells), back.predict(cells))
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a nulearn closure"):
        ClosureModel.load(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        ClosureModel.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="alpha"):
        model.predict(cells.assign(alpha=-1.0))


def test_fit_improves_on_the_untrained_closure_and_scores_beside_prescriptions() -> None:
    rows = load_solver_rows([ROWS])
    split = split_rows(rows, 0.25, seed=0)
    train, test = rows.iloc[split.train], rows.iloc[split.val]
    model = fit_closure(
        train, (8,), pretrain_rows=0, finetune_epochs=200, finetune_learning_rate=0.02
    )
    assert model.domain is not None
    fitted = np.abs(model.predict(train)["n_nue"] - train["n_nue_after"]).mean()
    untrained = np.abs(ClosureModel.untrained((8,)).predict(train)["n_nue"] - train["n_nue_after"])
    assert fitted < 0.3 * untrained.mean()
    table = score_closure(model, test, n_mu=8, prescriptions=("no_mixing", "box"))
    assert set(table["prescription"]) == {"no_mixing", "box", CLOSURE_NAME}
    closure = table[table.prescription == CLOSURE_NAME].set_index("quantity")["mae"]
    assert closure["eln_xln_number"] < 1e-9  # conserved (the solver to ~1e-11)


def _domain_model() -> ClosureModel:
    base = ClosureModel.untrained((6, 5), seed=4)
    x = _cells(400, seed=5)[list(CLOSURE_INPUTS)].to_numpy()
    domain = TrainingDomain.fit(x, CLOSURE_INPUTS, n_components=2).to_dict()
    return ClosureModel(base.mean, base.scale, base.weights, base.biases, domain)


def _raw_moments(n: int = 64) -> dict[str, np.ndarray]:
    """Raw moments of ``n`` cells in a unit far from n_nue = 1, with cell 3 and 5 invalid and
    cell 7 far outside the training domain of :func:`_domain_model`."""
    cells = _cells(n, seed=6)
    scale = np.linspace(0.5, 3e4, n)  # densities in any unit
    moments = {"n_nue": scale}
    for s in SPECIES[1:]:
        moments[f"n_{s}"] = (
            cells[{"nuebar": "alpha", "nux": "alpha_x", "nuxbar": "alpha_xbar"}[s]].to_numpy()
            * scale
        )
    for s in SPECIES:
        moments[f"F_{s}"] = cells[f"F_{s}"].to_numpy().copy()
    moments["F_nux"][3] = 1.2  # invalid
    moments["n_nuebar"][5] = np.nan  # invalid
    moments["n_nux"][7] *= 50.0  # far outside the training domain
    return moments


def _call_closure(lib: ctypes.CDLL, moments: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Call ``nulearn_closure`` of a shared library (C header or Fortran module) on ``moments``."""
    n = moments["n_nue"].size
    order = ["n_nue", "n_nuebar", "n_nux", "n_nuxbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
    inputs = [np.ascontiguousarray(moments[k], dtype=np.float64) for k in order]
    outs = {name: np.empty(n) for name in CLOSURE_OUT_NAMES}
    status = np.empty(n, dtype=np.int8)
    ptr = ctypes.POINTER(ctypes.c_double)
    lib.nulearn_closure(
        *(a.ctypes.data_as(ptr) for a in inputs),
        ctypes.c_int64(n),
        *(outs[name].ctypes.data_as(ptr) for name in CLOSURE_OUT_NAMES),
        status.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
    )
    return {**outs, "status": status}


def _assert_matches_reference(
    got: dict[str, np.ndarray], model: ClosureModel, moments: dict[str, np.ndarray]
) -> None:
    ref = closure_reference(model, moments)
    np.testing.assert_array_equal(got["status"], ref["status"])
    assert got["status"][3] == -1 and got["status"][5] == -1
    assert got["status"][7] not in (0, -1) and (got["status"] == 0).sum() >= got["status"].size // 2
    for name in CLOSURE_OUT_NAMES:
        np.testing.assert_allclose(
            got[name], ref[name], rtol=1e-9, atol=1e-9 * moments["n_nue"].max()
        )
        assert np.isnan(got[name][[3, 5]]).all() and np.isfinite(got[name][7])


@pytest.mark.skipif(not compiler_available("c"), reason="gcc not installed")
def test_generated_c_matches_numpy(tmp_path: Path) -> None:
    """Whole tiles of cells, a short last tile and a call shorter than one tile."""
    model = _domain_model()
    header = tmp_path / "closure.h"
    header.write_text(generate_closure_c(model))
    lib = ctypes.CDLL(str(compile_shared(header, tmp_path / "libclosure.so", "c")))
    for n in (2 * TILE, 2 * TILE + 13, 9):
        moments = _raw_moments(n)
        _assert_matches_reference(_call_closure(lib, moments), model, moments)
    empty = {k: v[:0] for k, v in _raw_moments(8).items()}
    assert all(v.size == 0 for v in _call_closure(lib, empty).values())


@pytest.mark.skipif(not compiler_available("fortran"), reason="gfortran not installed")
def test_generated_fortran_matches_numpy(tmp_path: Path) -> None:
    """The Fortran module called through its bind(C) interface, as a C code calls it."""
    model = _domain_model()
    moments = _raw_moments()
    source = tmp_path / "nulearn_closure.f90"
    source.write_text(generate_closure_fortran(model))
    lib = ctypes.CDLL(str(compile_shared(source, tmp_path / "libclosuref.so", "fortran")))
    _assert_matches_reference(_call_closure(lib, moments), model, moments)


@pytest.mark.skipif(not compiler_available("fortran"), reason="gfortran not installed")
def test_cli_fortran_export_in_a_fortran_program(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``closure export --format fortran`` used by a Fortran program (no C in between)."""
    model = _domain_model()
    model.save(tmp_path / "c")
    res = nulearn("flavor", "closure", "export", tmp_path / "c", "--out", tmp_path / "out",
                  "--format", "fortran")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    source = tmp_path / "out" / "nulearn_closure.f90"
    assert res.stdout.strip() == f"wrote {source}"
    moments = _raw_moments(8)
    order = ["n_nue", "n_nuebar", "n_nux", "n_nuxbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
    lines = [
        "program main",
        "  use, intrinsic :: iso_c_binding, only: c_double, c_int8_t, c_int64_t",
        "  use, intrinsic :: ieee_arithmetic, only: ieee_value, ieee_quiet_nan",
        "  use nulearn_closure_mod",
        "  implicit none",
        "  real(c_double) :: inp(8, 8), outp(8, 8)",
        "  integer(c_int8_t) :: status(8)",
        "  integer :: i",
    ]
    for k, name in enumerate(order):
        values = np.nan_to_num(moments[name], nan=1.0)  # the NaN cell is set below
        items = [fortran_literal(float(v)) for v in values]
        lines.append(wrap(f"  inp(:, {k + 1}) = [ &\n      ", items) + " ]")
    lines += [
        "  inp(6, 2) = ieee_value(inp(6, 2), ieee_quiet_nan)",
        "  call nulearn_closure(inp(:, 1), inp(:, 2), inp(:, 3), inp(:, 4), inp(:, 5), &",
        "    inp(:, 6), inp(:, 7), inp(:, 8), 8_c_int64_t, outp(:, 1), outp(:, 2), &",
        "    outp(:, 3), outp(:, 4), outp(:, 5), outp(:, 6), outp(:, 7), outp(:, 8), status)",
        "  do i = 1, 8",
        "    print '(8es26.17e3, i4)', outp(i, :), status(i)",
        "  end do",
        "end program main",
    ]
    (tmp_path / "main.f90").write_text("\n".join(lines) + "\n")
    exe = tmp_path / "main"
    subprocess.run(
        ["gfortran", "-O2", "-J", str(tmp_path), str(source), str(tmp_path / "main.f90"),
         "-o", str(exe)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    rows = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    table = np.array([[float(v) for v in row.split()] for row in rows.splitlines()])
    got = {name: table[:, j] for j, name in enumerate(CLOSURE_OUT_NAMES)}
    _assert_matches_reference({**got, "status": table[:, 8].astype(np.int8)}, model, moments)


def test_cli_train_evaluate_and_refusals(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "closure"
    res = nulearn(
        "flavor",
        "closure",
        "train",
        "--solver",
        ROWS,
        "--out",
        out,
        "--hidden",
        "6",
        "--pretrain-rows",
        "200",
        "--pretrain-epochs",
        "60",
        "--finetune-epochs",
        "20",
        "--n-mu",
        "8",
    )
    assert res.exit_code == 0, res.stderr
    assert "learned_closure" in res.stdout and "ratio" in res.stdout
    assert (out / "closure.json").is_file()
    res = nulearn(
        "flavor",
        "closure",
        "evaluate",
        out,
        "--solver",
        ROWS,
        "--n-mu",
        "8",
        "--out",
        tmp_path / "t.csv",
    )
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "t.csv").is_file()
    res = nulearn(
        "flavor", "closure", "train", "--solver", tmp_path / "nope", "--out", tmp_path / "c2"
    )
    assert res.exit_code == 2 and "do not exist" in res.stderr
    res = nulearn(
        "flavor", "closure", "train", "--solver", ROWS, "--out", tmp_path / "c3", "--hidden", "a"
    )
    assert res.exit_code == 2 and "--hidden" in res.stderr


def test_torchscript_and_onnx_match_numpy(tmp_path: Path) -> None:
    import onnxruntime as ort
    import torch

    from nulearn.flavor.deploy.closure_torch import RAW_COLUMNS, export_closure

    model = _domain_model()
    model.save(tmp_path / "c")
    paths = export_closure(tmp_path / "c", tmp_path / "out", ("onnx", "torchscript"))
    cells = _cells(32, seed=8)
    moments = {
        "n_nue": np.full(32, 2.0),
        "n_nuebar": 2.0 * cells["alpha"].to_numpy(),
        "n_nux": 2.0 * cells["alpha_x"].to_numpy(),
        "n_nuxbar": 2.0 * cells["alpha_xbar"].to_numpy(),
    } | {f"F_{s}": cells[f"F_{s}"].to_numpy().copy() for s in SPECIES}
    moments["F_nue"][2] = -0.1  # invalid
    moments["n_nux"][4] *= 80.0  # outside the training domain
    ref = closure_reference(model, moments)
    expected = np.stack([ref[f"{c}_out"] for c in RAW_COLUMNS], axis=1)
    x = np.stack([moments[c] for c in RAW_COLUMNS], axis=1)
    scripted = torch.jit.load(str(paths[1]))
    out, status = scripted(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(status.numpy(), ref["status"])
    session = ort.InferenceSession(str(paths[0]))
    out, status = session.run(None, {"moments": x})
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(status, ref["status"])
    assert ref["status"][2] == -1 and ref["status"][4] not in (0, -1)


def test_profiles_may_be_names_but_not_missing(tmp_path: Path) -> None:
    """Transport rows carry their profile as a number or a name; the split only needs equality."""
    frame = pd.read_parquet(ROWS)
    named = frame.assign(profile=np.where(np.arange(len(frame)) % 2 == 0, "s15-a", "s20-b"))
    named.to_parquet(tmp_path / "named.parquet")
    rows = load_solver_rows([tmp_path / "named.parquet"], saturated_only=False)
    assert rows["profile"].nunique() == 2 and rows["profile"].dtype == np.int64
    named.loc[named.index[3], "profile"] = None
    named.to_parquet(tmp_path / "gap.parquet")
    with pytest.raises(ValueError, match=r"profile is missing in 1 rows \(first: row 3\)"):
        load_solver_rows([tmp_path / "gap.parquet"])


def test_an_edited_closure_is_refused(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A weight, a standardization or the training domain changed after saving: the closure is no
    longer what was trained and scored, so every command refuses it in one line."""
    import json

    ClosureModel.untrained((4,)).save(tmp_path / "c")
    file = tmp_path / "c" / "closure.json"
    data = json.loads(file.read_text())
    data["weights"][0][0][0] += 0.5
    file.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="does not match its sha256"):
        ClosureModel.load(tmp_path / "c")
    res = nulearn("flavor", "closure", "export", tmp_path / "c", "--out", tmp_path / "x")
    assert res.exit_code == 2 and not (tmp_path / "x").exists()
    line = res.stderr.strip()
    assert line.startswith(f"nulearn: error: {file}: content does not match its sha256")
    del data["sha256"]
    file.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="saved without one"):
        ClosureModel.load(file)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f: f.assign(F_nue=f["F_nue"].where(f.index != 4, np.nan)),
            r"'F_nue'.*row 4 has nan",
        ),
        (
            lambda f: f.assign(alpha_x=f["alpha_x"].where(f.index != 2, -1.0)),
            r"'alpha_x'.*row 2 has -1",
        ),
        (lambda f: f.assign(F_nux=f["F_nux"].where(f.index != 1, 1.0)), r"'F_nux'.*row 1 has 1"),
    ],
)
def test_bad_solver_rows_are_refused_naming_file_and_file_row(
    tmp_path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    """The row is the file's (before unsaturated rows are dropped), the file is named."""
    path = tmp_path / "rows.parquet"
    edit(pd.read_parquet(ROWS)).to_parquet(path)
    with pytest.raises(ValueError, match=rf"^solver rows {path}: feature {message}"):
        load_solver_rows([path])


def test_a_file_that_is_not_parquet_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    path.write_bytes(ROWS.read_bytes()[:300])
    with pytest.raises(ValueError, match=rf"^solver rows {path}: not a readable Parquet file"):
        load_solver_rows([path])
