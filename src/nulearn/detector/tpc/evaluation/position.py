"""Position-resolution metrics: per axis and 3D, RMS and Gaussian core, binned in position/energy.

Two definitions of a resolution, both reported so that like is compared with like:

* **RMS**: root mean square of the residuals (tails included);
* **Gaussian core sigma**: the standard deviation of a Gaussian fitted to the core, estimated by
  iterative clipping at 2.5 sigma around the median with the truncation corrected (for a
  Gaussian, the standard deviation inside +-2.5 sigma is 0.9409 sigma).

3D figures: the RMS of the 3D distance ``sqrt(<dx^2 + dy^2 + dz^2>)`` and the quadrature sum of
the per-axis core sigmas. EXO-200's quoted per-axis resolutions (13.6, 11.3, 8.1 mm) combine in
quadrature to 19.5 mm while their 3D figure is 22.5 mm, which points to a 3D figure that includes
tails (compared here with the 3D RMS) and per-axis core widths (compared with the core sigmas).

>>> r = np.random.default_rng(0).normal(0.0, 2.0, (20000, 3))
>>> round(core_sigma(r[:, 0]), 1), round(float(resolution_table(r)["RMS [mm]"].iloc[3]), 1)
(2.0, 3.5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import norm

__all__ = [
    "EXO200_PUBLISHED",
    "core_sigma",
    "resolution_by",
    "resolution_table",
]

EXO200_PUBLISHED: dict[str, float] = {"x": 13.6, "y": 11.3, "z": 8.1, "3D": 22.5}
"""EXO-200 light-based position resolution in mm as quoted in the issue (about 25 mm in 3D
elsewhere); per-axis values are taken as core widths, the 3D value as a full-distribution one."""

_CLIP = 2.5
_TRUNCATED = float(
    np.sqrt(1 - 2 * _CLIP * norm.pdf(_CLIP) / (2 * norm.cdf(_CLIP) - 1))
)  # std inside +-2.5 sigma of a unit Gaussian


def core_sigma(residuals: NDArray[np.floating], iterations: int = 8) -> float:
    """Gaussian core width of 1D residuals (iterative 2.5-sigma clipping, truncation corrected).

    Args:
        residuals: shape (n,), any unit; non-finite entries are refused.
        iterations: clipping passes.

    Returns:
        sigma in the unit of the residuals (NaN for fewer than 3 residuals).
    """
    r = np.asarray(residuals, dtype=np.float64)
    if not np.isfinite(r).all():
        raise ValueError("residuals contain non-finite values")
    if r.size < 3:
        return float("nan")
    centre, sigma = float(np.median(r)), float(r.std())
    for _ in range(iterations):
        if sigma <= 0:
            return 0.0
        kept = r[np.abs(r - centre) < _CLIP * sigma]
        if kept.size < 3:
            break
        centre, sigma = float(kept.mean()), float(kept.std()) / _TRUNCATED
    return sigma


def resolution_table(residuals_mm: NDArray[np.floating]) -> pd.DataFrame:
    """Per-axis and 3D resolution of residuals (predicted - true), shape (n, 3), mm.

    Returns:
        Rows x, y, z, 3D; columns ``bias [mm]``, ``RMS [mm]``, ``core sigma [mm]``,
        ``68% quantile [mm]`` (of |d| per axis, of the 3D distance for 3D) and ``RMS stderr [mm]``.
    """
    r = np.asarray(residuals_mm, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != 3 or r.shape[0] == 0:
        raise ValueError(f"residuals must have shape (n, 3) with n >= 1; got {r.shape}")
    rows = []
    n = r.shape[0]
    for i, axis in enumerate("xyz"):
        rms = float(np.sqrt(np.mean(r[:, i] ** 2)))
        rows.append(
            {
                "axis": axis,
                "bias [mm]": float(r[:, i].mean()),
                "RMS [mm]": rms,
                "core sigma [mm]": core_sigma(r[:, i]),
                "68% quantile [mm]": float(np.quantile(np.abs(r[:, i]), 0.6827)),
                "RMS stderr [mm]": rms / np.sqrt(2 * n),
            }
        )
    d = np.linalg.norm(r, axis=1)
    rms3 = float(np.sqrt(np.mean(d**2)))
    rows.append(
        {
            "axis": "3D",
            "bias [mm]": float(np.linalg.norm(r.mean(axis=0))),
            "RMS [mm]": rms3,
            "core sigma [mm]": float(np.sqrt(sum(row["core sigma [mm]"] ** 2 for row in rows))),
            "68% quantile [mm]": float(np.quantile(d, 0.6827)),
            "RMS stderr [mm]": rms3 / np.sqrt(2 * n),
        }
    )
    return pd.DataFrame(rows)


def resolution_by(
    values: NDArray[np.floating], residuals_mm: NDArray[np.floating], edges: NDArray[np.floating]
) -> pd.DataFrame:
    """3D RMS and per-axis core sigma of residuals (n, 3) in bins of ``values`` (n,).

    Returns:
        One row per bin with at least 3 events: ``centre``, ``n``, ``RMS 3D [mm]``,
        ``sigma x [mm]``, ``sigma y [mm]``, ``sigma z [mm]``.
    """
    v = np.asarray(values, dtype=np.float64)
    r = np.asarray(residuals_mm, dtype=np.float64)
    idx = np.digitize(v, edges) - 1
    rows = []
    for b in range(len(edges) - 1):
        sel = idx == b
        if sel.sum() < 3:
            continue
        rb = r[sel]
        rows.append(
            {
                "centre": 0.5 * (edges[b] + edges[b + 1]),
                "n": int(sel.sum()),
                "RMS 3D [mm]": float(np.sqrt(np.mean((rb**2).sum(axis=1)))),
                **{f"sigma {a} [mm]": core_sigma(rb[:, i]) for i, a in enumerate("xyz")},
            }
        )
    return pd.DataFrame(rows)
