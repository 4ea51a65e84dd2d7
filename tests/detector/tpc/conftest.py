"""Shared fixtures of the TPC tests: small noiseless configurations."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nulearn.detector.tpc.physics.config import TPCConfig


@pytest.fixture(scope="session")
def config() -> TPCConfig:
    return TPCConfig()


@pytest.fixture(scope="session")
def exact_config() -> TPCConfig:
    """No charge fluctuation: collected charge is deterministic."""
    return replace(TPCConfig(), fano_effective=0.0)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(7)
