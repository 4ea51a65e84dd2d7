"""Which input pixels a network's output rests on: saliency, integrated gradients, occlusion.

One set of captum wrappers for every pillar's image networks (κ maps, detector pixel maps,
waveform images):

* saliency: |∂ y / ∂ x| (Simonyan, Vedaldi & Zisserman 2014, arXiv:1312.6034);
* integrated gradients: (x − x₀) · ∫₀¹ ∂ y(x₀ + α (x − x₀)) / ∂x dα along the straight path
  from a baseline x₀ (Sundararajan, Taly & Yan 2017, ICML, arXiv:1703.01365), here the empty
  input x₀ = 0 (no charge, κ = 0); the attributions sum to y(x) − y(x₀) ("completeness"),
  and the deviation is returned as a convergence check;
* occlusion: the change of y when a window of the input is set to the baseline (Zeiler &
  Fergus 2014), the model-agnostic cross-check.

``y`` is the network's output for class ``target``: a network with one output per sample
(shape ``(batch,)``) is attributed directly; one with class logits ``(batch, n_classes)`` needs a
target per sample (default: its predicted class). A network returning a tuple has its first
element taken (e.g. the flavour logits of a multi-head network). Inputs are float tensors or
arrays ``(batch, channels, ...)`` already scaled as the network reads them.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1), torch.nn.Flatten(0))
>>> x = torch.ones(2, 1, 2, 2)
>>> attr, delta = integrated_gradients(net, x, n_steps=16)
>>> attr.shape, bool(abs(delta).max() < 1e-5)
((2, 1, 2, 2), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

__all__ = ["FirstOutput", "integrated_gradients", "occlusion", "saliency"]


class FirstOutput(nn.Module):
    """Wraps a network so that it returns one tensor (the first element of a tuple output), as
    captum expects."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.model(x)
        return out[0] if isinstance(out, tuple | list) else out


def _prepare(
    model: nn.Module, inputs: Any, target: Any
) -> tuple[FirstOutput, torch.Tensor, torch.Tensor | None]:
    """The wrapped network in eval mode, float inputs that carry gradients, and the targets."""
    x = torch.as_tensor(inputs)
    if x.ndim < 2:
        raise ValueError(f"inputs must have shape (batch, ...), got {tuple(x.shape)}")
    x = x.float().detach().clone().requires_grad_(True)
    wrapped = FirstOutput(model).eval()
    with torch.no_grad():
        out = wrapped(x)
    if out.ndim == 1:
        return wrapped, x, None
    if target is None:
        return wrapped, x, out.argmax(1)
    tgt = torch.as_tensor(np.asarray(target), dtype=torch.int64)
    if tgt.shape != (x.shape[0],):
        raise ValueError(f"target must have shape ({x.shape[0]},), got {tuple(tgt.shape)}")
    return wrapped, x, tgt


def _numpy(attr: torch.Tensor) -> NDArray[np.float64]:
    return np.asarray(attr.detach().double().numpy(), dtype=np.float64)


def saliency(
    model: nn.Module, inputs: Any, target: Sequence[int] | NDArray[Any] | None = None
) -> NDArray[np.float64]:
    """|∂ y_target / ∂ x|, the shape of ``inputs``."""
    from captum.attr import Saliency

    wrapped, x, tgt = _prepare(model, inputs, target)
    return _numpy(Saliency(wrapped).attribute(x, target=tgt, abs=True))


def integrated_gradients(
    model: nn.Module,
    inputs: Any,
    target: Sequence[int] | NDArray[Any] | None = None,
    n_steps: int = 32,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Integrated gradients of y_target from the empty input (x₀ = 0), with captum.

    Args:
        model: the network.
        inputs: ``(batch, channels, ...)``.
        target: class per sample for class-logit networks (default: predicted class).
        n_steps: Riemann steps along the path.

    Returns:
        Attributions (the shape of ``inputs``) and the completeness error per sample
        (sum of attributions − [y(x) − y(0)]), shape ``(batch,)``.
    """
    from captum.attr import IntegratedGradients

    if n_steps < 1:
        raise ValueError(f"n_steps = {n_steps} must be >= 1")
    wrapped, x, tgt = _prepare(model, inputs, target)
    attr, delta = IntegratedGradients(wrapped).attribute(
        x,
        baselines=torch.zeros_like(x),
        target=tgt,
        n_steps=n_steps,
        return_convergence_delta=True,
    )
    return _numpy(attr), _numpy(delta)


def occlusion(
    model: nn.Module,
    inputs: Any,
    target: Sequence[int] | NDArray[Any] | None = None,
    window: int = 8,
    stride: int = 4,
    perturbations_per_eval: int = 1,
) -> NDArray[np.float64]:
    """Change of y_target when a ``window x window`` patch of one channel is set to 0, with captum.

    Each channel is occluded on its own (for detector views: which view matters). The last two
    axes of ``inputs`` are the image axes.

    Args:
        model: the network.
        inputs: ``(batch, channels, height, width)``.
        target: class per sample for class-logit networks (default: predicted class).
        window: patch side in pixels.
        stride: patch step in pixels.
        perturbations_per_eval: occluded copies evaluated in one forward pass.

    Returns:
        Attributions, the shape of ``inputs``.
    """
    from captum.attr import Occlusion

    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be >= 1, got {window}, {stride}")
    wrapped, x, tgt = _prepare(model, inputs, target)
    if x.ndim != 4:
        raise ValueError(f"occlusion needs inputs (batch, channels, H, W), got {tuple(x.shape)}")
    with torch.no_grad():
        attr = Occlusion(wrapped).attribute(
            x,
            target=tgt,
            sliding_window_shapes=(1, window, window),
            strides=(1, stride, stride),
            baselines=0.0,
            perturbations_per_eval=perturbations_per_eval,
        )
    return _numpy(attr)
