"""Ctrl-C during long commands: one line, exit status 130, nothing half-written, and for ``flag``
a partial file that the same command resumes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

# Ctrl-C in a terminal: SIGINT raises KeyboardInterrupt (a child started from a background job
# would otherwise inherit an ignored SIGINT).
NULEARN = [
    sys.executable,
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from nulearn.cli import main; main()",
]


_ANY_PROGRESS = re.compile(rb"%|it/s|cell|sample")
# A bar at 1 % or more: some work is finished (and, for ``flag``, saved) before the interrupt.
_SOME_DONE = re.compile(rb"\b[1-9]\d?%\|")


def _interrupt_after_progress(
    args: list[str],
    cwd: Path,
    timeout: float = 120.0,
    shown: re.Pattern[bytes] = _ANY_PROGRESS,
    settle: float = 0.3,
) -> tuple[int, str]:
    """Start ``nulearn ARGS``, send SIGINT ``settle`` seconds after stderr matches ``shown``,
    return (status, stderr)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.Popen(
        [*NULEARN, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and proc.poll() is None:
        chunk = os.read(proc.stderr.fileno(), 256)
        seen += chunk
        if shown.search(seen):
            break
    assert proc.poll() is None, f"finished before it could be interrupted: {seen!r}"
    time.sleep(settle)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, (seen + err).decode(errors="replace")


def _last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.replace("\r", "\n").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


@pytest.mark.slow
def test_interrupted_generate_leaves_nothing(tmp_path: Path) -> None:
    code, err = _interrupt_after_progress(
        ["flavor", "generate", "--n", "4000000", "--chunk-size", "65536", "--out", "big.parquet"],
        tmp_path,
    )
    assert code == 130, err
    assert _last_line(err) == "nulearn: error: interrupted"
    assert "Traceback" not in err
    assert not list(tmp_path.iterdir()), "a partial output was left behind"


@pytest.mark.slow
def test_interrupted_flag_says_how_to_resume_and_resumes(tmp_path: Path) -> None:
    from nulearn.flavor.data.generate import generate, generation_metadata
    from nulearn.flavor.data.tables import write_dataset
    from nulearn.flavor.deploy import flag_snapshot
    from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot
    from nulearn.flavor.evaluation.files import train_from_table

    table = write_dataset(
        generate("xln", "maxent", 2000, 0),
        tmp_path / "t.parquet",
        generation_metadata("xln", "maxent", 2000, 0),
    )
    model = tmp_path / "lr"
    train_from_table("lr2", table, model, val_fraction=0.0)
    snap = write_synthetic_snapshot(tmp_path / "snap.h5", (96, 96, 96), seed=1)
    args = ["flavor", "flag", str(snap), "--model", str(model), "--out", "flags.h5"]
    args += ["--chunk-cells", "2000", "--threads", "1", "--backend", "python"]
    # work is already saved at 1 %: interrupt at once, long before a fast machine finishes
    code, err = _interrupt_after_progress(args, tmp_path, shown=_SOME_DONE, settle=0.0)
    assert code == 130, err
    last = _last_line(err)
    assert last.startswith("nulearn: error: interrupted") and "rerun the same command" in last
    assert "Traceback" not in err
    with h5py.File(tmp_path / "flags.h5") as h5:
        assert not h5.attrs.get("complete", False)
        done = h5["_progress/done"][...]
        assert 0 < done.sum() < done.size
    finished = subprocess.run(
        [*NULEARN, *args, "--no-progress"], cwd=tmp_path, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert "resumed" in finished.stdout
    fresh = flag_snapshot(snap, model, tmp_path / "fresh.h5", chunk_cells=2000, backend="python")
    with h5py.File(tmp_path / "flags.h5") as a, h5py.File(fresh.out) as b:
        np.testing.assert_array_equal(a["flag"][...], b["flag"][...])
        assert a.attrs["complete"]
