"""What the multi-view CNN looks at: attributions of pixel maps, per view.

Saliency, integrated gradients (from the empty detector) and occlusion (a window of one view
zeroed) are the shared captum wrappers of :mod:`nulearn.ml.attribution`; this module hands them
8-bit pixel maps as the network reads them (``x / 255``) and draws one event's views with each
method's attribution (:func:`attribution_figure`). Embeddings of the learned features are
:mod:`nulearn.ml.embedding` and :func:`nulearn.ml.figures.embedding_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from nulearn.detector.cvn.models.network import MultiViewCNN
from nulearn.ml import attribution
from nulearn.ml.report import pyplot

__all__ = ["attribution_figure", "pixel_map_attributions"]


def pixel_map_attributions(
    model: Any,
    pixel_maps: np.ndarray,
    target: np.ndarray | Sequence[int] | None = None,
    n_steps: int = 32,
    window: int = 6,
    stride: int = 3,
) -> dict[str, np.ndarray]:
    """Saliency, integrated gradients and occlusion of the flavour logit of ``target`` (default:
    the predicted flavour) for pixel maps ``(n, 3, W, T)``, each ``(n, 3, W, T)``.

    Args:
        model: the multi-view CNN (a tuple output has its flavour logits first).
        pixel_maps: ``uint8`` or float in [0, 1].
        target: flavour per event.
        n_steps: integrated-gradients steps.
        window, stride: occlusion window and step in pixels.
    """
    x = MultiViewCNN.to_float(torch.as_tensor(pixel_maps))
    return {
        "saliency": attribution.saliency(model, x, target),
        "integrated gradients": attribution.integrated_gradients(model, x, target, n_steps)[0],
        "occlusion": attribution.occlusion(model, x, target, window=window, stride=stride),
    }


def attribution_figure(
    image: np.ndarray,
    maps: Mapping[str, np.ndarray],
    channel_names: Sequence[str] = ("U", "V", "Z"),
    title: str = "",
) -> Any:
    """One event: the input views (top row) and each attribution map per view (one row per method).

    Args:
        image: ``(C, H, W)``: wires by time ticks per view.
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
