"""Fast-flavor solver runs for a learning loop: parallel, remembered on disk, reused across runs.

A :class:`SolverCache` solves feature rows with
:func:`~nulearn.flavor.physics.fast_flavor_batch.solve_rows` on a process pool that lives as long as
the cache (a learning loop asks for a small batch every round: starting workers each time would
cost more than the batch), and remembers each result under a hash of the row's features, the
family and the solver configuration, in memory and, with ``directory``, as Parquet files there. A
row asked for twice (the same initial design in two strategies, a rerun of a benchmark) is solved
once.

>>> import pandas as pd
>>> from nulearn.flavor.physics.fast_flavor import EvolveConfig
>>> cfg = EvolveConfig(n_mu=8, n_z=32, box_length=40.0, t_end=60.0, dt=0.2)
>>> cells = pd.DataFrame({"alpha": [0.9, 0.5], "F_nue": [0.1, 0.2], "F_nuebar": [0.4, 0.3]})
>>> with SolverCache("maxent", cfg, n_jobs=1) as cache:
...     first = cache.solve(cells)
...     again = cache.solve(cells.iloc[::-1])
>>> cache.n_solved, again["n_nue_after"].tolist() == first["n_nue_after"].tolist()[::-1]
(2, True)
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.physics.fast_flavor import EvolveConfig
from nulearn.flavor.physics.fast_flavor_batch import solve_rows

__all__ = ["SolverCache"]


def _single_thread() -> None:
    import numba

    numba.set_num_threads(1)


class SolverCache:
    """Solve feature rows in parallel and remember the results.

    Args:
        family: angular family closing the moments.
        config: solver configuration.
        directory: folder of the on-disk cache (``None``: memory only); results of other
            families or configurations there are kept apart by their key.
        n_jobs: worker processes (default: every core); 1 solves in this process.
        chunk_size: rows per task sent to a worker.
    """

    def __init__(
        self,
        family: str,
        config: EvolveConfig,
        directory: str | Path | None = None,
        n_jobs: int | None = None,
        chunk_size: int = 2,
    ) -> None:
        self.family = family
        self.config = config
        self.n_jobs = n_jobs or os.cpu_count() or 1
        self.chunk_size = chunk_size
        self.n_solved = 0
        tag = json.dumps({"family": family, "config": config.to_dict()}, sort_keys=True)
        self._tag = hashlib.sha256(tag.encode()).hexdigest()[:16]
        self.directory = Path(directory) / self._tag if directory is not None else None
        self._known: dict[str, dict[str, Any]] = {}
        self._pool: ProcessPoolExecutor | None = None
        if self.directory is not None and self.directory.is_dir():
            for part in sorted(self.directory.glob("solved-*.parquet")):
                frame = pd.read_parquet(part)
                self._remember(frame)

    def _remember(self, frame: pd.DataFrame) -> None:
        for record in frame.to_dict("records"):
            self._known[str(record["key"])] = {str(k): v for k, v in record.items()}

    def __enter__(self) -> SolverCache:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def keys(self, features: pd.DataFrame) -> list[str]:
        """One hash per row of its feature values (bit-exact) and columns, family and config."""
        values = np.ascontiguousarray(features.to_numpy(dtype=np.float64))
        head = (self._tag + ",".join(features.columns)).encode()
        return [hashlib.sha256(head + row.tobytes()).hexdigest()[:32] for row in values]

    def solve(self, features: pd.DataFrame) -> pd.DataFrame:
        """Results of :func:`solve_rows` for every row, in the order of ``features`` (index
        reset), solving only rows never seen before."""
        keys = self.keys(features)
        first: dict[str, int] = {}
        for i, k in enumerate(keys):
            first.setdefault(k, i)
        missing = [k for k in first if k not in self._known]
        todo = features.iloc[[first[k] for k in missing]].reset_index(drop=True)
        if len(todo):
            solved = self._run(todo)
            solved["key"] = missing
            self.n_solved += len(solved)
            if self.directory is not None:
                self.directory.mkdir(parents=True, exist_ok=True)
                name = f"solved-{uuid.uuid4().hex}.parquet"
                tmp = self.directory / f".{name}.tmp"
                solved.to_parquet(tmp, index=False)
                os.replace(tmp, self.directory / name)
            self._remember(solved)
        return pd.DataFrame([self._known[k] for k in keys]).drop(columns=["key", "row"])

    def _run(self, todo: pd.DataFrame) -> pd.DataFrame:
        cfg = self.config.to_dict()
        starts = range(0, len(todo), self.chunk_size)
        if self.n_jobs == 1:
            _single_thread()
            parts = [
                solve_rows(todo.iloc[lo : lo + self.chunk_size], self.family, cfg, lo)
                for lo in starts
            ]
        else:
            if self._pool is None:
                import multiprocessing

                # spawn: numba's thread pool in this process must not be forked
                self._pool = ProcessPoolExecutor(
                    self.n_jobs,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_single_thread,
                )
            futures = [
                self._pool.submit(
                    solve_rows, todo.iloc[lo : lo + self.chunk_size], self.family, cfg, lo
                )
                for lo in starts
            ]
            parts = [f.result() for f in futures]
        return pd.concat(parts, ignore_index=True).sort_values("row").reset_index(drop=True)
