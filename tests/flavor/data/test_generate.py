"""Labelled data generation: schemes' ranges, determinism, family mix, class balance, file formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.generate import generate, generation_metadata
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.data.sampling import FLUX_FACTOR_CAP, sample_features
from nulearn.flavor.data.tables import read_dataset, write_dataset
from nulearn.flavor.physics.species import ELN_FEATURES, XLN_FEATURES
from nulearn.ml.model_card import data_sha256


@pytest.mark.parametrize("scheme", ["original", "hierarchical", "xln"])
def test_scheme_ranges_and_hierarchy(scheme: str) -> None:
    feats = sample_features(scheme, 50_000, np.random.default_rng(0))
    flux = [v for k, v in feats.items() if k.startswith("F_")]
    assert all((f >= 0).all() and (f <= FLUX_FACTOR_CAP).all() for f in flux)
    if scheme == "original":
        assert feats["alpha"].min() >= 0.03 and feats["alpha"].max() <= 2.5
        assert abs(feats["F_nue"].mean() - 0.5) < 0.01
    if scheme == "hierarchical":
        ratio = feats["F_nue"] / feats["F_nuebar"]
        assert ratio.min() >= 0.6 - 1e-12 and ratio.max() <= 1 + 1e-12
    if scheme == "xln":
        m = np.minimum(feats["F_nux"], feats["F_nuxbar"])
        assert (feats["F_nuebar"] <= m + 1e-15).all() and (
            feats["F_nuebar"] >= 0.6 * m - 1e-15
        ).all()
        assert (feats["F_nue"] <= feats["F_nuebar"] + 1e-15).all()
        c = feats["alpha_xbar"] / feats["alpha_x"] - 1
        assert c.min() >= -0.4 - 1e-12 and c.max() <= 0.4 + 1e-12
        assert feats["alpha_x"].max() <= 3.0 and feats["alpha"].min() >= 0.01


def test_generate_columns_and_determinism() -> None:
    a = generate("xln", "mix", 3000, seed=7, chunk_size=1000)
    b = generate("xln", "mix", 3000, seed=7, chunk_size=1000)
    c = generate("xln", "mix", 3000, seed=8, chunk_size=1000)
    assert list(a.columns) == [*XLN_FEATURES, "family", "crossing", "n_crossings", "depth"]
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert set(a["family"]) == {"maxent", "gaussian"}
    assert 0.4 < (a["family"] == "maxent").mean() < 0.6
    assert set(a["crossing"].unique()) <= {0, 1}
    assert ((a["crossing"] == 1) == (a["n_crossings"] > 0)).all()


@pytest.mark.parametrize("scheme", ["original", "hierarchical", "xln"])
def test_generated_labels_equal_the_analytic_test(scheme: str) -> None:
    """Each sample's label is the analytic test under the family recorded with it."""
    frame = generate(scheme, "mix", 2000, seed=1)
    for fam in ("maxent", "gaussian"):
        rows = frame[frame["family"] == fam]
        relabelled = label_moments(rows.drop(columns=["crossing", "n_crossings", "depth"]), fam)
        assert np.array_equal(relabelled["crossing"].to_numpy(), rows["crossing"].to_numpy())
        np.testing.assert_allclose(relabelled["depth"], rows["depth"], atol=1e-12)


def test_unstable_fraction_subsampling() -> None:
    frame = generate("xln", "maxent", 4000, seed=3, unstable_fraction=0.055, chunk_size=2048)
    assert len(frame) == 4000
    assert frame["crossing"].sum() == round(0.055 * 4000)
    again = generate("xln", "maxent", 4000, seed=3, unstable_fraction=0.055, chunk_size=2048)
    pd.testing.assert_frame_equal(frame, again)


def test_generate_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="scheme"):
        generate("nope", "maxent", 10)
    with pytest.raises(ValueError, match="family"):
        generate("xln", "minerbo", 10)
    with pytest.raises(ValueError, match="unstable_fraction"):
        generate("xln", "maxent", 10, unstable_fraction=1.5)


@pytest.mark.parametrize("suffix", [".parquet", ".h5"])
def test_dataset_round_trip_with_metadata(tmp_path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    frame = generate("original", "mix", 500, seed=2)
    meta = generation_metadata("original", "mix", 500, 2)
    path = write_dataset(frame, tmp_path / f"d{suffix}", meta)
    ds = read_dataset(path)
    pd.testing.assert_frame_equal(ds.frame, frame, check_dtype=False)
    assert ds.metadata["scheme"] == "original" and ds.metadata["features"] == list(ELN_FEATURES)
    assert data_sha256(ds.frame[list(ELN_FEATURES)]) == data_sha256(frame[list(ELN_FEATURES)])
    with pytest.raises(ValueError, match="missing columns"):
        read_dataset(path, columns=["alpha", "F_nux"])


def test_read_dataset_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError):
        read_dataset(tmp_path / "none.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet"):
        read_dataset(junk)
