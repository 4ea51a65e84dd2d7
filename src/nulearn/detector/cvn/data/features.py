"""Hand-made event features from pixel maps, per wire-plane view.

These are the quantities a physicist would cut on before CNNs: how much charge was deposited
(∝ visible energy), how many pixels were hit (track-like events hit few, showers many), how far the
activity extends along the wires (≈ beam direction in the collection view) and along the drift
time, and the charge-weighted shape: centroid, second moments (spread, correlation, principal
axes, elongation) and longitudinal skewness (an EM shower deposits its charge early, a muon
uniformly). A gradient-boosted tree on these is the baseline a CNN must beat.
"""

from __future__ import annotations

import numpy as np

from nulearn.detector.cvn.data.pixel_maps import N_VIEWS, VIEW_NAMES

__all__ = ["PER_VIEW_FEATURES", "feature_names", "hand_features"]

PER_VIEW_FEATURES: tuple[str, ...] = (
    "total_charge",
    "n_hits",
    "wire_extent",
    "time_extent",
    "mean_wire",
    "mean_time",
    "std_wire",
    "std_time",
    "corr_wire_time",
    "major_axis",
    "minor_axis",
    "elongation",
    "skew_wire",
    "charge_per_hit",
    "max_charge_fraction",
)


def feature_names() -> list[str]:
    """Column names of :func:`hand_features`, ``<view>_<feature>``."""
    return [f"{v}_{f}" for v in VIEW_NAMES for f in PER_VIEW_FEATURES]


def _extent(hit_along: np.ndarray) -> np.ndarray:
    """Last minus first hit index + 1 along the last axis of a boolean ``(..., L)``; 0 if none."""
    length = hit_along.shape[-1]
    any_hit = hit_along.any(-1)
    first = hit_along.argmax(-1)
    last = length - 1 - hit_along[..., ::-1].argmax(-1)
    return np.where(any_hit, last - first + 1, 0).astype(np.float64)


def hand_features(pixel_maps: np.ndarray, threshold: int = 0) -> np.ndarray:
    """Per-view charge, hit, extent and charge-weighted moment features, vectorized over events.

    Positions are in pixels of the given maps (wire index, time tick). Moments use the pixel
    charge as weight: centroid μ = Σq·x/Σq, covariance Σq(x-μ)(y-μ)/Σq; principal axes are the
    square roots of the covariance eigenvalues; elongation = major/minor (→ large for tracks).
    An empty view gives zeros.

    Args:
        pixel_maps: ``(n_events, 3, wires, ticks)``, any numeric dtype (charge, ≥ 0).
        threshold: a pixel counts as hit when its charge exceeds this.

    Returns:
        ``float32`` array ``(n_events, 3 * 15)``, columns as :func:`feature_names`.
    """
    if pixel_maps.ndim != 4 or pixel_maps.shape[1] != N_VIEWS:
        raise ValueError(f"pixel maps must have shape (n, 3, wires, ticks), got {pixel_maps.shape}")
    n, _, n_w, n_t = pixel_maps.shape
    q = pixel_maps.astype(np.float32)
    hit = np.asarray(pixel_maps > threshold)
    q_wire = q.sum(3, dtype=np.float64)  # (n, 3, W) charge profile along wires
    q_time = q.sum(2, dtype=np.float64)  # (n, 3, T)
    total = q_wire.sum(-1)
    safe = np.maximum(total, 1e-12)
    w = np.arange(n_w, dtype=np.float64)
    t = np.arange(n_t, dtype=np.float64)
    mw = (q_wire * w).sum(-1) / safe
    mt = (q_time * t).sum(-1) / safe
    dw = w - mw[..., None]
    dt = t - mt[..., None]
    var_w = (q_wire * dw**2).sum(-1) / safe
    var_t = (q_time * dt**2).sum(-1) / safe
    # Σ q (w - μw)(t - μt) = Σ_w (w - μw) Σ_t q (t - μt): one contraction, no (n,3,W,T) float64 temp.
    cov = np.einsum(
        "nvwt,nvw,nvt->nv", q, dw.astype(np.float32), dt.astype(np.float32), optimize=True
    )
    cov = cov.astype(np.float64) / safe
    skew_w = (q_wire * dw**3).sum(-1) / safe / np.maximum(var_w, 1e-12) ** 1.5
    # Eigenvalues of the 2x2 covariance [[var_w, cov], [cov, var_t]].
    half_tr = 0.5 * (var_w + var_t)
    disc = np.sqrt(np.maximum(0.25 * (var_w - var_t) ** 2 + cov**2, 0.0))
    major = np.sqrt(np.maximum(half_tr + disc, 0.0))
    minor = np.sqrt(np.maximum(half_tr - disc, 0.0))
    n_hits = hit.sum((2, 3)).astype(np.float64)
    q_max = q.reshape(n, N_VIEWS, -1).max(-1).astype(np.float64)
    empty = total <= 0
    feats = np.stack(
        [
            total,
            n_hits,
            _extent(np.asarray(hit.any(3))),
            _extent(np.asarray(hit.any(2))),
            mw,
            mt,
            np.sqrt(var_w),
            np.sqrt(var_t),
            cov / np.maximum(np.sqrt(var_w * var_t), 1e-12),
            major,
            minor,
            major / np.maximum(minor, 0.5),
            skew_w,
            total / np.maximum(n_hits, 1.0),
            q_max / safe,
        ],
        axis=-1,
    )  # (n, 3, 15)
    feats[empty] = 0.0
    return feats.reshape(n, -1).astype(np.float32)
