"""Where does the map classifier look? Integrated gradients split by over- and under-dense pixels.

Integrated gradients (Sundararajan, Taly & Yan 2017, ICML) attribute the logit to pixels along the
straight path from a baseline (the empty, κ = 0 map) to the input; attributions sum to
logit(input) − logit(baseline) (completeness), which :func:`integrated_gradients` reports as a
convergence check. The attribution is then split between over-dense pixels (κ > 0: haloes,
filaments) and under-dense pixels (κ < 0: voids), as total |attribution| share and per pixel.
Occlusion (Zeiler & Fergus 2014) — the logit change when a patch is replaced by zero — is the
model-agnostic cross-check; the two maps are compared by their Spearman correlation. Both come
from the shared captum wrappers of :mod:`nulearn.ml.attribution`; this module feeds them maps as
the network reads them and splits the result by the sign of κ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import spearmanr

from nulearn.cosmo.models.network import map_inputs
from nulearn.ml import attribution
from nulearn.ml.estimator import standardize

__all__ = [
    "DensitySplit",
    "density_split",
    "map_integrated_gradients",
    "map_occlusion",
    "rank_correlation",
]


def map_integrated_gradients(
    module: Any, maps: ArrayLike, scale: float, n_steps: int = 32
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Integrated-gradients attribution of the class-1 logit from the κ = 0 baseline.

    Args:
        module: network from ``(batch, 1, n, n)`` to one logit per map.
        maps: κ maps, shape ``(n_maps, n_pix, n_pix)``.
        scale: the network's input scale (maps are divided by it).
        n_steps: Riemann steps along the path.

    Returns:
        Attributions, shape ``(n_maps, n_pix, n_pix)``, and the completeness error per map
        (sum of attributions − logit difference), shape ``(n_maps,)``.
    """
    x = map_inputs(standardize(maps, 0.0, scale, "global"))
    attr, delta = attribution.integrated_gradients(module, x, n_steps=n_steps)
    return attr[:, 0], delta


def map_occlusion(
    module: Any, maps: ArrayLike, scale: float, window: int = 8, stride: int = 4, batch: int = 64
) -> NDArray[np.float64]:
    """Occlusion attribution: logit change when a ``window``² patch is set to κ = 0.

    ``batch`` occluded copies of each map go through the network per forward pass.

    Returns:
        Attributions, shape ``(n_maps, n_pix, n_pix)``.
    """
    x = map_inputs(standardize(maps, 0.0, scale, "global"))
    return attribution.occlusion(
        module, x, window=window, stride=stride, perturbations_per_eval=batch
    )[:, 0]


@dataclass(frozen=True)
class DensitySplit:
    """Attribution split between over-dense (κ > threshold) and under-dense (κ < −threshold) pixels.

    Attributes:
        share_overdense: share of total |attribution| on over-dense pixels.
        share_underdense: share on under-dense pixels (voids).
        per_pixel_overdense: mean |attribution| per over-dense pixel.
        per_pixel_underdense: mean |attribution| per under-dense pixel.
        signed_overdense: summed signed attribution on over-dense pixels (mean over maps).
        signed_underdense: summed signed attribution on under-dense pixels (mean over maps).
    """

    share_overdense: float
    share_underdense: float
    per_pixel_overdense: float
    per_pixel_underdense: float
    signed_overdense: float
    signed_underdense: float

    def to_dict(self) -> dict[str, float]:
        """Plain dict."""
        return {k: float(v) for k, v in self.__dict__.items()}


def density_split(
    maps: ArrayLike, attribution: ArrayLike, threshold_sigma: float = 0.0
) -> DensitySplit:
    """Split attributions by the sign of κ (beyond ``threshold_sigma`` times the map's κ rms).

    Args:
        maps: κ maps, shape ``(n_maps, n_pix, n_pix)``.
        attribution: same shape.
        threshold_sigma: pixels with |κ| ≤ threshold × rms count as neither.
    """
    k = np.asarray(maps, dtype=np.float64)
    a = np.asarray(attribution, dtype=np.float64)
    if k.shape != a.shape:
        raise ValueError(f"maps {k.shape} and attribution {a.shape} differ in shape")
    thr = threshold_sigma * k.std(axis=(-2, -1), keepdims=True)
    over = k > thr
    under = k < -thr
    absa = np.abs(a)
    total = absa.sum()
    if total == 0:
        raise ValueError("all attributions are zero")
    n_maps = k.shape[0]
    return DensitySplit(
        share_overdense=float(absa[over].sum() / total),
        share_underdense=float(absa[under].sum() / total),
        per_pixel_overdense=float(absa[over].mean()) if over.any() else 0.0,
        per_pixel_underdense=float(absa[under].mean()) if under.any() else 0.0,
        signed_overdense=float(a[over].sum() / n_maps),
        signed_underdense=float(a[under].sum() / n_maps),
    )


def rank_correlation(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman correlation of two attribution maps (flattened)."""
    res = spearmanr(np.ravel(a), np.ravel(b))
    return float(res.statistic)
