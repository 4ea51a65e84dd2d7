"""The realistic dataset: moments and exact crossing labels of many solved profiles.

Every row is one radial node of one profile (the vacuum outer-boundary node is left out). It
carries the same feature columns as the artificial data (:mod:`nulearn.flavor.data.generate`),
``alpha, F_nue, F_nuebar`` and the ELN-XLN ones ``alpha_x, alpha_xbar, F_nux, F_nuxbar``, plus the
higher normalized moments ``I2_s = I_2/I_0`` and ``I3_s = I_3/I_0``, the raw number densities
``n_s = I_0`` (fm^-3), the background (``radius_km``, density, temperature, Ye), the radial optical
depth of each species, and the ``profile`` id.

Labels come from the solved distributions, not from moments: ``crossing`` / ``n_crossings`` /
``depth`` for the ELN ``G = f_nue - f_nuebar`` and ``crossing_xln`` / ``n_crossings_xln`` /
``depth_xln`` for ``G = (f_nue - f_nux) - (f_nuebar - f_nuxbar)``, found by
:func:`nulearn.flavor.physics.crossings.find_crossings` on the native ray directions of every node
(``SolverConfig.crossings``; a uniform grid of ``n_mu`` points is the alternative).

Rows whose moments are not valid classifier input (a flux factor outside [0, 1), e.g. the inward
nuebar flux just above the inner boundary where the equilibrium nuebar density grows outwards)
are dropped; their number is kept in the metadata.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nulearn import __version__
from nulearn.flavor.data.tables import write_dataset
from nulearn.flavor.physics.crossings import (
    CrossingResult,
    eln_from_distributions,
    find_crossings,
    mu_grid,
)
from nulearn.flavor.physics.species import ELN_SPECIES, SPECIES, XLN_FEATURES
from nulearn.flavor.physics.transport.background import (
    PARAMETER_RANGES,
    BackgroundParams,
    sample_background_params,
)
from nulearn.flavor.physics.transport.profile import (
    ProfileSolution,
    SolverConfig,
    radial_optical_depth,
    solve_profile,
)
from nulearn.flavor.physics.transport.solver import TransportSolution

__all__ = [
    "MOMENT_COLUMNS",
    "profile_table",
    "realistic_dataset",
    "realistic_metadata",
    "solved_crossings",
    "write_realistic_dataset",
]

#: Higher-moment feature columns (I_n / I_0, n = 2, 3) per species.
MOMENT_COLUMNS: tuple[str, ...] = tuple(f"I{n}_{s}" for n in (2, 3) for s in SPECIES)


def _eln(distributions: dict[str, np.ndarray]) -> np.ndarray:
    """The ELN G = f_nue - f_nuebar alone, from distributions of all four species."""
    return eln_from_distributions({s: distributions[s] for s in ELN_SPECIES})


def solved_crossings(
    solution: TransportSolution, config: SolverConfig
) -> tuple[CrossingResult, CrossingResult]:
    """ELN and ELN-XLN crossings of the solved psi at every node but the outer boundary.

    Args:
        solution: converged transport of the four species (nue, nuebar, nux, nuxbar).
        config: ``crossings`` (native directions or a uniform grid), ``n_mu``, ``crossing_rtol``.

    Returns:
        ``(eln, xln)``, each a :class:`~nulearn.flavor.physics.crossings.CrossingResult` over n_r - 1 nodes.
    """
    if config.crossings == "grid":
        mu = mu_grid(config.n_mu)
        psi = solution.on_mu_grid(mu)[:, :-1]  # (4, n_r - 1, n_mu)
        dist = dict(zip(SPECIES, psi, strict=True))
        return (
            find_crossings(_eln(dist), mu, rtol=config.crossing_rtol),
            find_crossings(eln_from_distributions(dist), mu, rtol=config.crossing_rtol),
        )
    # Native directions differ from node to node (one more tangent ray per node). G is linear
    # between them, so interpolating every node onto the union of all directions adds points on
    # its straight segments only: the sign pattern, the crossing angles and the trapezoid depth
    # are unchanged, and one search covers the whole profile.
    nodes = [solution.native_directions(i) for i in range(solution.grid.n_radii - 1)]
    union = np.unique(np.concatenate([mu for mu, _ in nodes]))
    eln = np.empty((len(nodes), union.size))
    xln = np.empty_like(eln)
    for i, (mu, psi) in enumerate(nodes):
        dist = dict(zip(SPECIES, psi[:, None, :], strict=True))
        eln[i] = np.interp(union, mu, _eln(dist)[0])
        xln[i] = np.interp(union, mu, eln_from_distributions(dist)[0])
    return (
        find_crossings(eln, union, rtol=config.crossing_rtol),
        find_crossings(xln, union, rtol=config.crossing_rtol),
    )


def profile_table(solution: ProfileSolution, profile_id: int, config: SolverConfig) -> pd.DataFrame:
    """Rows (one per radial node, outer boundary excluded) of one solved profile.

    Args:
        solution: a solved profile.
        profile_id: id written in the ``profile`` column.
        config: the solver settings (crossing grid and tolerance).

    Returns:
        DataFrame of all nodes, with a boolean ``valid`` column (features usable by classifiers).
    """
    sol = solution.transport
    bg = solution.background
    moments = sol.moments(3)[:, :-1]  # (4, n_r - 1, 4)
    eln, xln = solved_crossings(sol, config)
    chi = solution.opacities.absorption + solution.opacities.scattering
    tau = radial_optical_depth(bg.radius, chi)[:, :-1]
    n0 = moments[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = moments / n0[:, :, None]
    columns: dict[str, Any] = {
        "profile": np.full(n0.shape[1], profile_id, dtype=np.int32),
        "radius_km": bg.radius[:-1],
        "density_g_cm3": bg.density[:-1],
        "temperature_mev": bg.temperature[:-1],
        "electron_fraction": bg.electron_fraction[:-1],
    }
    for k, s in enumerate(SPECIES):
        columns[f"n_{s}"] = n0[k]
    columns["alpha"] = n0[1] / n0[0]
    columns["alpha_x"] = n0[2] / n0[0]
    columns["alpha_xbar"] = n0[3] / n0[0]
    for k, s in enumerate(SPECIES):
        columns[f"F_{s}"] = ratios[k, :, 1]
    for n in (2, 3):
        for k, s in enumerate(SPECIES):
            columns[f"I{n}_{s}"] = ratios[k, :, n]
    for k, s in enumerate(SPECIES):
        columns[f"tau_{s}"] = tau[k]
    columns.update(
        crossing=eln.has_crossing.astype(np.int8),
        n_crossings=eln.n_crossings,
        depth=eln.depth,
        crossing_xln=xln.has_crossing.astype(np.int8),
        n_crossings_xln=xln.n_crossings,
        depth_xln=xln.depth,
    )
    frame = pd.DataFrame(columns)
    flux = frame[[f"F_{s}" for s in SPECIES]].to_numpy()
    values = frame[list(XLN_FEATURES) + list(MOMENT_COLUMNS)].to_numpy()
    frame["valid"] = (
        np.isfinite(values).all(axis=1)
        & (n0.T > 0).all(axis=1)
        & ((flux >= 0) & (flux < 1)).all(axis=1)
    )
    return frame


def realistic_dataset(
    n_profiles: int,
    seed: int = 0,
    config: SolverConfig | None = None,
    params: Sequence[BackgroundParams] | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Solve ``n_profiles`` randomized profiles and tabulate their valid cells.

    Args:
        n_profiles: number of profiles (ignored when ``params`` is given).
        seed: seed of :func:`~nulearn.flavor.physics.transport.background.sample_background_params`.
        config: solver settings.
        params: explicit profiles instead of random ones.
        progress: show a progress bar.

    Returns:
        DataFrame of valid rows (see the module docstring); ``frame.attrs`` holds ``n_invalid``
        (dropped rows) and ``seconds_per_profile``.
    """
    from tqdm.auto import tqdm

    cfg = config or SolverConfig()
    profiles = list(params) if params is not None else sample_background_params(n_profiles, seed)
    parts = []
    start = time.perf_counter()
    for pid, p in enumerate(tqdm(profiles, disable=not progress, desc="transport", unit="profile")):
        parts.append(profile_table(solve_profile(p, cfg), pid, cfg))
    elapsed = time.perf_counter() - start
    frame = pd.concat(parts, ignore_index=True)
    n_invalid = int((~frame["valid"]).sum())
    out = frame[frame["valid"]].drop(columns="valid").reset_index(drop=True)
    out.attrs["n_invalid"] = n_invalid
    out.attrs["seconds_per_profile"] = elapsed / len(profiles)
    return out


def realistic_metadata(
    frame: pd.DataFrame, n_profiles: int, seed: int, config: SolverConfig
) -> dict[str, Any]:
    """Provenance stored with a realistic table (mirrors ``generation_metadata``)."""
    return {
        "kind": "nulearn.flavor.physics.transport",
        "scheme": "realistic",
        "family": "transport",
        "n": len(frame),
        "n_profiles": n_profiles,
        "seed": seed,
        "solver": config.to_dict(),
        "parameter_ranges": {k: list(v) for k, v in PARAMETER_RANGES.items()},
        "n_invalid_dropped": int(frame.attrs.get("n_invalid", 0)),
        "features": list(XLN_FEATURES),
        "higher_moments": list(MOMENT_COLUMNS),
        "label": "crossing",
        "label_xln": "crossing_xln",
        "nulearn_version": __version__,
    }


def write_realistic_dataset(
    path: str | Path,
    n_profiles: int,
    seed: int = 0,
    config: SolverConfig | None = None,
    progress: bool = False,
) -> tuple[Path, pd.DataFrame]:
    """Generate the realistic dataset and write it with :func:`nulearn.flavor.data.tables.write_dataset`."""
    from nulearn.flavor.data.tables import check_table_output

    check_table_output(path)
    cfg = config or SolverConfig()
    frame = realistic_dataset(n_profiles, seed, cfg, progress=progress)
    out = write_dataset(frame, path, realistic_metadata(frame, n_profiles, seed, cfg))
    return out, frame
