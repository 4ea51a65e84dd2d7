"""Charge-readout simulation of the liquid-xenon TPC, vectorized over events.

Chain (each step a function so tests can check it alone):

1. :func:`charge_clusters` -- tracks split into clusters every ``cluster_spacing_mm``; the number
   of escaping electrons per cluster is Gaussian with variance ``fano_effective * mean``.
2. Drift -- time ``(L - |z|)/v + g/v_gap``; attachment keeps ``exp(-t/tau_e)`` of the charge
   (EXO-200, PRC 89, 015502); transverse diffusion sigma_T = sqrt(2 D_T t) spreads each cluster
   as a Gaussian: the collected fraction per channel is exact (normal CDF), the short induction
   transient is integrated with 3-point Gauss-Hermite quadrature. Longitudinal diffusion (< 0.5 us at full
   drift) is below the 3 us shaping time and is neglected.
3. Collection on the nearest U channel, induction on +-3 neighbours, from the Shockley-Ramo
   template bank of :mod:`nulearn.detector.tpc.physics.response` (raw or shaped).
4. Per-channel gain (fixed per detector), then white and correlated noise shaped like the signal
   chain: :func:`electronics_noise`.

Waveforms are in electrons at nominal gain: a collected charge of q electrons peaks at q * gain.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.deposits import Deposits
from nulearn.detector.tpc.physics.response import N_NEIGHBOURS, response_tables, shaper_transfer

__all__ = [
    "ChargeClusters",
    "channel_gains",
    "charge_clusters",
    "electronics_noise",
    "simulate",
]

_GH_NODES = np.array([-np.sqrt(3.0), 0.0, np.sqrt(3.0)])
_GH_WEIGHTS = np.array([1 / 6, 2 / 3, 1 / 6])


class ChargeClusters:
    """Drifted charge clusters of a batch, padded, all arrays of shape (n_events, n_clusters).

    Attributes:
        electrons: electrons reaching the U plane (after attachment).
        electrons_created: electrons escaping recombination at creation.
        x_mm: transverse position (U coordinate).
        side: drift region, 0 for z < 0 and 1 for z >= 0.
        arrival_us: arrival time at the U plane, from the start of the waveform.
        sigma_mm: transverse diffusion width at the U plane.
        position_mm: cluster position at creation, shape (n_events, n_clusters, 3).
        energy_kev: deposited energy of the cluster.
        mask: which clusters exist (and are inside the wire plane).
    """

    def __init__(self, deposits: Deposits, config: TPCConfig, rng: np.random.Generator) -> None:
        cfg = config
        n, k = deposits.mask.shape
        n_c = np.clip(np.ceil(deposits.length_mm / cfg.cluster_spacing_mm), 1, None).astype(
            np.int64
        )
        n_c = np.where(deposits.mask, n_c, 0)
        m = int(max(n_c.max(), 1))
        frac = (np.arange(m) + 0.5)[None, None, :] / np.maximum(n_c, 1)[..., None]  # along track
        exists = np.arange(m)[None, None, :] < n_c[..., None]
        pos = (
            deposits.position_mm[:, :, None, :]
            + (frac * deposits.length_mm[..., None])[..., None] * deposits.direction[:, :, None, :]
        )
        energy = np.where(
            exists, deposits.energy_kev[..., None] / np.maximum(n_c, 1)[..., None], 0.0
        )
        pos = pos.reshape(n, k * m, 3)
        energy = energy.reshape(n, k * m)
        exists = exists.reshape(n, k * m)
        # Compact: existing clusters first, then trim the padding.
        order = np.argsort(~exists, axis=1, kind="stable")
        width = int(max(exists.sum(axis=1).max(), 1))
        order = order[:, :width]
        exists = np.take_along_axis(exists, order, 1)
        energy = np.take_along_axis(energy, order, 1)
        pos = np.take_along_axis(pos, order[..., None], 1)

        mean_e = energy * cfg.electrons_per_kev
        created = mean_e + np.sqrt(cfg.fano_effective * mean_e) * rng.standard_normal(mean_e.shape)
        created = np.where(exists, np.maximum(created, 0.0), 0.0)
        z = pos[..., 2]
        drift = np.clip(cfg.drift_length_mm - np.abs(z), 0.0, cfg.drift_length_mm)
        t_bulk = drift / cfg.drift_velocity_mm_per_us
        t_total = t_bulk + cfg.gap_mm / cfg.gap_velocity_mm_per_us
        inside = np.abs(pos[..., 0]) < cfg.half_width_mm
        self.mask: NDArray[np.bool_] = exists & inside
        self.electrons_created: NDArray[np.float64] = np.where(self.mask, created, 0.0)
        self.electrons: NDArray[np.float64] = self.electrons_created * np.exp(
            -t_total / cfg.electron_lifetime_us
        )
        self.x_mm: NDArray[np.float64] = pos[..., 0]
        # Kept for the scintillation light of the same clusters (physics/light.py).
        self.position_mm: NDArray[np.float64] = pos
        self.energy_kev: NDArray[np.float64] = np.where(exists, energy, 0.0)
        self.side: NDArray[np.int64] = (z >= 0).astype(np.int64)
        self.arrival_us: NDArray[np.float64] = cfg.trigger_sample * cfg.sampling_period_us + t_total
        # D_T in cm^2/s = 1e-4 mm^2/us.
        self.sigma_mm: NDArray[np.float64] = np.sqrt(
            2e-4 * cfg.diffusion_transverse_cm2_per_s * t_bulk
        )


def charge_clusters(
    deposits: Deposits, config: TPCConfig, rng: np.random.Generator
) -> ChargeClusters:
    """Split tracks into clusters, fluctuate their charge, drift them (see :class:`ChargeClusters`)."""
    return ChargeClusters(deposits, config, rng)


def channel_gains(config: TPCConfig) -> NDArray[np.float64]:
    """Per-channel relative gains, shape (n_channels,), mean 1, RMS ``gain_spread`` (seeded)."""
    g = np.random.default_rng(config.gain_seed)
    return np.clip(1.0 + config.gain_spread * g.standard_normal(config.n_channels), 0.5, 1.5)


def electronics_noise(
    n_events: int, config: TPCConfig, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Shaped electronics noise, shape (n_events, n_channels, n_samples), electrons.

    White noise at the preamplifier input passes the CR-(RC)^n shaper, so its spectrum is |H(f)|.
    A second component with the same spectrum is common to all channels of one drift region
    (correlated pickup). RMS per channel: ``noise_white_electrons`` (+) ``noise_correlated_electrons``.
    """
    n_t, n_ch = config.n_samples, config.n_channels
    freq = np.fft.rfftfreq(n_t, config.sampling_period_us)
    shape = np.abs(shaper_transfer(freq, config))
    shape[0] = 0.0
    shape[-1] = 0.0
    # With norm="ortho" and unit complex normals, Var x[t] = (2/n) sum_k S_k^2 over 0 < k < n/2.
    unit = np.sqrt(2.0 / n_t * np.sum(shape**2))
    spectrum = (shape / unit / np.sqrt(2.0)).astype(np.float32)

    def draw(n_wave: int, rms: float) -> NDArray[np.float32]:
        if rms == 0:
            return np.zeros((n_events, n_wave, n_t), np.float32)
        z = rng.standard_normal((n_events, n_wave, freq.size, 2), dtype=np.float32)
        spec = (z[..., 0] + 1j * z[..., 1]) * (rms * spectrum)
        return np.fft.irfft(spec, n_t, axis=-1, norm="ortho").astype(np.float32)

    noise = draw(n_ch, config.noise_white_electrons)
    if config.noise_correlated_electrons > 0:
        common = draw(2, config.noise_correlated_electrons)
        noise += np.repeat(common, config.channels_per_side, axis=1)
    return noise


def simulate(
    deposits: Deposits,
    config: TPCConfig | None = None,
    rng: np.random.Generator | None = None,
    noise: bool = True,
    shaping: bool = True,
    gains: bool = True,
) -> NDArray[np.float32]:
    """Simulate U-wire waveforms of a batch of events.

    Args:
        deposits: energy deposits of ``n_events`` events.
        config: detector (default :class:`TPCConfig`).
        rng: random generator (charge fluctuations and noise).
        noise: add electronics noise.
        shaping: apply the CR-(RC)^n shaper; ``False`` gives the preamplifier's induced charge.
        gains: apply per-channel gain variation.

    Returns:
        Waveforms, shape (n_events, n_channels, n_samples), float32, electrons.
    """
    cfg, g = config or TPCConfig(), rng or np.random.default_rng()
    clusters = charge_clusters(deposits, cfg, g)
    return waveforms_from_clusters(clusters, cfg, g, noise=noise, shaping=shaping, gains=gains)


def waveforms_from_clusters(
    clusters: ChargeClusters,
    config: TPCConfig,
    rng: np.random.Generator,
    noise: bool = True,
    shaping: bool = True,
    gains: bool = True,
) -> NDArray[np.float32]:
    """Induced signals of drifted clusters plus electronics; shapes as in :func:`simulate`."""
    cfg = config
    tables = response_tables(cfg)
    transient = (tables.transient_shaped if shaping else tables.transient_raw).ravel()
    step = tables.step_shaped if shaping else tables.step_raw
    n_dx, n_tau = tables.shaped.shape
    n, n_cl = clusters.mask.shape
    n_t, cps, p = cfg.n_samples, cfg.channels_per_side, cfg.wire_pitch_mm
    out = np.zeros((n, cfg.n_channels, n_t), np.float32)
    gain = channel_gains(cfg) if gains else np.ones(cfg.n_channels)
    t_samples = np.arange(n_t) * cfg.sampling_period_us
    rows_of_event = np.arange(n)
    for c in range(n_cl):
        live = clusters.mask[:, c]
        if not live.any():
            continue
        q = np.where(live, clusters.electrons[:, c], 0.0)
        x0 = np.clip(clusters.x_mm[:, c], -cfg.half_width_mm, cfg.half_width_mm - 1e-9)
        sigma = np.maximum(clusters.sigma_mm[:, c], 1e-6)
        local0 = np.floor((x0 + cfg.half_width_mm) / p).astype(np.int64)
        tau_index = np.rint(
            (t_samples[None, :] - clusters.arrival_us[:, c, None] - tables.tau_min_us)
            / tables.tau_step_us
        )
        tau_index = np.clip(tau_index, 0, n_tau - 1).astype(np.int64)
        step_wave = step[tau_index]
        for offset in range(-N_NEIGHBOURS, N_NEIGHBOURS + 1):
            ch_local = local0 + offset
            valid = live & (ch_local >= 0) & (ch_local < cps)
            if not valid.any():
                continue
            ch_local = np.clip(ch_local, 0, cps - 1)
            centre = (ch_local + 0.5) * p - cfg.half_width_mm
            # Collected fraction of the Gaussian-diffused cloud on this channel: exact.
            collected = ndtr((centre + p / 2 - x0) / sigma) - ndtr((centre - p / 2 - x0) / sigma)
            wave = collected[:, None] * step_wave
            # Transient induction while crossing the gap: 3-point Gauss-Hermite over the cloud.
            for node, weight in zip(_GH_NODES, _GH_WEIGHTS, strict=True):
                row = np.floor(
                    (x0 + node * sigma - centre - tables.dx_min_mm) / tables.dx_step_mm
                ).astype(np.int64)
                row = np.clip(row, 0, n_dx - 1)
                wave += weight * transient[row[:, None] * n_tau + tau_index]
            channel = clusters.side[:, c] * cps + ch_local
            amp = np.where(valid, q * gain[channel], 0.0).astype(np.float32)
            out[rows_of_event, channel] += amp[:, None] * wave
    if noise:
        out += electronics_noise(n, cfg, rng)
    return out
