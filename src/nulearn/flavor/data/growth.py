"""Growth-rate datasets: moment features with crossing labels and the dispersion-relation growth rate."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.data.generate import generate
from nulearn.flavor.physics.species import feature_names
from nulearn.flavor.physics.stability import StabilityConfig, growth_rate_from_moments

FloatArray = NDArray[np.float64]

__all__ = ["growth_dataset", "log_growth"]


def log_growth(growth_rate: ArrayLike) -> FloatArray:
    """log10 of growth rates (units of sqrt(2) G_F n_nue), NaN where the rate is 0 (stable), shape (n,)."""
    g = np.asarray(growth_rate, dtype=np.float64)
    out = np.full(g.shape, np.nan)
    np.log10(g, out=out, where=g > 0)
    return out


def growth_dataset(
    scheme: str,
    n: int,
    seed: int = 0,
    *,
    family: str = "maxent",
    config: StabilityConfig | None = None,
) -> pd.DataFrame:
    """Moment features with crossing labels and solver growth rates.

    Args:
        scheme: sampling scheme of :func:`nulearn.flavor.data.generate.generate`.
        n: cells.
        seed: seed of the sample.
        family: ``"maxent"`` or ``"gaussian"`` (the same closure labels and solves every cell).
        config: solver discretization.

    Returns:
        The scheme's features, ``crossing``, ``depth``, the growth-rate columns of
        :func:`~nulearn.flavor.physics.stability.growth_rate_from_moments`, ``log10_growth``
        (NaN for stable cells) and ``unstable`` (int8, growth rate > 0). ``frame.attrs["solver_seconds_per_cell"]`` holds the solver cost.
    """
    frame = generate(scheme, family, n, seed)
    t0 = time.perf_counter()
    rates = growth_rate_from_moments(frame[list(feature_names(scheme))], family, config)
    seconds = time.perf_counter() - t0
    out = frame.join(rates)
    out["log10_growth"] = log_growth(out["growth_rate"])
    # The solver's verdict; it differs from ``crossing`` only for crossings too shallow for the k grid.
    out["unstable"] = (out["growth_rate"] > 0).astype(np.int8)
    out.attrs["solver_seconds_per_cell"] = seconds / max(n, 1)
    return out
