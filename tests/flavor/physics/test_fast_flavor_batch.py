"""Many solves: chunked output, resumption after an interruption, the process pool, input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.physics.fast_flavor_batch import MANIFEST, evolve_many, read_table

TINY = EvolveConfig(n_mu=8, n_z=32, box_length=40.0, t_relax=40.0, relax_growth_times=10.0, dt=0.2)


def _cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alpha": [0.9, 0.5, 1.2, 0.8, 1.1],
            "F_nue": [0.1, 0.2, 0.1, 0.3, 0.05],
            "F_nuebar": [0.4, 0.3, 0.5, 0.5, 0.3],
        }
    )


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_table(tmp_path: Path) -> None:
    out = tmp_path / "run"

    def stop_after_two(n: int) -> None:
        if n == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        evolve_many(
            _cells(), "maxent", TINY, out=out, n_jobs=1, chunk_size=2, on_chunk=stop_after_two
        )
    assert len(list(out.glob("part-*.parquet"))) == 2
    finished: list[int] = []
    resumed = evolve_many(
        _cells(), "maxent", TINY, out=out, n_jobs=1, chunk_size=2, on_chunk=finished.append
    )
    assert finished == [1]  # only the missing chunk ran
    fresh = evolve_many(_cells(), "maxent", TINY, n_jobs=1, chunk_size=2)
    assert resumed["row"].tolist() == list(range(5))
    cols = ["n_nue_after", "F_nuebar_after", "eln_xln_number_after", "growth_rate_box_max"]
    pd.testing.assert_frame_equal(resumed[cols], fresh[cols])
    assert np.array_equal(np.stack(resumed["survival"]), np.stack(fresh["survival"]))
    # row 1 (alpha = 0.5, F_nue < F_nuebar, G > 0 everywhere) is skipped and unmixed
    assert not resumed["evolved"].iloc[1] and resumed["evolved"].drop(index=1).all()
    assert resumed["n_nue_after"].iloc[1] == pytest.approx(1.0, rel=1e-12)
    assert (out / MANIFEST).is_file()


def test_resume_refuses_a_different_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    evolve_many(_cells().iloc[:2], "maxent", TINY, out=out, n_jobs=1)
    with pytest.raises(ValueError, match=r"different run.*config"):
        evolve_many(_cells().iloc[:2], "maxent", EvolveConfig(n_mu=8, n_z=64), out=out, n_jobs=1)
    again = evolve_many(
        _cells().iloc[:2],
        "maxent",
        EvolveConfig(n_mu=8, n_z=16, t_end=5.0),
        out=out,
        n_jobs=1,
        resume=False,
    )
    assert len(again) == 2


def test_process_pool_matches_serial(tmp_path: Path) -> None:
    cells = _cells().iloc[:4]
    parallel = evolve_many(cells, "maxent", TINY, n_jobs=2, chunk_size=2)
    serial = evolve_many(cells, "maxent", TINY, n_jobs=1, chunk_size=2)
    np.testing.assert_allclose(parallel["n_nue_after"], serial["n_nue_after"], rtol=1e-12)


def test_local_dask_cluster_matches_serial(tmp_path: Path) -> None:
    cells = _cells().iloc[:3]
    on_dask = evolve_many(cells, "maxent", TINY, out=tmp_path / "run", dask="local", n_jobs=1)
    serial = evolve_many(cells, "maxent", TINY, n_jobs=1)
    np.testing.assert_allclose(on_dask["n_nue_after"], serial["n_nue_after"], rtol=1e-12)
    assert len(list((tmp_path / "run").glob("part-*.parquet"))) == 1


def test_tables_from_files_and_raw_moments(tmp_path: Path) -> None:
    raw = pd.DataFrame({"n_nue": [2.0], "n_nuebar": [1.8], "F_nue": [0.1], "F_nuebar": [0.4]})
    path = tmp_path / "cells.csv"
    raw.to_csv(path, index=False)
    features = read_table(path)
    assert features.columns.tolist() == ["alpha", "F_nue", "F_nuebar"]
    assert features["alpha"].iloc[0] == pytest.approx(0.9)
    raw.to_parquet(tmp_path / "cells.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "cells.parquet"), features)
    with pytest.raises(FileNotFoundError, match=r"missing\.parquet"):
        read_table(tmp_path / "missing.parquet")
    (tmp_path / "cells.txt").write_text("alpha\n0.9\n")
    with pytest.raises(ValueError, match="unknown format"):
        read_table(tmp_path / "cells.txt")


def test_bad_row_fails_before_solving() -> None:
    cells = _cells()
    cells.loc[3, "F_nuebar"] = 1.5
    with pytest.raises(ValueError, match=r"F_nuebar.*row 3"):
        evolve_many(cells, "maxent", TINY, n_jobs=1)
    with pytest.raises(ValueError, match="unknown angular family"):
        evolve_many(_cells(), "cosine", TINY, n_jobs=1)
