"""Validation of physical moments at the boundary: a clear error, never a silent wrong label."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["check_flux_factor", "validate_moments"]


def _first(bad: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(bad.ravel())[0])


@overload
def validate_moments(
    number_density: ArrayLike,
    flux_factor: ArrayLike,
    species: str = ...,
    mask: Literal[False] = ...,
) -> None: ...
@overload
def validate_moments(
    number_density: ArrayLike, flux_factor: ArrayLike, species: str = ..., *, mask: Literal[True]
) -> NDArray[np.bool_]: ...


def validate_moments(
    number_density: ArrayLike,
    flux_factor: ArrayLike,
    species: str = "nu",
    mask: bool = False,
) -> NDArray[np.bool_] | None:
    """Check that number densities are finite and > 0 and flux factors finite and in [0, 1).

    Args:
        number_density: I_0 per cell, shape (n_cells,) (any unit).
        flux_factor: F = I_1 / I_0 per cell, shape (n_cells,), dimensionless.
        species: name used in the error message.
        mask: if True, return a boolean validity mask instead of raising.

    Raises:
        ValueError: naming the species, the quantity, the first offending index and its value.
    """
    n = np.asarray(number_density, dtype=np.float64)
    f = np.asarray(flux_factor, dtype=np.float64)
    if n.shape != f.shape:
        raise ValueError(
            f"{species}: number_density shape {n.shape} differs from flux_factor shape {f.shape}"
        )
    bad_n = ~np.isfinite(n) | (n <= 0)
    bad_f = ~np.isfinite(f) | (f < 0) | (f >= 1)
    if mask:
        return ~(bad_n | bad_f)
    if bad_n.any():
        i = _first(bad_n)
        raise ValueError(
            f"{species}: number density must be finite and > 0; index {i} has {float(n.ravel()[i])!r}"
        )
    if bad_f.any():
        i = _first(bad_f)
        raise ValueError(
            f"{species}: flux factor must be finite and in [0, 1); index {i} has {float(f.ravel()[i])!r}"
        )
    return None


def check_flux_factor(flux_factor: ArrayLike, species: str = "nu") -> NDArray[np.float64]:
    """Return ``flux_factor`` as float64 after checking it is finite and in [0, 1)."""
    f = np.asarray(flux_factor, dtype=np.float64)
    validate_moments(np.ones_like(f), f, species=species)
    return f
