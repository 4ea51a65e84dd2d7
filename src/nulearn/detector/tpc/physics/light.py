"""Scintillation light on the 74 APD channels, from the same charge clusters as the wire signals.

Chain, vectorized over events x channels (each step a function so tests can check it alone):

1. Yield (:func:`scintillation_photons`): per cluster ``(1 + alpha) N_i - N_e`` photons, with
   ``N_e`` the electrons escaping recombination drawn by the charge simulator, so light and
   charge are anti-correlated event by event (see :mod:`.light_config`).
2. Transport (:func:`light_acceptance`), at the photon-weighted cluster centroid (a single-site
   event spans < 1 cm, over which the acceptance changes by < 2 %), as expected photoelectrons
   per photon on each gang:

   * direct: the solid angle of every APD of the gang, ``Omega/4pi = A/(4pi) sum_i w_i h/d_i^3``
     with Radon's 7-point degree-5 cubature on each 16 mm disk (exact on axis to < 1e-4 for
     d > 25 mm);
   * reflected, first bounce (position dependent): the barrel is cut into ``wall_z_bins x
     wall_phi_bins`` elements; a photon first hits element j with probability
     ``dA_j cos(theta_j)/(4 pi d_j^2)``; the teflon re-emits it with probability ``rho``
     following Lambert's law, reaching gang k with probability ``M_jk = sum dA cos cos / (pi d^2)``
     (precomputed per detector);
   * reflected, later bounces (the effective diffuse term): light leaving the wall a second time
     is taken as uniform over the barrel, so each further generation adds ``rho * mean_j M_jk``
     and returns a fraction ``rho * mean_j B_j`` to the wall, with ``B_j`` the wall-to-wall view
     factor from the closed form for a ring element and an end disk
     (``F = (H^2 + 2)/(2 sqrt(H^2 + 4)) - H/2``, H = distance / radius); the geometric series
     sums in closed form. Light reaching the end planes outside the APDs is absorbed.

   Every path to an APD crosses the two wire planes (``grid_transmission``) and converts with
   ``quantum_efficiency``.
3. Photon statistics: photoelectrons ~ Poisson(photons x acceptance) per gang; the avalanche
   multiplies them by the gang's gain with excess noise (variance ``(F - 1) n G^2``).
4. Electronics: the prompt flash (ns decay times, below the 1 us sampling) is a charge step at
   ``trigger_sample`` through the CR-(RC)^n shaper (peak 1 per electron), plus white and
   coherent noise of the same spectrum.

Waveforms are in electrons at the APD output (photoelectrons x gain).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.deposits import Deposits
from nulearn.detector.tpc.physics.light_config import LightConfig, apd_positions
from nulearn.detector.tpc.physics.simulator import (
    ChargeClusters,
    charge_clusters,
    waveforms_from_clusters,
)

__all__ = [
    "LightEvents",
    "apd_gains",
    "direct_solid_angle",
    "light_acceptance",
    "pulse_template",
    "scintillation_photons",
    "simulate_light",
    "wall_to_disk_view_factor",
]

# Radon's 7-point cubature on the unit disk (degree 5): centre 1/4, six at sqrt(2/3) with 1/8.
_RADON_R = np.sqrt(2.0 / 3.0)
_RADON_W = np.array([0.25] + [0.125] * 6)
_CHUNK = 1024


def _cubature_points(config: LightConfig) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cubature nodes on every APD, shape (74, 49, 3), and their area weights (49,), mm^2."""
    apds = apd_positions(config)
    r = 0.5 * config.apd_diameter_mm
    ang = np.arange(6) * np.pi / 3 + np.pi / 6
    nodes = np.vstack([[0.0, 0.0], r * _RADON_R * np.column_stack([np.cos(ang), np.sin(ang)])])
    pts = np.repeat(apds[:, :, None, :], 7, axis=2)
    pts[..., :2] += nodes
    area = np.pi * r * r * np.tile(_RADON_W, 7)
    return pts.reshape(apds.shape[0], 49, 3), area


def direct_solid_angle(points_mm: NDArray[np.floating], config: LightConfig) -> NDArray[np.float64]:
    """Fraction of isotropic photons from each point that hit each gang directly (Omega / 4 pi).

    Args:
        points_mm: emission points, shape (n, 3), mm, inside the reflector.
        config: light readout.

    Returns:
        Shape (n, 74), each entry in [0, 1); the row sum is below 1/2 per plane.

    >>> f = direct_solid_angle(np.zeros((1, 3)), LightConfig())
    >>> bool(np.allclose(f[0, :37].sum(), f[0, 37:].sum()))
    True
    """
    nodes, area = _cubature_points(config)
    flat = nodes.reshape(-1, 3)
    out = np.empty((points_mm.shape[0], nodes.shape[0]))
    for lo in range(0, points_mm.shape[0], _CHUNK):
        p = points_mm[lo : lo + _CHUNK]
        v = flat[None, :, :] - p[:, None, :]
        d2 = np.einsum("nij,nij->ni", v, v)
        dens = np.abs(v[..., 2]) / (4 * np.pi * d2**1.5)
        out[lo : lo + _CHUNK] = (dens.reshape(len(p), *nodes.shape[:2]) * area).sum(axis=2)
    return out


def wall_to_disk_view_factor(distance_mm: NDArray[np.floating], radius_mm: float) -> NDArray:
    """View factor from a ring element on the inside of a cylinder to the end disk at
    ``distance_mm`` (same radius): ``(H^2 + 2)/(2 sqrt(H^2 + 4)) - H/2`` with H = distance/radius.

    >>> float(wall_to_disk_view_factor(np.array(0.0), 1.0))
    0.5
    """
    h = np.asarray(distance_mm, dtype=np.float64) / radius_mm
    return (h * h + 2) / (2 * np.sqrt(h * h + 4)) - h / 2


@dataclass(frozen=True)
class _Wall:
    """Barrel elements: centres (n_w, 3), area (scalar), wall-to-gang matrix M (n_w, 74), and
    the uniform-wall diffuse terms: mean gang fraction (74,) and wall-to-wall return fraction."""

    centres: NDArray[np.float64]
    area: float
    to_gang: NDArray[np.float64]
    uniform_to_gang: NDArray[np.float64]
    uniform_return: float


@lru_cache(maxsize=4)
def _wall(config: LightConfig) -> _Wall:
    R, zmax = config.reflector_radius_mm, config.apd_plane_z_mm
    nz, nphi = config.wall_z_bins, config.wall_phi_bins
    z = -zmax + (np.arange(nz) + 0.5) * (2 * zmax / nz)
    phi = (np.arange(nphi) + 0.5) * (2 * np.pi / nphi)
    zz, pp = np.meshgrid(z, phi, indexing="ij")
    centres = np.stack([R * np.cos(pp), R * np.sin(pp), zz], axis=-1).reshape(-1, 3)
    area = (2 * zmax / nz) * (2 * np.pi * R / nphi)
    nodes, w = _cubature_points(config)
    flat = nodes.reshape(-1, 3)
    normal = np.column_stack([np.cos(pp.ravel()), np.sin(pp.ravel()), np.zeros(pp.size)])
    to_gang = np.empty((len(centres), nodes.shape[0]))
    for lo in range(0, len(centres), 256):
        c, nrm = centres[lo : lo + 256], normal[lo : lo + 256]
        v = flat[None, :, :] - c[:, None, :]
        d2 = np.einsum("jik,jik->ji", v, v)
        cos_wall = np.clip(-np.einsum("jik,jk->ji", v, nrm), 0.0, None)
        lambert = cos_wall * np.abs(v[..., 2]) / (np.pi * d2 * d2)
        to_gang[lo : lo + 256] = (lambert.reshape(len(c), *nodes.shape[:2]) * w).sum(axis=2)
    dz = np.abs(centres[:, 2])
    back = 1.0 - wall_to_disk_view_factor(zmax - dz, R) - wall_to_disk_view_factor(zmax + dz, R)
    return _Wall(centres, area, to_gang, to_gang.mean(axis=0), float(back.mean()))


def light_acceptance(points_mm: NDArray[np.floating], config: LightConfig) -> NDArray[np.float64]:
    """Photoelectrons per emitted photon on each gang, direct plus reflected, shape (n, 74).

    Args:
        points_mm: emission points, shape (n, 3), mm.
        config: light readout.
    """
    wall = _wall(config)
    rho = config.reflectivity
    acc = direct_solid_angle(points_mm, config)
    n = points_mm.shape[0]
    normal_xy = wall.centres[:, :2] / config.reflector_radius_mm
    for lo in range(0, n, _CHUNK):
        p = points_mm[lo : lo + _CHUNK]
        v = wall.centres[None, :, :] - p[:, None, :]
        d2 = np.einsum("nij,nij->ni", v, v)
        cos_hit = np.clip(np.einsum("nik,ik->ni", v[..., :2], normal_xy), 0.0, None)
        hits = wall.area * cos_hit / (4 * np.pi * d2**1.5)  # first-hit fraction per element
        first = rho * hits @ wall.to_gang
        # Light going back to the wall after the first bounce: ~ (1 - to the planes).
        returning = rho * hits.sum(axis=1) * wall.uniform_return
        later = returning[:, None] * rho * wall.uniform_to_gang / (1 - rho * wall.uniform_return)
        acc[lo : lo + _CHUNK] += first + later
    return acc * config.grid_transmission * config.quantum_efficiency


def scintillation_photons(
    clusters: ChargeClusters, tpc: TPCConfig, light: LightConfig
) -> NDArray[np.float64]:
    """Scintillation photons per cluster, shape (n_events, n_clusters): ``(1 + alpha) N_i - N_e``.

    ``N_i = E / W`` ions and ``N_e`` = ``clusters.electrons_created`` (escaping recombination,
    before attachment): every recombining ion and every exciton gives one photon, so
    photons + electrons is fixed by the energy and the two fluctuate in opposite directions.
    """
    ions = clusters.energy_kev * 1000.0 / tpc.w_value_ev
    photons = (1.0 + light.exciton_ratio) * ions - clusters.electrons_created
    return np.where(clusters.mask, np.maximum(photons, 0.0), 0.0)


def apd_gains(config: LightConfig) -> NDArray[np.float64]:
    """Per-gang avalanche gains, shape (74,), mean ``apd_gain``, RMS ``gain_spread`` (seeded)."""
    g = np.random.default_rng(config.gain_seed)
    rel = np.clip(1.0 + config.gain_spread * g.standard_normal(config.n_channels), 0.5, 1.5)
    return config.apd_gain * rel


def _shaper(freq_mhz: NDArray[np.floating], config: LightConfig) -> NDArray[np.complex128]:
    s = 2j * np.pi * freq_mhz
    td, ti = config.shaping_differentiation_us, config.shaping_integration_us
    return s * td / (1 + s * td) / (1 + s * ti) ** config.n_integrators


@lru_cache(maxsize=4)
def pulse_template(config: LightConfig) -> NDArray[np.float32]:
    """Shaped response to a unit charge step at ``trigger_sample``, shape (n_samples,), peak 1.

    The CR differentiator and the n RC integrators are applied in the time domain on a 10 ns grid
    (exact first-order recursions), so the pulse is causal: zero before the trigger.
    """
    from scipy.signal import lfilter

    sub = 100
    dt = config.sampling_period_us / sub
    step = np.zeros(config.n_samples * sub)
    step[config.trigger_sample * sub :] = 1.0

    def low_pass(x: NDArray[np.float64], tau: float) -> NDArray[np.float64]:
        a = np.exp(-dt / tau)
        return lfilter([1 - a], [1, -a], x)

    wave = step - low_pass(step, config.shaping_differentiation_us)
    for _ in range(config.n_integrators):
        wave = low_pass(wave, config.shaping_integration_us)
    wave = wave[::sub]
    return (wave / wave.max()).astype(np.float32)


def _noise(n: int, config: LightConfig, rng: np.random.Generator) -> NDArray[np.float32]:
    """White and coherent shaped noise, shape (n, 74, n_samples), electrons RMS as configured."""
    n_t = config.n_samples
    freq = np.fft.rfftfreq(n_t, config.sampling_period_us)
    shape = np.abs(_shaper(freq, config))
    shape[0] = shape[-1] = 0.0
    spectrum = (shape / np.sqrt(2.0 / n_t * np.sum(shape**2)) / np.sqrt(2.0)).astype(np.float32)

    def draw(k: int, rms: float) -> NDArray[np.float32]:
        z = rng.standard_normal((n, k, freq.size, 2), dtype=np.float32)
        spec = (z[..., 0] + 1j * z[..., 1]) * (rms * spectrum)
        return np.fft.irfft(spec, n_t, axis=-1, norm="ortho").astype(np.float32)

    out = draw(config.n_channels, config.noise_white_electrons)
    if config.noise_correlated_electrons > 0:
        out += draw(1, config.noise_correlated_electrons)
    return out


@dataclass(frozen=True)
class LightEvents:
    """Light (and optionally charge) waveforms of a batch with the truth they came from.

    Attributes:
        light: APD waveforms, shape (n, 74, n_samples), float32, electrons at the APD output.
        charge: U-wire waveforms (n, 76, 1024) in electrons, or ``None`` when not simulated.
        position_mm: energy-weighted deposit centroid, shape (n, 3), mm (the regression target).
        energy_kev: deposited energy, shape (n,).
        photons: scintillation photons, shape (n,).
        electrons: electrons escaping recombination, shape (n,).
        photoelectrons: detected photoelectrons per gang, shape (n, 74).
    """

    light: NDArray[np.float32]
    charge: NDArray[np.float32] | None
    position_mm: NDArray[np.float64]
    energy_kev: NDArray[np.float64]
    photons: NDArray[np.float64]
    electrons: NDArray[np.float64]
    photoelectrons: NDArray[np.float64]


def simulate_light(
    deposits: Deposits,
    tpc: TPCConfig | None = None,
    light: LightConfig | None = None,
    rng: np.random.Generator | None = None,
    charge: bool = False,
    noise: bool = True,
) -> LightEvents:
    """Simulate the APD waveforms of a batch, and with ``charge`` the wire waveforms of the same
    charge clusters (one recombination draw shared by both readouts).

    Args:
        deposits: energy deposits of ``n`` events.
        tpc: charge readout and drift (default :class:`TPCConfig`).
        light: light readout (default :class:`LightConfig`).
        rng: random generator.
        charge: also simulate the wire waveforms.
        noise: add electronics noise to the light waveforms (and the charge ones).

    Returns:
        :class:`LightEvents`.

    >>> from nulearn.detector.tpc.physics.deposits import uniform_energy_events
    >>> g = np.random.default_rng(0)
    >>> ev = simulate_light(uniform_energy_events(2, rng=g), rng=g)
    >>> ev.light.shape
    (2, 74, 128)
    """
    cfg, lc, g = tpc or TPCConfig(), light or LightConfig(), rng or np.random.default_rng()
    clusters = charge_clusters(deposits, cfg, g)
    photons = scintillation_photons(clusters, cfg, lc)
    total = photons.sum(axis=1)
    centre = (photons[..., None] * clusters.position_mm).sum(axis=1) / np.maximum(total, 1e-9)[
        :, None
    ]
    acc = light_acceptance(centre, lc)
    pe = g.poisson(total[:, None] * acc).astype(np.float64)
    gain = apd_gains(lc)
    amp = pe * gain + g.standard_normal(pe.shape) * np.sqrt((lc.excess_noise_factor - 1) * pe) * (
        gain
    )
    waves = amp[..., None].astype(np.float32) * pulse_template(lc)
    if noise:
        waves += _noise(deposits.n_events, lc, g)
    wires = waveforms_from_clusters(clusters, cfg, g, noise=noise) if charge else None
    return LightEvents(
        waves,
        wires,
        deposits.charge_centroid_mm(),
        deposits.total_energy_kev,
        total,
        clusters.electrons_created.sum(axis=1),
        pe,
    )
