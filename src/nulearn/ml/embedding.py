"""Two-dimensional pictures of what a network learned: its features of held-out samples, embedded by
PCA or t-SNE (van der Maaten & Hinton 2008, JMLR 9, 2579) and drawn coloured by true class
(:func:`nulearn.ml.figures.embedding_figure`).

>>> import numpy as np
>>> embed_2d(np.random.default_rng(0).normal(size=(10, 4)), "pca").shape
(10, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["embed_2d", "learned_features"]


def embed_2d(
    features: NDArray[Any],
    method: Literal["pca", "tsne"] = "pca",
    seed: int = 0,
    perplexity: float = 30.0,
) -> NDArray[Any]:
    """2D embedding ``(n, 2)`` of standardized features ``(n, d)`` by PCA or t-SNE (perplexity
    capped below n / 3, the most a sample of n points supports)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    if features.ndim != 2 or features.shape[0] < 3:
        raise ValueError(f"features must have shape (n >= 3, d), got {features.shape}")
    z = StandardScaler().fit_transform(features)
    if method == "pca":
        return np.asarray(PCA(n_components=2, random_state=seed).fit_transform(z))
    if method == "tsne":
        perp = min(perplexity, (features.shape[0] - 1) / 3)
        tsne = TSNE(n_components=2, perplexity=perp, random_state=seed, init="pca")
        return np.asarray(tsne.fit_transform(z))
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")


def learned_features(
    feature_fn: Callable[[Any], Any], x: NDArray[Any], batch_size: int = 256
) -> NDArray[Any]:
    """Evaluate a feature extractor ``(batch, ...) -> (batch, d)`` without gradients: ``(n, d)``
    in the extractor's dtype (e.g. a network's ``embedding`` method on held-out inputs)."""
    import torch

    with torch.no_grad():
        return np.concatenate(
            [
                feature_fn(torch.as_tensor(x[lo : lo + batch_size])).numpy()
                for lo in range(0, len(x), batch_size)
            ]
        )
