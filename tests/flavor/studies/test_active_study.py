"""Active learning on the fast-flavor solver: the solver cache, the study and ``nulearn flavor active``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.studies.active.run import TARGETS
from nulearn.flavor.studies.active.solver import SolverCache

TINY = EvolveConfig(n_mu=8, n_z=32, box_length=40.0, t_end=60.0, dt=0.2)
CELLS = pd.DataFrame(
    {"alpha": [0.9, 1.2, 0.8], "F_nue": [0.1, 0.1, 0.3], "F_nuebar": [0.4, 0.5, 0.5]}
)


def test_cache_solves_each_row_once_and_remembers_on_disk(tmp_path: Path) -> None:
    with SolverCache("maxent", TINY, tmp_path, n_jobs=1) as cache:
        first = cache.solve(pd.concat([CELLS, CELLS.iloc[:1]], ignore_index=True))
        assert cache.n_solved == 3
        assert first["n_nue_after"].iloc[0] == first["n_nue_after"].iloc[3]
    with SolverCache("maxent", TINY, tmp_path, n_jobs=1) as again:
        second = again.solve(CELLS.iloc[::-1])
        assert again.n_solved == 0
    assert second["n_nue_after"].tolist() == first["n_nue_after"].iloc[:3].tolist()[::-1]
    # another resolution is another key: nothing is reused
    with SolverCache("maxent", EvolveConfig(n_mu=8, n_z=32, t_end=30.0), tmp_path, 1) as other:
        other.solve(CELLS.iloc[:1])
        assert other.n_solved == 1


def test_active_command_writes_report_and_curves(nulearn: Callable, tmp_path: Path) -> None:
    out = tmp_path / "active"
    res = nulearn(
        "flavor", "active", "--out", out, "--budget", 12, "--batch", 4, "--initial", 4,
        "--pool", 60, "--test", 6, "--seeds", 1, "--members", 3, "--workers", 1,
        "--n-mu", 8, "--n-z", 32, "--t-max", 100, "--cache", tmp_path / "cache", "--no-progress",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "held-out MAE active" in res.stdout
    curves = pd.read_csv(out / "curves.csv")
    assert sorted(curves["strategy"].unique()) == ["active", "random"]
    assert curves.groupby("strategy")["n_labels"].apply(list).tolist() == [[4, 8, 12]] * 2
    assert {f"error_{t}" for t in TARGETS} <= set(curves.columns)
    assert (out / "figures" / "error_vs_runs.png").is_file()
    assert "Active selection reaches" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--budget", 50, "--pool", 20), "budget (50) <= pool (20)")],
)
def test_active_refuses_bad_sizes(
    nulearn: Callable, tmp_path: Path, args: tuple[object, ...], message: str
) -> None:
    res = nulearn("flavor", "active", "--out", tmp_path / "a", *args)
    assert res.exit_code == 2 and message in res.stderr
    assert not (tmp_path / "a").exists()
