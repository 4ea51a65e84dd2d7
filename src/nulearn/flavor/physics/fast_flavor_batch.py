"""Many fast-flavor solves: parallel on every core or on Dask, written in chunks, resumable.

:func:`evolve_many` is the library side of a ``nulearn flavor evolve`` command: it reads a table of
moment features (or raw moments), cuts it into chunks of ``chunk_size`` rows, solves every row
with :func:`~nulearn.flavor.physics.fast_flavor.evolve` and writes each finished chunk as
``<out>/part-<first row>.parquet``. A chunk file appears atomically (written under a temporary name,
then renamed), so an interrupted run leaves only complete chunks; rerunning with the same
arguments checks ``<out>/manifest.json`` (configuration, family and a hash of the input rows) and
solves only the missing chunks.

Each result row holds the input features, ``row`` (0-based position in the input), the scalars of
:meth:`~nulearn.flavor.physics.fast_flavor.EvolveResult.summary` (growth rates, conservation error,
``saturated``, ``drift``, seconds, ...), the moments ``<name>_before`` / ``<name>_after`` of every
species and the ELN-XLN number and flux, and the lists ``mu``, ``eln`` and ``survival`` (P_ee per
beam).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn import __version__
from nulearn.flavor.physics.fast_flavor import EvolveConfig, evolve
from nulearn.flavor.physics.fast_flavor_beams import beams_from_moments
from nulearn.flavor.physics.species import (
    ELN_FEATURES,
    SPECIES,
    XLN_FEATURES,
    features_from_moments,
    species_for_features,
)
from nulearn.ml.interrupts import checked
from nulearn.ml.io import check_scheduler
from nulearn.ml.progress import Progress

__all__ = ["MANIFEST", "evolve_many", "read_table", "solve_rows"]

#: Provenance file of an output directory.
MANIFEST = "manifest.json"
_RESUME_KEYS = ("family", "config", "n_rows", "chunk_size", "input_sha256", "features")


def read_table(table: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Feature table from a DataFrame, a Parquet file or a CSV file (raw ``n_<s>, F_<s>`` moments
    are converted to features).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: an unknown suffix, or columns that are neither features nor raw moments.
    """
    if isinstance(table, pd.DataFrame):
        frame = table
    else:
        path = Path(table)
        if not path.is_file():
            raise FileNotFoundError(f"input table {path} does not exist")
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix == ".csv":
            frame = pd.read_csv(path)
        else:
            raise ValueError(
                f"input table {path}: unknown format {path.suffix!r}; use .parquet or .csv"
            )
    if "alpha" not in frame.columns and "n_nue" in frame.columns:
        frame = features_from_moments(frame)
    features = XLN_FEATURES if species_for_features(frame.columns) == SPECIES else ELN_FEATURES
    return frame[list(features)].reset_index(drop=True)


def solve_rows(
    features: pd.DataFrame, family: str, config: dict[str, Any], first_row: int
) -> pd.DataFrame:
    """Solve consecutive rows in this process (one numba thread): the unit of parallel work.

    Args:
        features: feature rows, shape (n, ...).
        family: angular family closing the moments.
        config: :meth:`EvolveConfig.to_dict` (plain, so it travels to workers cheaply).
        first_row: position of ``features``' first row in the whole input.

    Returns:
        One result row per input row (see the module docstring).
    """
    cfg = EvolveConfig.from_dict(config)
    beams = beams_from_moments(features, family, cfg.n_mu)
    rows: list[dict[str, Any]] = []
    for i in range(len(features)):
        summary = evolve(beams.cell(i), cfg).summary()
        inputs = {str(k): float(v) for k, v in features.iloc[i].items()}
        rows.append({"row": first_row + i, **inputs, **summary})
    return pd.DataFrame(rows)


def _single_thread() -> None:
    import numba

    numba.set_num_threads(1)


def _input_hash(features: pd.DataFrame) -> str:
    data = np.ascontiguousarray(features.to_numpy(dtype=np.float64))
    return hashlib.sha256(data.tobytes() + ",".join(features.columns).encode()).hexdigest()


def _prepare_out(out: Path, manifest: dict[str, Any], resume: bool) -> set[int]:
    """Create or check the output directory; return the first rows of the finished chunks."""
    path = out / MANIFEST
    if path.exists() and resume:
        old = json.loads(path.read_text())
        diffs = [
            f"{k}: directory has {old.get(k)!r}, this run {manifest[k]!r}"
            for k in _RESUME_KEYS
            if old.get(k) != manifest[k]
        ]
        if diffs:
            raise ValueError(
                f"{out} holds a different run ({'; '.join(diffs)}); use another --out or resume=False"
            )
        return {int(p.stem.split("-")[1]) for p in out.glob("part-*.parquet")}
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("part-*.parquet"):
        stale.unlink()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(tmp, path)
    return set()


def _write_chunk(out: Path, first_row: int, frame: pd.DataFrame) -> None:
    final = out / f"part-{first_row:09d}.parquet"
    tmp = out / f".part-{first_row:09d}.{os.getpid()}.tmp"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, final)


def _local(
    chunks: list[tuple[int, pd.DataFrame]], family: str, config: dict[str, Any], n_jobs: int
) -> Iterator[tuple[int, pd.DataFrame]]:
    if n_jobs == 1:
        _single_thread()
        for lo, part in chunks:
            yield lo, solve_rows(part, family, config, lo)
        return
    import multiprocessing

    # spawn: numba's thread pool in the parent must not be forked
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_jobs, mp_context=context, initializer=_single_thread) as pool:
        pending: dict[Future[pd.DataFrame], int] = {}
        for lo, part in chunks:
            pending[pool.submit(solve_rows, part, family, config, lo)] = lo
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield pending.pop(fut), fut.result()


def _dask(
    address: str,
    chunks: list[tuple[int, pd.DataFrame]],
    family: str,
    config: dict[str, Any],
    n_jobs: int,
) -> Iterator[tuple[int, pd.DataFrame]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        client.run(_single_thread)
        futures = {
            client.submit(solve_rows, part, family, config, lo, pure=False): lo
            for lo, part in chunks
        }
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def evolve_many(
    table: str | Path | pd.DataFrame,
    family: str = "maxent",
    config: EvolveConfig | None = None,
    *,
    out: str | Path | None = None,
    n_jobs: int | None = None,
    resume: bool = True,
    progress: bool | Progress = False,
    dask: str | None = None,
    chunk_size: int = 8,
    on_chunk: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Solve every row of a moment table; the one library call of ``nulearn flavor evolve``.

    Args:
        table: DataFrame or ``.parquet`` / ``.csv`` path with ELN or ELN-XLN features (or raw
            ``n_<s>, F_<s>`` moments).
        family: angular family closing the moments (``"maxent"``, ``"gaussian"``).
        config: solver configuration (default :class:`EvolveConfig`).
        out: directory for the chunk files and manifest; ``None`` keeps results in memory only.
        n_jobs: worker processes (default: every core); 1 runs in this process.
        resume: reuse the finished chunks of a matching earlier run in ``out``; ``False``
            starts afresh (deleting old chunks there).
        progress: ``True`` shows a tqdm bar (rows); a :data:`~nulearn.ml.progress.Progress`
            callback receives the rows solved by this call instead.
        dask: Dask scheduler address (``tcp://host:8786``) or ``"local"`` (a local cluster of
            ``n_jobs`` single-threaded workers); ``None`` uses a local process pool.
        chunk_size: rows per chunk (the unit of work and of resumption).
        on_chunk: called with the number of chunks finished by this call (tests interrupt
            with it).

    Returns:
        All result rows (this call's and resumed ones), sorted by ``row``.

    Raises:
        ValueError / FileNotFoundError: bad input table or values (naming column, row and
            value), an ``out`` directory holding a different run, or an unreachable Dask
            scheduler (checked before any work).
        KeyboardInterrupt: on Ctrl-C, saying that ``out`` holds the finished chunks and that
            rerunning the same call resumes.
    """
    cfg = config or EvolveConfig()
    features = read_table(table)
    if chunk_size < 1:
        raise ValueError(f"chunk_size = {chunk_size}; must be >= 1")
    beams_from_moments(features.iloc[:0], family, cfg.n_mu)  # unknown family / columns fail here
    # Validate every row up front: a bad row must fail before hours of solving, not in a worker.
    beams_from_moments(features, family, 2)
    jobs = n_jobs or os.cpu_count() or 1
    if dask and dask != "local":
        check_scheduler(dask)  # before the output folder is touched
    manifest = {
        "family": family,
        "config": cfg.to_dict(),
        "n_rows": len(features),
        "chunk_size": chunk_size,
        "input_sha256": _input_hash(features),
        "features": list(features.columns),
        "nulearn_version": __version__,
    }
    out_dir = Path(out) if out is not None else None
    done = _prepare_out(out_dir, manifest, resume) if out_dir is not None else set()
    chunks = [
        (lo, features.iloc[lo : lo + chunk_size])
        for lo in range(0, len(features), chunk_size)
        if lo not in done
    ]
    todo = sum(len(c) for _, c in chunks)
    if callable(progress):
        advance, close = progress(f"evolve {family}", todo), None
    else:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(features),
            initial=len(features) - todo,
            unit="cell",
            disable=not progress,
            desc=f"evolve {family}",
        )
        advance, close = bar.update, bar.close
    parts: list[pd.DataFrame] = []
    stream = (
        _dask(dask, chunks, family, cfg.to_dict(), jobs)
        if dask
        else _local(chunks, family, cfg.to_dict(), min(jobs, max(len(chunks), 1)))
    )
    try:
        for n_finished, (lo, frame) in enumerate(checked(stream), start=1):
            if out_dir is not None:
                _write_chunk(out_dir, lo, frame)
            parts.append(frame)
            advance(len(frame))
            if on_chunk is not None:
                on_chunk(n_finished)
    except KeyboardInterrupt:
        if out_dir is None:
            raise
        raise KeyboardInterrupt(
            f"{out_dir} holds the chunks finished so far; rerun the same command to resume"
        ) from None
    finally:
        if close is not None:
            close()
    if out_dir is not None:
        parts = [pd.read_parquet(p) for p in sorted(out_dir.glob("part-*.parquet"))]
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).sort_values("row").reset_index(drop=True)
