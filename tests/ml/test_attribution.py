"""Attribution: completeness of integrated gradients, exact attribution of a linear model,
locality of saliency and occlusion, target handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nulearn.ml.attribution import integrated_gradients, occlusion, saliency


class FirstChannelOnly(nn.Module):
    """Class logits that depend on channel 0 only, returned in a tuple (like a multi-head net)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.head = nn.Linear(2, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.conv(x[:, :1])).mean((2, 3))
        return self.head(h), h


class Linear(nn.Module):
    """One output per sample: sum of weight * input over the image."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x[:, 0] * self.weight).sum(dim=(-2, -1))


@pytest.fixture()
def model_and_input() -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    return FirstChannelOnly().eval(), torch.rand(2, 3, 12, 12)


def test_integrated_gradients_of_a_linear_model_is_weight_times_input() -> None:
    rng = np.random.default_rng(0)
    w = torch.from_numpy(rng.normal(size=(8, 8)).astype(np.float32))
    x = rng.normal(size=(2, 1, 8, 8)).astype(np.float32)
    attr, delta = integrated_gradients(Linear(w), x, n_steps=8)
    np.testing.assert_allclose(attr[:, 0], w.numpy()[None] * x[:, 0], rtol=1e-4, atol=1e-6)
    assert attr.shape == x.shape and np.abs(delta).max() < 1e-4


def test_attributions_vanish_on_unused_channels(
    model_and_input: tuple[nn.Module, torch.Tensor],
) -> None:
    model, x = model_and_input
    for attr in (
        saliency(model, x),
        integrated_gradients(model, x, n_steps=16)[0],
        occlusion(model, x, window=4, stride=2),
    ):
        assert attr.shape == x.shape
        assert np.abs(attr[:, 1:]).max() == 0 and np.abs(attr[:, 0]).max() > 0
    assert (saliency(model, x) >= 0).all()


def test_integrated_gradients_completeness_per_target(
    model_and_input: tuple[nn.Module, torch.Tensor],
) -> None:
    model, x = model_and_input
    target = np.array([2, 0])
    attr, delta = integrated_gradients(model, x, target, n_steps=128)
    with torch.no_grad():
        gap = model(x)[0] - model(torch.zeros_like(x))[0]
    expected = gap[np.arange(2), target].numpy()
    # Sundararajan et al. Prop. 1: attributions sum to F(x) - F(baseline).
    np.testing.assert_allclose(attr.sum((1, 2, 3)), expected, rtol=2e-2, atol=1e-4)
    np.testing.assert_allclose(delta, attr.sum((1, 2, 3)) - expected, atol=1e-4)


def test_default_target_is_the_predicted_class(
    model_and_input: tuple[nn.Module, torch.Tensor],
) -> None:
    model, x = model_and_input
    with torch.no_grad():
        predicted = model(x)[0].argmax(1).numpy()
    np.testing.assert_array_equal(saliency(model, x), saliency(model, x, predicted))


def test_occlusion_of_a_linear_model_is_the_patch_sum() -> None:
    w = torch.ones(4, 4)
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    occ = occlusion(Linear(w), x, window=2, stride=2)
    # each pixel's attribution is the output drop when its 2x2 patch is zeroed
    patch_sums = x[0, 0].reshape(2, 2, 2, 2).sum((1, 3))
    np.testing.assert_allclose(occ[0, 0], np.kron(patch_sums.numpy(), np.ones((2, 2))))


def test_argument_validation(model_and_input: tuple[nn.Module, torch.Tensor]) -> None:
    model, x = model_and_input
    with pytest.raises(ValueError, match="target"):
        saliency(model, x, target=[0, 1, 2])
    with pytest.raises(ValueError, match="window"):
        occlusion(model, x, window=0)
    with pytest.raises(ValueError, match="n_steps"):
        integrated_gradients(model, x, n_steps=0)
    with pytest.raises(ValueError, match="batch"):
        saliency(model, torch.zeros(5))
