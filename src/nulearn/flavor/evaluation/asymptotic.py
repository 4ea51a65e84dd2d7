"""Analytic asymptotic-state prescriptions scored against the fast-flavor solver.

The solver (:func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many`) is the ground truth: for
every configuration it gives the asymptotic number density and flux factor of each species and the
ELN-XLN number and flux. Each prescription of :mod:`nulearn.flavor.physics.asymptotic` predicts the
same quantities from the moments alone (the family closure rebuilds G(mu)); the prescriptions have
no fitted parameters, so every solver row is held out.

``box3d`` (three flavors, 3D moments) is scored on the axisymmetric moments written as 3D ones
(flux along z). It assumes three-flavor equipartition (P_ee = 1/3 on the minority side) while the
solver mixes two flavors (P_ee -> 1/2), so its error against this solver includes that difference
by construction; it needs the four species of ELN-XLN features.

>>> import pandas as pd
>>> truth = pd.DataFrame({"alpha": [0.5], "F_nue": [0.2], "F_nuebar": [0.3],
...                       "n_nue_after": [1.0], "F_nue_after": [0.2], "n_nuebar_after": [0.5],
...                       "F_nuebar_after": [0.3], "n_nux_after": [0.0], "F_nux_after": [float("nan")],
...                       "n_nuxbar_after": [0.0], "F_nuxbar_after": [float("nan")],
...                       "eln_xln_number_after": [0.5], "eln_xln_flux_after": [0.05]})
>>> table = score_prescriptions(truth, prescriptions=("no_mixing",))
>>> float(table.loc[table.quantity == "n_nue", "mae"].iloc[0]) < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nulearn.flavor.physics.asymptotic import PRESCRIPTIONS, box3d_moments, prescribed_moments
from nulearn.flavor.physics.moments3d import flux_vector_columns
from nulearn.flavor.physics.species import (
    ELN_FEATURES,
    ELN_SIGN,
    SPECIES,
    XLN_FEATURES,
    density_column,
    flux_column,
)

__all__ = [
    "QUANTITIES",
    "box3d_from_features",
    "error_rows",
    "predict_prescriptions",
    "score_prescriptions",
]

#: Scored quantities: number density (units of n_nue) and flux factor of every species, and the
#: ELN-XLN number and flux.
QUANTITIES: tuple[str, ...] = (
    *(f"n_{s}" for s in SPECIES),
    *(f"F_{s}" for s in SPECIES),
    "eln_xln_number",
    "eln_xln_flux",
)


def box3d_from_features(features: pd.DataFrame) -> pd.DataFrame:
    """Box3D on axisymmetric ELN-XLN features (fluxes along z), as 1D moment columns.

    Returns:
        ``n_<s>``, ``F_<s>`` (signed: F = flux_z / n), ``eln_xln_number``, ``eln_xln_flux``
        in units of n_nue, same index.
    """
    frame = pd.DataFrame(index=features.index)
    for s in SPECIES:
        n = np.ones(len(features)) if s == "nue" else features[density_column(s)].to_numpy()
        col_x, col_y, col_z = flux_vector_columns(s)
        frame[f"n_{s}"] = n
        frame[col_x] = 0.0
        frame[col_y] = 0.0
        frame[col_z] = n * features[flux_column(s)].to_numpy()
    after = box3d_moments(frame)
    out = pd.DataFrame(index=features.index)
    flux_total = np.zeros(len(features))
    for s in SPECIES:
        n_after = after[f"n_{s}"].to_numpy()
        flux_z = after[flux_vector_columns(s)[2]].to_numpy()
        out[f"n_{s}"] = n_after
        out[f"F_{s}"] = flux_z / n_after
        flux_total += ELN_SIGN[s] * flux_z
    out["eln_xln_number"] = after["eln_xln_number"].to_numpy()
    out["eln_xln_flux"] = flux_total
    return out


def predict_prescriptions(
    features: pd.DataFrame,
    family: str = "maxent",
    prescriptions: Sequence[str] = (*PRESCRIPTIONS, "box3d"),
    n_mu: int = 64,
) -> dict[str, pd.DataFrame]:
    """Asymptotic moments of every prescription from features alone.

    Args:
        features: ELN or ELN-XLN feature columns, shape (n_cells, ...).
        family: closure rebuilding G(mu) (``box3d`` always uses the 3D maximum-entropy closure).
        prescriptions: names from :data:`~nulearn.flavor.physics.asymptotic.PRESCRIPTIONS` and
            ``"box3d"`` (skipped for ELN-only features, which have no heavy leptons).
        n_mu: beams of the reconstruction.

    Returns:
        prescription -> DataFrame of :data:`QUANTITIES` columns (same index as ``features``).
    """
    xln = set(XLN_FEATURES) <= set(features.columns)
    names = list(XLN_FEATURES if xln else ELN_FEATURES)
    out: dict[str, pd.DataFrame] = {}
    for name in prescriptions:
        if name == "box3d":
            if xln:
                out[name] = box3d_from_features(features[names])
            continue
        out[name] = prescribed_moments(features[names], family, name, n_mu=n_mu)
    return out


def error_rows(name: str, solver: pd.DataFrame, predicted: pd.DataFrame) -> list[dict[str, Any]]:
    """Errors of one method's asymptotic ``predicted`` moments against the solver's ``<q>_after``
    columns, one row per quantity of :data:`QUANTITIES` that both hold (see
    :func:`score_prescriptions` for the columns); rows where either is not finite are skipped."""
    rows = []
    for q in QUANTITIES:
        column = f"{q}_after"
        if column not in solver.columns or q not in predicted.columns:
            continue
        truth = solver[column].to_numpy(dtype=np.float64)
        guess = predicted[q].to_numpy(dtype=np.float64)
        ok = np.isfinite(truth) & np.isfinite(guess)
        err = np.abs(guess[ok] - truth[ok])
        scale = np.abs(truth[ok]).sum()
        rows.append(
            {
                "prescription": name,
                "quantity": q,
                "n": int(ok.sum()),
                "mae": float(err.mean()) if err.size else float("nan"),
                "relative_error": float(err.sum() / scale) if scale > 0 else float("nan"),
                "max_error": float(err.max()) if err.size else float("nan"),
            }
        )
    return rows


def score_prescriptions(
    solver: pd.DataFrame,
    family: str = "maxent",
    prescriptions: Sequence[str] = (*PRESCRIPTIONS, "box3d"),
    n_mu: int = 64,
) -> pd.DataFrame:
    """Error of every prescription against solver results, one row per (prescription, quantity).

    Args:
        solver: rows of :func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many` (feature
            columns and ``<quantity>_after``); pass the held-out rows to score.
        family: closure of the prescriptions (the one the solver used for G).
        prescriptions: which to score (``box3d`` only for ELN-XLN rows).
        n_mu: beams of the prescriptions' reconstruction.

    Returns:
        Columns ``prescription``, ``quantity``, ``n`` (rows with a finite truth),
        ``mae`` (mean |predicted - solver|; densities in n_nue), ``relative_error``
        (sum |predicted - solver| / sum |solver|), ``max_error``.
    """
    features = solver.drop(columns=[c for c in solver.columns if c.endswith(("_after", "_before"))])
    predicted = predict_prescriptions(features, family, prescriptions, n_mu)
    rows = [row for name, pred in predicted.items() for row in error_rows(name, solver, pred)]
    return pd.DataFrame(rows)
