"""Saliency: completeness of integrated gradients, exact attribution of a linear model, density split."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nulearn.cosmo.evaluation.saliency import (
    density_split,
    map_integrated_gradients,
    map_occlusion,
    rank_correlation,
)
from nulearn.cosmo.models.network import LensingCNNConfig, MapCNN
from nulearn.cosmo.study.report import saliency_figure


class _Linear(nn.Module):
    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x[:, 0] * self.weight).sum(dim=(-2, -1)).unsqueeze(1)


def test_integrated_gradients_of_a_linear_model_is_weight_times_input() -> None:
    rng = np.random.default_rng(0)
    w = torch.from_numpy(rng.normal(size=(8, 8)).astype(np.float32))
    maps = rng.normal(size=(2, 8, 8)).astype(np.float32)
    attr, delta = map_integrated_gradients(_Linear(w), maps, scale=2.0, n_steps=8)
    np.testing.assert_allclose(attr, w.numpy()[None] * maps / 2.0, rtol=1e-4, atol=1e-6)
    assert np.abs(delta).max() < 1e-4


def test_completeness_on_the_cnn_and_occlusion_shape() -> None:
    torch.manual_seed(0)
    net = MapCNN(LensingCNNConfig(stem_channels=4, body_channels=(4, 4)))
    maps = np.random.default_rng(1).normal(size=(2, 16, 16)).astype(np.float32)
    attr, delta = map_integrated_gradients(net, maps, 1.0, n_steps=64)
    with torch.no_grad():
        gap = (net(torch.from_numpy(maps).unsqueeze(1)) - net(torch.zeros(2, 1, 16, 16)))[
            :, 0
        ].numpy()
    assert np.abs(delta).max() < 0.05 * np.abs(gap).max() + 1e-4
    occ = map_occlusion(net, maps, 1.0, window=4, stride=2)
    assert occ.shape == maps.shape
    assert -1.0 <= rank_correlation(np.abs(attr), np.abs(occ)) <= 1.0
    saliency_figure(maps[0], attr[0], occ[0])


def test_density_split_closed_form() -> None:
    kappa = np.array([[[1.0, -1.0], [2.0, -2.0]]])
    attr = np.array([[[3.0, 1.0], [0.0, -4.0]]])
    s = density_split(kappa, attr)
    assert s.share_overdense == pytest.approx(3 / 8)
    assert s.share_underdense == pytest.approx(5 / 8)
    assert s.per_pixel_underdense == pytest.approx(2.5)
    assert s.signed_underdense == pytest.approx(-3.0)
    with pytest.raises(ValueError, match="shape"):
        density_split(kappa, attr[:, :1])
