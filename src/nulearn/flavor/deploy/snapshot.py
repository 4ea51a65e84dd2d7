"""Simulation snapshots of angular moments in HDF5: the default layout, name mapping, a synthetic demo.

Default layout (what ``nulearn flavor flag`` reads without ``--map``): one dataset per raw moment
at the file root, all of the grid's shape (1D, 2D or 3D, any float dtype)::

    /n_nue  /n_nuebar  /n_nux  /n_nuxbar     number densities (any common unit)
    /F_nue  /F_nuebar  /F_nux  /F_nuxbar     flux factors F = |I_1| / I_0 in [0, 1)

ELN models read only the ``nue``/``nuebar`` datasets. Other codes' names and layouts (species
and energy-group axes, flux vectors) are mapped with ``--map``
(:mod:`nulearn.flavor.deploy.snapshot_layout`).

:func:`write_synthetic_snapshot` writes smooth moment fields of a proto-neutron-star-like
configuration: densities falling with radius, flux factors growing outwards (neutrinos
decouple), antineutrinos more forward-peaked than neutrinos, and ``alpha = n_nuebar / n_nue``
wandering around 1, so that shells and blobs where the electron-lepton-number angular
distribution changes sign (unstable to fast flavor conversion) alternate with stable regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_LAYOUT",
    "RAW_MOMENTS",
    "grid_blocks",
    "synthetic_moments",
    "write_synthetic_snapshot",
]

RAW_MOMENTS: tuple[str, ...] = (
    "n_nue",
    "n_nuebar",
    "n_nux",
    "n_nuxbar",
    "F_nue",
    "F_nuebar",
    "F_nux",
    "F_nuxbar",
)
#: raw moment -> dataset path in the default layout
DEFAULT_LAYOUT: dict[str, str] = {name: f"/{name}" for name in RAW_MOMENTS}


def grid_blocks(shape: Sequence[int], max_cells: int) -> list[tuple[slice, ...]]:
    """Tile a C-ordered grid into hyperslabs of at most ``max_cells`` cells (at least one row).

    Whole trailing axes are kept together; the outermost axis that does not fit is cut into
    runs, so each block is contiguous in memory and on disk.
    """
    shape = tuple(int(s) for s in shape)
    if max_cells < 1:
        raise ValueError(f"max_cells = {max_cells}; must be >= 1")
    inner = 1
    axis = len(shape) - 1
    # find the outermost axis k such that prod(shape[k+1:]) <= max_cells
    while axis > 0 and inner * shape[axis] <= max_cells:
        inner *= shape[axis]
        axis -= 1
    run = max(1, min(shape[axis], max_cells // inner))
    outer_ranges = [range(s) for s in shape[:axis]]
    blocks: list[tuple[slice, ...]] = []
    for outer in np.ndindex(*[len(r) for r in outer_ranges]) if outer_ranges else [()]:
        for start in range(0, shape[axis], run):
            head = tuple(slice(i, i + 1) for i in outer)
            tail = tuple(slice(0, s) for s in shape[axis + 1 :])
            blocks.append((*head, slice(start, min(start + run, shape[axis])), *tail))
    return blocks


def _waves(coords: list[NDArray[np.float64]], seed: int, n_waves: int = 4) -> NDArray[np.float64]:
    """Smooth field in [-1, 1]: a sum of plane waves with fixed random wavevectors and phases."""
    rng = np.random.default_rng(seed)
    field = np.zeros(np.broadcast_shapes(*[c.shape for c in coords]))
    for _ in range(n_waves):
        k = rng.normal(0.0, 3.0, len(coords))
        phase = rng.uniform(0, 2 * np.pi)
        field = field + np.cos(sum(ki * ci for ki, ci in zip(k, coords, strict=True)) + phase)
    return field / n_waves


def synthetic_moments(
    shape: Sequence[int], block: tuple[slice, ...] | None = None, seed: int = 0
) -> dict[str, NDArray[np.float64]]:
    """Moment fields of a synthetic snapshot on the grid ``shape`` (restricted to ``block``).

    The domain is [-1, 1]^d with the "star" at the centre. Returns arrays of the block's shape
    keyed by :data:`RAW_MOMENTS`; deterministic for ``seed`` and independent of the blocking.
    """
    shape = tuple(int(s) for s in shape)
    block = block or tuple(slice(0, s) for s in shape)
    axes = []
    for d, (s, sl) in enumerate(zip(shape, block, strict=True)):
        idx = np.arange(sl.start or 0, sl.stop if sl.stop is not None else s, dtype=np.float64)
        x = -1.0 + 2.0 * (idx + 0.5) / s
        view = [1] * len(shape)
        view[d] = x.size
        axes.append(x.reshape(view))
    r = np.sqrt(sum(a * a for a in axes))
    w_alpha, w_flux, w_x, w_dens = (_waves(axes, seed * 101 + i) for i in range(4))
    # number densities fall off with radius; the common scale cancels in the features
    n_nue = 1e33 * np.exp(-2.5 * r) * (1.0 + 0.2 * w_dens)
    alpha = 0.6 + 0.6 * w_alpha + 0.15 * np.tanh((r - 0.5) / 0.1)
    f_nue = np.clip(0.05 + 0.55 * r + 0.1 * w_flux, 0.0, 0.92)
    f_nuebar = np.clip(f_nue + 0.04 + 0.06 * w_x, 0.0, 0.95)
    out = {
        "n_nue": n_nue,
        "n_nuebar": alpha * n_nue,
        "n_nux": (0.5 + 0.15 * w_x) * n_nue,
        "n_nuxbar": (0.5 + 0.15 * w_x + 0.05 * w_alpha) * n_nue,
        "F_nue": f_nue,
        "F_nuebar": f_nuebar,
        "F_nux": np.clip(f_nuebar + 0.05, 0.0, 0.97),
        "F_nuxbar": np.clip(f_nuebar + 0.06, 0.0, 0.97),
    }
    return {k: np.broadcast_to(v, r.shape).astype(np.float64) for k, v in out.items()}


def write_synthetic_snapshot(
    path: str | Path,
    shape: Sequence[int],
    *,
    seed: int = 0,
    dtype: str = "float64",
    block_cells: int = 1 << 21,
    progress: bool = False,
) -> Path:
    """Write a synthetic snapshot in the default layout, block by block (bounded memory).

    Args:
        path: output ``.h5`` file (overwritten).
        shape: grid shape, 1 to 3 axes of positive length.
        seed: seed of the smooth perturbations.
        dtype: ``"float64"`` or ``"float32"``.
        block_cells: cells generated at a time (memory ~ 100 bytes per cell).
    """
    shape = tuple(int(s) for s in shape)
    if not 1 <= len(shape) <= 3 or any(s < 1 for s in shape):
        raise ValueError(f"shape = {shape}; need 1 to 3 axes, each of length >= 1")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype = {dtype!r}; allowed: float64, float32")
    from tqdm import tqdm

    from nulearn.ml.io import atomic_output, check_output

    path = check_output(path, suffixes=(".h5", ".hdf5", ".hdf"), what="--out")
    blocks = grid_blocks(shape, block_cells)
    with atomic_output(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs["layout"] = "nulearn-moments-v1"
        h5.attrs["description"] = "synthetic moment snapshot (nulearn flavor snapshot)"
        h5.attrs["seed"] = seed
        dsets = {name: h5.create_dataset(name, shape=shape, dtype=dtype) for name in RAW_MOMENTS}
        for block in tqdm(blocks, disable=not progress, desc="snapshot", unit="block"):
            fields = synthetic_moments(shape, block, seed)
            for name, values in fields.items():
                dsets[name][block] = values
    return path
