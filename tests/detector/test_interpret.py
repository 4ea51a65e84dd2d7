"""Attributions: completeness of integrated gradients, locality of saliency and occlusion; embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nulearn.detector.interpret import (
    attribution_figure,
    embed_2d,
    embedding_figure,
    integrated_gradients,
    learned_features,
    occlusion_map,
    saliency_map,
)


class FirstViewOnly(nn.Module):
    """Logits depend on view 0 only (and return a tuple, like the CVN)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.head = nn.Linear(2, 3)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.conv(x[:, :1])).mean((2, 3))
        return self.head(h), h


@pytest.fixture()
def model_and_input() -> tuple[nn.Module, np.ndarray]:
    torch.manual_seed(0)
    x = np.random.default_rng(0).integers(0, 256, (2, 3, 12, 12), dtype=np.uint8)
    return FirstViewOnly().eval(), x


def test_attributions_vanish_on_unused_views(model_and_input: tuple[nn.Module, np.ndarray]) -> None:
    model, x = model_and_input
    for attr in (
        saliency_map(model, x),
        integrated_gradients(model, x, n_steps=16),
        occlusion_map(model, x, window=4, stride=2),
    ):
        assert attr.shape == x.shape
        assert np.abs(attr[:, 1:]).max() == 0 and np.abs(attr[:, 0]).max() > 0
    assert (saliency_map(model, x) >= 0).all()


def test_integrated_gradients_completeness(model_and_input: tuple[nn.Module, np.ndarray]) -> None:
    model, x = model_and_input
    target = np.array([2, 0])
    ig = integrated_gradients(model, x, target, n_steps=128)
    xf = torch.as_tensor(x).float() / 255
    with torch.no_grad():
        gap = model(xf)[0] - model(torch.zeros_like(xf))[0]
    expected = gap[np.arange(2), target].numpy()
    # Sundararajan et al. Prop. 1: attributions sum to F(x) - F(baseline).
    np.testing.assert_allclose(ig.sum((1, 2, 3)), expected, rtol=2e-2, atol=1e-4)


def test_target_validation(model_and_input: tuple[nn.Module, np.ndarray]) -> None:
    model, x = model_and_input
    with pytest.raises(ValueError, match="target"):
        saliency_map(model, x, target=[0, 1, 2])
    with pytest.raises(ValueError, match="window"):
        occlusion_map(model, x, window=0)


def test_embeddings_and_figures(model_and_input: tuple[nn.Module, np.ndarray]) -> None:
    model, x = model_and_input
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 10)
    feats = rng.normal(size=(30, 5)) + 6 * np.eye(5)[labels]
    pca = embed_2d(feats, "pca")
    tsne = embed_2d(feats, "tsne")
    assert pca.shape == tsne.shape == (30, 2)
    # Well-separated classes stay separated along PCA's leading axes.
    for emb in (pca, tsne):
        centroids = np.array([emb[labels == c].mean(0) for c in range(3)])
        nearest = np.linalg.norm(emb[:, None] - centroids[None], axis=-1).argmin(1)
        assert (nearest == labels).mean() > 0.9
    with pytest.raises(ValueError, match="method"):
        embed_2d(feats, "umap")  # type: ignore[arg-type]
    fig = embedding_figure({"PCA": pca, "t-SNE": tsne}, labels, ["a", "b", "c"])
    assert len(fig.axes) == 2
    maps = {"saliency": saliency_map(model, x)[0]}
    assert len(attribution_figure(x[0], maps).axes) == 6
    f = learned_features(lambda t: model(t.float() / 255)[1], x)
    assert f.shape == (2, 2)
