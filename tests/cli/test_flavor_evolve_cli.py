"""``nulearn flavor evolve`` end to end at a tiny resolution: outputs, resumption, refusals, Dask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.physics.fast_flavor_batch import evolve_many

TINY = ("--n-mu", 8, "--n-z", 32, "--box-length", 40, "--dt", 0.2, "--t-max", 200, "--workers", 1)
CELLS = pd.DataFrame(
    {
        "alpha": [0.9, 0.5, 1.2, 0.8],
        "F_nue": [0.1, 0.2, 0.1, 0.3],
        "F_nuebar": [0.4, 0.3, 0.5, 0.5],
    }
)


def _table(tmp_path: Path, frame: pd.DataFrame = CELLS, name: str = "cells.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_evolve_writes_moments_survival_and_figures(nulearn: Callable, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = nulearn(
        "flavor", "evolve", _table(tmp_path), "--out", out, *TINY, "--chunk-size", 2,
        "--figures", 2, "--no-progress",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "4 configurations, 3 with a crossing evolved" in res.stdout
    table = pd.read_parquet(out / "asymptotic.parquet")
    assert table["row"].tolist() == [0, 1, 2, 3]
    assert len(table["survival"].iloc[0]) == 8
    # the lepton number is conserved, the unstable cells mix, the stable one (row 1) does not
    assert (table["eln_xln_number_after"] - table["eln_xln_number_before"]).abs().max() < 1e-8
    assert (table.loc[[0, 2, 3], "n_nue_after"] < 1.0).all()
    assert table.loc[1, "n_nue_after"] == pytest.approx(1.0)
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "config0_angular.png",
        "config1_angular.png",
    ]


def test_rerun_solves_only_missing_chunks(nulearn: Callable, tmp_path: Path) -> None:
    out, table = tmp_path / "run", _table(tmp_path)
    args = ("flavor", "evolve", table, "--out", out, *TINY, "--chunk-size", 2, "--no-progress")
    assert nulearn(*args).exit_code == 0
    first = pd.read_parquet(out / "asymptotic.parquet")
    (out / "chunks" / "part-000000002.parquet").unlink()  # as if interrupted before this chunk
    res = nulearn(*args)
    assert res.exit_code == 0, res.output
    assert "(2 resumed)" in res.stdout
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "asymptotic.parquet").drop(columns="seconds"),
        first.drop(columns="seconds"),
    )


def test_single_configuration_from_the_command_line(nulearn: Callable, tmp_path: Path) -> None:
    res = nulearn(
        "flavor", "evolve", "--moments", "n_nue=1,F_nue=0.1,n_nuebar=0.9,F_nuebar=0.4",
        "--out", tmp_path / "one", *TINY, "--no-progress",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "n_nue: 1 -> 0.5" in res.stdout


def test_interrupt_says_how_to_resume(tmp_path: Path) -> None:
    def interrupt(n: int) -> None:
        raise KeyboardInterrupt

    cfg = EvolveConfig(n_mu=8, n_z=32, box_length=40.0, t_end=20.0, dt=0.2)
    with pytest.raises(KeyboardInterrupt, match="rerun the same command to resume"):
        evolve_many(CELLS, "maxent", cfg, out=tmp_path, n_jobs=1, chunk_size=2, on_chunk=interrupt)
    assert len(list(tmp_path.glob("part-*.parquet"))) == 1


@pytest.mark.parametrize(
    ("frame", "extra", "message"),
    [
        (CELLS.rename(columns={"alpha": "a"}), (), "cells.csv: feature table lacks columns"),
        (CELLS.assign(F_nue=[0.1, 1.5, 0.1, 0.3]), (), "'F_nue' must be"),
        (CELLS, ("--scheduler", "tcp://127.0.0.1:9"), "cannot reach the Dask scheduler"),
        (CELLS, ("--moments", "alpha=1"), "either a TABLE or --moments"),
        (CELLS.iloc[:0], (), "no rows"),
    ],
)
def test_bad_inputs_are_refused_in_one_line_before_any_work(
    nulearn: Callable, tmp_path: Path, frame: pd.DataFrame, extra: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "run"
    res = nulearn("flavor", "evolve", _table(tmp_path, frame), "--out", out, *TINY, *extra)
    assert res.exit_code == 2
    assert message in res.stderr and res.stderr.count("\n") == 1, res.stderr
    assert not (out / "chunks").exists()


def test_bad_moments_option_is_refused(nulearn: Callable, tmp_path: Path) -> None:
    res = nulearn("flavor", "evolve", "--moments", "alpha=x", "--out", tmp_path / "r", *TINY)
    assert res.exit_code == 2 and "is not a number" in res.stderr


@pytest.mark.slow
def test_local_dask_cluster_matches_the_process_pool(nulearn: Callable, tmp_path: Path) -> None:
    table = _table(tmp_path)
    for name, extra in (("dask", ("--scheduler", "local")), ("pool", ())):
        res = nulearn(
            "flavor", "evolve", table, "--out", tmp_path / name, *TINY, "--chunk-size", 2,
            "--no-progress", *extra,
        )  # fmt: skip
        assert res.exit_code == 0, res.output
    dask = pd.read_parquet(tmp_path / "dask" / "asymptotic.parquet")
    pool = pd.read_parquet(tmp_path / "pool" / "asymptotic.parquet")
    pd.testing.assert_series_equal(dask["n_nue_after"], pool["n_nue_after"], rtol=1e-12)


def test_profiles_are_carried_and_the_output_folder_trains_a_closure(
    nulearn: Callable, tmp_path: Path
) -> None:
    """Transport cells keep their ``profile`` through ``evolve``, and ``closure train`` reads
    the folder ``evolve`` wrote (split by profile)."""
    cells = pd.DataFrame(
        {
            "profile": [7, 7, 9, 9, 4, 4],
            "alpha": [0.9, 0.8, 1.2, 0.95, 0.85, 1.1],
            "alpha_x": [0.5, 0.6, 0.4, 0.5, 0.5, 0.45],
            "alpha_xbar": [0.5, 0.6, 0.4, 0.5, 0.5, 0.45],
            "F_nue": [0.1, 0.3, 0.1, 0.2, 0.15, 0.1],
            "F_nuebar": [0.4, 0.5, 0.5, 0.45, 0.4, 0.45],
            "F_nux": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
            "F_nuxbar": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        }
    )
    out = tmp_path / "run"
    res = nulearn("flavor", "evolve", _table(tmp_path, cells), "--out", out, *TINY, "--no-progress")
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "asymptotic.parquet")
    assert table["profile"].tolist() == cells["profile"].tolist()
    assert table["saturated"].sum() >= 3
    res = nulearn(
        "flavor", "closure", "train", "--solver", out, "--out", tmp_path / "closure",
        "--hidden", "4", "--pretrain-rows", "0", "--finetune-epochs", "5", "--test-fraction", "0.4",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "ratio" in res.stdout
