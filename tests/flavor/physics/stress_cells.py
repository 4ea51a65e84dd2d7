"""Stress cells for the crossing and growth-rate tests, and a brute-force 3D reference.

Shared by the tests of this folder and ``benchmarks/bench_exact_labels.py``, so the benchmark
measures exactly what the tests check.

* :func:`near_beam_moments`: one species a near-beam (F up to 0.99999) pointing off the axis of
  the others, density ratios from 1e-2.5 to 1e2.5;
* :func:`shallow_moments`: cells moved onto the crossing boundary by bisection on the nuebar
  density, so that the minority lobe is arbitrarily shallow (and its non-crossing twin);
* :func:`brute_force_extrema`: 200,000 Fibonacci directions, local extrema of the log ratio on
  their nearest-neighbour graph, each polished by Nelder-Mead in tangent coordinates (independent
  of the Newton code under test).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.spatial import cKDTree

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import ELN_SPECIES as SPECIES_ELN
from nulearn.flavor.physics.species import SPECIES as SPECIES_XLN
from nulearn.flavor.physics.species import species_signs

BRUTE_DIRECTIONS = 200_000


def species_of(frame: pd.DataFrame) -> tuple[str, ...]:
    return SPECIES_XLN if "n_nux" in frame.columns else SPECIES_ELN


def maxent_terms(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(l_s, b_s, sigma_s) of ln f_s = l_s + b_s . Omega per n_nue and steradian, in the input frame."""
    fam = get_family("maxent")
    species = species_of(frame)
    n = len(frame)
    logc = np.empty((n, len(species)))
    vec = np.empty((n, len(species), 3))
    for j, s in enumerate(species):
        dens = frame[f"n_{s}"].to_numpy() / frame["n_nue"].to_numpy()
        flux = frame[[f"flux_{a}_{s}" for a in "xyz"]].to_numpy() / frame[[f"n_{s}"]].to_numpy()
        mag = np.linalg.norm(flux, axis=1)
        a = fam.shape_parameter(mag)
        # f = n a e^{a F_hat . Omega} / (4 pi sinh a) = n a e^{a (mu - 1)} / (2 pi (1 - e^{-2a})).
        safe = np.where(a > 0, a, 1.0)
        log_norm = np.where(a > 0, np.log(safe / -np.expm1(-2.0 * safe)), math.log(0.5))
        logc[:, j] = np.log(dens / (2.0 * math.pi)) + log_norm - a
        vec[:, j] = (a / np.where(mag > 0, mag, 1.0))[:, None] * flux
    return logc, vec, species_signs(species)


@lru_cache(maxsize=2)
def _sphere(n_directions: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(n_directions, dtype=np.float64)
    z = 1.0 - (2.0 * i + 1.0) / n_directions
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    phi = i * math.pi * (3.0 - math.sqrt(5.0))
    dirs = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)
    _, nbr = cKDTree(dirs).query(dirs, k=9)
    return dirs, nbr[:, 1:]


def _log_ratio(
    logc: np.ndarray, vec: np.ndarray, signs: np.ndarray, dirs: np.ndarray
) -> np.ndarray:
    e = logc[None, :] + dirs @ vec.T
    return np.logaddexp.reduce(e[:, signs > 0], axis=1) - np.logaddexp.reduce(
        e[:, signs < 0], axis=1
    )


def _eln(logc: np.ndarray, vec: np.ndarray, signs: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    return np.exp(logc[None, :] + dirs @ vec.T) @ signs


def _polish(
    func: Callable[[np.ndarray], np.ndarray], start: np.ndarray, side: float, step: float
) -> float:
    """max of side * func near ``start`` by Nelder-Mead in tangent coordinates; returns func there."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(start[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    t1 = helper - helper @ start * start
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(start, t1)

    def point(uv: np.ndarray) -> np.ndarray:
        p = start + uv[0] * t1 + uv[1] * t2
        return (p / np.linalg.norm(p))[None, :]

    best = side * float(func(start[None, :])[0])
    for scale in (step, step * 1e-3):
        simplex = np.array([[0.0, 0.0], [scale, 0.0], [0.0, scale]])
        res = minimize(
            lambda uv: -side * float(func(point(uv))[0]),
            np.zeros(2),
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": 1e-15, "fatol": 0.0, "maxiter": 4000},
        )
        best = max(best, -float(res.fun))
        start = point(res.x)[0]
    return side * best


def brute_force_extrema(
    frame: pd.DataFrame,
    n_directions: int = BRUTE_DIRECTIONS,
    n_starts: int = 6,
    with_eln: bool = True,
) -> pd.DataFrame:
    """Reference extrema of L = ln P - ln N and of G / n_nue per cell.

    Columns ``L_min, L_max`` and, with ``with_eln``, ``eln_min, eln_max`` (per n_nue and steradian).
    """
    dirs, nbr = _sphere(n_directions)
    step = 2.0 * math.sqrt(4.0 * math.pi / n_directions)
    logc, vec, signs = maxent_terms(frame)
    rows = []
    for c in range(len(frame)):
        row = {}
        for name, fn in (("L", _log_ratio), ("eln", _eln))[: 2 if with_eln else 1]:
            vals = fn(logc[c], vec[c], signs, dirs)

            def func(p: np.ndarray, fn=fn, c=c) -> np.ndarray:
                return fn(logc[c], vec[c], signs, p)

            for side, tag in ((1.0, "max"), (-1.0, "min")):
                local = np.flatnonzero(side * vals >= (side * vals[nbr]).max(axis=1))
                best = local[np.argsort(-side * vals[local])[:n_starts]]
                row[f"{name}_{tag}"] = side * max(
                    side * _polish(func, dirs[i], side, step) for i in best
                )
        rows.append(row)
    return pd.DataFrame(rows, index=frame.index)


def reference_crossing(extrema: pd.DataFrame, rtol: float = 1e-10) -> np.ndarray:
    """Crossing from log-ratio extrema: G > rtol sum f somewhere and G < -rtol sum f somewhere."""
    eps = math.log1p(rtol) - math.log1p(-rtol)
    return ((extrema["L_max"] > eps) & (extrema["L_min"] < -eps)).to_numpy()


# ------------------------------------------------------------------------------------------------
# Stress sets (raw 3D moments: n_<s>, flux_<ax>_<s>, fluxes in units of n c)
# ------------------------------------------------------------------------------------------------
def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _tilt(axis: np.ndarray, angle: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at ``angle`` (radians) from ``axis`` in a random azimuth."""
    perp = _unit(rng, len(axis))
    perp -= np.einsum("ij,ij->i", perp, axis)[:, None] * axis
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    return np.cos(angle)[:, None] * axis + np.sin(angle)[:, None] * perp


def _moments(density: dict[str, np.ndarray], flux: dict[str, np.ndarray]) -> pd.DataFrame:
    cols: dict[str, np.ndarray] = {}
    for s, n in density.items():
        cols[f"n_{s}"] = n
        for j, a in enumerate("xyz"):
            cols[f"flux_{a}_{s}"] = n * flux[s][:, j]
    return pd.DataFrame(cols)


def near_beam_moments(n: int, seed: int, scheme: str = "eln") -> pd.DataFrame:
    """Cells with one near-beam (F in {0.999, 0.9999, 0.99999}) off the axis of the others.

    The beam species is nuebar half of the time (else nue, or for ``xln`` also nux / nuxbar); its
    direction is 0.02-3 rad from the common axis; density ratios log-uniform in [1e-2.5, 1e2.5];
    the other flux factors uniform in [0, 0.9) around the axis (spread 0.3 rad).
    """
    rng = np.random.default_rng(seed)
    species = SPECIES_XLN if scheme == "xln" else SPECIES_ELN
    axis = _unit(rng, n)
    density = {s: (np.ones(n) if s == "nue" else 10 ** rng.uniform(-2.5, 2.5, n)) for s in species}
    flux = {
        s: rng.uniform(0.0, 0.9, n)[:, None] * _tilt(axis, rng.uniform(0, 0.3, n), rng)
        for s in species
    }
    beam_f = rng.choice([0.999, 0.9999, 0.99999], n)
    who = np.where(rng.random(n) < 0.5, 1, rng.integers(0, len(species), n))
    direction = _tilt(axis, 10 ** rng.uniform(math.log10(0.02), math.log10(3.0), n), rng)
    for j, s in enumerate(species):
        pick = who == j
        flux[s][pick] = beam_f[pick, None] * direction[pick]
    return _moments(density, flux)


def shallow_moments(
    n: int,
    seed: int,
    labeller: Callable[[pd.DataFrame], np.ndarray],
    scheme: str = "eln",
    spread: float = 0.5,
    steps: int = 60,
) -> pd.DataFrame:
    """Pairs of cells on both sides of the crossing boundary, by bisection on n_nuebar.

    Random cells (flux factors in [0, 0.95), spread of directions ``spread`` rad) are scaled in
    n_nuebar by 10^x, x in [-3, 3], until ``labeller`` (raw moments -> 0/1 labels) changes; a
    bisection in x then stops at a random gap 10^-(2..12), and both ends are returned (row 2i on
    the crossing side, row 2i + 1 just outside). Cells whose label never changes are redrawn.
    """
    rng = np.random.default_rng(seed)
    species = SPECIES_XLN if scheme == "xln" else SPECIES_ELN
    out: list[pd.DataFrame] = []
    count = 0
    while count < n:
        m = 4 * (n - count)
        axis = _unit(rng, m)
        density = {s: (np.ones(m) if s == "nue" else 10 ** rng.uniform(-1, 1, m)) for s in species}
        flux = {
            s: rng.uniform(0.0, 0.95, m)[:, None]
            * _tilt(axis, np.abs(rng.normal(0, spread, m)), rng)
            for s in species
        }
        base = _moments(density, flux)
        grid = np.linspace(-3.0, 3.0, 13)
        labels = np.stack([labeller(_scaled(base, x)) for x in np.broadcast_to(grid, (m, 13)).T], 1)
        change = labels[:, 1:] != labels[:, :-1]
        keep = np.flatnonzero(change.any(axis=1))[: n - count]
        first = change[keep].argmax(axis=1)
        lo, hi = grid[first], grid[first + 1]
        lab_lo = labels[keep, first]
        base = base.iloc[keep].reset_index(drop=True)
        gap = 10.0 ** -rng.uniform(2, 12, keep.size)
        for _ in range(steps):
            open_ = hi - lo >= gap
            if not open_.any():
                break
            mid = 0.5 * (lo + hi)
            same = labeller(_scaled(base, mid)) == lab_lo
            lo = np.where(open_ & same, mid, lo)
            hi = np.where(open_ & ~same, mid, hi)
        inside = np.where(lab_lo == 1, lo, hi)
        outside = np.where(lab_lo == 1, hi, lo)
        pair = pd.concat([_scaled(base, inside), _scaled(base, outside)], keys=[0, 1])
        out.append(pair.swaplevel().sort_index().reset_index(drop=True))
        count += keep.size
    return pd.concat(out, ignore_index=True)


def _scaled(frame: pd.DataFrame, log10_factor: np.ndarray | float) -> pd.DataFrame:
    """``frame`` with n_nuebar and its flux scaled by 10^log10_factor (flux factor unchanged)."""
    out = frame.copy()
    factor = 10.0 ** np.asarray(log10_factor, dtype=np.float64)
    for c in ("n_nuebar", "flux_x_nuebar", "flux_y_nuebar", "flux_z_nuebar"):
        out[c] = frame[c].to_numpy() * factor
    return out


def parallel(frame: pd.DataFrame) -> pd.DataFrame:
    """Every flux rotated onto the +z axis (or -z when it points into the lower half-space)."""
    out = frame.copy()
    for s in species_of(frame):
        v = frame[[f"flux_{a}_{s}" for a in "xyz"]].to_numpy()
        mag = np.linalg.norm(v, axis=1) * np.where(v[:, 2] < 0, -1.0, 1.0)
        out[f"flux_x_{s}"] = 0.0
        out[f"flux_y_{s}"] = 0.0
        out[f"flux_z_{s}"] = mag
    return out


# ------------------------------------------------------------------------------------------------
# 1D feature tables (alpha, F_nue, F_nuebar [, alpha_x, alpha_xbar, F_nux, F_nuxbar])
# ------------------------------------------------------------------------------------------------
def random_features(n: int, seed: int, scheme: str = "eln", max_flux: float = 0.95) -> pd.DataFrame:
    """Density ratios log-uniform in [0.1, 10], flux factors uniform in [0, max_flux)."""
    rng = np.random.default_rng(seed)
    cols = {"alpha": 10 ** rng.uniform(-1, 1, n)}
    if scheme == "xln":
        cols |= {"alpha_x": 10 ** rng.uniform(-1, 1, n), "alpha_xbar": 10 ** rng.uniform(-1, 1, n)}
    species = SPECIES_XLN if scheme == "xln" else SPECIES_ELN
    cols |= {f"F_{s}": rng.uniform(0.0, max_flux, n) for s in species}
    return pd.DataFrame(cols)


def near_beam_features(n: int, seed: int) -> pd.DataFrame:
    """ELN near-beams: F = 0.9999 nuebar with alpha >= 100, or F = 0.9999 nue with alpha <= 0.01."""
    rng = np.random.default_rng(seed)
    beam_bar = rng.random(n) < 0.5
    other = rng.uniform(0.0, 0.98, n)
    return pd.DataFrame(
        {
            "alpha": np.where(
                beam_bar, 10 ** rng.uniform(2, 2.5, n), 10 ** rng.uniform(-2.5, -2, n)
            ),
            "F_nue": np.where(beam_bar, other, 0.9999),
            "F_nuebar": np.where(beam_bar, 0.9999, other),
        }
    )


def shallow_features(
    n: int,
    seed: int,
    labeller: Callable[[pd.DataFrame], np.ndarray],
    scheme: str = "eln",
    gaps: tuple[float, float] = (2.0, 10.0),
) -> pd.DataFrame:
    """Pairs of feature rows straddling the crossing boundary in alpha (crossing side first).

    Random cells (:func:`random_features`) whose label changes for alpha scaled by 10^x,
    x in [-2, 2], are bisected in x down to a gap 10^-U(gaps); rows 2i (crossing) and 2i + 1.
    """
    out: list[pd.DataFrame] = []
    rng = np.random.default_rng(seed)
    count = 0
    while count < n:
        base = random_features(8 * (n - count), int(rng.integers(2**31)), scheme)
        grid = np.linspace(-2.0, 2.0, 9)
        labels = np.stack([labeller(_alpha_scaled(base, np.full(len(base), x))) for x in grid], 1)
        change = labels[:, 1:] != labels[:, :-1]
        keep = np.flatnonzero(change.any(axis=1))[: n - count]
        first = change[keep].argmax(axis=1)
        lo, hi = grid[first], grid[first + 1]
        lab_lo = labels[keep, first]
        base = base.iloc[keep].reset_index(drop=True)
        gap = 10.0 ** -rng.uniform(*gaps, keep.size)
        for _ in range(80):
            open_ = hi - lo >= gap
            if not open_.any():
                break
            mid = 0.5 * (lo + hi)
            same = labeller(_alpha_scaled(base, mid)) == lab_lo
            lo = np.where(open_ & same, mid, lo)
            hi = np.where(open_ & ~same, mid, hi)
        inside = np.where(lab_lo == 1, lo, hi)
        outside = np.where(lab_lo == 1, hi, lo)
        pair = pd.concat([_alpha_scaled(base, inside), _alpha_scaled(base, outside)], keys=[0, 1])
        out.append(pair.swaplevel().sort_index().reset_index(drop=True))
        count += keep.size
    return pd.concat(out, ignore_index=True)


def _alpha_scaled(frame: pd.DataFrame, log10_factor: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    out["alpha"] = frame["alpha"].to_numpy() * 10.0 ** np.asarray(log10_factor)
    return out
