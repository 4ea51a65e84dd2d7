"""Flag every cell of an HDF5 snapshot: chunked, bounded memory, resumable, optionally on Dask.

:func:`flag_snapshot` reads the moment datasets of a snapshot (default layout of
:mod:`nulearn.flavor.deploy.snapshot`; a model of 3D moments reads ``/n_<s>`` and ``/flux_x_<s>``,
``/flux_y_<s>``, ``/flux_z_<s>`` in the same way; ``--map`` selects species and energy-group axes
inside datasets, integrates energy groups and computes flux factors from flux vectors as
:mod:`nulearn.flavor.deploy.snapshot_layout` describes), cuts the grid into hyperslab blocks of at most ``chunk_cells``
cells (:func:`~nulearn.flavor.deploy.snapshot.grid_blocks`), evaluates the model on each block and
writes, with the grid's shape,

* ``/p_crossing`` (float64, NaN for invalid cells), ``/flag`` (int8: 1 crossing, 0 none, -1
  invalid input, 2 valid input outside the model's training domain, whose ``p_crossing`` is an
  extrapolation), ``/valid`` (bool);
* ``/_progress/done`` (uint8 per block) and provenance attributes (model card SHA-256, model
  directory, package version, input file, dataset mapping, backend, ``complete``).

Resumability: the output datasets are allocated (contiguous) and their metadata flushed before
the first block, and a block is marked done only after its results are written and flushed. A
killed or interrupted run therefore leaves a consistent file (its ``complete`` attribute false,
cells of blocks not yet computed holding ``flag = -2``, never a label); the next run with the
same arguments finds it, checks the provenance, and computes only the blocks not marked done.
Every check of the inputs (model card, scheme, snapshot datasets and shapes, output path, Dask
scheduler) runs before the output is created, so a refused run leaves no file.

Backends: ``"c"`` (the generated C kernel, compiled once with gcc and cached; every model but
KNN), ``"onnx"`` (onnxruntime), ``"python"`` (the estimator itself); ``"auto"`` picks the first
that applies. Locally, ``threads`` blocks are evaluated at once (the kernels release the GIL);
with ``dask`` set, blocks run on a Dask distributed cluster (workers open the snapshot
themselves; the client writes the output), at most ``2 x workers`` blocks in flight.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from nulearn import __version__
from nulearn.flavor.deploy.loading import PLANNED_KINDS, DeployableModel, load_deployable
from nulearn.flavor.deploy.plan import DOMAIN_FLAG
from nulearn.flavor.deploy.raw_moments import ALL_SPECIES, species_for_features
from nulearn.flavor.deploy.snapshot import grid_blocks
from nulearn.flavor.deploy.snapshot_layout import MomentReader, mapping_keys, parse_selector
from nulearn.ml.interrupts import checked
from nulearn.ml.io import check_scheduler

__all__ = ["BACKENDS", "FlagResult", "flag_snapshot", "make_kernel", "parse_dataset_mapping"]

BACKENDS: tuple[str, ...] = ("auto", "c", "onnx", "python")
Kernel = Callable[[Mapping[str, NDArray[np.float64]]], tuple[NDArray[np.float64], NDArray[np.int8]]]

_KERNELS: dict[
    tuple[str, str, str], tuple[Kernel, str]
] = {}  # per-process cache (also on Dask workers)


@dataclass(frozen=True)
class FlagResult:
    """Summary of a :func:`flag_snapshot` run.

    Attributes:
        out: the flags file.
        shape: grid shape.
        n_cells: cells in the grid.
        n_blocks: blocks in the grid; ``n_blocks_run`` of them were computed by this call
            (fewer when resuming).
        n_crossing, n_invalid: cells flagged 1 and -1 over the whole grid.
        n_outside: valid cells outside the model's training domain (flag 2).
        backend: the backend used.
        seconds: wall time of this call.
    """

    out: Path
    shape: tuple[int, ...]
    n_cells: int
    n_blocks: int
    n_blocks_run: int
    n_crossing: int
    n_invalid: int
    n_outside: int
    backend: str
    seconds: float


def parse_dataset_mapping(items: list[str]) -> dict[str, str]:
    """``--map`` items -> ``{quantity: selector}``, checked (no dataset is opened yet).

    Items are ``QUANTITY=/path[INDEX][;groups=AXIS][;energies=/path][;components=AXIS]`` with the
    quantities and selectors of :mod:`nulearn.flavor.deploy.snapshot_layout`
    (``n_nue=/fluid/n_e``, ``n_nue=/M1/N[...,0]``, ``flux_nue=/M1/F[...,0,:]``).

    Raises:
        ValueError: for an item without ``=``, an unknown quantity or a malformed selector.
    """
    out: dict[str, str] = {}
    allowed = mapping_keys()
    for item in items:
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key or not value:
            raise ValueError(
                f"--map {item!r}: expected QUANTITY=/path/to/dataset, e.g. n_nue=/fluid/n_e "
                "or n_nue=/M1/N[...,0]"
            )
        if key not in allowed:
            raise ValueError(
                f"--map {item!r}: unknown quantity {key!r}; allowed: n_<s>, F_<s>, flux_<s> "
                "(a flux vector or radial flux), flux_x_<s>, flux_y_<s>, flux_z_<s> with "
                f"<s> in {', '.join(ALL_SPECIES)}"
            )
        out[key] = str(parse_selector(value))
    return out


def make_kernel(model: DeployableModel, backend: str = "auto") -> tuple[Kernel, str]:
    """A function raw moments ``{name: (n,)}`` -> ``(p_crossing, flag)`` and the backend chosen.

    Raises:
        ValueError: for an unknown backend or one that cannot run this model.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} unknown; allowed: {', '.join(BACKENDS)}")
    key = (str(model.model_dir.resolve()), model.card_hash, backend)
    if key in _KERNELS:
        return _KERNELS[key]
    result: tuple[Kernel, str] | None = None
    if backend in ("auto", "c") and model.kind in PLANNED_KINDS:
        from nulearn.flavor.deploy.toolchain import build_kernel, compiler_available

        if compiler_available("c"):
            result = (build_kernel(model.plan(), "c"), "c")
        elif backend == "c":
            raise ValueError("backend 'c' needs gcc on PATH (make system-deps)")
    elif backend == "c":
        raise ValueError(
            f"backend 'c' supports {', '.join(PLANNED_KINDS)} models, not {model.kind}; use onnx"
        )
    if result is None and backend in ("auto", "onnx"):
        from nulearn.flavor.deploy.onnx_export import OnnxKernel, export_onnx
        from nulearn.flavor.deploy.toolchain import kernel_cache_dir

        path = kernel_cache_dir() / f"{model.name}-{model.card_hash[:16]}.onnx"
        try:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                export_onnx(model, tmp)
                os.replace(tmp, path)
            result = (OnnxKernel(path, model.raw_names, threads=1), "onnx")
        except ValueError:
            if backend == "onnx":
                raise
    if result is None:

        def python_kernel(
            moments: Mapping[str, NDArray[np.float64]],
        ) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
            p, flag, _ = model.predict_raw(moments)
            return p, flag

        result = (python_kernel, "python")
    _KERNELS[key] = result
    return result


def _run_block(
    snapshot: str,
    mapping: dict[str, str],
    block: tuple[slice, ...],
    model_dir: str,
    backend: str,
    trusted: bool = False,
) -> tuple[tuple[slice, ...], NDArray[np.float64], NDArray[np.int8]]:
    """One block on a Dask worker: open the snapshot, read, evaluate."""
    model = _worker_model(model_dir, trusted)
    kernel, _ = make_kernel(model, backend)
    with h5py.File(snapshot, "r") as h5:
        moments = MomentReader(h5, model.raw_names, mapping).read(block)
    p, flag = kernel(moments)
    return block, p, flag


_MODELS: dict[str, DeployableModel] = {}


def _worker_model(model_dir: str, trusted: bool = False) -> DeployableModel:
    if model_dir not in _MODELS:
        _MODELS[model_dir] = load_deployable(model_dir, trusted=trusted)
    return _MODELS[model_dir]


def _provenance(
    model: DeployableModel,
    snapshot: Path,
    mapping: Mapping[str, str],
    shape: tuple[int, ...],
    chunk_cells: int,
) -> dict[str, Any]:
    stat = snapshot.stat()
    return {
        "model_card_sha256": model.card_hash,
        "model_dir": str(model.model_dir.resolve()),
        "model": str(model.card.model),
        "scheme": model.scheme,
        "threshold": model.threshold,
        "nulearn_version": __version__,
        "input_file": str(snapshot.resolve()),
        "input_size_bytes": int(stat.st_size),
        "input_mtime_ns": int(stat.st_mtime_ns),
        "dataset_mapping": json.dumps(dict(mapping), sort_keys=True),
        "grid_shape": list(shape),
        "chunk_cells": int(chunk_cells),
    }


_RESUME_KEYS = (
    "model_card_sha256",
    "input_file",
    "input_size_bytes",
    "input_mtime_ns",
    "dataset_mapping",
    "grid_shape",
    "chunk_cells",
)


def _open_output(
    out: Path, provenance: dict[str, Any], shape: tuple[int, ...], n_blocks: int, overwrite: bool
) -> h5py.File:
    if out.exists() and not overwrite:
        h5 = h5py.File(out, "r+")
        diffs = []
        for key in _RESUME_KEYS:
            old = h5.attrs.get(key)
            old = old.tolist() if isinstance(old, np.ndarray) else old
            if old != provenance[key]:
                diffs.append(f"{key}: file has {old!r}, this run {provenance[key]!r}")
        if diffs:
            h5.close()
            raise ValueError(
                f"{out} exists from a different run ({'; '.join(diffs)}); pass --overwrite to replace it"
            )
        return h5
    if out.exists():
        out.unlink()
    out.parent.mkdir(parents=True, exist_ok=True)
    h5 = h5py.File(out, "w")
    # contiguous, fully allocated datasets: writing a block later touches raw data only, so an
    # interrupted run never leaves half-updated metadata behind
    alloc = h5py.h5d.ALLOC_TIME_EARLY
    for name, dtype, fill in (
        ("p_crossing", "f8", np.nan),
        ("flag", "i1", -2),
        ("valid", "?", False),
    ):
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_alloc_time(alloc)
        dcpl.set_fill_value(np.array(fill, dtype=dtype))
        space = h5py.h5s.create_simple(shape)
        h5py.h5d.create(h5.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), space, dcpl=dcpl)
    h5.create_dataset("_progress/done", data=np.zeros(n_blocks, dtype="u1"))  # allocated now
    h5["flag"].attrs["meaning"] = (
        "1: ELN crossing (unstable), 0: no crossing, -1: invalid input moments, -2: not computed"
    )
    h5["p_crossing"].attrs["meaning"] = (
        "calibrated probability of an ELN crossing (NaN for invalid input)"
    )
    h5["valid"].attrs["meaning"] = (
        "input moments valid: n > 0 finite, 0 <= F < 1 (F = |flux| / n for 3D moments) "
        "for every species the model reads"
    )
    for key, value in provenance.items():
        h5.attrs[key] = value
    h5.attrs["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    h5.attrs["complete"] = False
    h5.flush()
    return h5


def flag_snapshot(
    snapshot: str | Path,
    model_dir: str | Path,
    out: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    chunk_cells: int = 1 << 22,
    backend: str = "auto",
    threads: int = 2,
    dask: str | None = None,
    dask_workers: int = 2,
    progress: bool = False,
    overwrite: bool = False,
    on_block: Callable[[int], None] | None = None,
    ignore_heavy_leptons: bool = False,
    trusted: bool = False,
) -> FlagResult:
    """Flag every cell of ``snapshot`` with the model in ``model_dir``; see the module docstring.

    Args:
        snapshot: HDF5 file with the moment datasets (any grid shape).
        model_dir: model directory (card + estimator).
        out: flags file to write or resume.
        mapping: raw moment -> dataset path for names other than the default layout.
        chunk_cells: cells per block (memory ~ 60 bytes x chunk_cells x blocks in flight).
        backend: ``auto``, ``c``, ``onnx`` or ``python``.
        threads: blocks evaluated concurrently in this process (without Dask).
        dask: scheduler address (``tcp://host:8786``), or ``"local"`` for a local cluster of
            ``dask_workers`` single-threaded worker processes; ``None`` runs locally.
        progress: show a progress bar (cells).
        overwrite: replace an existing output from a different run instead of refusing.
        on_block: called with the number of blocks finished by this call after each one is
            saved (tests use it to interrupt a run).
        ignore_heavy_leptons: flag with an ELN model although the snapshot holds heavy-lepton
            moments (it ignores them; see :func:`nulearn.flavor.physics.validity.check_scheme`).
        trusted: load a model without card checksum or with an unrestricted estimator file.

    Returns:
        A :class:`FlagResult`.
    """
    import time

    from tqdm import tqdm

    t0 = time.perf_counter()
    from nulearn.ml.io import check_output, open_hdf5

    snapshot = Path(snapshot)
    out = check_output(out, suffixes=(".h5", ".hdf5", ".hdf"), what="--out (flags file)")
    if snapshot.resolve() == out.resolve():
        raise ValueError(f"--out {out} is the snapshot itself; choose another file")
    if chunk_cells < 1:
        raise ValueError(f"chunk_cells = {chunk_cells}; must be >= 1")
    model = load_deployable(model_dir, trusted=trusted)
    mapping = dict(mapping or {})
    species = species_for_features(model.feature_names)
    readable = set(model.raw_names) | {f"flux_{s}" for s in species}
    unknown = sorted(set(mapping) - readable)
    if unknown:
        raise ValueError(
            f"--map names {unknown} that model {model.card.model!r} does not read; it reads "
            f"{list(model.raw_names)} (or flux_<s> for its species {list(species)})"
        )
    layout = dict(mapping)
    with open_hdf5(snapshot, what="snapshot") as h5:
        try:
            shape = MomentReader(h5, model.raw_names, layout).shape
        except (OSError, KeyError) as err:
            raise ValueError(f"snapshot {snapshot}: unreadable moment datasets ({err})") from None
        if len(species) == 2 and not ignore_heavy_leptons:
            _refuse_heavy_leptons(h5, snapshot, model)
    if dask and dask != "local":
        check_scheduler(dask)
    blocks = grid_blocks(shape, chunk_cells)
    provenance = _provenance(model, snapshot, mapping, shape, chunk_cells)
    kernel, chosen = (None, f"dask:{backend}") if dask else make_kernel(model, backend)
    h5out = _open_output(out, provenance, shape, len(blocks), overwrite)
    n_run = 0
    try:
        h5out.attrs["backend"] = chosen
        done = h5out["_progress/done"][...].astype(bool)
        todo = [i for i in range(len(blocks)) if not done[i]]
        sizes = [int(np.prod([s.stop - s.start for s in b])) for b in blocks]
        bar = tqdm(
            total=int(np.prod(shape)),
            initial=sum(sizes[i] for i in range(len(blocks)) if done[i]),
            unit="cell",
            unit_scale=True,
            disable=not progress,
            desc="flag",
        )
        results: Iterator[tuple[int, NDArray[np.float64], NDArray[np.int8]]]
        if dask:
            results = _dask_results(
                dask,
                dask_workers,
                str(snapshot),
                layout,
                blocks,
                todo,
                str(model_dir),
                backend,
                trusted,
            )
        else:
            assert kernel is not None
            results = _local_results(
                snapshot, model.raw_names, layout, blocks, todo, kernel, threads
            )
        for i, p, flag in checked(results):
            block = blocks[i]
            bshape = tuple(s.stop - s.start for s in block)
            h5out["p_crossing"][block] = p.reshape(bshape)
            h5out["flag"][block] = flag.reshape(bshape)
            h5out["valid"][block] = (flag != -1).reshape(bshape)
            h5out.flush()  # results on disk before the block is marked done
            h5out["_progress/done"][i] = 1
            h5out.flush()
            n_run += 1
            bar.update(sizes[i])
            if on_block is not None:
                on_block(n_run)
        bar.close()
        flag_all = h5out["flag"]
        n_crossing = n_invalid = n_outside = 0
        for block in blocks:
            f = flag_all[block]
            n_crossing += int(np.count_nonzero(f == 1))
            n_invalid += int(np.count_nonzero(f == -1))
            n_outside += int(np.count_nonzero(f == DOMAIN_FLAG))
        h5out.attrs["complete"] = True
        h5out.attrs["n_crossing"] = n_crossing
        h5out.attrs["n_invalid"] = n_invalid
        h5out.attrs["n_outside_domain"] = n_outside
    except KeyboardInterrupt:
        # Anywhere in the loop (evaluating, writing a block, drawing the bar), the blocks marked
        # done are on disk, so the same command resumes.
        raise KeyboardInterrupt(
            f"{out} holds the blocks finished so far; rerun the same command to resume"
        ) from None
    finally:
        h5out.close()
    return FlagResult(
        out=out,
        shape=shape,
        n_cells=int(np.prod(shape)),
        n_blocks=len(blocks),
        n_blocks_run=n_run,
        n_crossing=n_crossing,
        n_invalid=n_invalid,
        n_outside=n_outside,
        backend=chosen,
        seconds=time.perf_counter() - t0,
    )


def _local_results(
    snapshot: Path,
    raw_names: tuple[str, ...],
    mapping: Mapping[str, str],
    blocks: list[tuple[slice, ...]],
    todo: list[int],
    kernel: Kernel,
    threads: int,
) -> Iterator[tuple[int, NDArray[np.float64], NDArray[np.int8]]]:
    """Read blocks in order, evaluate up to ``threads`` at once, yield results as they finish."""
    with h5py.File(snapshot, "r") as h5, ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        reader = MomentReader(h5, raw_names, mapping)
        pending: dict[Future[tuple[NDArray[np.float64], NDArray[np.int8]]], int] = {}
        for i in todo:
            pending[pool.submit(kernel, reader.read(blocks[i]))] = i
            while len(pending) >= max(1, threads):
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield pending.pop(fut), *fut.result()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                yield pending.pop(fut), *fut.result()


def _refuse_heavy_leptons(h5: Any, snapshot: Path, model: DeployableModel) -> None:
    """Refuse an ELN model on a snapshot that carries heavy-lepton moments (default layout)."""
    present = [
        name
        for s in ("nux", "nuxbar")
        for name in (f"n_{s}", f"F_{s}", f"flux_x_{s}", f"flux_{s}")
        if name in h5
    ]
    if present:
        raise ValueError(
            f"snapshot {snapshot} carries heavy-lepton moments ({', '.join(present)}), but model "
            f"{model.model_dir} was trained on the ELN scheme (features "
            f"{', '.join(model.feature_names)}) and ignores them, so its flags miss ELN-XLN "
            "crossings where nu_x and nu_xbar differ; use an ELN-XLN model, or "
            "--ignore-heavy-leptons to accept that"
        )


def _dask_results(
    address: str,
    n_workers: int,
    snapshot: str,
    mapping: dict[str, str],
    blocks: list[tuple[slice, ...]],
    todo: list[int],
    model_dir: str,
    backend: str,
    trusted: bool = False,
) -> Iterator[tuple[int, NDArray[np.float64], NDArray[np.int8]]]:
    """Blocks on a Dask cluster, at most two per worker in flight (bounded client memory)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or n_workers)
        index_of = {repr(blocks[i]): i for i in todo}
        queue = list(todo)
        futures = [
            client.submit(
                _run_block, snapshot, mapping, blocks[i], model_dir, backend, trusted, pure=False
            )
            for i in queue[:limit]
        ]
        queue = queue[limit:]
        stream = as_completed(futures)
        for fut in stream:
            block, p, flag = fut.result()
            fut.release()
            if queue:
                i = queue.pop(0)
                stream.add(
                    client.submit(
                        _run_block,
                        snapshot,
                        mapping,
                        blocks[i],
                        model_dir,
                        backend,
                        trusted,
                        pure=False,
                    )
                )
            yield index_of[repr(block)], p, flag
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
