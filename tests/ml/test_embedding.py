"""Embeddings of learned features: separated classes stay separated; batched feature extraction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.ml.embedding import embed_2d, learned_features


def test_separated_classes_stay_separated() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 10)
    feats = rng.normal(size=(30, 5)) + 6 * np.eye(5)[labels]
    for method in ("pca", "tsne"):
        emb = embed_2d(feats, method)  # type: ignore[arg-type]
        assert emb.shape == (30, 2)
        centroids = np.array([emb[labels == c].mean(0) for c in range(3)])
        nearest = np.linalg.norm(emb[:, None] - centroids[None], axis=-1).argmin(1)
        assert (nearest == labels).mean() > 0.9
    with pytest.raises(ValueError, match="method"):
        embed_2d(feats, "umap")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n >= 3"):
        embed_2d(feats[:2], "pca")


def test_learned_features_are_batched_without_gradients() -> None:
    net = torch.nn.Linear(4, 2)
    x = np.random.default_rng(0).normal(size=(9, 4)).astype(np.float32)
    f = learned_features(net, x, batch_size=4)
    with torch.no_grad():
        np.testing.assert_allclose(f, net(torch.from_numpy(x)).numpy(), rtol=1e-6)
