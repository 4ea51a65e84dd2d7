"""The LArTPC image simulator against closed forms and the properties the labels rely on."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nulearn.detector.lartpc.physics.config import (
    LArTPCConfig,
    pixel_noise_sigma,
    pixel_response,
)
from nulearn.detector.lartpc.physics.particles import (
    COSMIC,
    MIP,
    NEUTRINO,
    PROTON,
    Segments,
    cosmic_segments,
    em_shower,
    neutrino_segments,
)
from nulearn.detector.lartpc.physics.simulator import (
    Deposits,
    deposits,
    diffusion_sigma,
    drifted_charge,
    rasterize,
    simulate_images,
)

SMALL = LArTPCConfig.for_image_size(64)


def _events(config: LArTPCConfig, n: int, seed: int) -> Segments:
    rng = np.random.default_rng(seed)
    parts = []
    for e in range(n):
        parts += [cosmic_segments(rng, config, e), neutrino_segments(rng, config, e)]
    return Segments.concat(parts)


def test_labels_follow_the_noiseless_charge() -> None:
    rng = np.random.default_rng(0)
    images, labels, charge = simulate_images(_events(SMALL, 6, 0), 6, SMALL, rng)
    threshold = SMALL.label_threshold_sigma * pixel_noise_sigma(SMALL)
    total = charge.sum(axis=1)
    assert np.all(total[labels == 0] < threshold)
    assert np.all(total[labels > 0] >= threshold)
    assert np.all(charge[:, 0][labels == 1] >= charge[:, 1][labels == 1])
    assert np.all(charge[:, 1][labels == 2] > charge[:, 0][labels == 2])
    assert (labels == 1).any() and (labels == 2).any()
    # the image is the charge plus noise of the documented pixel RMS
    resid = (images - total)[labels == 0]
    assert resid.std() == pytest.approx(pixel_noise_sigma(SMALL), rel=0.05)


def _cosmic(t0: float, config: LArTPCConfig) -> Segments:
    """A steep muon (60 deg from vertical) crossing from the anode to the cathode mid-window."""
    d = np.array([np.sin(1.0) * 0.8, -np.cos(1.0), np.sin(1.0) * 0.2])
    mid = np.array([config.drift_length_mm / 2, 0.0, config.width_mm / 2])
    start = mid - d * 3000.0
    return Segments.make(start, d, 6000.0, MIP, COSMIC, t0)


def test_an_in_time_cosmic_crosses_the_whole_drift_and_an_out_of_time_one_is_displaced() -> None:
    rng = np.random.default_rng(1)
    _, lab, _ = simulate_images(_cosmic(0.0, SMALL), 1, SMALL, rng)
    rows = np.nonzero(lab[0] == 1)[0]
    assert rows.min() == 0 and rows.max() == SMALL.time_pixels - 1  # anode to cathode
    late = 0.5 * SMALL.drift_time_us  # arrives half a drift time after the trigger
    _, lab, _ = simulate_images(_cosmic(late, SMALL), 1, SMALL, rng)
    rows = np.nonzero(lab[0] == 1)[0]
    assert rows.min() == pytest.approx(SMALL.time_pixels / 2, abs=1)  # its anode end, shifted
    assert rows.max() == SMALL.time_pixels - 1  # cut by the end of the readout window


def test_cosmics_span_the_image() -> None:
    # cosmics cross the window: they enter it through an edge and run across it; many end inside
    # it because they arrive out of time, so that their anode or cathode crossing is displaced in
    # drift time (t0 is uniform within a drift time of the trigger), or leave the 4 m height
    config = LArTPCConfig.for_image_size(64)
    rng = np.random.default_rng(2)
    seg = Segments.concat([cosmic_segments(rng, config, 0) for _ in range(12)])
    seg = dataclasses.replace(seg, event=np.arange(len(seg)))
    _, lab, _ = simulate_images(seg, len(seg), config, rng)
    edges, long = [], []
    for one in lab:
        r, c = np.nonzero(one == 1)
        if r.size < 5:
            continue
        edges.append(
            int(r.min() == 0) + int(r.max() == 63) + int(c.min() == 0) + int(c.max() == 63)
        )
        long.append(max(np.ptp(r), np.ptp(c)) >= 16)
    assert len(edges) >= 30
    edges_arr = np.array(edges)
    assert np.mean(edges_arr >= 1) > 0.75  # they enter the window through an edge
    assert np.mean(long) > 0.6  # and are long: at least a quarter of the image (1 x 0.4 m)


def test_diffusion_width_grows_as_sqrt_2dt() -> None:
    # fine pixels (0.25 mm wires, one 0.5 us tick) so that the cloud spans many pixels
    config = LArTPCConfig(
        wire_pitch_mm=0.25, wires_per_pixel=1, ticks_per_pixel=1, wire_pixels=128, time_pixels=128
    )
    drift = np.array([250.0, 500.0, 1000.0, 2000.0])
    n = drift.size
    # out of time so that every cloud lands mid-window: diffusion follows the true drift only
    t0 = (50.0 - drift) / config.drift_velocity_mm_per_us
    pos = np.stack([drift, np.zeros(n), np.full(n, 16.0)], axis=1)
    dep = Deposits(pos, np.ones(n), np.ones(n), np.ones(n, dtype=np.int64), t0, np.arange(n))
    image = rasterize(dep, np.ones(n), n, config)[:, 0]
    for axis, coefficient, pixel in (
        (1, config.diffusion_trans_cm2_per_s, config.pixel_wire_mm),
        (0, config.diffusion_long_cm2_per_s, config.pixel_drift_mm),
    ):
        profile = image.sum(axis=2 - axis)  # (n, pixels) along the wire or time axis
        centres = np.arange(profile.shape[1]) + 0.5
        mean = (profile * centres).sum(1) / profile.sum(1)
        var = (profile * (centres - mean[:, None]) ** 2).sum(1) / profile.sum(1)
        measured = np.sqrt(np.maximum(var - 1.0 / 12.0, 0.0)) * pixel
        t_s = drift / config.drift_velocity_mm_per_us * 1e-6
        expected = np.sqrt(2.0 * coefficient * t_s) * 10.0  # cm -> mm
        np.testing.assert_allclose(measured, expected, rtol=0.05)
        np.testing.assert_allclose(expected, diffusion_sigma(drift, coefficient, config))


def test_mip_recombination_and_lifetime() -> None:
    config = LArTPCConfig(electron_lifetime_us=1000.0)
    pos = np.array([[0.0, 0, 0], [config.drift_velocity_mm_per_us * 1000.0, 0, 0]])
    dep = Deposits(
        pos,
        np.full(2, 0.21),
        np.ones(2),
        np.ones(2, dtype=np.int64),
        np.zeros(2),
        np.zeros(2, dtype=np.int64),
    )
    q = drifted_charge(dep, config)
    ionised = 0.21 / (config.w_value_ev * 1e-6)
    assert q[0] / ionised == pytest.approx(0.70, abs=0.02)  # Box model at 500 V/cm, 2.1 MeV/cm
    assert q[1] / q[0] == pytest.approx(np.exp(-1.0), rel=1e-9)  # one lifetime of drift


def test_protons_rise_to_a_bragg_peak_and_showers_branch() -> None:
    rng = np.random.default_rng(3)
    p = deposits(
        Segments.make(np.zeros(3), np.array([0, 0, 1.0]), 100.0, PROTON, NEUTRINO), 1.0, rng
    )
    assert p.energy[-1] > 3 * p.energy[0]
    s = em_shower(rng, np.zeros(3), np.array([0, 0, 1.0]), 1000.0, True, NEUTRINO)
    assert len(s) > 20
    assert s.start[:, 2].min() > 0  # a photon travels before it converts
    lateral = np.hypot(s.start[:, 0], s.start[:, 1])
    assert 5.0 < np.median(lateral) < 200.0  # Moliere-like spread (R_M = 90 mm)
    assert 700 < s.length.sum() * 0.21 < 1300  # energy roughly conserved


def test_response_and_config_checks() -> None:
    k = pixel_response(SMALL)
    assert k.sum() == pytest.approx(1.0) and np.all(k >= 0)
    with pytest.raises(ValueError, match="drift_velocity"):
        LArTPCConfig(drift_velocity_mm_per_us=0.0)
    with pytest.raises(ValueError, match="image size 100"):
        LArTPCConfig.for_image_size(100)
