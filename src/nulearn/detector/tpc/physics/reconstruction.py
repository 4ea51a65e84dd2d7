"""Conventional reconstruction: per-channel matched filter, template fit, lifetime correction.

The chain follows the EXO-200 U-wire reconstruction in spirit (Albert et al., PRC 89, 015502
(2014)): calibrate channel gains; find a signal per channel with a matched filter (correlation
with the collection template) above ``threshold_sigma`` times its noise; fit the collection and
induction templates together at the found time (linear least squares) to separate collected
charge from induction; sum the collected charge; correct for attachment with the measured
drift time, exp(+t/tau_e); count sites as groups of hit channels adjacent in channel and time.
Charge below threshold is lost -- the limitation a waveform CNN can overcome.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.response import response_tables
from nulearn.detector.tpc.physics.simulator import channel_gains, electronics_noise

__all__ = ["Reconstruction", "energy_resolution", "reconstruct"]

_LEAD_SAMPLES = 5
_TEMPLATE_SAMPLES = 160


@dataclass(frozen=True)
class Reconstruction:
    """Conventional reconstruction of a batch of events.

    Attributes:
        energy_kev: lifetime-corrected collected charge converted to keV, shape (n_events,).
        n_sites: number of charge sites, shape (n_events,).
        amplitude: fitted collected charge per channel (0 where no signal), (n_events, n_channels), electrons.
        induction: fitted induction amplitude per channel, (n_events, n_channels).
        arrival_us: signal arrival time per channel, (n_events, n_channels), us from waveform start.
        hit: channels with a collection signal above threshold, (n_events, n_channels).
    """

    energy_kev: NDArray[np.float64]
    n_sites: NDArray[np.int64]
    amplitude: NDArray[np.float64]
    induction: NDArray[np.float64]
    arrival_us: NDArray[np.float64]
    hit: NDArray[np.bool_]

    def features(self) -> pd.DataFrame:
        """Conventional per-event features for a boosted decision tree, one row per event."""
        amp = np.where(self.hit, self.amplitude, 0.0)
        total = np.maximum(amp.sum(axis=1), 1.0)
        ch = np.arange(self.hit.shape[1])[None, :]
        t_hit = np.where(self.hit, self.arrival_us, np.nan)
        ch_hit = np.where(self.hit, ch, np.nan)
        any_hit = self.hit.any(axis=1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: events without hits
            t_spread = np.where(any_hit, np.nanmax(t_hit, 1) - np.nanmin(t_hit, 1), 0.0)
            ch_spread = np.where(any_hit, np.nanmax(ch_hit, 1) - np.nanmin(ch_hit, 1), 0.0)
            t_mean = (amp * np.nan_to_num(self.arrival_us)).sum(1) / total
            t_rms = np.sqrt(
                (amp * (np.nan_to_num(self.arrival_us) - t_mean[:, None]) ** 2).sum(1) / total
            )
        half = self.hit.shape[1] // 2
        return pd.DataFrame(
            {
                "energy_kev": self.energy_kev,
                "n_sites": self.n_sites,
                "n_hits": self.hit.sum(axis=1),
                "time_spread_us": t_spread,
                "time_rms_us": t_rms,
                "channel_spread": ch_spread,
                "max_fraction": amp.max(axis=1) / total,
                "induction_sum": np.abs(np.where(~self.hit, self.induction, 0.0)).sum(axis=1)
                / total,
                "both_sides": (self.hit[:, :half].any(1) & self.hit[:, half:].any(1)).astype(
                    np.int64
                ),
            }
        )


@lru_cache(maxsize=8)
def _templates(config: TPCConfig) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    """Collection and induction templates on the sample grid and the matched-filter noise."""
    tables = response_tables(config)
    dt = config.sampling_period_us
    tau = (np.arange(_TEMPLATE_SAMPLES) - _LEAD_SAMPLES) * dt
    grid = tables.tau_min_us + np.arange(tables.shaped.shape[1]) * tables.tau_step_us
    coll = np.interp(tau, grid, tables.collection_template().astype(np.float64))
    ind = np.interp(tau, grid, tables.induction_template().astype(np.float64))
    ind /= max(np.abs(ind).max(), 1e-12)
    # Noise of the matched filter output, measured on simulated noise (exact for this model).
    noise = electronics_noise(64, config, np.random.default_rng(12345)).astype(np.float64)
    mf = _matched_filter(noise, coll)
    return coll, ind, float(mf[..., : config.n_samples - _TEMPLATE_SAMPLES].std())


def _matched_filter(
    wave: NDArray[np.float64], template: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Amplitude estimate y[t] = sum_s w[t+s] h[s] / sum_s h[s]^2 along the last axis (FFT)."""
    n = wave.shape[-1]
    h = np.zeros(n)
    h[: template.size] = template
    spec = np.fft.rfft(wave, axis=-1) * np.conj(np.fft.rfft(h))
    return np.fft.irfft(spec, n, axis=-1) / float(template @ template)


def reconstruct(
    waveforms: NDArray[np.floating],
    config: TPCConfig | None = None,
    threshold_sigma: float = 5.0,
    site_time_us: float = 4.0,
) -> Reconstruction:
    """Conventional energy and site-count reconstruction.

    Args:
        waveforms: shape (n_events, n_channels, n_samples), electrons (as from :func:`simulate`).
        config: the detector they were simulated with.
        threshold_sigma: matched-filter threshold in units of its noise.
        site_time_us: adjacent hit channels closer than this in time belong to one site.

    Returns:
        A :class:`Reconstruction`.
    """
    cfg = config or TPCConfig()
    w = np.asarray(waveforms)
    expected = (cfg.n_channels, cfg.n_samples)
    if w.ndim != 3 or w.shape[1:] != expected:
        raise ValueError(
            f"waveforms must have shape (n_events, {expected[0]}, {expected[1]}); got {w.shape}"
        )
    coll, ind, sigma_mf = _templates(cfg)
    dt = cfg.sampling_period_us
    calibrated = w.astype(np.float64) / channel_gains(cfg)[None, :, None]
    mf = _matched_filter(calibrated, coll)
    # Search window: arrivals between the gap crossing of a charge at the U plane and the cathode.
    first = (
        cfg.trigger_sample
        + int(np.floor(cfg.gap_mm / cfg.gap_velocity_mm_per_us / dt))
        - _LEAD_SAMPLES
        - 1
    )
    last = min(
        cfg.trigger_sample + int(np.ceil(cfg.max_drift_time_us / dt)) - _LEAD_SAMPLES + 2,
        cfg.n_samples - _TEMPLATE_SAMPLES,
    )
    window = mf[..., first:last]
    start = first + window.argmax(axis=-1)  # (n, ch)
    peak = np.take_along_axis(window, (start - first)[..., None], -1)[..., 0]

    # Joint least-squares fit of collection and induction templates at the found time.
    idx = start[..., None] + np.arange(_TEMPLATE_SAMPLES)
    segment = np.take_along_axis(calibrated, idx, axis=-1)
    design = np.stack([coll, ind], axis=1)  # (L, 2)
    coef = segment @ design @ np.linalg.inv(design.T @ design)  # (n, ch, 2)
    hit = (peak > threshold_sigma * sigma_mf) & (coef[..., 0] > threshold_sigma * sigma_mf)
    arrival = (start + _LEAD_SAMPLES) * dt
    t_since_trigger = arrival - cfg.trigger_sample * dt
    corrected = coef[..., 0] * np.exp(t_since_trigger / cfg.electron_lifetime_us)
    energy = np.where(hit, corrected, 0.0).sum(axis=1) / cfg.electrons_per_kev

    # Sites: a hit starts a new site unless its lower neighbour (same side) is hit at a close time.
    cps = cfg.channels_per_side
    prev_hit = np.zeros_like(hit)
    prev_hit[:, 1:] = hit[:, :-1]
    prev_hit[:, cps] = False
    prev_close = np.zeros_like(hit)
    prev_close[:, 1:] = np.abs(arrival[:, 1:] - arrival[:, :-1]) < site_time_us
    n_sites = (hit & ~(prev_hit & prev_close)).sum(axis=1)
    return Reconstruction(
        energy_kev=energy,
        n_sites=n_sites.astype(np.int64),
        amplitude=np.where(hit, coef[..., 0], 0.0),
        induction=coef[..., 1],
        arrival_us=arrival,
        hit=hit,
    )


def energy_resolution(
    reconstructed_kev: NDArray[np.floating],
    true_kev: NDArray[np.floating],
    n_iter: int = 10,
    clip: float = 2.5,
) -> tuple[float, float]:
    """Peak position and fractional resolution sigma/E of a monoenergetic sample.

    Iterative clipped Gaussian core (mean and standard deviation of the ratio within +-``clip``
    sigma, rescaled for the truncation), robust against the low-energy tail of lost charge.

    Args:
        reconstructed_kev: reconstructed energies, shape (n,).
        true_kev: true deposited energies, shape (n,).

    Returns:
        (mean of E_reco/E_true, sigma/E of the core).
    """
    ratio = np.asarray(reconstructed_kev, np.float64) / np.asarray(true_kev, np.float64)
    if ratio.size < 5:
        raise ValueError(f"need at least 5 events to measure a resolution; got {ratio.size}")
    mu = float(np.median(ratio))
    sigma = float(1.4826 * np.median(np.abs(ratio - mu)))
    from scipy.stats import truncnorm

    # Standard deviation of a unit Gaussian truncated to +-clip: rescales the clipped estimate.
    shrink = float(truncnorm(-clip, clip).std())
    for _ in range(n_iter):
        core = ratio[np.abs(ratio - mu) < clip * max(sigma, 1e-9)]
        if core.size < 5:
            break
        mu, sigma = float(core.mean()), float(core.std() / shrink)
    return mu, sigma / mu
