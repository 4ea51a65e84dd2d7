"""Scores of the methods on held-out events: signal efficiency at a fixed background rejection
(from the ROC curve, :func:`nulearn.ml.metrics.roc_curve`), the signal-to-noise gain over a
reference at equal background, and the angular error and its median per energy bin.

>>> import numpy as np
>>> eff, _ = efficiency_at_rejection(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), 0.5)
>>> eff
1.0
>>> float(angular_error_deg(np.array([[0.0, 0, 1]]), np.array([[0.0, 1, 0]]))[0])
90.0
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.ml.metrics import Curve, roc_curve

__all__ = [
    "angular_error_deg",
    "efficiency_at_rejection",
    "efficiency_stderr",
    "median_stderr",
    "resolution_vs_energy",
]


def efficiency_at_rejection(
    is_signal: NDArray[np.integer], score: NDArray[np.floating], rejection: float
) -> tuple[float, Curve]:
    """Signal efficiency where a cut on ``score`` (growing with signal-likeness) rejects the
    fraction ``rejection`` of the background, interpolated on the ROC curve; and the curve
    (x: background efficiency, y: signal efficiency)."""
    if not 0 < rejection < 1:
        raise ValueError(f"background rejection = {rejection}; allowed range (0, 1)")
    curve = roc_curve(is_signal, score)
    return float(np.interp(1.0 - rejection, curve.x, curve.y)), curve


def angular_error_deg(
    pred: NDArray[np.floating], true: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Angle in degrees between predicted and true directions, shape (n,) (inputs (n, 3))."""
    p = np.asarray(pred, dtype=np.float64)
    p = p / np.maximum(np.linalg.norm(p, axis=1, keepdims=True), 1e-12)
    cos = np.clip((p * np.asarray(true, dtype=np.float64)).sum(axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def resolution_vs_energy(
    errors: Mapping[str, NDArray[np.floating]],
    energy_gev: NDArray[np.floating],
    edges_gev: NDArray[np.floating],
) -> pd.DataFrame:
    """Median angular error (and its 68 % quantile) per method and energy bin.

    Args:
        errors: method -> angular errors in degrees, shape (n,).
        energy_gev: event energies, shape (n,).
        edges_gev: bin edges, shape (n_bins + 1,).
    """
    e = np.asarray(energy_gev)
    rows = []
    for lo, hi in itertools.pairwise(edges_gev):
        sel = (e >= lo) & (e < hi)
        row: dict[str, float | int] = {
            "E_min [GeV]": float(lo),
            "E_max [GeV]": float(hi),
            "events": int(sel.sum()),
        }
        for name, err in errors.items():
            err = np.asarray(err)[sel]
            row[f"{name} median [deg]"] = float(np.median(err)) if err.size else float("nan")
            row[f"{name} 68% [deg]"] = float(np.quantile(err, 0.68)) if err.size else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def efficiency_stderr(
    is_signal: NDArray[np.integer],
    score: NDArray[np.floating],
    rejection: float,
    n_boot: int = 200,
    seed: int = 0,
) -> float:
    """Bootstrap standard error of :func:`efficiency_at_rejection` (events resampled, the cut
    re-derived in every resample, so the threshold's own uncertainty is included)."""
    y, s = np.asarray(is_signal), np.asarray(score)
    rng = np.random.default_rng(seed)
    effs = []
    for _ in range(n_boot):
        idx = rng.integers(0, y.shape[0], y.shape[0])
        if 0 < y[idx].sum() < idx.shape[0]:
            effs.append(efficiency_at_rejection(y[idx], s[idx], rejection)[0])
    return float(np.std(effs, ddof=1)) if len(effs) > 1 else float("nan")


def median_stderr(values: NDArray[np.floating], n_boot: int = 200, seed: int = 0) -> float:
    """Bootstrap standard error of the median of ``values`` (NaN for fewer than two)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        return float("nan")
    idx = np.random.default_rng(seed).integers(0, v.size, (n_boot, v.size))
    return float(np.median(v[idx], axis=1).std(ddof=1))
