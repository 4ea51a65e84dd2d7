"""Physics of the scintillation-light simulation: layout, solid angle, reflections, yield, pulses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nulearn.detector.tpc.physics.deposits import Deposits, double_beta_events
from nulearn.detector.tpc.physics.light import (
    apd_gains,
    direct_solid_angle,
    light_acceptance,
    pulse_template,
    simulate_light,
    wall_to_disk_view_factor,
)
from nulearn.detector.tpc.physics.light_config import LightConfig, apd_positions, gang_centres
from nulearn.detector.tpc.physics.simulator import simulate

LC = LightConfig()


def _point(x: float, y: float, z: float, energy_kev: float = 2000.0, n: int = 1) -> Deposits:
    return Deposits(
        np.full((n, 1), energy_kev),
        np.tile([[[x, y, z]]], (n, 1, 1)).astype(float),
        np.tile([[[0.0, 0.0, 1.0]]], (n, 1, 1)),
        np.zeros((n, 1)),
        np.ones((n, 1), bool),
        np.zeros(n, np.int64),
    )


def test_layout_is_exo_like() -> None:
    centres = gang_centres(LC)
    apds = apd_positions(LC)
    assert centres.shape == (74, 3) and apds.shape == (74, 7, 3)
    assert np.allclose(centres[:37, 2], -LC.apd_plane_z_mm)
    assert np.allclose(centres[37:, 2], LC.apd_plane_z_mm)
    xy = apds[:37, :, :2].reshape(-1, 2)
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1) + np.eye(len(xy)) * 1e9
    # 259 APDs per plane on a hexagonal lattice: nearest neighbours exactly one pitch apart.
    assert np.isclose(dist.min(), LC.apd_pitch_mm)
    assert np.hypot(*xy.T).max() + LC.apd_diameter_mm / 2 <= LC.reflector_radius_mm
    with pytest.raises(ValueError, match="reflectivity"):
        LightConfig(reflectivity=1.2)
    with pytest.raises(ValueError, match="beyond the reflector"):
        LightConfig(apd_pitch_mm=25.0)


def test_solid_angle_on_axis_matches_closed_form() -> None:
    # Centre APD of the central gang, point on its axis: Omega/4pi = (1 - h/sqrt(h^2 + r^2))/2.
    h = 60.0
    p = np.array([[0.0, 0.0, -LC.apd_plane_z_mm + h]])
    from nulearn.detector.tpc.physics import light

    nodes, area = light._cubature_points(LC)
    v = nodes[0, :7] - p
    d = np.linalg.norm(v, axis=1)
    approx = float((area[:7] * np.abs(v[:, 2]) / (4 * np.pi * d**3)).sum())
    r = LC.apd_diameter_mm / 2
    exact = 0.5 * (1 - h / np.hypot(h, r))
    assert approx == pytest.approx(exact, rel=1e-4)


def test_solid_angle_total_bounded_and_symmetric() -> None:
    rng = np.random.default_rng(1)
    pts = np.column_stack(
        [rng.uniform(-100, 100, 20), rng.uniform(-100, 100, 20), rng.uniform(-190, 190, 20)]
    )
    f = direct_solid_angle(pts, LC)
    assert np.all(f >= 0)
    assert np.all(f[:, :37].sum(axis=1) < 0.5) and np.all(f[:, 37:].sum(axis=1) < 0.5)
    assert np.all(f.sum(axis=1) <= 1.0)
    mirrored = direct_solid_angle(pts * [1, 1, -1], LC)
    assert np.allclose(mirrored[:, :37], f[:, 37:]) and np.allclose(mirrored[:, 37:], f[:, :37])
    # Rotation by 60 degrees maps the hexagonal layout onto itself: totals per plane unchanged.
    c, s = np.cos(np.pi / 3), np.sin(np.pi / 3)
    rot = pts @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
    assert np.allclose(direct_solid_angle(rot, LC).sum(axis=1), f.sum(axis=1), rtol=1e-9)


def test_reflections_add_light_and_stay_below_one() -> None:
    pts = np.array([[0.0, 0.0, 0.0], [120.0, 0.0, 50.0]])
    direct = direct_solid_angle(pts, LC) * LC.grid_transmission * LC.quantum_efficiency
    total = light_acceptance(pts, LC)
    black = light_acceptance(pts, replace(LC, reflectivity=0.0))
    assert np.allclose(black, direct)
    assert np.all(total.sum(axis=1) > direct.sum(axis=1)) and np.all(total.sum(axis=1) < 1.0)
    assert float(wall_to_disk_view_factor(np.array(0.0), 1.0)) == pytest.approx(0.5)
    assert float(wall_to_disk_view_factor(np.array(1e4), 1.0)) < 1e-6


def test_light_anticorrelated_with_charge_same_events() -> None:
    rng = np.random.default_rng(3)
    dep = _point(0.0, 0.0, 50.0, n=400)
    ev = simulate_light(dep, rng=rng, noise=False)
    assert np.corrcoef(ev.photons, ev.electrons)[0, 1] < -0.99
    assert np.allclose(ev.photons + ev.electrons, ev.photons[0] + ev.electrons[0])
    # The wire signal of the same events comes from the same recombination draw.
    few = _point(0.0, 0.0, 50.0, n=5)
    both = simulate_light(few, rng=np.random.default_rng(4), charge=True, noise=False)
    wires = simulate(few, rng=np.random.default_rng(4), noise=False)
    assert both.charge is not None and np.array_equal(both.charge, wires)


def test_light_yield_scales_with_energy() -> None:
    ev = simulate_light(double_beta_events(50, rng=np.random.default_rng(0)), noise=False)
    per_kev = ev.photons / ev.energy_kev
    assert 25 < per_kev.mean() < 45  # (1 + 0.06) / 15.6 eV minus the escaping 0.55 fraction


def test_centroid_moves_toward_deposit() -> None:
    from nulearn.detector.tpc.models.light_centroid import channel_amplitudes, raw_centroid

    rng = np.random.default_rng(5)
    left = simulate_light(_point(-100.0, 0.0, -120.0, n=20), rng=rng)
    right = simulate_light(_point(100.0, 30.0, 120.0, n=20), rng=rng)
    cl = raw_centroid(channel_amplitudes(left.light, LC), LC).mean(axis=0)
    cr = raw_centroid(channel_amplitudes(right.light, LC), LC).mean(axis=0)
    assert cl[0] < -10 and cr[0] > 10 and cr[1] > cl[1]
    assert cl[2] < -0.1 and cr[2] > 0.1


def test_pulse_gains_and_noise() -> None:
    p = pulse_template(LC)
    assert p.shape == (LC.n_samples,) and p.max() == pytest.approx(1.0)
    assert np.all(p[: LC.trigger_sample] == pytest.approx(0.0, abs=1e-6))
    g = apd_gains(LC)
    assert g.shape == (74,) and abs(g.mean() / LC.apd_gain - 1) < 0.05
    quiet = simulate_light(
        _point(0.0, 0.0, 0.0, energy_kev=1.0, n=200), rng=np.random.default_rng(0)
    )
    pre = quiet.light[:, :, : LC.trigger_sample]
    expected = np.hypot(LC.noise_white_electrons, LC.noise_correlated_electrons)
    assert pre.std() == pytest.approx(expected, rel=0.15)
