"""Raw angular moments -> model features, and the validity of a cell, in NumPy.

Simulation codes hold number densities ``n_s`` and flux factors ``F_s = |I_1|/I_0`` per species
``s``; the classifiers of :mod:`nulearn.flavor` read ratios (``alpha = n_nuebar / n_nue``, ...)
and flux factors.  Every deployment target (generated C/Fortran, ONNX, the snapshot flagger)
starts from raw moments, so the mapping lives here once, and the generated code mirrors it
operation for operation (same divisions, same comparisons) so that results agree bitwise up to
the model arithmetic.

A cell is *valid* when, for every species the model reads, ``0 < n_s < inf`` and
``0 <= F_s < 1`` (NaN fails every comparison and is therefore invalid); the same rule as
:func:`nulearn.flavor.validation.validate_moments`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ALL_SPECIES",
    "FEATURE_FORMULAS",
    "cell_validity",
    "features_from_raw",
    "raw_moment_names",
    "species_for_features",
]

ALL_SPECIES: tuple[str, ...] = ("nue", "nuebar", "nux", "nuxbar")

#: feature name -> (numerator, denominator) of raw moments; a denominator of ``None`` means the
#: feature is the raw quantity itself.  Ratios are relative to ``n_nue`` (core API convention).
FEATURE_FORMULAS: dict[str, tuple[str, str | None]] = {
    "alpha": ("n_nuebar", "n_nue"),
    "alpha_x": ("n_nux", "n_nue"),
    "alpha_xbar": ("n_nuxbar", "n_nue"),
    "F_nue": ("F_nue", None),
    "F_nuebar": ("F_nuebar", None),
    "F_nux": ("F_nux", None),
    "F_nuxbar": ("F_nuxbar", None),
}


def species_for_features(feature_names: Sequence[str]) -> tuple[str, ...]:
    """Species whose moments a model with these features needs, in canonical order.

    ``nue`` and ``nuebar`` are always needed (every ratio is relative to ``n_nue`` and the ELN
    involves both); ``nux``/``nuxbar`` only when a feature mentions them.

    Raises:
        ValueError: for a feature name with no raw-moment formula.
    """
    used = {"nue", "nuebar"}
    for name in feature_names:
        if name not in FEATURE_FORMULAS:
            raise ValueError(
                f"feature {name!r} has no formula from raw moments; known: {sorted(FEATURE_FORMULAS)}"
            )
        for quantity in FEATURE_FORMULAS[name]:
            if quantity is not None:
                used.add(quantity.split("_", 1)[1])
    return tuple(s for s in ALL_SPECIES if s in used)


def raw_moment_names(feature_names: Sequence[str]) -> tuple[str, ...]:
    """Raw moment inputs, in the order every exported function takes them.

    Number densities first, then flux factors: ``n_nue, n_nuebar[, n_nux, n_nuxbar], F_nue,
    F_nuebar[, F_nux, F_nuxbar]`` (the raw-column order of the core API).
    """
    species = species_for_features(feature_names)
    return tuple(f"n_{s}" for s in species) + tuple(f"F_{s}" for s in species)


def cell_validity(
    moments: Mapping[str, NDArray[np.floating]], species: Sequence[str]
) -> NDArray[np.bool_]:
    """Boolean validity mask, shape of the inputs.

    Args:
        moments: raw arrays keyed ``n_<species>`` (any positive unit) and ``F_<species>``
            (dimensionless, in [0, 1)), all of one shape.
        species: species to check.
    """
    valid: NDArray[np.bool_] | None = None
    for s in species:
        n = np.asarray(moments[f"n_{s}"])
        f = np.asarray(moments[f"F_{s}"])
        # comparisons are False for NaN, so NaN and +-inf are invalid without isfinite
        ok = (n > 0) & (n < np.inf) & (f >= 0) & (f < 1)
        valid = ok if valid is None else valid & ok
    assert valid is not None
    return valid


def features_from_raw(
    moments: Mapping[str, NDArray[np.floating]], feature_names: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Feature matrix and validity mask from raw moments.

    Args:
        moments: raw arrays of shape ``(n_cells,)`` keyed as in :func:`raw_moment_names`.
        feature_names: the model's features, in the model's order.

    Returns:
        ``(X, valid)``: ``X`` of shape ``(n_cells, n_features)`` in float64 (rows of invalid
        cells hold whatever the arithmetic gave and must not be used), ``valid`` of shape
        ``(n_cells,)``.

    Raises:
        ValueError: when a needed raw moment is missing or shapes differ.
    """
    needed = raw_moment_names(feature_names)
    missing = [name for name in needed if name not in moments]
    if missing:
        raise ValueError(f"raw moments missing: {missing}; given: {sorted(moments)}")
    arrays = {name: np.asarray(moments[name], dtype=np.float64).reshape(-1) for name in needed}
    sizes = {name: a.size for name, a in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"raw moments must have one size, got {sizes}")
    n_cells = next(iter(sizes.values()))
    x = np.empty((n_cells, len(feature_names)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, name in enumerate(feature_names):
            numerator, denominator = FEATURE_FORMULAS[name]
            if denominator is None:
                x[:, j] = arrays[numerator]
            else:
                np.divide(arrays[numerator], arrays[denominator], out=x[:, j])
    valid = cell_validity(arrays, species_for_features(feature_names))
    return x, valid
