"""Conventional reconstruction on noiseless and noisy events."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.deposits import Deposits, double_beta_events
from nulearn.detector.tpc.physics.reconstruction import energy_resolution, reconstruct
from nulearn.detector.tpc.physics.simulator import simulate


def _two_sites(separation_mm: float) -> Deposits:
    pos = np.array([[[-40.0, 10.0, 80.0], [-40.0 + separation_mm, 10.0, 80.0 - separation_mm]]])
    return Deposits(
        np.array([[900.0, 600.0]]),
        pos,
        np.tile([0.0, 0.0, 1.0], (1, 2, 1)),
        np.zeros((1, 2)),
        np.ones((1, 2), bool),
        np.ones(1, np.int64),
    )


def test_noiseless_energy_and_single_site(exact_config: TPCConfig) -> None:
    d = double_beta_events(12, exact_config, np.random.default_rng(0))
    wave = simulate(d, exact_config, np.random.default_rng(1), noise=False)
    # Without noise a low threshold keeps every collected charge: matched filter + template fit +
    # lifetime correction recover the deposited energy.
    reco = reconstruct(wave, exact_config, threshold_sigma=0.2)
    np.testing.assert_allclose(reco.energy_kev, d.total_energy_kev, rtol=0.005)
    assert reco.features().shape == (12, 9)
    # At the default 5-sigma threshold a small share on a neighbour wire can be lost, never gained.
    default = reconstruct(wave, exact_config)
    assert np.all(default.energy_kev <= reco.energy_kev + 1e-6)
    assert np.any(default.energy_kev < 0.995 * reco.energy_kev)
    assert np.all(default.n_sites == 1)


def test_separated_deposits_are_two_sites(exact_config: TPCConfig) -> None:
    wave = simulate(_two_sites(45.0), exact_config, np.random.default_rng(0), noise=False)
    reco = reconstruct(wave, exact_config)
    assert reco.n_sites[0] == 2
    np.testing.assert_allclose(reco.energy_kev[0], 1500.0, rtol=0.01)


def test_noisy_resolution_and_threshold_loss(config: TPCConfig) -> None:
    d = double_beta_events(40, config, np.random.default_rng(2))
    reco = reconstruct(simulate(d, config, np.random.default_rng(3)), config)
    mu, res = energy_resolution(reco.energy_kev, d.total_energy_kev)
    # Noise (~800 e per wire, ~85k e collected) and the 0.5 % charge fluctuation: ~0.5-1.2 %.
    assert 0.98 < mu < 1.02 and 0.003 < res < 0.015


def test_energy_resolution_of_a_gaussian() -> None:
    rng = np.random.default_rng(0)
    true = np.full(20000, 1000.0)
    reco = true * (1 + 0.01 * rng.standard_normal(true.size))
    reco[:1000] *= 0.8  # a low tail must not inflate the core width
    mu, res = energy_resolution(reco, true)
    assert abs(mu - 1) < 1e-3 and abs(res - 0.01) < 5e-4
    with pytest.raises(ValueError, match="at least 5"):
        energy_resolution(reco[:3], true[:3])


def test_reconstruct_validates_shape(config: TPCConfig) -> None:
    with pytest.raises(ValueError, match="waveforms must have shape"):
        reconstruct(np.zeros((2, 10, 1024)), config)
