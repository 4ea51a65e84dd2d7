"""Neutrino species and the moment features that classifiers read.

Features are scale-free (arXiv:2303.05560 Eq. 6): a common factor on every number density
changes no crossing, so densities enter only as ratios to n_nue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.physics.validity import validate_moments

__all__ = [
    "ELN_FEATURES",
    "ELN_SIGN",
    "ELN_SPECIES",
    "SPECIES",
    "XLN_FEATURES",
    "density_column",
    "feature_names",
    "features_from_moments",
    "flux_column",
    "raw_moment_columns",
    "species_for_features",
    "species_signs",
]

#: Species in canonical order: electron neutrino, its antineutrino, heavy-lepton neutrino and antineutrino.
SPECIES: tuple[str, ...] = ("nue", "nuebar", "nux", "nuxbar")
ELN_SPECIES: tuple[str, ...] = ("nue", "nuebar")

#: Weight of each species in the lepton-number angular distribution
#: G = (f_nue - f_nux) - (f_nuebar - f_nuxbar) (arXiv:2310.03807 Eq. 1): the ELN when only nue and
#: nuebar enter, ELN-XLN with all four. The one sign table of :mod:`nulearn.flavor`: crossings,
#: labels, growth rates, 3D moments, moment features and every deployment target read it.
ELN_SIGN: Mapping[str, float] = MappingProxyType(
    {"nue": 1.0, "nuebar": -1.0, "nux": -1.0, "nuxbar": 1.0}
)

#: alpha = n_nuebar / n_nue; F_s = flux factor of species s.
ELN_FEATURES: tuple[str, ...] = ("alpha", "F_nue", "F_nuebar")
#: alpha_x = n_nux / n_nue, alpha_xbar = n_nuxbar / n_nue (arXiv:2310.03807 Sec. III C).
XLN_FEATURES: tuple[str, ...] = (
    "alpha",
    "alpha_x",
    "alpha_xbar",
    "F_nue",
    "F_nuebar",
    "F_nux",
    "F_nuxbar",
)

_RATIO_OF = {"nue": None, "nuebar": "alpha", "nux": "alpha_x", "nuxbar": "alpha_xbar"}


def feature_names(scheme: str) -> tuple[str, ...]:
    """Feature columns of a sampling scheme: ELN schemes have 3, ``xln`` has 7."""
    if scheme in ("original", "hierarchical", "eln"):
        return ELN_FEATURES
    if scheme in ("xln", "eln_xln"):
        return XLN_FEATURES
    raise ValueError(f"unknown scheme {scheme!r}; expected one of original, hierarchical, xln")


def species_signs(species: Sequence[str]) -> NDArray[np.float64]:
    """Weights of ``species`` in G (:data:`ELN_SIGN`), shape (n_species,).

    >>> species_signs(["nue", "nuebar", "nux", "nuxbar"]).tolist()
    [1.0, -1.0, -1.0, 1.0]
    """
    unknown = [s for s in species if s not in ELN_SIGN]
    if unknown:
        raise ValueError(f"unknown species {unknown}; allowed: {', '.join(SPECIES)}")
    return np.array([ELN_SIGN[s] for s in species])


def density_column(species: str) -> str:
    """Feature column holding the density ratio n_s / n_nue (``None`` for nue itself)."""
    col = _RATIO_OF[species]
    if col is None:
        raise ValueError("nue is the reference density; it has no ratio column")
    return col


def flux_column(species: str) -> str:
    """Feature column holding the flux factor of ``species``."""
    return f"F_{species}"


def species_for_features(columns: tuple[str, ...] | list[str] | pd.Index) -> tuple[str, ...]:
    """Species present in a feature table: all four when the XLN columns are there, else nue, nuebar."""
    cols = set(columns)
    if set(XLN_FEATURES) <= cols:
        return SPECIES
    # Heavy-lepton features without the full ELN-XLN set: reading the table as ELN would
    # silently drop the heavy leptons it describes. (F_nux alone may be a raw moment beside n_nux.)
    heavy = {"alpha_x", "alpha_xbar"} & cols
    if not {"n_nux", "n_nuxbar"} & cols:
        heavy |= {"F_nux", "F_nuxbar"} & cols
    if heavy:
        missing = sorted(set(XLN_FEATURES) - cols)
        raise ValueError(
            f"feature table holds heavy-lepton columns {sorted(heavy)} but lacks {missing}; an "
            f"ELN-XLN table needs all of {list(XLN_FEATURES)}"
        )
    if set(ELN_FEATURES) <= cols:
        return ELN_SPECIES
    missing = sorted(set(ELN_FEATURES) - cols)
    raise ValueError(
        f"feature table lacks columns {missing}; need {list(ELN_FEATURES)} (ELN) or {list(XLN_FEATURES)} (ELN-XLN)"
    )


def raw_moment_columns(frame: pd.DataFrame) -> list[str]:
    """The raw-moment columns a table must hold: ``n_*`` and ``F_*`` of nu_e and nu_ebar, and of
    nu_x and nu_xbar when any heavy-lepton raw moment is present.

    >>> raw_moment_columns(pd.DataFrame(columns=["n_nue", "n_nuebar", "F_nue", "F_nuebar"]))
    ['n_nue', 'n_nuebar', 'F_nue', 'F_nuebar']
    """
    xln = {"n_nux", "n_nuxbar", "F_nux", "F_nuxbar"} & set(frame.columns)
    species = SPECIES if xln else ELN_SPECIES
    return [f"n_{s}" for s in species] + [f"F_{s}" for s in species]


def features_from_moments(frame: pd.DataFrame, *, validate: bool = True) -> pd.DataFrame:
    """Raw moments -> classifier features.

    Args:
        frame: columns ``n_nue, n_nuebar, F_nue, F_nuebar`` and, for ELN-XLN,
            ``n_nux, n_nuxbar, F_nux, F_nuxbar``; number densities in any common unit, shape (n_cells,).

    Returns:
        DataFrame with :data:`ELN_FEATURES` or :data:`XLN_FEATURES` (dimensionless).

    Raises:
        ValueError: a column is missing, or a density/flux factor is non-finite or out of range
            (the message names the species, the quantity and the first offending row).
    """
    need = raw_moment_columns(frame)
    species = SPECIES if len(need) == 8 else ELN_SPECIES
    xln = len(need) == 8
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"moment table lacks columns {missing}; present: {list(frame.columns)}")
    n_nue = frame["n_nue"].to_numpy(dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    for s in species:
        n = frame[f"n_{s}"].to_numpy(dtype=np.float64)
        flux = frame[f"F_{s}"].to_numpy(dtype=np.float64)
        if validate:
            validate_moments(n, flux, species=s)
        if s != "nue":
            with np.errstate(divide="ignore", invalid="ignore"):
                out[density_column(s)] = n / n_nue
    for s in species:
        out[flux_column(s)] = frame[f"F_{s}"].to_numpy(dtype=np.float64)
    names = XLN_FEATURES if xln else ELN_FEATURES
    return pd.DataFrame({k: out[k] for k in names}, index=frame.index)
