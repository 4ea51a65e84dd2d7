"""Physics sanity of the optical-array simulator and the classical line fit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammainc

from nulearn.detector.optical.evaluation.metrics import angular_error_deg
from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.events import (
    KIND_BUNDLE,
    KIND_CASCADE,
    KIND_TRACK,
    event_kinds,
    generate_truth,
)
from nulearn.detector.optical.physics.reconstruction import line_fit, local_coincidence
from nulearn.detector.optical.physics.simulator import (
    first_photon_delay,
    pandel_mean_ns,
    simulate_hits,
)

CFG = OpticalConfig()


def test_geometry_is_documented_and_irregular() -> None:
    xy = CFG.string_xy()
    assert xy.shape == (80, 2) and CFG.dom_positions().shape == (4800, 3)
    z = CFG.dom_positions()[:60, 2]
    assert np.allclose(-np.diff(z), 17.0)
    nearest = np.sort(np.linalg.norm(xy[:, None] - xy[None], axis=-1), axis=1)[:, 1]
    assert 80 < np.median(nearest) < 140  # ~125 m spacing, displaced
    assert nearest.std() > 5  # not a regular lattice


def test_single_photon_delays_follow_the_pandel_mean_and_cdf() -> None:
    rng = np.random.default_rng(0)
    r = np.full(200_000, 60.0)
    t = first_photon_delay(r, np.ones_like(r, dtype=int), CFG, rng)
    mean = float(pandel_mean_ns(60.0, CFG))
    assert abs(t.mean() - mean) < 4 * t.std() / np.sqrt(t.size)
    shape, rate = 60.0 / CFG.lambda_s_m, CFG.pandel_rate_per_ns
    for q in (200.0, 600.0, 1500.0):
        assert abs((t < q).mean() - gammainc(shape, rate * q)) < 0.005


def test_first_of_many_photons_arrives_earlier() -> None:
    rng = np.random.default_rng(1)
    r = np.full(20_000, 80.0)
    one = first_photon_delay(r, np.full(r.shape, 1), CFG, rng).mean()
    ten = first_photon_delay(r, np.full(r.shape, 10), CFG, rng)
    assert ten.mean() < 0.5 * one
    # min of n: P(T > t) = (1 - F(t))^10
    shape, rate = 80.0 / CFG.lambda_s_m, CFG.pandel_rate_per_ns
    assert abs((ten > 300).mean() - (1 - gammainc(shape, rate * 300)) ** 10) < 0.01


def test_zenith_distributions_of_signal_and_background() -> None:
    rng = np.random.default_rng(2)
    kinds = event_kinds(4000, 0.5, 0.3, rng)
    truth = generate_truth(kinds, CFG, rng)
    assert np.allclose(np.linalg.norm(truth.direction, axis=1), 1.0)
    uz = truth.direction[:, 2]
    assert (uz[kinds != KIND_BUNDLE] > 0).all() and (uz[kinds == KIND_BUNDLE] < 0).all()
    # up-going: uniform in solid angle (mean u_z 1/2); bundles: pdf ~ |u_z| (mean |u_z| ~ 2/3)
    assert abs(uz[kinds == KIND_TRACK].mean() - 0.5) < 0.04
    assert abs(-uz[kinds == KIND_BUNDLE].mean() - 2 / 3) < 0.03
    assert np.bincount(kinds, minlength=3).tolist() == [1400, 600, 2000]


def test_hit_counts_grow_with_energy_and_noise_matches_rate() -> None:
    rng = np.random.default_rng(3)
    kinds = np.full(300, KIND_CASCADE, dtype=np.int8)
    truth = generate_truth(kinds, CFG, rng)
    hits = simulate_hits(truth, CFG, rng)
    signal_hits = hits.n_hits - np.bincount(hits.event, hits.noise, len(truth))
    low, high = truth.energy_gev < 1e3, truth.energy_gev > 1e4
    assert np.median(signal_hits[high]) > 3 * np.median(signal_hits[low])
    expected_noise = CFG.n_doms * CFG.noise_rate_hz * (CFG.window_ns[1] - CFG.window_ns[0]) * 1e-9
    noise = hits.noise.sum() / len(truth)
    assert 0.8 * expected_noise < noise < 1.05 * expected_noise  # a few lost under signal hits
    assert (hits.charge_pe >= CFG.threshold_pe).all()


def test_line_fit_recovers_bright_tracks_and_cleaning_removes_noise() -> None:
    rng = np.random.default_rng(4)
    kinds = np.full(200, KIND_BUNDLE, dtype=np.int8)
    truth = generate_truth(kinds, CFG, rng)
    hits = simulate_hits(truth, CFG, rng)
    kept = local_coincidence(hits, CFG)
    assert kept[hits.noise == 1].mean() < 0.05 and kept[hits.noise == 0].mean() > 0.5
    err = angular_error_deg(line_fit(hits, CFG), truth.direction)
    assert np.median(err) < 15


def test_config_refuses_bad_values() -> None:
    with pytest.raises(ValueError, match="noise_rate_hz"):
        OpticalConfig(noise_rate_hz=float("nan"))
    with pytest.raises(ValueError, match="e_min_gev"):
        OpticalConfig(e_min_gev=1e5, e_max_gev=1e3)
