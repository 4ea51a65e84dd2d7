"""What an image classifier looks at: attributions, occlusion, and embeddings of its features.

* Saliency: |∂ logit_c / ∂ x| (Simonyan et al. 2014, arXiv:1312.6034).
* Integrated gradients: (x - x0) · ∫ ∂ logit_c(x0 + α (x - x0)) / ∂x dα from an empty-detector
  baseline x0 = 0 (Sundararajan et al. 2017, arXiv:1703.01365), via captum.
* Occlusion: drop in logit_c when a window of pixels of one view is zeroed (Zeiler & Fergus 2014),
  via captum.
* 2D embeddings (PCA, t-SNE) of learned features coloured by true class.

Works for any ``torch.nn.Module`` on ``(batch, C, H, W)`` inputs; ``uint8`` images are scaled to
[0, 1] first, and a module that returns a tuple has its first element taken as the logits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from captum.attr import IntegratedGradients, Occlusion, Saliency
from torch import nn

from nulearn.ml.report import pyplot

__all__ = [
    "LogitsOnly",
    "attribution_figure",
    "embed_2d",
    "embedding_figure",
    "integrated_gradients",
    "learned_features",
    "occlusion_map",
    "saliency_map",
]


class LogitsOnly(nn.Module):
    """Wraps a classifier so that it returns one logits tensor (what captum expects)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out[0] if isinstance(out, tuple | list) else out


def _prepare(
    model: nn.Module, x: np.ndarray | torch.Tensor, target: np.ndarray | Sequence[int] | None
) -> tuple[LogitsOnly, torch.Tensor, torch.Tensor]:
    xt = torch.as_tensor(x)
    if xt.ndim != 4:
        raise ValueError(f"inputs must have shape (batch, C, H, W), got {tuple(xt.shape)}")
    xf = xt.float() / 255.0 if xt.dtype == torch.uint8 else xt.float()
    xf = xf.detach().clone().requires_grad_(True)
    wrapped = LogitsOnly(model).eval()
    if target is None:
        with torch.no_grad():
            tgt = wrapped(xf).argmax(1)
    else:
        tgt = torch.as_tensor(np.asarray(target), dtype=torch.int64)
        if tgt.shape != (xf.shape[0],):
            raise ValueError(f"target must have shape ({xf.shape[0]},), got {tuple(tgt.shape)}")
    return wrapped, xf, tgt


def saliency_map(
    model: nn.Module, x: np.ndarray | torch.Tensor, target: np.ndarray | Sequence[int] | None = None
) -> np.ndarray:
    """Absolute input gradient of the target logit, ``(batch, C, H, W)``; target default = predicted class."""
    wrapped, xf, tgt = _prepare(model, x, target)
    return Saliency(wrapped).attribute(xf, target=tgt, abs=True).detach().numpy()


def integrated_gradients(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    target: np.ndarray | Sequence[int] | None = None,
    n_steps: int = 32,
) -> np.ndarray:
    """Integrated gradients from the empty image, ``(batch, C, H, W)``; sums to logit(x) - logit(0)."""
    wrapped, xf, tgt = _prepare(model, x, target)
    ig = IntegratedGradients(wrapped)
    return (
        ig.attribute(xf, baselines=torch.zeros_like(xf), target=tgt, n_steps=n_steps)
        .detach()
        .numpy()
    )


def occlusion_map(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    target: np.ndarray | Sequence[int] | None = None,
    window: int = 6,
    stride: int = 3,
) -> np.ndarray:
    """Drop of the target logit when a ``window x window`` patch of one view is zeroed, ``(batch, C, H, W)``.

    Each channel (view) is occluded on its own, so the map also tells which view matters.
    """
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window}, {stride}")
    wrapped, xf, tgt = _prepare(model, x, target)
    occ = Occlusion(wrapped)
    with torch.no_grad():
        attr = occ.attribute(
            xf,
            target=tgt,
            sliding_window_shapes=(1, window, window),
            strides=(1, stride, stride),
            baselines=0.0,
        )
    return attr.detach().numpy()


def embed_2d(
    features: np.ndarray,
    method: Literal["pca", "tsne"] = "pca",
    seed: int = 0,
    perplexity: float = 30.0,
) -> np.ndarray:
    """2D embedding ``(n, 2)`` of features ``(n, d)`` by PCA or t-SNE (perplexity capped below n)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    if features.ndim != 2 or features.shape[0] < 3:
        raise ValueError(f"features must have shape (n >= 3, d), got {features.shape}")
    z = StandardScaler().fit_transform(features)
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(z)
    if method == "tsne":
        perp = min(perplexity, (features.shape[0] - 1) / 3)
        return TSNE(n_components=2, perplexity=perp, random_state=seed, init="pca").fit_transform(z)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def attribution_figure(
    image: np.ndarray,
    maps: Mapping[str, np.ndarray],
    channel_names: Sequence[str] = ("U", "V", "Z"),
    title: str = "",
) -> Any:
    """One event: the input views (top row) and each attribution map per view (one row per method).

    Args:
        image: ``(C, H, W)``.
        maps: method name -> attribution ``(C, H, W)``.
    """
    plt = pyplot()
    c = image.shape[0]
    fig, axes = plt.subplots(
        1 + len(maps), c, figsize=(2.6 * c, 2.4 * (1 + len(maps))), squeeze=False
    )
    for v in range(c):
        axes[0, v].imshow(image[v].T, origin="lower", cmap="viridis", aspect="auto")
        axes[0, v].set_title(f"view {channel_names[v]}")
    for r, (name, m) in enumerate(maps.items(), start=1):
        lim = float(np.abs(m).max()) or 1.0
        signed = bool((m < 0).any())
        for v in range(c):
            axes[r, v].imshow(
                m[v].T,
                origin="lower",
                aspect="auto",
                cmap="RdBu_r" if signed else "magma",
                vmin=-lim if signed else 0.0,
                vmax=lim,
            )
            axes[r, v].set_title(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].set_ylabel("time")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def embedding_figure(
    embeddings: Mapping[str, np.ndarray], labels: np.ndarray, class_names: Sequence[str]
) -> Any:
    """Scatter of each 2D embedding ``(n, 2)`` coloured by true class."""
    plt = pyplot()
    fig, axes = plt.subplots(
        1, len(embeddings), figsize=(4.2 * len(embeddings), 4.0), squeeze=False
    )
    for ax, (name, e) in zip(axes[0], embeddings.items(), strict=True):
        for c, cname in enumerate(class_names):
            m = labels == c
            ax.scatter(e[m, 0], e[m, 1], s=6, alpha=0.7, label=cname)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    return fig


def learned_features(
    feature_fn: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray, batch_size: int = 256
) -> np.ndarray:
    """Evaluate a feature extractor ``(batch, ...) -> (batch, d)`` without gradients, ``(n, d)``."""
    with torch.no_grad():
        return np.concatenate(
            [
                feature_fn(torch.as_tensor(x[lo : lo + batch_size])).numpy()
                for lo in range(0, len(x), batch_size)
            ]
        )
