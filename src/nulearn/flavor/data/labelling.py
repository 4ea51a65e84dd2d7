"""The analytic crossing test from moments: reconstruct each species under a family, look for a crossing.

This is the maximum-entropy (or Gaussian) crossing test that merger studies use as ground truth
and the baseline every learned model is compared with. It is also how the artificial training
data are labelled (:mod:`nulearn.flavor.data.generate`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.physics.crossings import (
    DEFAULT_N_MU,
    DEFAULT_RTOL,
    CrossingResult,
    crossings_from_log_quadratic,
    eln_from_distributions,
    find_crossings,
    mu_grid,
)
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import (
    density_column,
    flux_column,
    species_for_features,
    species_signs,
)
from nulearn.flavor.physics.validity import validate_moments

__all__ = ["LABEL_COLUMNS", "crossings_for_family", "label_moments"]

#: Columns that :func:`label_moments` adds.
LABEL_COLUMNS: tuple[str, ...] = ("crossing", "n_crossings", "depth", "valid")


def crossings_for_family(
    family: str,
    number_density: dict[str, ArrayLike],
    flux_factor: dict[str, ArrayLike],
    n_mu: int = DEFAULT_N_MU,
    rtol: float = DEFAULT_RTOL,
) -> CrossingResult:
    """Crossings of distributions reconstructed from moments under one family.

    Args:
        family: registered family name (``"maxent"``, ``"gaussian"``, or a user family).
        number_density: species -> n_s per cell, (n_cells,), relative to any common unit.
        flux_factor: species -> F_s per cell, (n_cells,), in [0, 1).
        n_mu: grid points on [-1, 1] for the sign search.
        rtol: zero threshold relative to max|G| per cell.

    Raises:
        ValueError: invalid moments (naming the species, quantity and first index).
    """
    fam = get_family(family)
    species = list(number_density)
    coefs = []
    for s in species:
        validate_moments(number_density[s], flux_factor[s], species=s)
        c = fam.log_quadratic(number_density[s], flux_factor[s])
        if c is None:
            break
        coefs.append(c)
    else:
        return crossings_from_log_quadratic(
            np.stack(coefs, axis=1), species_signs(species), n_mu, rtol
        )
    # A family without a log-quadratic form: tabulate it (in chunks, to bound memory).
    mu = mu_grid(n_mu)
    n = np.asarray(number_density[species[0]]).size
    parts = []
    step = max(1, 2_000_000 // n_mu)
    for lo in range(0, n, step):
        sl = slice(lo, lo + step)
        dist = {
            s: fam.distribution(
                np.asarray(number_density[s])[sl], np.asarray(flux_factor[s])[sl], mu, s
            )
            for s in species
        }
        scale = sum(dist.values())
        parts.append(find_crossings(eln_from_distributions(dist), mu, rtol, scale=scale))
    return CrossingResult(
        np.concatenate([p.has_crossing for p in parts]),
        np.concatenate([p.n_crossings for p in parts]),
        np.concatenate([p.angles for p in parts]),
        np.concatenate([p.depth for p in parts]),
    )


def _moments_from_features(
    frame: pd.DataFrame, species: Sequence[str]
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]]]:
    n = len(frame)
    dens = {
        s: (np.ones(n) if s == "nue" else frame[density_column(s)].to_numpy(np.float64))
        for s in species
    }
    flux = {s: frame[flux_column(s)].to_numpy(np.float64) for s in species}
    return dens, flux


def label_moments(
    frame: pd.DataFrame,
    family: str = "maxent",
    n_mu: int = DEFAULT_N_MU,
    rtol: float = DEFAULT_RTOL,
    on_invalid: str = "raise",
) -> pd.DataFrame:
    """Label every cell of a feature table by the analytic crossing test under ``family``.

    Args:
        frame: feature columns ``alpha, F_nue, F_nuebar`` (ELN) or the seven ELN-XLN columns
            (:data:`nulearn.flavor.physics.species.XLN_FEATURES`); densities relative to n_nue.
        family: angular family used for the reconstruction.
        n_mu: grid points on [-1, 1].
        rtol: zero threshold relative to max|G|.
        on_invalid: ``"raise"`` (default) stops at the first invalid cell with a ValueError naming it;
            ``"mask"`` labels invalid cells ``crossing = -1``, ``n_crossings = -1``, ``depth = NaN`` and
            ``valid = False`` (never a 0/1 label).

    Returns:
        A copy of ``frame`` with columns ``crossing`` (int8), ``n_crossings`` (int16), ``depth``, ``valid``.
    """
    if on_invalid not in ("raise", "mask"):
        raise ValueError(f"on_invalid must be 'raise' or 'mask'; got {on_invalid!r}")
    species = species_for_features(frame.columns)
    dens, flux = _moments_from_features(frame, species)
    valid = np.ones(len(frame), dtype=bool)
    for s in species:
        if on_invalid == "raise":
            validate_moments(dens[s], flux[s], species=s)
        else:
            valid &= validate_moments(dens[s], flux[s], species=s, mask=True)
    out = frame.copy()
    crossing = np.full(len(frame), -1, dtype=np.int8)
    n_cross = np.full(len(frame), -1, dtype=np.int16)
    depth = np.full(len(frame), np.nan)
    if valid.any():
        res = crossings_for_family(
            family,
            {s: d[valid] for s, d in dens.items()},
            {s: f[valid] for s, f in flux.items()},
            n_mu,
            rtol,
        )
        crossing[valid] = res.has_crossing
        n_cross[valid] = res.n_crossings
        depth[valid] = res.depth
    out["crossing"] = crossing
    out["n_crossings"] = n_cross
    out["depth"] = depth
    out["valid"] = valid
    return out
