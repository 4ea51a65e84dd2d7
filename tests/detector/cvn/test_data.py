"""Reading the DUNE CVN format, reducing pixel maps, 8-bit storage and physics-respecting augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.detector.cvn.data import (
    FLAVOUR_NAMES,
    FLAVOUR_SUBDIRS,
    AugmentationConfig,
    CVNDataset,
    CVNSample,
    PixelMapConfig,
    augment_pixel_maps,
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
    with pytest.raises(ValueError, match="per_class"):
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


_maps = st.integers(0, 2**31 - 1).map(
    lambda s: torch.from_numpy(
        (np.random.default_rng(s).random((2, 3, 12, 10)) < 0.2).astype(np.uint8)
        * np.random.default_rng(s + 1).integers(1, 256, (2, 3, 12, 10), dtype=np.uint8)
    )
)


@settings(max_examples=25, deadline=None)
@given(_maps, st.integers(0, 1000))
def test_time_flip_is_an_exact_symmetry(maps: torch.Tensor, seed: int) -> None:
    cfg = AugmentationConfig(flip_time=True, max_shift_ticks=0, max_shift_wires=0)
    out = augment_pixel_maps(maps, cfg, torch.Generator().manual_seed(seed))
    # Charge and its wire profile are untouched; each event is itself or its time mirror.
    assert torch.equal(out.sum((2, 3)), maps.sum((2, 3)))
    assert torch.equal(out.sum(3), maps.sum(3))
    for i in range(len(maps)):
        assert torch.equal(out[i], maps[i]) or torch.equal(out[i], maps[i].flip(2))


@settings(max_examples=25, deadline=None)
@given(_maps, st.integers(0, 1000))
def test_views_share_time_flip_and_shift(maps: torch.Tensor, seed: int) -> None:
    same_views = maps[:, :1].expand(-1, 3, -1, -1).contiguous()
    cfg = AugmentationConfig(flip_time=True, max_shift_ticks=3, max_shift_wires=0)
    out = augment_pixel_maps(same_views, cfg, torch.Generator().manual_seed(seed))
    assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 0], out[:, 2])


@settings(max_examples=25, deadline=None)
@given(_maps, st.integers(0, 1000))
def test_shifts_only_move_or_drop_charge(maps: torch.Tensor, seed: int) -> None:
    cfg = AugmentationConfig(flip_time=False, max_shift_ticks=2, max_shift_wires=2)
    out = augment_pixel_maps(maps, cfg, torch.Generator().manual_seed(seed))
    assert out.dtype == maps.dtype and out.shape == maps.shape
    assert (out.sum((2, 3)) <= maps.sum((2, 3))).all()  # zero fill: nothing wraps around
    # Every deposited value in the output comes from the input (a sub-multiset, per view).
    for o, m in zip(out.reshape(-1, 120), maps.reshape(-1, 120), strict=True):
        assert (
            np.bincount(o.numpy(), minlength=256)[1:] <= np.bincount(m.numpy(), minlength=256)[1:]
        ).all()


def test_augmentation_without_anything_is_identity() -> None:
    x = torch.randint(0, 255, (3, 3, 8, 8), dtype=torch.uint8)
    cfg = AugmentationConfig(flip_time=False, flip_wire=False, max_shift_ticks=0, max_shift_wires=0)
    assert torch.equal(augment_pixel_maps(x, cfg), x)
    with pytest.raises(ValueError, match="shape"):
        augment_pixel_maps(x[:, :2], cfg)


def test_dataset_items_and_validation(tiny_sample: CVNSample) -> None:
    ds = CVNDataset(
        tiny_sample.pixel_maps, tiny_sample.flavour, tiny_sample.interaction, AugmentationConfig()
    )
    x, f, i = ds[5]
    assert len(ds) == 16 and x.dtype == torch.uint8 and x.shape == (3, 16, 16)
    assert int(f) == tiny_sample.flavour[5] and int(i) == tiny_sample.interaction[5]
    with pytest.raises(ValueError, match="uint8"):
        CVNDataset(tiny_sample.pixel_maps.astype(np.float32), tiny_sample.flavour)
    with pytest.raises(ValueError, match="flavour"):
        CVNDataset(tiny_sample.pixel_maps, np.full(16, 4))
