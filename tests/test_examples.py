"""Every script in examples/ runs at its tiny size, in a fresh process, and prints what it promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(script: str, tmp_path: Path, *args: str, **env: str) -> str:
    """Run ``examples/<script>`` with this checkout's sources; return its stdout.

    The working directory is an empty folder that must stay empty: examples write only to
    their ``--out`` folder or a temporary one (``TMPDIR`` points into ``tmp_path``).
    """
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    environment = {
        **os.environ,
        "PYTHONPATH": path,
        "TMPDIR": str(tmp),
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        **env,
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    assert list(cwd.iterdir()) == [], f"{script} wrote into its working directory"
    return done.stdout


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"no match for {pattern!r} in:\n{text}"
    return float(match.group(1))


def test_every_example_is_tested() -> None:
    scripts = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.py")}
    assert scripts == {"flag_snapshot.py", "export_c/run.py", "cosmo_maps.py", "detector_cvn.py"}


def test_flag_snapshot(tmp_path: Path) -> None:
    out = run_example("flag_snapshot.py", tmp_path, "--tiny", "--out", str(tmp_path / "out"))
    assert "flagged 4,096 cells" in out and "0 invalid" in out
    unstable = _number(r"unstable \(([\d.]+)%\)", out)
    assert 5.0 < unstable < 95.0  # the synthetic snapshot holds stable and unstable regions
    assert (
        _number(r"analytic maxent test on [\d,]+ cells inside the training domain: ([\d.]+)", out)
        > 0.8
    )
    assert (tmp_path / "out" / "flags.h5").is_file()


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("cc") is None or shutil.which("make") is None, reason="needs cc and make"
)
def test_export_c(tmp_path: Path) -> None:
    out = run_example("export_c/run.py", tmp_path, "--tiny", "--out", str(tmp_path / "build"))
    assert "function nulearn_eln" in out
    assert "50 cells (2 invalid)" in out and "flags identical: True" in out
    assert _number(r"max \|p_C - p_Python\| = ([\d.e+-]+)", out) <= 1e-6
    assert (tmp_path / "build" / "main").is_file()


def test_cosmo_maps(tmp_path: Path) -> None:
    out = run_example("cosmo_maps.py", tmp_path, "--tiny")
    assert "200 training and 200 test maps of 32²" in out
    for method in ("power-spectrum likelihood ratio", "peak counts", "Fisher forecast"):
        assert 0.3 < _number(rf"{method}.*accuracy ([\d.]+)", out) <= 1.0


def test_detector_cvn(tmp_path: Path) -> None:
    from nulearn.detector.cvn import default_data_dir

    data = default_data_dir()
    out = run_example("detector_cvn.py", tmp_path, "--tiny", NULEARN_DUNE_CVN=str(data))
    if not data.is_dir():
        assert "DUNE CVN sample not found" in out
        pytest.skip(f"DUNE CVN sample not at {data}; the example exited cleanly")
    assert "loaded 80 events" in out
    assert _number(r"accuracy ([\d.]+) on 20 events", out) > 0.25  # chance level
