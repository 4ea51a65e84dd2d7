"""Network inputs from module hits: padded node sets for the graph network and a regularized
(string-grid x depth) image for the CNN, vectorised over all hits.

* :func:`node_features`: per event up to ``max_hits`` hits (the brightest, when there are more),
  each a node with features (x, y, z) / 500 m, t / 1000 ns, log(1 + q); shape
  (n, max_hits, 5) with a boolean mask (n, max_hits).
* :func:`grid_assignment` / :func:`grid_images`: the irregular strings are assigned one-to-one to
  the cells of a square ``grid x grid`` lattice covering the array, by the assignment that
  minimises the summed squared displacement (Hungarian algorithm), and the modules are binned by
  pairs in depth; each voxel holds (summed charge, earliest time, hit flag), shape
  (n, 3, doms_per_string // 2, grid, grid). This is the regularization a CNN needs, and it moves
  strings by up to ~half a spacing: the information a CNN loses on an irregular array.

>>> from nulearn.detector.optical.physics.config import OpticalConfig
>>> from nulearn.detector.optical.physics.simulator import Hits
>>> hits = Hits(np.array([0, 2, 3]), np.array([0, 5, 7], np.int32), np.zeros(3, np.float32),
...             np.array([1.0, 3.0, 2.0], np.float32), np.zeros(3, np.int8))
>>> x, mask = node_features(hits, OpticalConfig(), max_hits=4)
>>> x.shape, mask.sum(axis=1).tolist()
((2, 4, 5), [2, 1])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from nulearn.detector.optical.physics.config import OpticalConfig
from nulearn.detector.optical.physics.simulator import Hits

__all__ = ["N_NODE_FEATURES", "grid_assignment", "grid_images", "node_features"]

N_NODE_FEATURES = 5
_POS_SCALE_M, _TIME_SCALE_NS = 500.0, 1000.0


def _rank_in_event(
    hits: Hits, key: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(order, rank): hits sorted by event then ``key``, and each sorted hit's rank in its event."""
    ev = hits.event
    order = np.lexsort((key, ev))
    rank = np.arange(order.shape[0]) - hits.offsets[ev[order]]
    return order, rank


def node_features(
    hits: Hits, config: OpticalConfig, max_hits: int = 256
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Padded node features (n, max_hits, 5) and mask (n, max_hits) of every event (see module).

    Events with more than ``max_hits`` hits keep their ``max_hits`` brightest.
    """
    if max_hits < 1:
        raise ValueError(f"max_hits = {max_hits}; allowed range [1, inf)")
    n = len(hits)
    order, rank = _rank_in_event(hits, -hits.charge_pe.astype(np.float64))
    keep = rank < max_hits
    idx, slot = order[keep], rank[keep]
    ev = hits.event[idx]
    xyz = config.dom_positions()[hits.dom[idx]] / _POS_SCALE_M
    x = np.zeros((n, max_hits, N_NODE_FEATURES), dtype=np.float32)
    x[ev, slot, :3] = xyz
    x[ev, slot, 3] = hits.time_ns[idx] / _TIME_SCALE_NS
    x[ev, slot, 4] = np.log1p(hits.charge_pe[idx])
    mask = np.zeros((n, max_hits), dtype=bool)
    mask[ev, slot] = True
    return x, mask


def grid_assignment(config: OpticalConfig, grid: int) -> NDArray[np.int64]:
    """Cell (row-major index in ``grid x grid``) of every string, shape (n_strings,).

    The lattice spans the strings' bounding box; strings go to distinct cells by minimum summed
    squared displacement.
    """
    xy = config.string_xy()
    if grid * grid < xy.shape[0]:
        raise ValueError(f"grid = {grid}: {grid}x{grid} cells cannot hold {xy.shape[0]} strings")
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    axis = np.linspace(0.0, 1.0, grid)
    cx, cy = np.meshgrid(
        lo[0] + axis * (hi[0] - lo[0]), lo[1] + axis * (hi[1] - lo[1]), indexing="ij"
    )
    cells = np.column_stack([cx.ravel(), cy.ravel()])
    cost = ((xy[:, None, :] - cells[None, :, :]) ** 2).sum(axis=-1)
    rows, cols = linear_sum_assignment(cost)
    out = np.empty(xy.shape[0], dtype=np.int64)
    out[rows] = cols
    return out


def grid_images(hits: Hits, config: OpticalConfig, grid: int = 10) -> NDArray[np.float32]:
    """Regularized images (n, 3, doms_per_string // 2, grid, grid) of every event (see module).

    Channel 0: log(1 + summed charge); 1: earliest time / 1000 ns (0 where no hit); 2: hit flag.
    """
    n = len(hits)
    depth = max(config.doms_per_string // 2, 1)
    cell = grid_assignment(config, grid)
    string = hits.dom.astype(np.int64) // config.doms_per_string
    z = np.minimum((hits.dom.astype(np.int64) % config.doms_per_string) // 2, depth - 1)
    flat = (hits.event * depth + z) * grid * grid + cell[string]
    size = n * depth * grid * grid
    charge = np.bincount(flat, hits.charge_pe.astype(np.float64), size)
    first = np.full(size, np.inf)
    np.minimum.at(first, flat, hits.time_ns.astype(np.float64))
    hit = charge > 0
    img = np.stack(
        [np.log1p(charge), np.where(hit, first / _TIME_SCALE_NS, 0.0), hit.astype(np.float64)]
    )
    return img.reshape(3, n, depth, grid, grid).transpose(1, 0, 2, 3, 4).astype(np.float32)
