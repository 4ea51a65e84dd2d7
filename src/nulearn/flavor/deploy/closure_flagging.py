"""Asymptotic moments beside the flags: ``nulearn flavor flag ... --asymptotic CLOSURE_DIR``.

After a snapshot is flagged (:func:`~nulearn.flavor.deploy.flagging.flag_snapshot`), this pass
reads the four species' densities and flux factors block by block (same layout and ``--map`` as
the flagger), applies the learned closure (:mod:`nulearn.flavor.models.closure`) to the cells
flagged unstable (flag 1), keeps the moments of the cells flagged stable (flag 0), and writes into
the flags file:

* ``asymptotic/n_<s>`` (input density unit) and ``asymptotic/F_<s>`` (signed flux factor) for the
  four species, NaN where the flag is neither 0 nor 1 (invalid input, or outside the flagger's
  training domain: whether such a cell is unstable is not known);
* ``asymptotic/status`` (int8): 0 closure applied inside its training domain, the domain flag
  (:data:`~nulearn.ml.domain.DOMAIN_FLAG`) closure applied outside it, 1 stable cell kept as it
  is, -1 not computed.

The group is replaced on every run and ``asymptotic.attrs["complete"]`` is set last.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from nulearn.flavor.deploy.closure_codegen import closure_reference
from nulearn.flavor.deploy.snapshot import grid_blocks
from nulearn.flavor.deploy.snapshot_layout import MomentReader
from nulearn.flavor.models.closure import ClosureModel
from nulearn.flavor.physics.species import SPECIES
from nulearn.ml.domain import DOMAIN_FLAG

__all__ = ["ASYMPTOTIC_GROUP", "RAW_NAMES", "prepare_asymptotic", "write_asymptotic"]

#: Group of the flags file holding the asymptotic moments.
ASYMPTOTIC_GROUP = "asymptotic"
#: Raw moments the closure reads.
RAW_NAMES: tuple[str, ...] = (*(f"n_{s}" for s in SPECIES), *(f"F_{s}" for s in SPECIES))


def _closure_mapping(mapping: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (mapping or {}).items() if k in RAW_NAMES or k.startswith("flux_")}


def _reader(src: h5py.File, snapshot: str | Path, mapping: Mapping[str, str]) -> MomentReader:
    try:
        return MomentReader(src, RAW_NAMES, mapping)
    except (KeyError, OSError, ValueError) as err:
        raise ValueError(
            f"--asymptotic needs the moments of all four species in {snapshot} ({err})"
        ) from None


def prepare_asymptotic(
    snapshot: str | Path, closure: str | Path, mapping: Mapping[str, str] | None = None
) -> ClosureModel:
    """Load the closure and check that the snapshot holds what it reads, before any flagging
    starts, so that a bad ``--asymptotic`` leaves no flags file behind.

    Raises:
        ValueError: an unreadable closure directory, or a snapshot without the moments of all
            four species.
    """
    from nulearn.ml.io import open_hdf5

    model = ClosureModel.load(closure)
    with open_hdf5(snapshot, what="snapshot") as src:
        _reader(src, snapshot, _closure_mapping(mapping))
    return model


def write_asymptotic(
    snapshot: str | Path,
    flags: str | Path,
    closure: str | Path | ClosureModel,
    mapping: Mapping[str, str] | None = None,
    chunk_cells: int = 1 << 22,
) -> dict[str, int]:
    """Write the asymptotic moments of every cell into the flags file (module docstring).

    Args:
        snapshot: the flagged snapshot (needs the moments of all four species).
        flags: the complete flags file of that snapshot.
        closure: closure directory, or a closure loaded by :func:`prepare_asymptotic`.
        mapping: raw moment -> dataset, as given to the flagger.
        chunk_cells: cells per block.

    Returns:
        Counts: ``converted`` (closure applied), ``outside_domain`` (of those, outside the
        closure's training domain), ``kept`` (stable), ``not_computed``.

    Raises:
        ValueError: an incomplete flags file, a snapshot without heavy-lepton moments or a grid
            that differs from the flags'.
    """
    model = closure if isinstance(closure, ClosureModel) else ClosureModel.load(closure)
    mapping = _closure_mapping(mapping)
    counts = {"converted": 0, "outside_domain": 0, "kept": 0, "not_computed": 0}
    with h5py.File(snapshot, "r") as src, h5py.File(flags, "r+") as out:
        if not bool(out.attrs.get("complete", False)):
            raise ValueError(f"flags file {flags} is incomplete; finish the flagging run first")
        reader = _reader(src, snapshot, mapping)
        shape = tuple(out["flag"].shape)
        if tuple(reader.shape) != shape:
            raise ValueError(f"snapshot grid {reader.shape} differs from the flags' grid {shape}")
        if ASYMPTOTIC_GROUP in out:
            del out[ASYMPTOTIC_GROUP]
        group = out.create_group(ASYMPTOTIC_GROUP)
        group.attrs["complete"] = False
        group.attrs["closure"] = str(closure)
        for name in RAW_NAMES:
            group.create_dataset(name, shape=shape, dtype="f8", fillvalue=np.nan)
        group.create_dataset("status", shape=shape, dtype="i1", fillvalue=-1)
        for block in grid_blocks(shape, chunk_cells):
            bshape = tuple(s.stop - s.start for s in block)
            moments = reader.read(block)
            flag = out["flag"][block].reshape(-1)
            unstable, stable = flag == 1, flag == 0
            result = {name: np.full(flag.size, np.nan) for name in RAW_NAMES}
            status = np.full(flag.size, -1, dtype=np.int8)
            for name in RAW_NAMES:
                result[name][stable] = np.asarray(moments[name]).reshape(-1)[stable]
            status[stable] = 1
            if unstable.any():
                sub = {k: np.asarray(v).reshape(-1)[unstable] for k, v in moments.items()}
                ref = closure_reference(model, sub)
                for name in RAW_NAMES:
                    result[name][unstable] = ref[f"{name}_out"]
                status[unstable] = ref["status"]
            for name in RAW_NAMES:
                group[name][block] = result[name].reshape(bshape)
            group["status"][block] = status.reshape(bshape)
            counts["converted"] += int(np.count_nonzero(unstable & (status != -1)))
            counts["outside_domain"] += int(np.count_nonzero(unstable & (status == DOMAIN_FLAG)))
            counts["kept"] += int(np.count_nonzero(stable))
            counts["not_computed"] += int(np.count_nonzero(status == -1))
        group["status"].attrs["meaning"] = (
            "0: closure applied (flag 1) inside its training domain, "
            f"{DOMAIN_FLAG}: applied outside it, 1: stable cell kept, -1: not computed"
        )
        group.attrs["complete"] = True
    return counts
