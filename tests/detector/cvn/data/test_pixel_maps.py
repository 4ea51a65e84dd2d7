"""Reading the DUNE CVN format, reducing pixel maps, 8-bit storage, label checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nulearn.detector.cvn.data.pixel_maps import (
    FLAVOUR_NAMES,
    FLAVOUR_SUBDIRS,
    CVNSample,
    PixelMapConfig,
    check_pixel_maps,
    downsample_pixel_maps,
    list_events,
    read_pixel_map,
    read_truth,
)


def test_list_events_is_class_ordered_and_limited(data_dir: Path) -> None:
    stems = list_events(data_dir, per_class=3)
    assert [s.parent.name for s in stems] == [d for d in FLAVOUR_SUBDIRS for _ in range(3)]
    assert [s.name for s in stems[:3]] == [
        "event0",
        "event1",
        "event2",
    ]  # numeric, not lexical, order


def test_list_events_rejects_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        list_events(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="events per class = 0"):
        list_events(tmp_path, per_class=0)


def test_pixel_map_and_truth_of_one_event(data_dir: Path) -> None:
    stem = data_dir / "numu" / "event0"
    pm = read_pixel_map(stem)
    assert pm.shape == (3, 500, 500) and pm.dtype == np.uint8
    assert pm.any(), "an interaction deposits charge"
    t = read_truth(stem)
    assert t["flavour_name"] == "numu_cc" and t["nu_pdg"] == 14
    assert 0 <= t["interaction"] < 4


def test_truth_of_tiny_sample_is_physical(tiny_sample: CVNSample) -> None:
    truth = tiny_sample.truth
    assert list(np.bincount(tiny_sample.flavour)) == [4, 4, 4, 4]
    # The outgoing lepton cannot carry more energy than the incoming neutrino.
    assert (truth["lepton_energy"] <= truth["nu_energy"] + 1e-6).all()
    assert (truth["nu_energy"] > 0).all()
    cc = truth["flavour"] < 3
    pdg = {0: 14, 1: 12, 2: 16}
    assert (truth.loc[cc, "nu_pdg"].abs() == truth.loc[cc, "flavour"].map(pdg)).all()
    counts = truth[["n_protons", "n_charged_pions", "n_neutral_pions", "n_neutrons"]].to_numpy()
    assert (counts >= 0).all()


def test_sample_is_stored_as_bytes(tiny_sample: CVNSample) -> None:
    pm = tiny_sample.pixel_maps
    assert pm.dtype == np.uint8 and pm.shape == (16, 3, 16, 16)
    assert pm.nbytes == 16 * 3 * 16 * 16  # one byte per pixel: 4x less than float32
    assert tiny_sample.extra is not None and tiny_sample.extra.shape == (16, 45)
    sub = tiny_sample.subset([15, 0])
    assert sub.truth["flavour_name"].tolist() == [FLAVOUR_NAMES[3], FLAVOUR_NAMES[0]]


def test_downsample_identity_without_crop_or_pool() -> None:
    rng = np.random.default_rng(0)
    maps = rng.integers(0, 256, size=(2, 3, 500, 500), dtype=np.uint8)
    out = downsample_pixel_maps(maps, PixelMapConfig(crop_wires=500, crop_ticks=500, pool=1))
    np.testing.assert_array_equal(out, maps)


def test_downsample_keeps_an_isolated_hit_and_its_charge() -> None:
    maps = np.zeros((1, 3, 500, 500), dtype=np.uint8)
    maps[0, 0, 37, 451] = 200  # near an edge: the window must clip to the frame and keep it
    maps[0, 2, 250, 451] = 90
    out = downsample_pixel_maps(maps, PixelMapConfig(crop_wires=240, crop_ticks=240, pool=8))
    assert out.shape == (1, 3, 30, 30)
    assert out[0, 0].max() == 200 and out[0, 2].max() == 90 and not out[0, 1].any()
    assert (out[0, 0] > 0).sum() == 1  # max pooling does not smear a hit


def test_downsample_mean_mode_conserves_charge_up_to_rounding() -> None:
    maps = np.zeros((1, 3, 500, 500), dtype=np.uint8)
    maps[0, :, 100:110, 200:210] = 50  # a 10x10 blob aligned with 10x10 pooling blocks
    out = downsample_pixel_maps(
        maps, PixelMapConfig(crop_wires=500, crop_ticks=500, pool=10, pool_mode="mean")
    )
    assert out.astype(int).sum() * 100 == maps.astype(int).sum()


def test_pixel_config_validates_ranges() -> None:
    with pytest.raises(ValueError, match="crop_wires"):
        PixelMapConfig(crop_wires=501)
    with pytest.raises(ValueError, match="pool"):
        PixelMapConfig(pool=0)
    with pytest.raises(ValueError, match="pool_mode"):
        PixelMapConfig(pool_mode="median")  # type: ignore[arg-type]


def test_pixel_config_for_an_image_size() -> None:
    assert PixelMapConfig.for_image_size(48) == PixelMapConfig(480, 480, 10)
    assert PixelMapConfig.for_image_size(500).shape == (3, 500, 500)
    with pytest.raises(ValueError, match="image_size"):
        PixelMapConfig.for_image_size(0)


def test_check_pixel_maps_names_the_problem() -> None:
    maps = np.zeros((3, 3, 4, 4), dtype=np.uint8)
    flavour, interaction = check_pixel_maps(maps, [0, 1, 3])
    assert flavour.dtype == np.int64 and interaction.tolist() == [-1, -1, -1]
    with pytest.raises(ValueError, match="uint8"):
        check_pixel_maps(maps.astype(np.float32), [0, 1, 3])
    with pytest.raises(ValueError, match=r"flavour labels must have shape \(3,\)"):
        check_pixel_maps(maps, [0, 1])
    with pytest.raises(ValueError, match="interaction labels must lie in"):
        check_pixel_maps(maps, [0, 1, 3], [0, 4, 1])
