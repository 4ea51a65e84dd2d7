"""The study's inputs: realistic cells from the transport solver, artificial training sets, and
what the tables derive from them (higher moments of artificial rows, crossing fraction by radius)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.realistic import realistic_dataset
from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import SPECIES, flux_column
from nulearn.flavor.studies.realistic.config import StudyConfig

__all__ = [
    "RADIAL_BINS",
    "add_family_moments",
    "artificial_training_sets",
    "load_realistic",
    "radial_crossing_profile",
]


def add_family_moments(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``I2_s``, ``I3_s`` (I_n / I_0) to artificial rows, from each row's own angular family.

    Args:
        frame: artificial table with ``family`` and the ELN (or XLN) feature columns.

    Returns:
        A copy with the higher-moment columns of ``nue`` and ``nuebar`` (and ``nux``, ``nuxbar``
        when their flux factors are present).
    """
    out = frame.copy()
    species = [s for s in SPECIES if flux_column(s) in frame.columns]
    for s in species:
        for n in (2, 3):
            out[f"I{n}_{s}"] = np.nan
    for fam in np.unique(frame["family"].to_numpy()):
        rows = (frame["family"] == fam).to_numpy()
        family = get_family(str(fam))
        for s in species:
            flux = frame.loc[rows, f"F_{s}"].to_numpy(dtype=np.float64)
            mom = family.moments(np.ones(flux.size), flux, n_max=3, species=s)
            out.loc[rows, f"I2_{s}"] = mom[:, 2] / mom[:, 0]
            out.loc[rows, f"I3_{s}"] = mom[:, 3] / mom[:, 0]
    return out


def artificial_training_sets(config: StudyConfig) -> dict[str, pd.DataFrame]:
    """The three ELN training sets of Table I: ``original``, ``hierarchical``, ``mixed`` (half each)."""
    n, fam, seed = config.n_artificial, config.family, config.seed
    original = generate("original", fam, n, seed)
    hierarchical = generate("hierarchical", fam, n, seed + 1)
    half = n // 2
    mixed = pd.concat([original.iloc[:half], hierarchical.iloc[: n - half]], ignore_index=True)
    return {"original": original, "hierarchical": hierarchical, "mixed": mixed}


#: Radial bin edges [km] of the crossing profile and of the accuracy-by-radius table.
RADIAL_BINS: tuple[float, ...] = (0, 20, 30, 40, 60, 100, 150, 250, 1000)


def radial_crossing_profile(
    frame: pd.DataFrame, edges: Sequence[float] | None = None
) -> pd.DataFrame:
    """Fraction of crossing cells (ELN and ELN-XLN) and mean features per radial bin."""
    bins = list(edges or RADIAL_BINS)
    cut = pd.cut(frame["radius_km"], bins)
    grouped = frame.groupby(cut, observed=True)
    table = pd.DataFrame(
        {
            "cells": grouped.size(),
            "ELN crossing fraction": grouped["crossing"].mean(),
            "ELN crossing fraction, depth > 1e-3": grouped["depth"].apply(
                lambda d: float((d > 1e-3).mean())
            ),
            "ELN-XLN crossing fraction": grouped["crossing_xln"].mean(),
            "mean alpha": grouped["alpha"].mean(),
            "mean F_nue": grouped["F_nue"].mean(),
            "mean F_nuebar": grouped["F_nuebar"].mean(),
            "mean F_nux": grouped["F_nux"].mean(),
        }
    )
    table.index = [f"{iv.left:g}-{iv.right:g}" for iv in table.index]
    return table.rename_axis("radius [km]").reset_index()


def load_realistic(config: StudyConfig) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The realistic table: read ``realistic_path`` or solve ``n_profiles`` profiles now."""
    if config.realistic_path is not None:
        from nulearn.flavor.data.tables import read_table
        from nulearn.flavor.physics.species import XLN_FEATURES

        ds = read_table(config.realistic_path, features=XLN_FEATURES, label="crossing")
        return ds.frame, ds.metadata
    frame = realistic_dataset(config.n_profiles, config.seed, config.solver)
    return frame, {
        "n_profiles": config.n_profiles,
        "seconds_per_profile": frame.attrs.get("seconds_per_profile"),
        "n_invalid_dropped": frame.attrs.get("n_invalid"),
    }
