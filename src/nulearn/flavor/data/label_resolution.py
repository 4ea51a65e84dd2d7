"""Are the crossing labels physical or numerical? Re-solve profiles at higher resolution and compare.

A label that flips when the solver or the crossing search is refined is a discretization artefact.
:func:`label_resolution_check` solves each profile at the base :class:`SolverConfig` and at
refined ones (twice the core rays, twice the radial nodes) and also searches the base solution
on uniform mu grids instead of its native ray directions. Refined radial grids do not share
nodes with the base one, so their labels are compared at the nearest node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.data.realistic import solved_crossings
from nulearn.flavor.physics.transport.background import BackgroundParams, sample_background_params
from nulearn.flavor.physics.transport.profile import SolverConfig, solve_profile

__all__ = ["REFINEMENTS", "label_resolution_check"]

#: Variants of the base configuration: name -> (field -> value or multiplication factor).
REFINEMENTS: dict[str, dict[str, object]] = {
    "uniform grid, 401 points": {"crossings": "grid", "n_mu": 401},
    "uniform grid, 4001 points": {"crossings": "grid", "n_mu": 4001},
    "2x core rays": {"n_core": 2},
    "2x radial nodes": {"n_radii": 2},
}


def _variant(cfg: SolverConfig, change: dict[str, object]) -> SolverConfig:
    fields = {
        k: (getattr(cfg, k) * v if isinstance(v, int) and k in ("n_core", "n_radii") else v)
        for k, v in change.items()
    }
    return replace(cfg, **fields)  # type: ignore[arg-type]


def _labels(
    params: BackgroundParams, cfg: SolverConfig
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    sol = solve_profile(params, cfg)
    eln, _ = solved_crossings(sol.transport, cfg)
    return sol.background.radius[:-1], eln.has_crossing


def label_resolution_check(
    n_profiles: int,
    seed: int = 0,
    base: SolverConfig | None = None,
    edges: Sequence[float] = (0, 30, 60, 100, 250, 1000),
) -> pd.DataFrame:
    """Agreement of the ELN labels of ``n_profiles`` random profiles under :data:`REFINEMENTS`.

    Args:
        n_profiles: profiles to solve (the radial and angular refinements solve each again).
        seed: seed of :func:`~nulearn.flavor.physics.transport.background.sample_background_params`.
        base: the configuration whose labels are checked (default :class:`SolverConfig`).
        edges: radial bins (km) of the table.

    Returns:
        One row per radial bin: ``cells``, ``crossing fraction`` (base labels) and, per variant,
        the fraction of cells whose label it leaves unchanged.
    """
    cfg = base or SolverConfig()
    rows = []
    for params in sample_background_params(n_profiles, seed):
        radius, labels = _labels(params, cfg)
        row: dict[str, NDArray[np.float64]] = {
            "radius_km": radius,
            "crossing fraction": labels.astype(np.float64),
        }
        for name, change in REFINEMENTS.items():
            r_var, var_labels = _labels(params, _variant(cfg, change))
            nearest = np.abs(r_var[None, :] - radius[:, None]).argmin(axis=1)
            row[name] = (var_labels[nearest] == labels).astype(np.float64)
        rows.append(pd.DataFrame(row))
    frame = pd.concat(rows, ignore_index=True)
    cut = pd.cut(frame["radius_km"], list(edges))
    grouped = frame.drop(columns="radius_km").groupby(cut, observed=True)
    table = grouped.mean()
    table.insert(0, "cells", grouped.size())
    table.index = [f"{iv.left:g}-{iv.right:g}" for iv in table.index]
    return table.rename_axis("radius [km]").reset_index()
