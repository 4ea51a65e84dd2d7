"""Input checks shared by every estimator: the boundary where bad data gets a named error."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["finite_matrix"]


def finite_matrix(X: Any, name: str = "X") -> NDArray[np.float64]:
    """``X`` as a float64 array of shape ``(n_samples, n_features)`` with only finite entries.

    Raises:
        ValueError: for another rank, or naming the first non-finite entry ``name[i, j]``.
    """
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i, j = bad[0]
        raise ValueError(f"{name}[{i}, {j}] = {arr[i, j]}; features must be finite")
    return arr
