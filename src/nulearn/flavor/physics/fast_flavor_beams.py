r"""Angular beams of the fast-flavor solver: per-species numbers on Gauss-Legendre directions.

A cell is discretized on the ``n_mu`` Gauss-Legendre nodes :math:`\mu_j` of
:func:`nulearn.flavor.physics.stability.beams`. Beam j carries, for every species s, a number
:math:`N_{s,j}` and a first moment :math:`M_{s,j}` (the flux it carries), either

* point values :math:`N_{s,j} = w_j f_s(\mu_j)`, :math:`M_{s,j} = \mu_j N_{s,j}`, which converge
  spectrally, when they reproduce every species' n and F to 1e-6 (the criterion of
  :func:`~nulearn.flavor.physics.stability.beam_eln`); or
* cell integrals :math:`N_{s,j} = \int_{e_{j-1}}^{e_j} f_s\,d\mu`, :math:`M_{s,j} = \int \mu f_s\,d\mu`
  over the beam's cell (edges at the cumulative weights, 12-point Gauss-Legendre inside each cell),
  which conserve every species' number and flux exactly when a species is peaked more sharply
  than the beam spacing (F near 1) or the input is tabulated.

The lepton number per beam is :math:`g_j = \sum_s \sigma_s N_{s,j}` with the ELN-XLN signs
:math:`\sigma = (+, -, -, +)` for :math:`(\nu_e, \bar\nu_e, \nu_x, \bar\nu_x)`
(:data:`~nulearn.flavor.physics.species.ELN_SIGN`).

>>> import pandas as pd
>>> cell = pd.DataFrame({"alpha": [0.9], "F_nue": [0.1], "F_nuebar": [0.4]})
>>> b = beams_from_moments(cell, "maxent", 16)
>>> round(float(b.eln.sum()), 12)   # int G dmu = 1 - alpha
0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import (
    ELN_SIGN,
    SPECIES,
    density_column,
    flux_column,
    species_for_features,
)
from nulearn.flavor.physics.stability import beams as gauss_legendre
from nulearn.flavor.physics.validity import validate_features, validate_moments

__all__ = [
    "PARTNER",
    "SpeciesBeams",
    "beam_cells",
    "beams_from_eln",
    "beams_from_moments",
    "beams_from_tabulated",
    "mixed_moments",
]

FloatArray = NDArray[np.float64]

#: Two-flavor mixing partner of each species (nue <-> nux, nuebar <-> nuxbar).
PARTNER: dict[str, str] = {"nue": "nux", "nuebar": "nuxbar", "nux": "nue", "nuxbar": "nuebar"}
#: Largest relative error of point values in n and F for which they are kept.
_RESOLVED_RTOL = 1e-6
_SUB_POINTS = 12


@dataclass(frozen=True)
class SpeciesBeams:
    """Beams of ``n_cells`` cells on shared directions.

    Attributes:
        mu: Gauss-Legendre directions, shape (n_mu,).
        weights: their weights (sum 2), shape (n_mu,).
        eln: lepton number per beam g_j, shape (n_cells, n_mu), in the input density unit.
        number: species -> N_{s,j}, shape (n_cells, n_mu); empty for an ELN-only table.
        flux: species -> M_{s,j} (first moment per beam), shape (n_cells, n_mu).
    """

    mu: FloatArray
    weights: FloatArray
    eln: FloatArray
    number: dict[str, FloatArray]
    flux: dict[str, FloatArray]

    @property
    def species(self) -> tuple[str, ...]:
        """Species with distributions, in canonical order."""
        return tuple(s for s in SPECIES if s in self.number)

    @property
    def n_cells(self) -> int:
        return int(self.eln.shape[0])

    def cell(self, i: int) -> SpeciesBeams:
        """The beams of cell ``i`` alone (n_cells = 1)."""
        sl = slice(i, i + 1)
        return SpeciesBeams(
            self.mu,
            self.weights,
            self.eln[sl],
            {s: v[sl] for s, v in self.number.items()},
            {s: v[sl] for s, v in self.flux.items()},
        )


def beam_cells(n_mu: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gauss-Legendre directions, weights and cell edges (-1 = e_0 < ... < e_n = 1, e_j - e_{j-1} = w_j)."""
    mu, w = gauss_legendre(n_mu)
    edges = np.concatenate([[-1.0], -1.0 + np.cumsum(w)])
    edges[-1] = 1.0
    return mu, w, edges


def _sub_quadrature(edges: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Nodes (n_mu, _SUB_POINTS) and weights for integrals over every beam cell."""
    x, w = np.polynomial.legendre.leggauss(_SUB_POINTS)
    half = 0.5 * np.diff(edges)[:, None]
    centre = 0.5 * (edges[1:] + edges[:-1])[:, None]
    return centre + half * x[None, :], half * w[None, :]


def _cell_integrals(
    values: FloatArray, nodes: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(number, first moment) per cell from values at the sub-nodes, (n, n_mu * P) -> (n, n_mu)."""
    v = values.reshape(values.shape[0], *nodes.shape)
    return (v * weights).sum(axis=2), (v * weights * nodes).sum(axis=2)


def _assemble(
    mu: FloatArray, w: FloatArray, number: dict[str, FloatArray], flux: dict[str, FloatArray]
) -> SpeciesBeams:
    eln = sum(ELN_SIGN[s] * number[s] for s in number)
    return SpeciesBeams(mu, w, np.asarray(eln, dtype=np.float64), number, flux)


def beams_from_moments(features: pd.DataFrame, family: str, n_mu: int) -> SpeciesBeams:
    """Beams of cells given by moment features, closed with an angular family.

    Args:
        features: ELN (``alpha, F_nue, F_nuebar``) or ELN-XLN (``XLN_FEATURES``) columns, shape
            (n_cells, ...): densities relative to n_nue, flux factors in [0, 1).
        family: a registered angular family (``"maxent"``, ``"gaussian"``).
        n_mu: number of beams.

    Returns:
        :class:`SpeciesBeams` with densities in units of n_nue.

    Raises:
        ValueError: a missing column or an invalid value (naming column, row and value).
    """
    species = species_for_features(features.columns)
    validate_features(features, [c for c in features.columns if c.startswith(("alpha", "F_"))])
    fam = get_family(family)
    mu, w, edges = beam_cells(n_mu)
    nodes, sub_w = _sub_quadrature(edges)
    n = len(features)
    point_n: dict[str, FloatArray] = {}
    cell_n: dict[str, FloatArray] = {}
    cell_f: dict[str, FloatArray] = {}
    resolved = np.ones(n, dtype=bool)
    for s in species:
        density = np.ones(n) if s == "nue" else features[density_column(s)].to_numpy(np.float64)
        ff = features[flux_column(s)].to_numpy(np.float64)
        point = fam.distribution(density, ff, mu, species=s) * w
        resolved &= (np.abs(point.sum(axis=1) / density - 1.0) < _RESOLVED_RTOL) & (
            np.abs(point @ mu / density - ff) < _RESOLVED_RTOL * np.maximum(ff, 1e-3)
        )
        point_n[s] = point
        values = fam.distribution(density, ff, nodes.ravel(), species=s)
        cell_n[s], cell_f[s] = _cell_integrals(values, nodes, sub_w)
    keep = resolved[:, None]
    number = {s: np.where(keep, point_n[s], cell_n[s]) for s in species}
    flux = {s: np.where(keep, point_n[s] * mu, cell_f[s]) for s in species}
    return _assemble(mu, w, number, flux)


def _tabulated(mu_grid: ArrayLike, values: ArrayLike, name: str) -> tuple[FloatArray, FloatArray]:
    grid = np.asarray(mu_grid, dtype=np.float64).reshape(-1)
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if grid.size < 2 or np.any(np.diff(grid) <= 0) or grid[0] < -1 - 1e-12 or grid[-1] > 1 + 1e-12:
        raise ValueError("mu grid must be strictly increasing within [-1, 1]")
    if v.shape[1] != grid.size:
        raise ValueError(f"{name}: shape {v.shape}; expected (n_cells, {grid.size}) to match mu")
    bad = ~np.isfinite(v)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ValueError(f"{name}: non-finite value in row {row}")
    return grid, v


def _interpolate(grid: FloatArray, v: FloatArray, points: FloatArray) -> FloatArray:
    """Piecewise-linear interpolation of every row, constant beyond the grid ends."""
    x = np.clip(points, grid[0], grid[-1])
    j = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, grid.size - 2)
    t = (x - grid[j]) / (grid[j + 1] - grid[j])
    return v[:, j] * (1.0 - t) + v[:, j + 1] * t


def beams_from_tabulated(
    mu_grid: ArrayLike, distributions: Mapping[str, ArrayLike], n_mu: int
) -> SpeciesBeams:
    """Beams from tabulated angular distributions (e.g. transport output), cell-integrated.

    Args:
        mu_grid: sorted directions in [-1, 1], shape (n_grid,).
        distributions: species (``nue``, ``nuebar`` and optionally ``nux``, ``nuxbar``) ->
            f_s(mu) per cell, shape (n_cells, n_grid) or (n_grid,), >= 0; any common density
            unit (per unit mu). Divide by n_nue first for rates in units of sqrt2 G_F n_nue.
        n_mu: number of beams.

    Returns:
        :class:`SpeciesBeams` (piecewise-linear f integrated over every beam cell).

    Raises:
        ValueError: unknown species, negative or non-finite values, or a species with no
            particles in some row (:func:`~nulearn.flavor.physics.validity.validate_moments`).
    """
    unknown = sorted(set(distributions) - set(SPECIES))
    if unknown or not {"nue", "nuebar"} <= set(distributions):
        raise ValueError(
            f"distributions must hold nue, nuebar (and optionally nux, nuxbar); got {sorted(distributions)}"
        )
    mu, w, edges = beam_cells(n_mu)
    nodes, sub_w = _sub_quadrature(edges)
    number: dict[str, FloatArray] = {}
    flux: dict[str, FloatArray] = {}
    for s in SPECIES:
        if s not in distributions:
            continue
        grid, v = _tabulated(mu_grid, distributions[s], f"distribution of {s}")
        if (v < 0).any():
            row = int(np.flatnonzero((v < 0).any(axis=1))[0])
            raise ValueError(f"distribution of {s}: negative value in row {row}; must be >= 0")
        number[s], flux[s] = _cell_integrals(_interpolate(grid, v, nodes.ravel()), nodes, sub_w)
        n_total = number[s].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            # |F|: a tabulated species may stream backwards (F < 0), which the 1D families never do
            validate_moments(n_total, np.abs(flux[s].sum(axis=1) / n_total), species=s)
    return _assemble(mu, w, number, flux)


def beams_from_eln(mu_grid: ArrayLike, eln: ArrayLike, n_mu: int) -> SpeciesBeams:
    """Beams from a tabulated lepton-number distribution G(mu) alone (no per-species moments).

    Args:
        mu_grid: sorted directions in [-1, 1], shape (n_grid,).
        eln: G(mu) per cell, shape (n_cells, n_grid) or (n_grid,), any sign.
        n_mu: number of beams.
    """
    mu, w, edges = beam_cells(n_mu)
    nodes, sub_w = _sub_quadrature(edges)
    grid, v = _tabulated(mu_grid, eln, "eln")
    g, _ = _cell_integrals(_interpolate(grid, v, nodes.ravel()), nodes, sub_w)
    return SpeciesBeams(mu, w, g, {}, {})


def mixed_moments(beams: SpeciesBeams, survival: ArrayLike) -> pd.DataFrame:
    """Moments of every species after two-flavor mixing with survival P_ee per beam, all cells.

    :math:`N'_{\nu_e,j} = P_j N_{\nu_e,j} + (1 - P_j) N_{\nu_x,j}`, :math:`N'_{\nu_x,j} = (1 - P_j)
    N_{\nu_e,j} + P_j N_{\nu_x,j}`, the same for the antineutrinos and for the first moments (the
    fast limit gives neutrinos and antineutrinos of one direction the same P_ee). Heavy leptons
    absent from the input start at zero.

    Args:
        beams: the cells' beams.
        survival: P_ee per beam, shape (n_cells, n_mu) or (n_mu,) for every cell, in [0, 1].

    Returns:
        DataFrame (n_cells rows): ``n_<s>``, ``F_<s>`` for the four species when the beams have
        species (densities in the input unit, F NaN for an empty species), and always
        ``eln_xln_number``, ``eln_xln_flux`` of (2 P_ee - 1) G.

    >>> import pandas as pd
    >>> b = beams_from_moments(pd.DataFrame({"alpha": [0.5], "F_nue": [0.2], "F_nuebar": [0.3]}), "maxent", 8)
    >>> round(float(mixed_moments(b, np.full(8, 0.5))["n_nux"].iloc[0]), 12)
    0.5
    """
    p = np.broadcast_to(np.asarray(survival, dtype=np.float64), beams.eln.shape)
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("survival probability must be finite and in [0, 1]")
    out: dict[str, FloatArray] = {}
    if beams.number:
        zero = np.zeros_like(beams.eln)
        number = {s: beams.number.get(s, zero) for s in SPECIES}
        flux = {s: beams.flux.get(s, zero) for s in SPECIES}
        for s in SPECIES:
            partner = PARTNER[s]
            n_after = (p * number[s] + (1.0 - p) * number[partner]).sum(axis=1)
            f_after = (p * flux[s] + (1.0 - p) * flux[partner]).sum(axis=1)
            out[f"n_{s}"] = n_after
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f"F_{s}"] = np.where(n_after > 0, f_after / n_after, np.nan)
        first = sum(ELN_SIGN[s] * flux[s] for s in SPECIES)
    else:
        first = beams.mu * beams.eln
    pz = 2.0 * p - 1.0
    out["eln_xln_number"] = (pz * beams.eln).sum(axis=1)
    out["eln_xln_flux"] = (pz * np.asarray(first, dtype=np.float64)).sum(axis=1)
    return pd.DataFrame(out)
