"""Attributions of pixel maps: 8-bit charge read as the network reads it, per view."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nulearn.detector.cvn.evaluation.interpretation import (
    attribution_figure,
    pixel_map_attributions,
)


class FirstViewOnly(nn.Module):
    """Logits depend on view 0 only, read as x / 255 (and returned in a tuple, like the CVN)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.head = nn.Linear(2, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x
        h = torch.tanh(self.conv(x[:, :1])).mean((2, 3))
        return self.head(h), h


@pytest.fixture()
def model_and_maps() -> tuple[nn.Module, np.ndarray]:
    torch.manual_seed(0)
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 12, 12), dtype=np.uint8)
    return FirstViewOnly().eval(), x


def test_attributions_per_view(model_and_maps: tuple[nn.Module, np.ndarray]) -> None:
    model, x = model_and_maps
    maps = pixel_map_attributions(model, x, n_steps=16, window=4, stride=2)
    assert list(maps) == ["saliency", "integrated gradients", "occlusion"]
    for attr in maps.values():
        assert attr.shape == x.shape
        assert np.abs(attr[:, 1:]).max() == 0 and np.abs(attr[:, 0]).max() > 0
    assert len(attribution_figure(x[0], {k: a[0] for k, a in maps.items()}).axes) == 3 * 4


def test_integrated_gradients_complete_on_the_scaled_input(
    model_and_maps: tuple[nn.Module, np.ndarray],
) -> None:
    model, x = model_and_maps
    target = np.array([2, 0])
    ig = pixel_map_attributions(model, x, target, n_steps=128)["integrated gradients"]
    with torch.no_grad():
        gap = model(torch.as_tensor(x))[0] - model(torch.zeros(2, 3, 12, 12))[0]
    # Sundararajan et al. Prop. 1 on the [0, 1] charge the network reads
    np.testing.assert_allclose(
        ig.sum((1, 2, 3)), gap[np.arange(2), target].numpy(), rtol=2e-2, atol=1e-4
    )
