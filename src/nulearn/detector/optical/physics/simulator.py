"""Hits of the optical modules: expected light, Pandel-delayed first-photon times, charges,
dark noise and the discriminator threshold, vectorised over (events x modules).

For every event and module the simulator computes, from the truth alone:

* the geometry of the direct (Cherenkov) light: for a track with direction u through point p, a
  module at x sees light emitted at s_e = (x - p).u - d / tan(theta_c) along the track (d: the
  module's distance from the track line) which travels r = d / sin(theta_c) to it; the light
  arrives at the geometric time t_geo = (s_e - s_0) / c + r / c_ice (s_0: the track's closest
  approach to the array centre). A module sees a nu_mu muon only if
  s_e lies on the muon's segment. For a cascade, r = |x - vertex| and t_geo = r / c_ice.
* the expected photo-electrons: tracks mu = Y_t (dE/dx / a) m exp(-r/lambda_a) / sqrt(r)
  (m a + b E for a bundle of m muons), cascades mu = Y_c E exp(-r/lambda_a) / r^2, times the module's
  angular acceptance (1 + slope * photon direction z: the PMT looks down);
* the photon count n ~ Poisson(mu); the first photon's delay is the minimum of n draws of the
  Pandel time PDF, a gamma distribution of shape r/lambda_s and rate 1/tau + c_ice/lambda_a
  (Pandel 1996; AMANDA, NIM A 524 (2004) 169), drawn in one step by inverting its CDF:
  t_res = P^-1(r/lambda_s, 1 - (1 - U)^(1/n)) / rate;
* the charge ~ Normal(n, spe_sigma sqrt(n)); a hit needs charge >= threshold;
* dark noise: each module fires with probability rate x window at a uniform time in the readout
  window with a single-p.e. charge (merged with a signal hit: earliest time, summed charge).

Hits are returned as a compressed sparse list per event (:class:`Hits`); times are relative to
the median hit time of the event (a trigger reference that carries no truth).

>>> from nulearn.detector.optical.physics.config import OpticalConfig
>>> from nulearn.detector.optical.physics.events import generate_truth
>>> cfg = OpticalConfig()
>>> rng = np.random.default_rng(1)
>>> hits = simulate_hits(generate_truth(np.array([0, 2]), cfg, rng), cfg, rng)
>>> hits.offsets.shape, bool(hits.n_hits.min() > 0)
((3,), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaincinv

from nulearn.detector.optical.physics.config import C_VACUUM_M_PER_NS, OpticalConfig
from nulearn.detector.optical.physics.events import KIND_CASCADE, Truth

__all__ = ["Hits", "expected_light", "first_photon_delay", "pandel_mean_ns", "simulate_hits"]

#: Events simulated together: (chunk x modules) arrays of a few MB.
_CHUNK = 128


@dataclass(frozen=True)
class Hits:
    """Module hits of n events as one list, event i owning ``offsets[i]:offsets[i + 1]``.

    Attributes:
        offsets: start of each event's hits, shape (n + 1,).
        dom: module index (see :meth:`OpticalConfig.dom_positions`), shape (n_hits,).
        time_ns: first-hit time relative to the event's median hit time, shape (n_hits,).
        charge_pe: charge in photo-electrons, shape (n_hits,).
        noise: 1 where the hit holds no photon of the event (pure dark noise), shape (n_hits,).
    """

    offsets: NDArray[np.int64]
    dom: NDArray[np.int32]
    time_ns: NDArray[np.float32]
    charge_pe: NDArray[np.float32]
    noise: NDArray[np.int8]

    @property
    def n_hits(self) -> NDArray[np.int64]:
        """Hits per event, shape (n,)."""
        return np.diff(self.offsets)

    @property
    def event(self) -> NDArray[np.int64]:
        """Event index of every hit, shape (n_hits,)."""
        return np.repeat(np.arange(self.offsets.shape[0] - 1), self.n_hits)

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @staticmethod
    def concatenate(parts: list[Hits]) -> Hits:
        """The events of several hit lists, in order."""
        starts = np.cumsum([0] + [int(p.offsets[-1]) for p in parts[:-1]])
        offsets = np.concatenate(
            [parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, starts, strict=True)]
        )
        return Hits(
            offsets,
            np.concatenate([p.dom for p in parts]),
            np.concatenate([p.time_ns for p in parts]),
            np.concatenate([p.charge_pe for p in parts]),
            np.concatenate([p.noise for p in parts]),
        )


def pandel_mean_ns(
    distance_m: NDArray[np.float64] | float, config: OpticalConfig
) -> NDArray[np.float64]:
    """Mean delay of one photon under the Pandel PDF, (r/lambda_s) / (1/tau + c_ice/lambda_a), ns.

    >>> round(float(pandel_mean_ns(50.0, OpticalConfig())), 1)
    365.1
    """
    return np.asarray(distance_m, dtype=np.float64) / config.lambda_s_m / config.pandel_rate_per_ns


def first_photon_delay(
    distance_m: NDArray[np.float64],
    n_photons: NDArray[np.integer],
    config: OpticalConfig,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Delay in ns of the first of ``n_photons`` (>= 1) photons after the direct-light time at
    ``distance_m``: the minimum of n Pandel draws, by CDF inversion (any array shape)."""
    shape = np.maximum(np.asarray(distance_m, dtype=np.float64), 1.0) / config.lambda_s_m
    u = rng.random(shape.shape)
    n = np.maximum(np.asarray(n_photons, dtype=np.float64), 1.0)
    # P(min of n <= t) = 1 - (1 - F(t))^n; inverting at U gives F(t) = 1 - (1 - U)^(1/n).
    p = -np.expm1(np.log1p(-u) / n)
    return gammaincinv(shape, p) / config.pandel_rate_per_ns


def expected_light(
    truth: Truth, dom_xyz: NDArray[np.float64], config: OpticalConfig
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Expected p.e., photon path length (m) and direct-light time (ns) per (event, module).

    Returns three arrays of shape (n_events, n_modules).
    """
    c_ice = config.c_ice_m_per_ns
    cos_c = 1.0 / config.n_phase
    sin_c = math.sqrt(1 - cos_c**2)
    tan_c = sin_c / cos_c
    u = truth.direction[:, None, :]
    w = dom_xyz[None, :, :] - truth.vertex_m[:, None, :]
    along = np.einsum("emk,emk->em", w, np.broadcast_to(u, w.shape))
    perp = w - along[..., None] * u
    d = np.maximum(np.linalg.norm(perp, axis=-1), 1.0)
    s_emit = along - d / tan_c
    r_track = d / sin_c
    on_segment = (s_emit >= truth.track_start_m[:, None]) & (s_emit <= truth.track_end_m[:, None])
    # photon direction at the module: from the emission point to the module
    emit_pt = truth.vertex_m[:, None, :] + s_emit[..., None] * u
    photon_z_track = (dom_xyz[None, :, 2] - emit_pt[..., 2]) / r_track
    # a bundle of m muons sharing the energy E loses m a + b E per metre
    dedx = (
        config.dedx_a_gev_per_m * truth.multiplicity[:, None]
        + config.dedx_b_per_m * truth.energy_gev[:, None]
    )
    mu_track = (
        config.track_yield
        * (dedx / config.dedx_a_gev_per_m)
        * np.exp(-r_track / config.lambda_a_m)
        / np.sqrt(r_track)
        * on_segment
    )
    # time 0: the muon passes its closest approach to the array centre
    centre = np.array([0.0, 0.0, config.centre_z_m])
    s_ref = np.einsum("ek,ek->e", centre - truth.vertex_m, truth.direction)[:, None]
    t_track = (s_emit - s_ref) / C_VACUUM_M_PER_NS + r_track / c_ice
    r_casc = np.maximum(np.linalg.norm(w, axis=-1), 5.0)
    photon_z_casc = w[..., 2] / r_casc
    mu_casc = (
        config.cascade_yield
        * truth.energy_gev[:, None]
        * np.exp(-r_casc / config.lambda_a_m)
        / r_casc**2
    )
    casc = (truth.kind == KIND_CASCADE)[:, None]
    mu = np.where(casc, mu_casc, mu_track)
    photon_z = np.where(casc, photon_z_casc, photon_z_track)
    mu = mu * (1.0 + config.acceptance_slope * photon_z)
    return mu, np.where(casc, r_casc, r_track), np.where(casc, r_casc / c_ice, t_track)


def _chunk_hits(
    truth: Truth, dom_xyz: NDArray[np.float64], config: OpticalConfig, rng: np.random.Generator
) -> Hits:
    mu, r, t_geo = expected_light(truth, dom_xyz, config)
    n_ph = rng.poisson(mu)
    lit = n_ph > 0
    delay = np.zeros_like(mu)
    delay[lit] = first_photon_delay(r[lit], n_ph[lit], config, rng)
    t = t_geo + delay + config.time_jitter_ns * rng.standard_normal(mu.shape)
    q = np.where(lit, n_ph + config.spe_sigma * np.sqrt(n_ph) * rng.standard_normal(mu.shape), 0.0)
    lo, hi = config.window_ns
    signal = lit & (q >= config.threshold_pe) & (t >= lo) & (t < hi)
    p_noise = min(config.noise_rate_hz * (hi - lo) * 1e-9, 1.0)
    noisy = rng.random(mu.shape) < p_noise
    t_noise = rng.uniform(lo, hi, mu.shape)
    q_noise = np.maximum(1.0 + config.spe_sigma * rng.standard_normal(mu.shape), 0.0)
    noisy &= q_noise >= config.threshold_pe
    time = np.where(signal, np.where(noisy, np.minimum(t, t_noise), t), t_noise)
    charge = np.where(signal, q, 0.0) + np.where(noisy, q_noise, 0.0)
    hit = signal | noisy
    ev, dom = np.nonzero(hit)
    offsets = np.concatenate([[0], np.cumsum(hit.sum(axis=1))]).astype(np.int64)
    times = time[ev, dom]
    # reference: the median hit time of each event (np.median per event, vectorised by sorting)
    order = np.lexsort((times, ev))
    n = np.diff(offsets)
    mid = offsets[:-1] + np.maximum(n - 1, 0) // 2
    ref = (
        np.where(n > 0, times[order][np.minimum(mid, max(times.size - 1, 0))], 0.0)
        if times.size
        else np.zeros(len(n))
    )
    return Hits(
        offsets,
        dom.astype(np.int32),
        (times - ref[ev]).astype(np.float32),
        charge[ev, dom].astype(np.float32),
        (~signal[ev, dom]).astype(np.int8),
    )


def simulate_hits(truth: Truth, config: OpticalConfig, rng: np.random.Generator) -> Hits:
    """Module hits of every event of ``truth`` (in chunks of events; vectorised inside a chunk).

    Args:
        truth: the events (:func:`~nulearn.detector.optical.physics.events.generate_truth`).
        config: array, optics and module response.
        rng: random generator.
    """
    dom_xyz = config.dom_positions()
    parts = []
    for lo in range(0, len(truth), _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        part = Truth(*(getattr(truth, f)[sl] for f in truth.__dataclass_fields__))
        parts.append(_chunk_hits(part, dom_xyz, config, rng))
    if not parts:
        raise ValueError("no events to simulate")
    return Hits.concatenate(parts)
