"""Regression: Gaussian NLL, interval coverage, ensemble training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.cosmo.data.maps import MapConfig, simulate_maps
from nulearn.cosmo.evaluation.regression import interval_coverage
from nulearn.cosmo.models.network import LensingCNNConfig
from nulearn.cosmo.models.regressor import CNNRegressor, gaussian_nll
from nulearn.ml.training import TrainerConfig

from ..conftest import power_law_table


def test_gaussian_nll_is_minimised_at_the_true_variance() -> None:
    resid = torch.tensor([0.3, -0.3])
    s = torch.linspace(-5, 2, 701)
    losses = torch.stack([gaussian_nll(torch.zeros(2), torch.full((2,), v), resid) for v in s])
    assert s[losses.argmin()].item() == pytest.approx(np.log(0.09), abs=0.01)


def test_coverage_of_calibrated_gaussian_intervals() -> None:
    rng = np.random.default_rng(0)
    sd = rng.uniform(0.01, 0.1, 20000)
    y = rng.normal(0, sd)
    cov = interval_coverage(y, np.zeros_like(y), sd)
    assert cov[0.683] == pytest.approx(0.683, abs=0.01)
    assert cov[0.954] == pytest.approx(0.954, abs=0.005)
    assert interval_coverage(y, np.zeros_like(y), sd / 3)[0.683] < 0.4  # overconfident
    with pytest.raises(ValueError, match="std"):
        interval_coverage(y, y, np.zeros_like(y))


def test_ensemble_regressor_tracks_m_nu() -> None:
    table = power_law_table(m_nodes=(0.0, 0.1, 0.2, 0.3), suppression=0.25)
    rng = np.random.default_rng(1)
    m = rng.uniform(0, 0.3, 320)
    ms = simulate_maps(table, MapConfig(n_pix=32, n_gal=None, amplitude_jitter=0.0), m, seed=2)
    reg = CNNRegressor(
        LensingCNNConfig(stem_channels=4, body_channels=(8, 8), batch_size=32, learning_rate=1e-2),
        TrainerConfig(accelerator="cpu", max_epochs=5, patience=3, num_threads=1),
        n_members=2,
    ).fit(ms.maps, ms.m_nu)
    test_m = rng.uniform(0, 0.3, 100)
    test = simulate_maps(
        table, MapConfig(n_pix=32, n_gal=None, amplitude_jitter=0.0), test_m, seed=3
    )
    mean, std = reg.predict_with_std(test.maps)
    assert mean.shape == std.shape == (100,)
    assert np.all(std > 0)
    assert np.corrcoef(mean, test_m)[0, 1] > 0.6
