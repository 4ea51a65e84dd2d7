"""Growth-rate regressors scored against the solver, overall and by crossing depth."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["DEPTH_BINS", "error_by_depth", "evaluate_growth_models"]


#: Crossing-depth bin edges of the error table (depth in [0, 0.5]).
DEPTH_BINS: tuple[float, ...] = (0.0, 1e-3, 1e-2, 0.05, 0.1, 0.2, 0.5)


def error_by_depth(
    log_true: ArrayLike, log_pred: ArrayLike, depth: ArrayLike, bins: Sequence[float] = DEPTH_BINS
) -> pd.DataFrame:
    """Absolute error in dex of log10 growth per crossing-depth bin.

    Args:
        log_true, log_pred: log10 growth rates of unstable cells, shape (n,).
        depth: crossing depth of those cells, shape (n,), in [0, 0.5].
        bins: depth bin edges.

    Returns:
        One row per non-empty bin: ``depth_bin``, ``n``, ``mae_dex``, ``median_dex``, ``p90_dex``.
    """
    err = np.abs(np.asarray(log_pred, dtype=np.float64) - np.asarray(log_true, dtype=np.float64))
    d = np.asarray(depth, dtype=np.float64)
    edges = np.asarray(bins, dtype=np.float64)
    which = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, edges.size - 2)
    rows = []
    for b in range(edges.size - 1):
        e = err[which == b]
        if e.size:
            rows.append(
                {
                    "depth_bin": f"[{edges[b]:g}, {edges[b + 1]:g})",
                    "n": int(e.size),
                    "mae_dex": float(e.mean()),
                    "median_dex": float(np.median(e)),
                    "p90_dex": float(np.quantile(e, 0.9)),
                }
            )
    return pd.DataFrame(rows)


def evaluate_growth_models(
    models: Mapping[str, Any],
    test: pd.DataFrame,
    features: Sequence[str],
    solver_seconds_per_cell: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fitted log-growth regressors against the solver on the unstable cells of ``test``.

    Args:
        models: name -> fitted regressor whose ``predict`` returns log10 growth.
        test: table from :func:`growth_dataset`.
        features: feature columns in the models' order.
        solver_seconds_per_cell: measured solver cost (``frame.attrs["solver_seconds_per_cell"]``).

    Returns:
        (summary: ``model, mae_dex, median_dex, r2, cells_per_s, speedup``;
        per-depth errors: :func:`error_by_depth` rows with a ``model`` column).
    """
    from sklearn.metrics import r2_score

    unstable = test[test["growth_rate"] > 0]
    x = unstable[list(features)].to_numpy(dtype=np.float64)
    y = unstable["log10_growth"].to_numpy()
    summary, per_depth = [], []
    solver_rate = 1.0 / solver_seconds_per_cell
    summary.append(
        {
            "model": "solver",
            "mae_dex": 0.0,
            "median_dex": 0.0,
            "r2": 1.0,
            "cells_per_s": solver_rate,
            "speedup": 1.0,
        }
    )
    for name, model in models.items():
        model.predict(x[:8])  # warm-up: first-call set-up (threads, lazy init) is not per-cell cost
        t0 = time.perf_counter()
        pred = np.asarray(model.predict(x), dtype=np.float64)
        seconds = max(time.perf_counter() - t0, 1e-12)
        err = np.abs(pred - y)
        rate = len(x) / seconds
        summary.append(
            {
                "model": name,
                "mae_dex": float(err.mean()),
                "median_dex": float(np.median(err)),
                "r2": float(r2_score(y, pred)),
                "cells_per_s": rate,
                "speedup": rate / solver_rate,
            }
        )
        table = error_by_depth(y, pred, unstable["depth"].to_numpy())
        table.insert(0, "model", name)
        per_depth.append(table)
    return pd.DataFrame(summary), pd.concat(per_depth, ignore_index=True)
