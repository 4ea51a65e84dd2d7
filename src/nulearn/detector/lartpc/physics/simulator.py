"""Wire-plane images from trajectories: deposits, recombination, drift, diffusion, response, noise.

The chain, for every charge deposit along every segment (all vectorised over a batch of events):

1. **clip** segments to the active volume (0 <= x <= drift length, |y| <= height/2) and to the
   window's wires (0 <= z < width); a stopping track cut short keeps its residual range;
2. **deposit** ``dE`` per ``step_mm`` from the segment's stopping power
   (:mod:`~nulearn.detector.lartpc.physics.particles`), Moyal fluctuations for MIPs;
3. **recombination**, modified Box model: ``dQ/dx = ln(alpha + beta' dE/dx) / (beta' W)`` with
   ``beta' = beta / (rho E)``;
4. **drift** for ``t_d = x / v``: the charge survives as ``exp(-t_d / tau)``; the cloud spreads
   by ``sigma_T = sqrt(2 D_T t_d)`` along the wires and ``sigma_L = sqrt(2 D_L t_d)`` along the
   drift (:func:`diffusion_sigma`); it reaches the wires at ``t_d + t0``, so the apparent drift
   distance is ``x + v t0`` and out-of-time charge outside the window is not read out;
5. **pixels**: the Gaussian cloud is integrated over the pixel edges (erf differences), then
   the time axis is convolved with the pixel-binned field and shaping response
   (:func:`~nulearn.detector.lartpc.physics.config.pixel_response`);
6. **labels**: per pixel the class with the most (noiseless) charge; background where the
   charge is below ``label_threshold_sigma`` pixel-noise sigmas;
7. **noise**: Gaussian, with the pixel RMS of the shaped electronics noise
   (:func:`~nulearn.detector.lartpc.physics.config.pixel_noise_sigma`).

Images are ``(n, time_pixels, wire_pixels)`` float32 in ADC counts x ticks (the summed
pedestal-subtracted samples of a pixel); labels are int8 0/1/2 (background, cosmic, neutrino).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from nulearn.detector.lartpc.physics.config import (
    LArTPCConfig,
    pixel_noise_sigma,
    pixel_response,
)
from nulearn.detector.lartpc.physics.particles import (
    MIP,
    MIP_MEV_PER_MM,
    MUON,
    PROTON,
    Segments,
)

__all__ = [
    "Deposits",
    "clip_segments",
    "deposits",
    "diffusion_sigma",
    "drifted_charge",
    "label_pixels",
    "rasterize",
    "simulate_images",
]

_MAX_DEDX_MEV_PER_MM = 4.0  # caps the Bragg peak of the last step


@dataclass(frozen=True)
class Deposits:
    """Point energy deposits (mm, MeV); ``label``, ``t0`` (us) and ``event`` per point."""

    position: NDArray[np.float64]
    energy: NDArray[np.float64]
    step: NDArray[np.float64]
    label: NDArray[np.int64]
    t0: NDArray[np.float64]
    event: NDArray[np.int64]


def clip_segments(seg: Segments, config: LArTPCConfig) -> Segments:
    """Segments cut to the active volume and the window's wires (slab method); those that miss
    it are dropped. A Bragg segment whose end is cut gains the cut length as residual range."""
    lo = np.array([0.0, -0.5 * config.height_mm, 0.0])
    hi = np.array([config.drift_length_mm, 0.5 * config.height_mm, config.width_mm])
    d = seg.direction
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        t1 = (lo - seg.start) * inv
        t2 = (hi - seg.start) * inv
    inside = (seg.start >= lo) & (seg.start <= hi)
    parallel = d == 0.0
    near = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    far = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    s_in = np.maximum(near.max(axis=1), 0.0)
    s_out = np.minimum(far.min(axis=1), seg.length)
    keep = s_out > s_in
    return Segments(
        seg.start[keep] + d[keep] * s_in[keep, None],
        d[keep],
        (s_out - s_in)[keep],
        seg.kind[keep],
        (seg.range_end + seg.length - s_out)[keep],
        seg.label[keep],
        seg.t0[keep],
        seg.event[keep],
    )


def deposits(seg: Segments, step_mm: float, rng: np.random.Generator) -> Deposits:
    """Energy deposits at the centres of equal steps (at most ``step_mm``) along each segment.

    >>> from nulearn.detector.lartpc.physics.particles import Segments, PROTON
    >>> s = Segments.make(np.zeros(3), np.array([1.0, 0, 0]), 76.0, PROTON, 2)
    >>> d = deposits(s, 1.0, np.random.default_rng(0))
    >>> bool(90 < d.energy.sum() < 100)  # a 100 MeV proton's 76 mm range: the A R^b fit, capped
    True
    """
    n = np.maximum(np.ceil(seg.length / step_mm).astype(np.int64), 1)
    idx = np.repeat(np.arange(len(seg)), n)
    first = np.cumsum(n) - n
    k = np.arange(idx.size) - first[idx]
    step = (seg.length / n)[idx]
    s = (k + 0.5) * step
    residual_cm = 0.1 * (seg.range_end[idx] + seg.length[idx] - s)
    kind = seg.kind[idx]
    dedx = np.full(idx.size, MIP_MEV_PER_MM)
    r = np.maximum(residual_cm, 0.05)
    dedx = np.where(kind == PROTON, 1.7 * r**-0.42, dedx)
    dedx = np.where(kind == MUON, np.maximum(0.8 * r**-0.37, MIP_MEV_PER_MM), dedx)
    dedx = np.minimum(dedx, _MAX_DEDX_MEV_PER_MM)
    # Landau-like straggling of thin steps: Moyal(-ln Z^2), mean 1.27, scaled to ~10 % width
    moyal = -np.log(rng.standard_normal(idx.size) ** 2 + 1e-12)
    fluct = np.where(kind == MIP, np.clip(1.0 + 0.1 * (moyal - 1.27), 0.6, 4.0), 1.0)
    return Deposits(
        seg.start[idx] + seg.direction[idx] * s[:, None],
        dedx * step * fluct,
        step,
        seg.label[idx],
        seg.t0[idx],
        seg.event[idx],
    )


def diffusion_sigma(
    drift_mm: NDArray[np.float64], coefficient_cm2_per_s: float, config: LArTPCConfig
) -> NDArray[np.float64]:
    """Diffusion width ``sqrt(2 D t)`` in mm after drifting ``drift_mm`` (``t = x / v``).

    >>> c = LArTPCConfig()
    >>> round(float(diffusion_sigma(np.array(2000.0), c.diffusion_trans_cm2_per_s, c)), 2)
    2.04
    """
    t_us = np.asarray(drift_mm, dtype=np.float64) / config.drift_velocity_mm_per_us
    out: NDArray[np.float64] = np.sqrt(
        2.0 * coefficient_cm2_per_s * 1e-4 * t_us
    )  # cm^2/s = 1e-4 mm^2/us
    return out


def drifted_charge(dep: Deposits, config: LArTPCConfig) -> NDArray[np.float64]:
    """Electrons reaching the wires: modified Box recombination of ``dE/dx``, then attachment
    ``exp(-t_d / tau)``. Per deposit, electrons."""
    dedx_cm = dep.energy / np.maximum(dep.step, 1e-9) * 10.0
    beta = config.box_beta / (config.argon_density_g_cm3 * config.field_kv_per_cm)
    w_mev = config.w_value_ev * 1e-6
    dq_dx = np.log(config.box_alpha + beta * dedx_cm) / (beta * w_mev)  # electrons per cm
    electrons = np.maximum(dq_dx, 0.0) * dep.step * 0.1
    t_us = dep.position[:, 0] / config.drift_velocity_mm_per_us
    out: NDArray[np.float64] = electrons * np.exp(-t_us / config.electron_lifetime_us)
    return out


def _edges_weights(
    centre: NDArray[np.float64], sigma: NDArray[np.float64], half: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Pixel indices (n, 2 half + 1) around each centre (in pixel units) and the Gaussian's
    integral over each pixel."""
    base = np.floor(centre).astype(np.int64)
    idx = base[:, None] + np.arange(-half, half + 1)[None, :]
    s = np.maximum(sigma, 1e-6)[:, None]
    w = ndtr((idx + 1 - centre[:, None]) / s) - ndtr((idx - centre[:, None]) / s)
    return idx, w


def rasterize(
    dep: Deposits, electrons: NDArray[np.float64], n_events: int, config: LArTPCConfig
) -> NDArray[np.float64]:
    """Noiseless charge per event, class and pixel: ``(n_events, 2, time_pixels, wire_pixels)``
    in electrons (class 0 cosmic, 1 neutrino), after diffusion and before the time response."""
    drift = dep.position[:, 0]
    sig_w = diffusion_sigma(drift, config.diffusion_trans_cm2_per_s, config) / config.pixel_wire_mm
    sig_t = diffusion_sigma(drift, config.diffusion_long_cm2_per_s, config) / config.pixel_drift_mm
    u = dep.position[:, 2] / config.pixel_wire_mm
    apparent = drift + config.drift_velocity_mm_per_us * dep.t0
    v = apparent / config.pixel_drift_mm
    half = int(np.ceil(3.0 * max(float(sig_w.max(initial=0)), float(sig_t.max(initial=0))))) + 1
    iw, ww = _edges_weights(u, sig_w, half)
    it, wt = _edges_weights(v, sig_t, half)
    H, W = config.time_pixels, config.wire_pixels
    rows = np.broadcast_to(it[:, :, None], (it.shape[0], it.shape[1], iw.shape[1]))
    cols = np.broadcast_to(iw[:, None, :], rows.shape)
    weight = wt[:, :, None] * ww[:, None, :] * electrons[:, None, None]
    plane = (dep.event * 2 + (dep.label - 1))[:, None, None]
    ok = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W) & (weight > 0)
    flat = ((np.broadcast_to(plane, rows.shape) * H + rows) * W + cols)[ok]
    image = np.bincount(flat, weights=weight[ok], minlength=n_events * 2 * H * W)
    return image.astype(np.float64).reshape(n_events, 2, H, W)  # bincount of nothing is int


def _time_response(charge: NDArray[np.float64], config: LArTPCConfig) -> NDArray[np.float64]:
    """Convolve the drift-time axis (-2) with the pixel-binned response (causal: later pixels)."""
    k = pixel_response(config)
    out = np.zeros_like(charge)
    n = charge.shape[-2]
    for j, kj in enumerate(k[:n]):  # a few taps
        out[..., j:, :] += kj * charge[..., : n - j, :]
    return out


def label_pixels(charge: NDArray[np.float64], threshold: float) -> NDArray[np.int8]:
    """Per-pixel truth from per-class charge ``(..., 2, H, W)``: 0 where the summed charge is below
    ``threshold``, else 1 (cosmic) or 2 (neutrino), whichever deposited more.

    >>> q = np.array([[[5.0, 1.0]], [[2.0, 0.1]]])  # (2 classes, 1, 2)
    >>> tuple(label_pixels(q, 1.5)[0].tolist())
    (1, 0)
    """
    total = charge[..., 0, :, :] + charge[..., 1, :, :]
    lab = np.where(charge[..., 1, :, :] > charge[..., 0, :, :], 2, 1)
    return np.where(total >= threshold, lab, 0).astype(np.int8)


def simulate_images(
    segments: Segments, n_events: int, config: LArTPCConfig, rng: np.random.Generator
) -> tuple[NDArray[np.float32], NDArray[np.int8], NDArray[np.float32]]:
    """Images, labels and noiseless per-class charge of a batch of events.

    Returns:
        ``images`` (n, H, W) float32 ADC x ticks with noise; ``labels`` (n, H, W) int8;
        ``charge`` (n, 2, H, W) float32 noiseless ADC x ticks of cosmics and neutrinos.
    """
    seg = clip_segments(segments, config)
    dep = deposits(seg, config.step_mm, rng)
    electrons = drifted_charge(dep, config)
    charge = _time_response(rasterize(dep, electrons, n_events, config), config)
    charge /= config.electrons_per_adc_tick
    sigma = pixel_noise_sigma(config)
    labels = label_pixels(charge, config.label_threshold_sigma * sigma)
    noise = rng.normal(0.0, sigma, (n_events, config.time_pixels, config.wire_pixels))
    images = (charge.sum(axis=1) + noise).astype(np.float32)
    return images, labels, charge.astype(np.float32)
