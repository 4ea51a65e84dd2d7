"""The two networks: a DynEdge-style graph network on k-nearest-neighbour graphs of the hit
modules (PyTorch Geometric ``EdgeConv``), and a 3D CNN on the regularized string grid.

Both end in the same head: one signal logit and a unit direction of travel (3 components
normalised), so one loss trains classification and direction regression together.

>>> import torch
>>> x, mask = torch.randn(2, 7, 5), torch.ones(2, 7, dtype=torch.bool)
>>> logit, direction = DynEdgeNet(width=8, k=3)(x, mask)
>>> logit.shape, direction.shape, bool(torch.allclose(direction.norm(dim=1), torch.ones(2)))
(torch.Size([2]), torch.Size([2, 3]), True)
>>> logit, direction = GridCNN(width=4)(torch.randn(2, 3, 30, 10, 10))
>>> direction.shape
torch.Size([2, 3])
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch_geometric.nn import EdgeConv

__all__ = ["DynEdgeNet", "GridCNN", "knn_edges"]


def knn_edges(pos: torch.Tensor, mask: torch.Tensor, k: int) -> torch.Tensor:
    """Edges (2, n_edges) from each valid node's k nearest valid neighbours (itself excluded) of
    a padded batch ``pos`` (B, N, D), ``mask`` (B, N); node ids index the flattened (B * N).

    Computed with ``torch.cdist`` and ``topk`` per batch (no torch_cluster needed); a node with
    fewer than k valid neighbours links to those it has (and to itself when it has none).
    """
    b, n, _ = pos.shape
    dist = torch.cdist(pos, pos)
    invalid = ~(mask[:, None, :] & mask[:, :, None])
    eye = torch.eye(n, dtype=torch.bool, device=pos.device)[None]
    dist = dist.masked_fill(invalid | eye, float("inf"))
    kk = min(k, max(n - 1, 1))
    d, idx = dist.topk(kk, dim=2, largest=False)
    base = (torch.arange(b, device=pos.device) * n)[:, None, None]
    target = (base + torch.arange(n, device=pos.device)[None, :, None]).expand(b, n, kk)
    source = torch.where(torch.isfinite(d), base + idx, target)
    keep = mask[:, :, None].expand(b, n, kk)
    return torch.stack([source[keep], target[keep]])


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*layers)


class _Head(nn.Module):
    """Pooled features -> (signal logit (B,), unit direction (B, 3))."""

    def __init__(self, d_in: int, width: int) -> None:
        super().__init__()
        self.body = _mlp([d_in, 2 * width, width])
        self.out = nn.Linear(width, 4)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.out(self.body(h))
        return y[:, 0], nn.functional.normalize(y[:, 1:], dim=1)


class DynEdgeNet(nn.Module):
    """DynEdge-style GNN (IceCube, JINST 17 (2022) P11003): EdgeConv layers whose k-NN graph is
    rebuilt in each layer's feature space (the first on module position and time), the outputs of
    all layers concatenated, pooled over nodes (mean, max) with log(n_hits), and a shared head.

    Args:
        n_features: node features (5: x, y, z, t, log q).
        width: hidden width.
        k: neighbours per node.
        n_layers: EdgeConv layers.
    """

    def __init__(self, n_features: int = 5, width: int = 48, k: int = 8, n_layers: int = 3) -> None:
        super().__init__()
        self.k = k
        self.convs = nn.ModuleList()
        d = n_features
        for _ in range(n_layers):
            self.convs.append(EdgeConv(_mlp([2 * d, width, width]), aggr="max"))
            d = width
        d_cat = n_features + n_layers * width
        self.post = _mlp([d_cat, 2 * width, 2 * width])
        self.head = _Head(4 * width + 1, width)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, N, F) padded nodes, mask (B, N) -> (logit (B,), direction (B, 3))."""
        b, n, f = x.shape
        h = x.reshape(b * n, f)
        feats = [h]
        pos = x[..., :4]
        for conv in self.convs:
            edges = knn_edges(pos, mask, self.k)
            h = conv(h, edges)
            feats.append(h)
            pos = h.reshape(b, n, -1)
        z = self.post(torch.cat(feats, dim=1)).reshape(b, n, -1)
        m = mask[..., None].to(z.dtype)
        count = m.sum(dim=1).clamp(min=1.0)
        mean = (z * m).sum(dim=1) / count
        top = z.masked_fill(~mask[..., None], float("-inf")).amax(dim=1)
        top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
        return self.head(torch.cat([mean, top, torch.log(count) / 5.0], dim=1))


class GridCNN(nn.Module):
    """3D CNN on the regularized images (B, 3, depth, grid, grid): three conv blocks, global
    mean and max pooling, the shared head."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width

        def block(a: int, b: int, pool: tuple[int, int, int]) -> list[nn.Module]:
            return [nn.Conv3d(a, b, 3, padding=1), nn.SiLU(), nn.MaxPool3d(pool)]

        self.trunk = nn.Sequential(
            *block(3, w, (2, 1, 1)), *block(w, 2 * w, (2, 2, 2)), *block(2 * w, 2 * w, (1, 1, 1))
        )
        self.head = _Head(4 * w, w)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images (B, 3, depth, grid, grid) -> (logit (B,), direction (B, 3))."""
        h = self.trunk(images).flatten(2)
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1))
