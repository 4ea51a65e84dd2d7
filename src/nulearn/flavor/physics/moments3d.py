r"""Three-dimensional moments: number densities and flux vectors, as M1 codes evolve them.

Input per species ``s`` (``nue``, ``nuebar`` and optionally ``nux``, ``nuxbar``): the number density
``n_s`` and the number flux vector ``(flux_x_s, flux_y_s, flux_z_s)`` in units of ``n * c``, so the
flux-factor vector :math:`\mathbf F_s = \mathbf{flux}_s / n_s` has :math:`|\mathbf F_s| < 1`.

Rotation-invariant features (:func:`features_from_moments3d`): density ratios to n_nue (``alpha``,
``alpha_x``, ``alpha_xbar``), flux-factor magnitudes ``F_s`` (the names of the 1D features) and the
cosines between flux directions ``cos_<s>_<t>``. Together they fix the configuration up to a
rotation or reflection, which leaves crossings unchanged.

Closure: the three-dimensional maximum-entropy distribution

.. math:: f_s(\Omega) = \frac{n_s}{2\pi}\, g_{\rm maxent}(\hat{\mathbf F}_s\cdot\Omega;\, a_s),
   \qquad f_s \propto e^{\eta + a_s \hat{\mathbf F}_s\cdot\Omega},

where :math:`g_{\rm maxent}(\mu; a) = a e^{a\mu} / (2\sinh a)` is the 1D maximum-entropy shape. Its
flux factor is :math:`|\mathbf F| = \coth a - 1/a` (the Langevin function, the same as in 1D because
the marginal of :math:`e^{\mathbf a\cdot\Omega}` in :math:`\mu = \hat{\mathbf a}\cdot\Omega` is
:math:`e^{a\mu}`), so :math:`a_s` comes from the 1D inversion
:meth:`nulearn.flavor.physics.families.MaxEntropy.shape_parameter`.

Crossing test on the sphere (:func:`label_moments3d`): :math:`G(\Omega) = (f_{\nu_e} - f_{\nu_x}) -
(f_{\bar\nu_e} - f_{\bar\nu_x})` is a signed sum of exponentials of :math:`a_s\hat{\mathbf F}_s\cdot\Omega`,
and a crossing is a sign change of G anywhere (Morinaga 2022). Its global extrema are found exactly
(:mod:`nulearn.flavor.physics.sphere_extrema`: Newton polishing on the sphere from the local extrema
of a Fibonacci scan of ``n_directions`` directions, from the flux directions and from every
extremum of the sharp, piecewise-linear limit of :math:`\ln(P/N)`), so narrow beams and shallow
lobes that fall between any fixed set of directions are still found. A direction counts as zero
when :math:`|G| \le` ``rtol`` :math:`\sum_s f_s` there, as in the 1D test, so cells with parallel
fluxes get the 1D label. The scan is laid out in a canonical frame of each cell (z along the first
species' flux with :math:`|\mathbf F| > 10^{-8}`, x towards the next flux not parallel to it), which
makes the depth quadrature exactly rotation invariant too.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.species import (
    ELN_SIGN,
    ELN_SPECIES,
    SPECIES,
    density_column,
    flux_column,
)
from nulearn.flavor.physics.sphere_extrema import exponential_sum_extrema, fibonacci_directions
from nulearn.flavor.physics.validity import validate_moments

__all__ = [
    "DEFAULT_N_DIRECTIONS",
    "ELN_FEATURES_3D",
    "MIN_DIRECTED_FLUX",
    "XLN_FEATURES_3D",
    "canonical_flux_vectors",
    "feature_names_3d",
    "features_from_moments3d",
    "fibonacci_sphere",
    "flux_vector_columns",
    "label_moments3d",
    "maxent3d_log_distribution",
    "random_rotations",
    "rotate_moments3d",
]

FloatArray = NDArray[np.float64]

#: Fibonacci directions of the scan that seeds the exact extremum search and integrates the depth.
DEFAULT_N_DIRECTIONS = 2000
#: |G| at or below this times sum_s f_s in the same direction counts as zero (cancellation noise is
#: not a crossing); the same convention as the 1D test.
DEFAULT_RTOL = 1e-10
#: Flux factors below this have no direction (cosine feature 0, no frame axis); exports mirror it.
MIN_DIRECTED_FLUX = 1e-8
_MIN_FLUX = MIN_DIRECTED_FLUX
#: A second axis needs a perpendicular flux component above this (relative); else the cell is axisymmetric.
_MIN_PERPENDICULAR = 1e-6
_AXES = ("x", "y", "z")


def _pairs(species: tuple[str, ...]) -> list[tuple[str, str]]:
    return list(itertools.combinations(species, 2))


def feature_names_3d(species: tuple[str, ...]) -> tuple[str, ...]:
    """Rotation-invariant feature columns for ``species`` (ELN: 4 features, ELN-XLN: 13)."""
    ratios = tuple(density_column(s) for s in species if s != "nue")
    fluxes = tuple(flux_column(s) for s in species)
    cosines = tuple(f"cos_{a}_{b}" for a, b in _pairs(species))
    return ratios + fluxes + cosines


#: ``alpha, F_nue, F_nuebar, cos_nue_nuebar``.
ELN_FEATURES_3D: tuple[str, ...] = feature_names_3d(ELN_SPECIES)
#: Density ratios, four flux-factor magnitudes, six direction cosines.
XLN_FEATURES_3D: tuple[str, ...] = feature_names_3d(SPECIES)


def flux_vector_columns(species: str) -> tuple[str, str, str]:
    """Column names ``flux_x_<s>, flux_y_<s>, flux_z_<s>`` of a species' number flux vector."""
    return tuple(f"flux_{ax}_{species}" for ax in _AXES)  # type: ignore[return-value]


def species_in(frame: pd.DataFrame) -> tuple[str, ...]:
    cols = set(frame.columns)
    x_cols = {f"n_{s}" for s in ("nux", "nuxbar")} & cols
    species = SPECIES if x_cols else ELN_SPECIES
    need = [c for s in species for c in (f"n_{s}", *flux_vector_columns(s))]
    missing = [c for c in need if c not in cols]
    if missing:
        raise ValueError(
            f"3D moment table lacks columns {missing}; need n_<s>, flux_x_<s>, flux_y_<s>, flux_z_<s>"
        )
    return species


def _moments(
    frame: pd.DataFrame, species: tuple[str, ...]
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Validated densities (n,) and flux-factor vectors (n, 3) per species."""
    dens: dict[str, FloatArray] = {}
    vec: dict[str, FloatArray] = {}
    for s in species:
        n = frame[f"n_{s}"].to_numpy(dtype=np.float64)
        flux = frame[list(flux_vector_columns(s))].to_numpy(dtype=np.float64)
        if not np.isfinite(flux).all():
            i = int(np.flatnonzero(~np.isfinite(flux).all(axis=1))[0])
            raise ValueError(f"{s}: flux vector must be finite; index {i} has {flux[i].tolist()!r}")
        with np.errstate(divide="ignore", invalid="ignore"):
            ff = flux / n[:, None]
        # Same checks and messages as the 1D moments: n > 0, |F| in [0, 1).
        validate_moments(n, np.linalg.norm(ff, axis=1), species=s)
        dens[s], vec[s] = n, ff
    return dens, vec


def features_from_moments3d(frame: pd.DataFrame) -> pd.DataFrame:
    """Rotation-invariant features from 3D moments.

    Args:
        frame: columns ``n_<s>`` and ``flux_x_<s>, flux_y_<s>, flux_z_<s>`` for nue, nuebar (and
            nux, nuxbar for ELN-XLN), shape (n_cells, ...); fluxes in units of n * c.

    Returns:
        :data:`ELN_FEATURES_3D` or :data:`XLN_FEATURES_3D` columns (dimensionless), same index.
        A cosine involving a flux factor below 1e-8 (no direction) is 0.

    Raises:
        ValueError: missing column, non-finite value, n <= 0 or |F| >= 1 (naming species and row).
    """
    species = species_in(frame)
    dens, vec = _moments(frame, species)
    out: dict[str, FloatArray] = {}
    for s in species:
        if s != "nue":
            out[density_column(s)] = dens[s] / dens["nue"]
    mag = {s: np.linalg.norm(vec[s], axis=1) for s in species}
    for s in species:
        out[flux_column(s)] = mag[s]
    for a, b in _pairs(species):
        denom = mag[a] * mag[b]
        ok = (mag[a] > _MIN_FLUX) & (mag[b] > _MIN_FLUX)
        dot = np.einsum("ij,ij->i", vec[a], vec[b])
        out[f"cos_{a}_{b}"] = np.where(ok, np.clip(dot / np.where(ok, denom, 1.0), -1.0, 1.0), 0.0)
    names = feature_names_3d(species)
    return pd.DataFrame({k: out[k] for k in names}, index=frame.index)


def fibonacci_sphere(n_directions: int = DEFAULT_N_DIRECTIONS) -> FloatArray:
    """Unit vectors of the Fibonacci lattice, shape (n_directions, 3); each carries solid angle 4 pi / n.

    Points at z_i = 1 - (2i + 1)/n and azimuth i * pi (3 - sqrt 5) (golden angle), equal-area
    to O(1/n) (Gonzalez 2010, Math. Geosci. 42, 49).
    """
    return fibonacci_directions(n_directions)


def maxent3d_log_distribution(
    number_density: ArrayLike,
    flux_factor_vector: ArrayLike,
    directions: ArrayLike,
    species: str = "nu",
) -> FloatArray:
    r"""ln f(Omega) of the 3D maximum-entropy closure, normalized to :math:`\int f\,d\Omega = n`.

    Args:
        number_density: n per cell, shape (n_cells,), > 0.
        flux_factor_vector: F = flux / (n c) per cell, shape (n_cells, 3), |F| < 1.
        directions: unit vectors, shape (n_dir,, 3) (shared) or (n_cells, n_dir, 3) (per cell).
        species: name for validation messages.

    Returns:
        ln f, shape (n_cells, n_dir), in units of ln(n / sr).
    """
    n = np.atleast_1d(np.asarray(number_density, dtype=np.float64))
    vec = np.atleast_2d(np.asarray(flux_factor_vector, dtype=np.float64))
    mag = np.linalg.norm(vec, axis=1)
    validate_moments(n, mag, species=species)
    family = get_family("maxent")
    a = family.shape_parameter(mag)
    # ln g(mu; a) = ln g(1; a) + a (mu - 1): the 1D shape at mu = 1 carries the normalization.
    log_peak = family.log_shape(a, np.ones(1))[:, 0]
    unit = vec / np.where(mag > 0, mag, 1.0)[:, None]
    dirs = np.asarray(directions, dtype=np.float64)
    mu = dirs @ unit.T if dirs.ndim == 2 else np.einsum("cdk,ck->dc", dirs, unit)
    return (np.log(n / (2.0 * math.pi)) + log_peak)[:, None] + a[:, None] * (mu.T - 1.0)


def canonical_flux_vectors(flux_factor_vectors: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Flux-factor vectors expressed in each cell's canonical frame (rotation invariant).

    Args:
        flux_factor_vectors: species -> (n_cells, 3), in a fixed species order.

    Returns:
        species -> (n_cells, 3) in the frame whose z axis is the first flux with |F| > 1e-8 and
        whose x axis points towards the next flux with a perpendicular part (axisymmetric cells
        keep an arbitrary but harmless x axis). Proper rotations of the input change nothing.
    """
    species = list(flux_factor_vectors)
    n = flux_factor_vectors[species[0]].shape[0]
    e_z = np.tile(np.array([0.0, 0.0, 1.0]), (n, 1))
    z_set = np.zeros(n, dtype=bool)
    for s in species:
        v = flux_factor_vectors[s]
        mag = np.linalg.norm(v, axis=1)
        take = ~z_set & (mag > _MIN_FLUX)
        e_z[take] = v[take] / mag[take, None]
        z_set |= take
    # Fallback x axis: any unit vector perpendicular to e_z (only used for axisymmetric cells).
    helper = np.where(
        np.abs(e_z[:, :1]) < 0.9, np.array([[1.0, 0.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])
    )
    e_x = helper - np.einsum("ij,ij->i", helper, e_z)[:, None] * e_z
    e_x /= np.linalg.norm(e_x, axis=1, keepdims=True)
    x_set = np.zeros(n, dtype=bool)
    for s in species:
        v = flux_factor_vectors[s]
        perp = v - np.einsum("ij,ij->i", v, e_z)[:, None] * e_z
        pmag = np.linalg.norm(perp, axis=1)
        take = ~x_set & (
            pmag > _MIN_PERPENDICULAR * np.maximum(np.linalg.norm(v, axis=1), _MIN_FLUX)
        )
        e_x[take] = perp[take] / pmag[take, None]
        x_set |= take
    e_y = np.cross(e_z, e_x)
    frame = np.stack([e_x, e_y, e_z], axis=1)  # (n, 3 axes, 3 components)
    return {s: np.einsum("nak,nk->na", frame, flux_factor_vectors[s]) for s in species}


def label_moments3d(
    frame: pd.DataFrame, n_directions: int = DEFAULT_N_DIRECTIONS, rtol: float = DEFAULT_RTOL
) -> pd.DataFrame:
    """The analytic 3D maximum-entropy crossing test from moments, exact up to ``rtol``.

    Reconstructs every species' 3D maxent distribution (closed-form inverse Langevin via the 1D
    maxent inversion) and finds the global extrema of G on the sphere
    (:func:`~nulearn.flavor.physics.sphere_extrema.exponential_sum_extrema`): the label does not
    depend on ``n_directions`` beyond seeding the search (agreement with a 200,000-direction
    brute-force search with polishing is tested on narrow beams with F up to 0.99999 and on
    crossings shallower than 1e-6).

    Args:
        frame: 3D moments (see :func:`features_from_moments3d`), shape (n_cells, ...).
        n_directions: Fibonacci directions of the scan (starts of the search, depth quadrature).
        rtol: a direction with |G| <= rtol * sum_s f_s there counts as zero.

    Returns:
        DataFrame (same index) with ``crossing`` (int8 0/1: G > rtol sum_s f_s somewhere and
        G < -rtol sum_s f_s somewhere), ``depth`` (integral of the minority-sign part of G over the
        integral of |G| in [0, 0.5], by the equal-weight quadrature of the scan: it reads 0 for a
        lobe narrower than the scan spacing even when ``crossing`` is 1), ``eln_min`` and
        ``eln_max`` (the exact extremes of G / n_nue on the sphere, per steradian).
    """
    species = species_in(frame)
    dens, vec = _moments(frame, species)
    canon = canonical_flux_vectors(vec)
    family = get_family("maxent")
    n = len(frame)
    log_coef = np.empty((n, len(species)))
    vectors = np.empty((n, len(species), 3))
    for j, s in enumerate(species):
        mag = np.linalg.norm(canon[s], axis=1)
        a = family.shape_parameter(mag)
        # ln f = ln(n / 2 pi) + ln g(1; a) + a (F_hat . Omega - 1) = l + b . Omega.
        log_peak = family.log_shape(a, np.ones(1))[:, 0]
        log_coef[:, j] = np.log(dens[s] / dens["nue"] / (2.0 * math.pi)) + log_peak - a
        unit = canon[s] / np.where(mag > 0, mag, 1.0)[:, None]
        vectors[:, j] = a[:, None] * unit
    signs = np.array([ELN_SIGN[s] for s in species])
    res = exponential_sum_extrema(log_coef, vectors, signs, n_directions, rtol)
    return pd.DataFrame(
        {
            "crossing": res.crossing.astype(np.int8),
            "depth": res.depth,
            "eln_min": res.eln_min,
            "eln_max": res.eln_max,
        },
        index=frame.index,
    )


def random_rotations(n: int, seed: int | np.random.Generator = 0) -> FloatArray:
    """Uniformly distributed proper rotation matrices, shape (n, 3, 3) (QR of Gaussian matrices, Mezzadri 2007)."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    det = np.linalg.det(q)
    q[:, :, 0] *= det[:, None]
    return q


def rotate_moments3d(frame: pd.DataFrame, rotations: ArrayLike) -> pd.DataFrame:
    """Apply a rotation per cell (shape (n_cells, 3, 3)) or one for all (3, 3) to every flux vector."""
    rot = np.asarray(rotations, dtype=np.float64)
    out = frame.copy()
    for s in species_in(frame):
        cols = list(flux_vector_columns(s))
        v = frame[cols].to_numpy(dtype=np.float64)
        out[cols] = v @ rot.T if rot.ndim == 2 else np.einsum("nij,nj->ni", rot, v)
    return out
