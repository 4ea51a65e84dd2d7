"""Every benchmark script runs at its ``--smoke`` size, in a fresh process, and writes nothing.

The default sizes take minutes to hours; the smoke size exercises the same code paths (data,
training, timing, printing) in seconds, so that a benchmark cannot rot between measurements.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
PILLARS = ("flavor", "cosmo", "detector")
# Smoke runs above ~15 s on a shared 2-core machine (compilers, CAMB, several trainings).
SLOW = {
    "flavor/bench_active.py",
    "flavor/bench_closure.py",
    "flavor/bench_deploy.py",
    "flavor/bench_growth.py",
    "cosmo/bench_cnn.py",
    "cosmo/bench_regression.py",
    "detector/bench_cvn.py",
    "detector/bench_detector_graph.py",
    "detector/bench_tpc.py",
}
SCRIPTS = sorted(p.relative_to(BENCHMARKS).as_posix() for p in BENCHMARKS.rglob("bench_*.py"))


def test_benchmarks_are_grouped_by_pillar() -> None:
    assert SCRIPTS and all(s.split("/")[0] in PILLARS and s.count("/") == 1 for s in SCRIPTS)
    assert SLOW <= set(SCRIPTS)


@pytest.mark.parametrize(
    "script", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in SCRIPTS]
)
def test_smoke_run(script: str, tmp_path: Path) -> None:
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "TMPDIR": str(tmp),
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
    }
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--smoke"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{script} --smoke failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{script} --smoke printed nothing"
    # Default output paths are relative (reports/...): a smoke run must not create them.
    assert list(cwd.iterdir()) == [], f"{script} --smoke wrote into its working directory"
