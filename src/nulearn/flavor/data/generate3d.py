"""Labelled three-dimensional moments: random densities and flux vectors per species, labelled by the 3D maximum-entropy crossing test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nulearn.flavor.data.sampling import sample_features
from nulearn.flavor.physics.moments3d import (
    DEFAULT_N_DIRECTIONS,
    FloatArray,
    features_from_moments3d,
    flux_vector_columns,
    label_moments3d,
)
from nulearn.flavor.physics.species import (
    density_column,
    flux_column,
    species_for_features,
)

__all__ = ["generate3d"]


def _isotropic_unit(rng: np.random.Generator, n: int) -> FloatArray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def generate3d(
    n: int,
    seed: int = 0,
    *,
    scheme: str = "xln",
    direction_spread: float = 0.5,
    n_directions: int = DEFAULT_N_DIRECTIONS,
) -> pd.DataFrame:
    """Random 3D moments, their invariant features and 3D maxent crossing labels.

    Densities and flux-factor magnitudes follow a 1D sampling scheme of
    :func:`nulearn.flavor.data.sampling.sample_features`; directions are drawn around a random common
    axis per cell (the radial direction of a simulation), so ``direction_spread = 0`` reproduces
    the 1D scheme with every flux along that axis.

    Args:
        n: cells.
        seed: RNG seed (deterministic output).
        scheme: ``"original"``, ``"hierarchical"`` (ELN) or ``"xln"`` (ELN-XLN).
        direction_spread: each flux points along normalize(axis + spread * N(0, 1)^3); large values
            give independent isotropic directions.
        n_directions: directions of the labelling sphere.

    Returns:
        Raw moments (``n_<s>``, ``flux_<ax>_<s>``), invariant features and :func:`label_moments3d`
        columns; shape (n, ...).
    """
    if not (math.isfinite(direction_spread) and direction_spread >= 0):
        raise ValueError(f"direction_spread = {direction_spread!r}; must be finite and >= 0")
    rng = np.random.default_rng(seed)
    sampled = sample_features(scheme, n, rng)
    species = species_for_features(list(sampled))
    axis = _isotropic_unit(rng, n)
    cols: dict[str, FloatArray] = {}
    for s in species:
        density = np.ones(n) if s == "nue" else sampled[density_column(s)]
        direction = axis + direction_spread * rng.normal(size=(n, 3))
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        flux = (sampled[flux_column(s)] * density)[:, None] * direction
        cols[f"n_{s}"] = density
        for j, c in enumerate(flux_vector_columns(s)):
            cols[c] = flux[:, j]
    moments = pd.DataFrame(cols)
    labels = label_moments3d(moments, n_directions=n_directions)
    return pd.concat([moments, features_from_moments3d(moments), labels], axis=1)
