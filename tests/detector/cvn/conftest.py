"""Fixtures of the CVN tests: a few events of the open DUNE sample (skip if ``../shared`` is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nulearn.detector.cvn.data.features import hand_features
from nulearn.detector.cvn.data.pixel_maps import (
    CVNSample,
    PixelMapConfig,
    default_data_dir,
    load_cvn_sample,
)
from nulearn.detector.cvn.models.network import CVNConfig

#: 480x480 window max-pooled by 30: 16x16 per view, enough to exercise everything quickly.
TINY_PIXELS = PixelMapConfig(crop_wires=480, crop_ticks=480, pool=30)
TINY_CNN = CVNConfig(channels=(4, 8, 8), fused_width=16, batch_size=8)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = default_data_dir()
    if not d.is_dir():
        pytest.skip(
            f"DUNE CVN open sample not found at {d} (set NULEARN_DUNE_CVN or provide ../shared/data/dune-cvn)"
        )
    return d


@pytest.fixture(scope="session")
def tiny_sample(data_dir: Path) -> CVNSample:
    """16 real events (4 per flavour), 16x16 per view, hand features from full resolution."""
    return load_cvn_sample(
        data_dir, per_class=4, config=TINY_PIXELS, full_resolution_fn=hand_features
    )
