"""Synthetic snapshots and grid blocking (:mod:`nulearn.flavor.deploy.snapshot`)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.flavor.deploy.flagging import parse_dataset_mapping
from nulearn.flavor.deploy.snapshot import (
    RAW_MOMENTS,
    grid_blocks,
    synthetic_moments,
    write_synthetic_snapshot,
)
from nulearn.flavor.deploy.snapshot_layout import MomentReader


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=3), max_cells=st.integers(1, 200))
def test_blocks_tile_the_grid_once(shape: list[int], max_cells: int) -> None:
    count = np.zeros(shape, dtype=int)
    for block in grid_blocks(shape, max_cells):
        assert count[block].size <= max_cells
        count[block] += 1
    assert (count == 1).all()


def test_synthetic_fields_are_deterministic_and_blocking_free() -> None:
    shape = (8, 6, 5)
    whole = synthetic_moments(shape, seed=4)
    block = (slice(2, 5), slice(0, 6), slice(1, 4))
    part = synthetic_moments(shape, block, seed=4)
    for name in RAW_MOMENTS:
        np.testing.assert_array_equal(part[name], whole[name][block])
    assert not np.array_equal(synthetic_moments(shape, seed=5)["n_nuebar"], whole["n_nuebar"])


def test_synthetic_snapshot_has_stable_and_unstable_regions(tmp_path: Path) -> None:
    """The analytic maximum-entropy test finds both classes, each in a sizeable region."""
    from nulearn.flavor.data.labelling import label_moments
    from nulearn.flavor.physics.species import features_from_moments

    path = write_synthetic_snapshot(tmp_path / "s.h5", (24, 24), dtype="float32")
    with h5py.File(path) as h5:
        assert h5["n_nue"].dtype == np.float32
        frame = pd.DataFrame(
            {name: h5[name][...].ravel().astype(np.float64) for name in RAW_MOMENTS}
        )
    assert (frame.filter(like="n_") > 0).all().all()
    assert ((frame.filter(like="F_") >= 0) & (frame.filter(like="F_") < 1)).all().all()
    labels = label_moments(features_from_moments(frame[["n_nue", "n_nuebar", "F_nue", "F_nuebar"]]))
    fraction = labels["crossing"].mean()
    assert labels["valid"].all() and 0.1 < fraction < 0.9
    grid = labels["crossing"].to_numpy().reshape(24, 24)
    # smooth fields: most neighbours share a label (regions, not salt-and-pepper)
    assert (grid[1:, :] == grid[:-1, :]).mean() > 0.8


def test_mapping_parsing_and_missing_dataset(tmp_path: Path) -> None:
    assert parse_dataset_mapping(["n_nue=/fluid/n_e", "F_nue = fluid/F_e"]) == {
        "n_nue": "/fluid/n_e",
        "F_nue": "/fluid/F_e",
    }
    with pytest.raises(ValueError, match="unknown quantity 'n_e'"):
        parse_dataset_mapping(["n_e=/x"])
    with pytest.raises(ValueError, match="QUANTITY=/path"):
        parse_dataset_mapping(["n_nue"])
    path = write_synthetic_snapshot(tmp_path / "s.h5", (4,))
    with h5py.File(path) as h5:
        with pytest.raises(ValueError, match=r"no dataset '/n_e' for n_nue.*/n_nuebar \(4,\)"):
            MomentReader(h5, ["n_nue", "n_nuebar"], {"n_nue": "/n_e"})
    with pytest.raises(ValueError, match="shape"):
        write_synthetic_snapshot(tmp_path / "bad.h5", (2, 2, 2, 2))
