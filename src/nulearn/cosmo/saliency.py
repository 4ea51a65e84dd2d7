"""Where does the classifier look? Integrated gradients split by over- and under-dense pixels, and occlusion.

Integrated gradients (Sundararajan, Taly & Yan 2017, ICML) attribute the logit to pixels along the
straight path from a baseline (the empty, κ = 0 map) to the input; attributions sum to
logit(input) − logit(baseline) (completeness), which :func:`integrated_gradients` reports as a
convergence check. The attribution is then split between over-dense pixels (κ > 0: haloes,
filaments) and under-dense pixels (κ < 0: voids), as total |attribution| share and per pixel.
Occlusion (Zeiler & Fergus 2014) — the logit change when a patch is replaced by zero — is the
model-agnostic cross-check; the two maps are compared by their Spearman correlation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from scipy.stats import spearmanr
from torch import nn

__all__ = [
    "DensitySplit",
    "density_split",
    "integrated_gradients",
    "occlusion",
    "rank_correlation",
    "saliency_figure",
]


class _Logit(nn.Module):
    """Wraps a network so that its output is one logit per map, shape (batch,)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        return out.reshape(out.shape[0], -1)[:, 0]


def integrated_gradients(
    module: nn.Module, maps: ArrayLike, scale: float, n_steps: int = 32
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Integrated-gradients attribution of the class-1 logit, with the κ = 0 baseline (captum).

    Args:
        module: network from ``(batch, 1, n, n)`` to logits.
        maps: κ maps, shape ``(n_maps, n_pix, n_pix)``.
        scale: the network's input scale (maps are divided by it).
        n_steps: Riemann steps along the path.

    Returns:
        Attributions, shape ``(n_maps, n_pix, n_pix)``, and the completeness error per map
        (sum of attributions − logit difference), shape ``(n_maps,)``.
    """
    from captum.attr import IntegratedGradients

    module.eval()
    wrapped = _Logit(module)
    x = torch.from_numpy(np.asarray(maps, dtype=np.float32) / np.float32(scale)).unsqueeze(1)
    ig = IntegratedGradients(wrapped)
    attr, delta = ig.attribute(
        x, baselines=torch.zeros_like(x), n_steps=n_steps, return_convergence_delta=True
    )
    return attr[:, 0].detach().double().numpy(), delta.detach().double().numpy()


def occlusion(
    module: nn.Module,
    maps: ArrayLike,
    scale: float,
    window: int = 8,
    stride: int = 4,
    batch: int = 64,
) -> NDArray[np.float64]:
    """Occlusion attribution (captum): logit change when a ``window``² patch is set to κ = 0.

    ``batch`` occluded copies of each map go through the network per forward pass.

    Returns:
        Attributions, shape ``(n_maps, n_pix, n_pix)``.
    """
    from captum.attr import Occlusion

    module.eval()
    wrapped = _Logit(module)
    x = torch.from_numpy(np.asarray(maps, dtype=np.float32) / np.float32(scale)).unsqueeze(1)
    occ = Occlusion(wrapped)
    attr = occ.attribute(
        x,
        sliding_window_shapes=(1, window, window),
        strides=(1, stride, stride),
        baselines=0.0,
        perturbations_per_eval=batch,  # occluded copies evaluated together: one forward per batch
    )
    return attr[:, 0].detach().double().numpy()


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


def saliency_figure(kappa: ArrayLike, ig: ArrayLike, occ: ArrayLike, title: str = "") -> Any:
    """Figure: map, integrated gradients, occlusion, and |IG| against κ (over- vs under-dense)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = np.asarray(kappa)
    g = np.asarray(ig)
    o = np.asarray(occ)
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    im = axes[0].imshow(k, cmap="RdBu_r", vmin=-3 * k.std(), vmax=3 * k.std())
    axes[0].set_title("convergence κ")
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    lim = np.abs(g).max() or 1.0
    im = axes[1].imshow(g, cmap="PiYG", vmin=-lim, vmax=lim)
    axes[1].set_title("integrated gradients")
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    lim = np.abs(o).max() or 1.0
    im = axes[2].imshow(o, cmap="PiYG", vmin=-lim, vmax=lim)
    axes[2].set_title("occlusion")
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    bins = np.linspace(-4, 4, 33) * k.std()
    idx = np.digitize(k.ravel(), bins)
    mean_abs = np.array(
        [
            np.abs(g.ravel()[idx == i]).mean() if np.any(idx == i) else np.nan
            for i in range(1, bins.size)
        ]
    )
    centres = 0.5 * (bins[1:] + bins[:-1])
    axes[3].plot(centres, mean_abs, "k.-")
    axes[3].axvline(0, color="grey", lw=0.5)
    axes[3].set_xlabel("κ")
    axes[3].set_ylabel("mean |IG| per pixel")
    axes[3].set_title("voids (κ<0) vs over-dense (κ>0)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
