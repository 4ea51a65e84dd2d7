"""Physics-respecting augmentation of pixel maps and the dataset of maps with labels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.detector.cvn.data.augmentation import (
    AugmentationConfig,
    CVNDataset,
    augment_pixel_maps,
)
from nulearn.detector.cvn.data.pixel_maps import CVNSample

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
