"""Physics of the TPC simulation: deposits, weighting potential, transport, induction, noise."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.detector.tpc.physics.config import Q_BB_KEV, TL208_GAMMA_KEV, TPCConfig
from nulearn.detector.tpc.physics.deposits import (
    ELECTRON_MASS_KEV,
    Deposits,
    double_beta_events,
    gamma_events,
    uniform_energy_events,
)
from nulearn.detector.tpc.physics.response import response_tables, weighting_potential
from nulearn.detector.tpc.physics.simulator import (
    channel_gains,
    charge_clusters,
    electronics_noise,
    simulate,
)


def _point_event(x_mm: float, z_mm: float, energy_kev: float = 1000.0) -> Deposits:
    """One point-like deposit (zero track length)."""
    return Deposits(
        np.array([[energy_kev]]),
        np.array([[[x_mm, 0.0, z_mm]]]),
        np.array([[[0.0, 0.0, 1.0]]]),
        np.zeros((1, 1)),
        np.ones((1, 1), bool),
        np.zeros(1, np.int64),
    )


def test_config_yaml_roundtrip_and_validation(tmp_path, config: TPCConfig) -> None:
    path = tmp_path / "tpc.yaml"
    replace(config, electron_lifetime_us=1234.0).to_yaml(path)
    assert TPCConfig.from_yaml(path) == replace(config, electron_lifetime_us=1234.0)
    with pytest.raises(ValueError, match="electron_lifetime_us"):
        TPCConfig(electron_lifetime_us=-1.0)
    with pytest.raises(ValueError, match="trigger_sample"):
        TPCConfig(trigger_sample=5000)
    assert config.n_channels == 76


def test_double_beta_and_uniform_energies(config: TPCConfig, rng: np.random.Generator) -> None:
    bb = double_beta_events(50, config, rng)
    np.testing.assert_allclose(bb.total_energy_kev, Q_BB_KEV)
    assert np.all(bb.site_count() == 1)
    flat = uniform_energy_events(400, config, rng, 1000.0, 2000.0)
    e = flat.total_energy_kev
    assert e.min() >= 1000 and e.max() <= 2000 and abs(e.mean() - 1500) < 50


@settings(max_examples=10, deadline=None)
@given(st.floats(200.0, 3000.0), st.integers(0, 1000))
def test_gamma_deposits_conserve_energy(energy: float, seed: int) -> None:
    d = gamma_events(40, TPCConfig(), np.random.default_rng(seed), energy_kev=energy)
    assert np.all(d.total_energy_kev <= energy * (1 + 1e-12))
    assert np.all(d.energy_kev[d.mask] >= 0)
    # A single Compton scatter deposits at most the Compton edge E * 2k / (1 + 2k).
    k = energy / ELECTRON_MASS_KEV
    first_only = d.mask[:, 0] & ~d.mask[:, 1]
    escaped = first_only & (d.total_energy_kev < energy - 1e-9)
    assert np.all(d.energy_kev[escaped, 0] <= energy * 2 * k / (1 + 2 * k) + 1e-9)
    r = np.hypot(d.position_mm[..., 0], d.position_mm[..., 1])[d.mask]
    assert np.all(r <= TPCConfig().half_width_mm + 1e-6)


def test_thallium_photopeak_and_multisite(config: TPCConfig, rng: np.random.Generator) -> None:
    d = gamma_events(300, config, rng)
    full = np.abs(d.total_energy_kev - TL208_GAMMA_KEV) < 1e-6
    assert 0.3 < full.mean() < 0.95
    assert (d.site_count()[full] > 1).mean() > 0.5  # 2.6 MeV gammas are mostly multi-site


def test_weighting_potential_limits() -> None:
    z = np.array([0.0, 1.5, 3.0, 5.5])
    centres = np.arange(-60, 61) * 9.0
    phi = weighting_potential(centres, z, 9.0, 6.0)
    # Summed over all strips the potential is 1 - z/g (Frisch grid at z = g).
    np.testing.assert_allclose(phi.sum(axis=1), 1 - z / 6.0, atol=2e-3)
    np.testing.assert_array_equal(phi[0], (np.abs(centres) < 4.5).astype(float))
    assert phi[2, 60] > phi[2, 61] > phi[2, 62] >= 0


def test_charge_conservation_attachment_and_induction(exact_config: TPCConfig) -> None:
    cfg = exact_config
    deposits = Deposits.concatenate(
        [_point_event(x, z) for x, z in ((4.5, 50.0), (13.0, -150.0), (-103.0, 180.0))]
    )
    raw = simulate(deposits, cfg, np.random.default_rng(0), noise=False, shaping=False, gains=False)
    final = raw[:, :, -1].astype(np.float64)
    drift_time = (
        cfg.drift_length_mm - np.abs(deposits.position_mm[:, 0, 2])
    ) / cfg.drift_velocity_mm_per_us
    drift_time += cfg.gap_mm / cfg.gap_velocity_mm_per_us
    expected = 1000.0 * cfg.electrons_per_kev * np.exp(-drift_time / cfg.electron_lifetime_us)
    # Charge conservation: everything that survives attachment ends on the collecting wires.
    np.testing.assert_allclose(final.sum(axis=1), expected, rtol=1e-4)
    collecting = final.argmax(axis=1)
    assert list(collecting) == [38 + 19, 20, 38 + 7]
    for ev, ch in enumerate(collecting):
        for neighbour in (ch - 1, ch + 1):
            signal = raw[ev, neighbour].astype(np.float64)
            # Induction: a transient while the charge crosses the gap, zero net charge afterwards
            # (the induced current integrates to zero).
            assert signal.max() > 1e-4 * expected[ev]
            assert abs(signal[-1]) < 1e-4 * expected[ev]  # Gaussian tail only


def test_diffusion_shares_charge_at_a_wire_boundary(exact_config: TPCConfig) -> None:
    # A charge 0.2 mm from the boundary between two channels, drifting the full length: the
    # transverse diffusion (sigma ~ 1.1 mm) puts part of it on the neighbour.
    d = _point_event(9.0 * 19 - exact_config.half_width_mm + 0.2, -5.0)
    raw = simulate(
        d, exact_config, np.random.default_rng(0), noise=False, shaping=False, gains=False
    )
    final = raw[0, :, -1]
    assert final[19] > final[18] > 0.05 * final[19]
    sigma = charge_clusters(d, exact_config, np.random.default_rng(0)).sigma_mm[0, 0]
    assert 0.9 < sigma < 1.3


def test_batch_equals_single_events(exact_config: TPCConfig) -> None:
    deposits = double_beta_events(4, exact_config, np.random.default_rng(3))
    batch = simulate(deposits, exact_config, np.random.default_rng(0), noise=False)
    for i in range(4):
        single = simulate(
            deposits.select(np.array([i])), exact_config, np.random.default_rng(0), noise=False
        )
        np.testing.assert_allclose(single[0], batch[i], atol=1e-3 * batch[i].max())


def test_shaped_collection_peak_equals_charge(exact_config: TPCConfig) -> None:
    d = _point_event(4.5, 100.0)
    shaped = simulate(d, exact_config, np.random.default_rng(0), noise=False, gains=False)
    raw = simulate(
        d, exact_config, np.random.default_rng(0), noise=False, shaping=False, gains=False
    )
    np.testing.assert_allclose(shaped[0, 57].max(), raw[0, 57, -1], rtol=2e-3)
    assert response_tables(exact_config).shaped.dtype == np.float32


def test_noise_level_and_correlation(config: TPCConfig) -> None:
    noise = electronics_noise(64, config, np.random.default_rng(1)).astype(np.float64)
    assert noise.shape == (64, 76, 1024)
    np.testing.assert_allclose(noise.std(), config.noise_electrons, rtol=0.03)
    assert 780 < config.noise_electrons < 820
    # Channels of one side share the correlated component: rho = sigma_c^2 / sigma^2.
    rho = np.mean([np.corrcoef(noise[e, 3], noise[e, 20])[0, 1] for e in range(64)])
    expected = config.noise_correlated_electrons**2 / config.noise_electrons**2
    assert abs(rho - expected) < 0.05
    rho_other_side = np.mean([np.corrcoef(noise[e, 3], noise[e, 50])[0, 1] for e in range(64)])
    assert abs(rho_other_side) < 0.05


def test_gains_are_a_fixed_detector_property(config: TPCConfig) -> None:
    g = channel_gains(config)
    np.testing.assert_array_equal(g, channel_gains(config))
    assert g.shape == (76,) and 0.0 < g.std() < 0.1 and abs(g.mean() - 1) < 0.03
