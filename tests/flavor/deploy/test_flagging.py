"""``flag_snapshot`` and ``nulearn flavor flag``: grids of any rank, mapping, resumability, Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

from nulearn import __version__
from nulearn.cli import app
from nulearn.flavor.deploy import flag_snapshot, load_deployable
from nulearn.flavor.deploy.snapshot import RAW_MOMENTS, write_synthetic_snapshot
from nulearn.flavor.deploy.toolchain import compiler_available


def _flag(*args: Any, **kwargs: Any) -> Any:
    """``flag_snapshot``; the synthetic snapshots carry nu_x moments that the ELN test models ignore."""
    return flag_snapshot(*args, ignore_heavy_leptons=True, **kwargs)


def _reference(snapshot: Path, model_dir: Path, mapping: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    model = load_deployable(model_dir)
    layout = {name: f"/{name}" for name in RAW_MOMENTS} | (mapping or {})
    with h5py.File(snapshot) as h5:
        raw = {k: h5[layout[k]][...].ravel() for k in model.raw_names}
        shape = h5[layout["n_nue"]].shape
    p, flag, valid = model.predict_raw(raw)
    return p.reshape(shape), flag.reshape(shape), valid.reshape(shape)


def _assert_flags_equal(out: Path, ref) -> None:  # type: ignore[no-untyped-def]
    p_ref, flag_ref, valid_ref = ref
    with h5py.File(out) as h5:
        assert h5["p_crossing"].shape == p_ref.shape
        np.testing.assert_array_equal(h5["flag"][...], flag_ref)
        np.testing.assert_array_equal(h5["valid"][...], valid_ref)
        np.testing.assert_allclose(h5["p_crossing"][...], p_ref, rtol=0, atol=1e-6, equal_nan=True)
        assert bool(h5.attrs["complete"]) and h5["_progress/done"][...].all()


@pytest.mark.parametrize(
    ("shape", "backend"), [((37,), "python"), ((9, 11), "onnx"), ((5, 6, 7), "auto")]
)
def test_flag_any_grid_rank(
    shape: tuple[int, ...], backend: str, lr_eln_dir: Path, tmp_path: Path
) -> None:
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", shape, seed=3)
    with h5py.File(snap, "r+") as h5:  # corrupt a few cells: they must come out as -1
        n = h5["n_nuebar"][...]
        n.flat[[0, 5]] = [np.nan, -1.0]
        h5["n_nuebar"][...] = n
    res = _flag(snap, lr_eln_dir, tmp_path / "flags.h5", chunk_cells=17, backend=backend)
    assert res.shape == shape and res.n_blocks > 1 and res.n_invalid == 2
    if backend == "auto" and compiler_available("c"):
        assert res.backend == "c"
    ref = _reference(snap, lr_eln_dir)
    _assert_flags_equal(res.out, ref)
    with h5py.File(res.out) as h5:
        model = load_deployable(lr_eln_dir)
        assert h5.attrs["model_card_sha256"] == model.card_hash
        assert h5.attrs["nulearn_version"] == __version__
        assert h5.attrs["input_file"] == str(snap.resolve())
        assert h5["flag"].dtype == np.int8


def test_mapping_and_typo(lr_xln_dir: Path, tmp_path: Path) -> None:
    """Other codes' dataset names are mapped; a wrong name lists what the file holds."""
    shape = (12, 10)
    snap = tmp_path / "code.h5"
    src = write_synthetic_snapshot(tmp_path / "std.h5", shape)
    mapping = {name: f"/fluid/{name.replace('n_', 'dens_')}" for name in RAW_MOMENTS}
    with h5py.File(src) as a, h5py.File(snap, "w") as b:
        for name in RAW_MOMENTS:
            b.create_dataset(mapping[name], data=a[name][...].astype(np.float32))
    res = _flag(snap, lr_xln_dir, tmp_path / "f.h5", mapping=mapping, chunk_cells=50)
    _assert_flags_equal(res.out, _reference(snap, lr_xln_dir, mapping))
    runner = CliRunner()
    bad = runner.invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(lr_xln_dir),
            "--out",
            str(tmp_path / "g.h5"),
            "--map",
            "n_nue=/fluid/dens_neu",
        ],
    )
    assert bad.exit_code != 0
    assert "/fluid/dens_neu" in str(bad.exception) and "/fluid/dens_nue" in str(
        bad.exception
    )  # the typo and what is there
    assert (
        runner.invoke(
            app,
            [
                "flavor",
                "flag",
                str(snap),
                "--model",
                str(lr_xln_dir),
                "--out",
                "x.h5",
                "--map",
                "n_nu=/a",
            ],
        ).exit_code
        != 0
    )


def test_resume_after_interrupt(lr_eln_dir: Path, tmp_path: Path) -> None:
    """An interrupted run continues where it stopped; results equal an uninterrupted run."""
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (20, 30))
    out = tmp_path / "flags.h5"

    def stop_after_three(n_done: int) -> None:
        if n_done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _flag(
            snap,
            lr_eln_dir,
            out,
            chunk_cells=60,
            backend="python",
            threads=1,
            on_block=stop_after_three,
        )
    with h5py.File(out) as h5:
        assert int(h5["_progress/done"][...].sum()) == 3 and not h5.attrs["complete"]
    res = _flag(snap, lr_eln_dir, out, chunk_cells=60, backend="python")
    assert res.n_blocks == 10 and res.n_blocks_run == 7
    _assert_flags_equal(out, _reference(snap, lr_eln_dir))
    # a finished file is not recomputed; a different run refuses to reuse it
    assert _flag(snap, lr_eln_dir, out, chunk_cells=60).n_blocks_run == 0
    with pytest.raises(ValueError, match="--overwrite"):
        _flag(snap, lr_eln_dir, out, chunk_cells=61)


def test_resume_after_kill(lr_eln_dir: Path, tmp_path: Path) -> None:
    """A process killed with SIGKILL mid-run leaves a file that the next run completes."""
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (16, 8, 8))
    out = tmp_path / "flags.h5"
    script = textwrap.dedent(
        f"""
        import os, signal
        from nulearn.flavor.deploy import flag_snapshot
        def die(n):
            if n == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        flag_snapshot({str(snap)!r}, {str(lr_eln_dir)!r}, {str(out)!r}, ignore_heavy_leptons=True, chunk_cells=128, backend="python", threads=1, on_block=die)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    res = _flag(snap, lr_eln_dir, out, chunk_cells=128, backend="python")
    assert res.n_blocks == 8 and res.n_blocks_run == 6
    _assert_flags_equal(out, _reference(snap, lr_eln_dir))


def test_flag_on_local_dask_cluster(lr_eln_dir: Path, tmp_path: Path) -> None:
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (24, 25))
    res = _flag(
        snap,
        lr_eln_dir,
        tmp_path / "flags.h5",
        chunk_cells=100,
        dask="local",
        dask_workers=1,
        backend="python",
    )
    assert res.n_blocks_run == res.n_blocks == 6
    _assert_flags_equal(res.out, _reference(snap, lr_eln_dir))


def test_cli_snapshot_flag_export(lr_eln_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    snap = tmp_path / "demo.h5"
    r = runner.invoke(
        app, ["flavor", "snapshot", "--shape", "6", "5", "4", "--out", str(snap), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    with h5py.File(snap) as h5:
        assert set(RAW_MOMENTS) <= set(h5) and h5["F_nux"].shape == (6, 5, 4)
    r = runner.invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(lr_eln_dir),
            "--out",
            str(tmp_path / "f.h5"),
            "--no-progress",
            "--chunk-cells",
            "40",
            "--ignore-heavy-leptons",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "120 cells" in r.output
    _assert_flags_equal(tmp_path / "f.h5", _reference(snap, lr_eln_dir))
    for fmt, suffix in (("c", "h"), ("fortran", "f90"), ("onnx", "onnx")):
        r = runner.invoke(
            app,
            [
                "flavor",
                "export",
                str(lr_eln_dir),
                "--format",
                fmt,
                "--out",
                str(tmp_path / f"lr.{suffix}"),
            ],
        )
        assert r.exit_code == 0, r.output
        assert (tmp_path / f"lr.{suffix}").stat().st_size > 0
    r = runner.invoke(
        app, ["flavor", "snapshot", "--shape", "2", "2", "2", "2", "--out", str(tmp_path / "x.h5")]
    )
    assert r.exit_code != 0
