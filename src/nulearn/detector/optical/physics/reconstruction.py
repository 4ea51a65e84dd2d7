"""The classical reconstruction: local-coincidence hit cleaning and the (improved) line fit.

* Cleaning keeps a hit only when another hit lies within ``span`` modules on the same string
  within ``window_ns`` (IceCube's hard local coincidence, which removes nearly all dark noise).
* The line fit (Stenger 1990; IceCube, NIM A 736 (2014) 143) is the least-squares solution of
  r_i = r0 + v t_i: v = cov(r, t) / var(t); the direction of travel is v / |v|. The improved
  line fit (IceCube 2014) re-solves it with Huber weights on each hit's distance from the fitted
  line, so that late (scattered) hits pull less. Both are closed forms over the hits of all events
  at once (weighted sums by event with ``np.bincount``).
* The classical signal/background score is the reconstructed up-goingness, the z component of the
  fitted direction (a zenith cut).

>>> from nulearn.detector.optical.physics.config import OpticalConfig
>>> cfg = OpticalConfig(n_strings=1)
>>> t = np.arange(6.0) * 17 / 0.2998
>>> hits = Hits(np.array([0, 6]), np.arange(6, dtype=np.int32)[::-1].copy(),
...             t.astype(np.float32), np.ones(6, np.float32), np.zeros(6, np.int8))
>>> np.round(line_fit(hits, cfg, iterations=0), 3).tolist()  # up the string
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.simulator import Hits

__all__ = ["classical_score", "line_fit", "local_coincidence"]


def local_coincidence(
    hits: Hits, config: OpticalConfig, span: int = 2, window_ns: float = 1000.0
) -> NDArray[np.bool_]:
    """Hits with a neighbour within ``span`` modules on the same string and ``window_ns``,
    shape (n_hits,)."""
    ev = hits.event
    order = np.lexsort((hits.dom, ev))
    e, d, t = ev[order], hits.dom[order].astype(np.int64), hits.time_ns[order].astype(np.float64)
    string, k = d // config.doms_per_string, d % config.doms_per_string
    keep = np.zeros(e.shape[0], dtype=bool)
    for j in range(1, span + 1):
        pair = (
            (e[j:] == e[:-j])
            & (string[j:] == string[:-j])
            & (k[j:] - k[:-j] <= span)
            & (np.abs(t[j:] - t[:-j]) < window_ns)
        )
        keep[j:] |= pair
        keep[:-j] |= pair
    out = np.empty_like(keep)
    out[order] = keep
    return out


def _weighted_line(
    ev: NDArray[np.int64],
    n: int,
    w: NDArray[np.float64],
    t: NDArray[np.float64],
    r: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per-event weighted least squares r = r_mean + v (t - t_mean): (v, r_mean, t_mean)."""
    sw = np.maximum(np.bincount(ev, w, n), 1e-12)
    tm = np.bincount(ev, w * t, n) / sw
    rm = np.stack([np.bincount(ev, w * r[:, a], n) for a in range(3)], axis=1) / sw[:, None]
    dt = t - tm[ev]
    var = np.maximum(np.bincount(ev, w * dt * dt, n), 1e-12)
    v = np.stack([np.bincount(ev, w * dt * (r[:, a] - rm[ev, a]), n) for a in range(3)], axis=1)
    return v / var[:, None], rm, tm


def line_fit(
    hits: Hits,
    config: OpticalConfig,
    iterations: int = 3,
    huber_m: float = 150.0,
    clean: bool = True,
) -> NDArray[np.float64]:
    """Direction of travel of every event from the (improved) line fit, shape (n, 3).

    Args:
        hits: module hits of n events.
        config: array geometry.
        iterations: Huber re-weightings (0: the plain line fit).
        huber_m: Huber scale, in m, of a hit's distance from the fitted line.
        clean: fit only hits that pass :func:`local_coincidence` (events with fewer than three
            such hits use all their hits).

    Events whose fit is degenerate (fewer than two hits) get the down-going vertical (0, 0, -1),
    i.e. are classed as background.
    """
    n = len(hits)
    ev = hits.event
    xyz = config.dom_positions()[hits.dom]
    t = hits.time_ns.astype(np.float64)
    w = np.ones(t.shape[0])
    if clean:
        kept = local_coincidence(hits, config)
        enough = np.bincount(ev, kept, n) >= 3
        w = np.where(kept | ~enough[ev], 1.0, 0.0)
    v, rm, tm = _weighted_line(ev, n, w, t, xyz)
    for _ in range(iterations):
        rho = np.linalg.norm(xyz - rm[ev] - v[ev] * (t - tm[ev])[:, None], axis=1)
        huber = np.where(rho < huber_m, 1.0, huber_m / np.maximum(rho, 1e-9))
        v, rm, tm = _weighted_line(ev, n, w * huber, t, xyz)
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    ok = (norm[:, 0] > 0) & (np.bincount(ev, w > 0, n) >= 2)
    return np.where(ok[:, None], v / np.where(norm > 0, norm, 1.0), [[0.0, 0.0, -1.0]])


def classical_score(direction: NDArray[np.float64]) -> NDArray[np.float64]:
    """Signal-likeness of the classical reconstruction: the fitted direction's z (up-going > 0)."""
    return np.asarray(direction)[:, 2]
