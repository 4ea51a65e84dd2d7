r"""Linear stability of an axisymmetric neutrino gas: fast-instability growth rates.

Physics
-------
Two flavors, no vacuum or collision terms, a homogeneous and axisymmetric background with
electron-lepton-number (ELN, or ELN-XLN) angular distribution :math:`G(\mu)`,
:math:`\mu = \cos\theta`, normalized to the electron-neutrino density,

.. math:: \int_{-1}^{1} G(\mu)\,d\mu = (n_{\nu_e} - n_{\bar\nu_e} - n_{\nu_x} + n_{\bar\nu_x}) / n_{\nu_e}.

Every rate and wavenumber here is in units of :math:`\mu_0 = \sqrt2 G_F n_{\nu_e}` (times
:math:`1/\hbar` or :math:`1/\hbar c`). The off-diagonal density-matrix element
:math:`S_{\mathbf v}` obeys, to first order (Izaguirre, Raffelt & Tamborra 2017, PRL 118, 021101),

.. math:: i(\partial_t + \mathbf v\cdot\nabla) S_{\mathbf v}
          = v^\mu\Lambda_\mu\, S_{\mathbf v}
          - \int_{-1}^{1} d\mu' \int_0^{2\pi}\frac{d\phi'}{2\pi}\, v^\mu v'_\mu\, G(\mu')\, S_{\mathbf v'},
   \qquad v^\mu v'_\mu = 1 - \mathbf v\cdot\mathbf v',

with :math:`\Lambda_0 = \int G\,d\mu` and :math:`\boldsymbol\Lambda = \hat z\int G\mu\,d\mu` (matter
adds a constant to :math:`\Lambda_0`). A plane wave :math:`S = Q_{\mathbf v} e^{-i(\Omega t - K z)}`
along the symmetry axis gives :math:`\Omega Q_{\mathbf v} = (\mu K + \Lambda_0 - \mu\Lambda_1) Q_{\mathbf v}
- \int \ldots`. :math:`\Lambda_0` shifts :math:`\operatorname{Re}\Omega` and :math:`\Lambda_1` shifts
:math:`K`, so with :math:`k = K - \Lambda_1` and :math:`\omega = \Omega - \Lambda_0` neither changes the
growth rate :math:`\max_K \operatorname{Im}\Omega` (reported wavenumbers are the physical
:math:`K = k + \Lambda_1`). Expanding :math:`Q` in azimuthal harmonics :math:`e^{im\phi}` and using
:math:`\mathbf v\cdot\mathbf v' = \mu\mu' + s s'\cos(\phi - \phi')`, :math:`s = \sqrt{1-\mu^2}`, the
:math:`\phi'` integral keeps only

* :math:`m = 0` (axially symmetric branch):
  :math:`\omega Q_i = \mu_i k\,Q_i - \sum_j w_j G_j (1 - \mu_i\mu_j)\, Q_j`;
* :math:`m = \pm 1` (axial-symmetry-breaking branch; the :math:`\cos(\phi-\phi')` term projects with a
  factor 1/2): :math:`\omega Q_i = \mu_i k\,Q_i + \tfrac12 \sum_j w_j G_j\, s_i s_j\, Q_j`;

:math:`|m| \ge 2` modes decouple from the collective term and are stable. With Gauss-Legendre
beams :math:`(\mu_j, w_j)` each branch is an :math:`N\times N` real eigenvalue problem
:math:`\omega Q = A(k) Q`; the growth rate of a branch is :math:`\max_k \max \operatorname{Im}\omega`.
Checks in the tests: the uniform flavor rotation :math:`Q_i = 1` is an exact zero mode at
:math:`K = 0`, and two beams reproduce :math:`(1-\mu_1\mu_2)\sqrt{-g_1 g_2}` (m = 0) and
:math:`\tfrac12 s_1 s_2\sqrt{-g_1 g_2}` (m = 1).

Beams from moments (:func:`beam_eln`): point values :math:`w_j G(\mu_j)` where the beams resolve
every species (spectral convergence in N), otherwise the exact integral of G over each beam's
cell, which keeps a species peaked between the last node and :math:`\mu = 1` (F near 1).

Stability without a crossing: write :math:`A = D - B W` with :math:`B_{ij} = 1 - \mu_i\mu_j` (or
:math:`-\tfrac12 s_i s_j`), :math:`W = \operatorname{diag}(w_j G_j)`. When every :math:`G_j` has one
sign, :math:`|W|^{1/2} A |W|^{-1/2} = D \mp |W|^{1/2} B |W|^{1/2}` is real symmetric, so every
:math:`\omega` is real: the discrete-beam version of Morinaga's theorem (2022, PRD 105, L101301)
that an instability needs an ELN crossing. :attr:`StabilityConfig.skip_single_signed` uses this to
skip such cells exactly; the converse (crossing ⇒ growth) is what the tests check numerically.

Wavenumber search: :math:`k` is scanned on a uniform grid over :math:`[-\kappa S, \kappa S]` with
:math:`S = \int|G|\,d\mu` (the unstable band lies within :math:`|k| \lesssim 2.5 S` for the families of
:mod:`nulearn.flavor.physics.families`), then refined ``n_refine`` times around the best point.

Marginal cells (:func:`growth_rate_from_moments`, ``adaptive``): a shallow crossing has a lobe
narrower than the beam spacing (beams of one sign: exactly, and wrongly, stable) and an unstable
band far narrower than the k grid; a near-beam (F -> 1) peaks between the last node and
:math:`\mu = 1`. Crossing cells (exact zeros of G, :mod:`nulearn.flavor.physics.lobes`) that are
shallow, narrow, unresolved by the default beams or found stable are re-solved on composite
Gauss-Legendre panels ending at every crossing angle, graded towards it and towards :math:`\mu = 1`,
with k searched around the resonance: a weakly growing mode has phase velocity
:math:`u = \omega/k` inside a lobe (:func:`~nulearn.flavor.physics.lobes.resonance_windows`).
Panels get more nodes until the growth rate changes by less than ``adaptive_rtol``;
``growth_converged`` is False where it never did (the value is then a lower bound).

>>> import numpy as np
>>> res = growth_rate_beams([-0.5, 0.5], [[0.4, -0.1]], StabilityConfig(n_k=65, n_refine=4))
>>> round(float(res.growth_rate_m0[0]), 6)   # two beams: (1 - mu1 mu2) sqrt(-g1 g2) = 1.25 * 0.2
0.25
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf, erfc

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.lobes import (
    adaptive_beams,
    exact_crossings,
    marginal_cells,
    moment_arrays,
    resonance_windows,
)
from nulearn.flavor.physics.species import (
    ELN_SIGN,
    density_column,
    features_from_moments,
    flux_column,
    species_for_features,
)
from nulearn.ml.config import YAMLConfig

__all__ = [
    "BRANCHES",
    "SQRT2_GF_CM3_PER_S",
    "GrowthRates",
    "StabilityConfig",
    "beam_eln",
    "beams",
    "growth_rate",
    "growth_rate_beams",
    "growth_rate_from_moments",
    "growth_rate_per_second",
    "growth_table",
    "linearized_matrix",
]

FloatArray = NDArray[np.float64]

#: Azimuthal harmonics with a collective term: m = 0 (axially symmetric), m = 1 (symmetry breaking).
BRANCHES: tuple[int, ...] = (0, 1)

#: sqrt(2) G_F / hbar in s^-1 cm^3: sqrt(2) * 1.1663788e-5 GeV^-2 * (hbar c)^3 / hbar with
#: hbar c = 1.973269804e-14 GeV cm and hbar = 6.582119569e-25 GeV s (PDG 2024), i.e.
#: sqrt(2) G_F n = 1.9256e-22 s^-1 * (n / cm^-3).
SQRT2_GF_CM3_PER_S: float = math.sqrt(2.0) * 1.1663788e-5 * (1.973269804e-14) ** 3 / 6.582119569e-25

#: Float64 elements of one stacked eigenvalue batch (about 32 MB), bounding memory per chunk.
_BATCH_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class StabilityConfig(YAMLConfig):
    """Discretization of the dispersion relation; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_beams: Gauss-Legendre beams N in mu (the N x N eigenproblem); 16 already converges
            maxent growth rates to ~1e-5 relative for flux factors below ~0.9 (24 by default).
        n_k: points of the coarse wavenumber grid; unstable bands of shallow crossings are
            narrow (~0.1 S), so the coarse spacing 2 k_span S / (n_k - 1) must stay below that.
        k_span: the coarse grid covers k in [-k_span S, k_span S], S = int |G| dmu.
        n_refine: refinements around the best k, each with ``refine_points`` new points that
            shrink the bracket by (refine_points + 1) / 2.
        refine_points: points per refinement (odd, so the previous best is re-evaluated).
        branches: azimuthal harmonics to solve, a subset of (0, 1).
        skip_single_signed: return 0 without an eigen-solve for cells whose beams all have
            one sign of G (exactly stable, see the module docstring).
        adaptive: re-solve marginal crossing cells from moments on crossing-adapted beams with
            resonance k windows (:func:`growth_rate_from_moments`).
        adaptive_rtol: relative change of the growth rate between refinement levels (4, 6, 8, ...
            Gauss-Legendre nodes per panel) that counts as converged.
        adaptive_levels: most refinement levels.
        marginal_depth: crossing cells with depth (on the default beams) below this are refined.
    """

    n_beams: int = 24
    n_k: int = 64
    k_span: float = 3.0
    n_refine: int = 2
    refine_points: int = 7
    branches: tuple[int, ...] = BRANCHES
    skip_single_signed: bool = True
    adaptive: bool = True
    adaptive_rtol: float = 1e-2
    adaptive_levels: int = 4
    marginal_depth: float = 1e-2

    def __post_init__(self) -> None:
        if not isinstance(self.branches, tuple):
            object.__setattr__(self, "branches", tuple(int(b) for b in self.branches))
        integers = (("n_beams", 2), ("n_k", 3), ("n_refine", 0), ("refine_points", 1))
        for name, lo in (*integers, ("adaptive_levels", 2)):
            value = getattr(self, name)
            if int(value) != value or value < lo:
                raise ValueError(f"StabilityConfig.{name} = {value!r}; must be an integer >= {lo}")
        for name in ("k_span", "adaptive_rtol", "marginal_depth"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"StabilityConfig.{name} = {value!r}; must be finite and > 0")
        if not self.branches or any(b not in BRANCHES for b in self.branches):
            raise ValueError(
                f"StabilityConfig.branches = {self.branches!r}; allowed: a non-empty subset of {BRANCHES}"
            )


@dataclass(frozen=True)
class GrowthRates:
    """Fastest-growing mode per cell and branch, in units of sqrt(2) G_F n_nue.

    Attributes:
        growth_rate: (n_cells,) max over the solved branches of max_k Im omega.
        growth_rate_m0: (n_cells,) axially symmetric branch (NaN if not solved).
        growth_rate_m1: (n_cells,) symmetry-breaking branch (NaN if not solved).
        k_m0: (n_cells,) physical wavenumber K = k + Lambda_1 of the fastest m = 0 mode
            (NaN when stable or not solved).
        k_m1: (n_cells,) the same for m = 1.
        growth_converged: (n_cells,) bool, from moments only: False where the adaptive refinement
            did not converge, so the growth rate is a lower bound (0 for a crossing too shallow
            for double precision); ``None`` for a given discrete-beam model.
    """

    growth_rate: FloatArray
    growth_rate_m0: FloatArray
    growth_rate_m1: FloatArray
    k_m0: FloatArray
    k_m1: FloatArray
    growth_converged: NDArray[np.bool_] | None = None

    def to_frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        """The fields as columns (``growth_converged`` only when set)."""
        columns = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.growth_converged is None:
            del columns["growth_converged"]
        return pd.DataFrame(columns, index=index)


def beams(n_beams: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes mu_j in (-1, 1) and weights w_j (sum 2), both shape (n_beams,)."""
    if int(n_beams) != n_beams or n_beams < 2:
        raise ValueError(f"n_beams = {n_beams!r}; must be an integer >= 2")
    mu, w = np.polynomial.legendre.leggauss(int(n_beams))
    return mu, w


def _coupling(mu: FloatArray, weighted_eln: FloatArray, m: int) -> FloatArray:
    """Collective part C_ij of A = diag(mu k) + C, shape (n_cells, N, N)."""
    if m == 0:
        kernel = 1.0 - np.outer(mu, mu)
        return -kernel[None, :, :] * weighted_eln[:, None, :]
    s = np.sqrt(np.clip(1.0 - mu * mu, 0.0, None))
    return 0.5 * np.outer(s, s)[None, :, :] * weighted_eln[:, None, :]


def linearized_matrix(
    mu: ArrayLike, weighted_eln: ArrayLike, k: ArrayLike, m: int = 0
) -> FloatArray:
    r"""The real matrix A(k) of :math:`\omega Q = A Q` for every cell and wavenumber.

    Args:
        mu: beam directions, shape (N,), in [-1, 1].
        weighted_eln: w_j G(mu_j) per cell (the ELN carried by each beam, units of n_nue),
            shape (n_cells, N).
        k: shifted wavenumbers k = K - Lambda_1 per cell, shape (n_cells, n_k), units of sqrt(2) G_F n_nue.
        m: azimuthal harmonic, 0 or 1.

    Returns:
        A, shape (n_cells, n_k, N, N).
    """
    mu_arr = np.asarray(mu, dtype=np.float64)
    g = np.atleast_2d(np.asarray(weighted_eln, dtype=np.float64))
    kk = np.asarray(k, dtype=np.float64).reshape(g.shape[0], -1)
    if m not in BRANCHES:
        raise ValueError(f"azimuthal harmonic m = {m!r}; allowed: {BRANCHES}")
    coupling = _coupling(mu_arr, g, m)
    a = np.repeat(coupling[:, None, :, :], kk.shape[1], axis=1)
    diag = np.arange(mu_arr.size)
    a[:, :, diag, diag] += kk[:, :, None] * mu_arr
    return a


def _max_growth(coupling: FloatArray, mu: FloatArray, k: FloatArray) -> FloatArray:
    """max Im omega over eigenvalues for each (cell, k): coupling (n, N, N), k (n, n_k) -> (n, n_k)."""
    n, n_k = k.shape
    size = mu.size
    out = np.empty((n, n_k))
    per_cell = n_k * size * size
    step = max(1, _BATCH_ELEMENTS // per_cell)
    diag = np.arange(size)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        a = np.repeat(coupling[lo:hi, None, :, :], n_k, axis=1)
        a[:, :, diag, diag] += k[lo:hi, :, None] * mu
        # Stacked LAPACK geev calls: one Python call per chunk, never per cell.
        out[lo:hi] = np.linalg.eigvals(a).imag.max(axis=-1)
    return out


def _branch_growth(
    mu: FloatArray, weighted_eln: FloatArray, scale: FloatArray, m: int, config: StabilityConfig
) -> tuple[FloatArray, FloatArray]:
    """(max_k Im omega, argmax k) for one branch, both (n_cells,)."""
    coupling = _coupling(mu, weighted_eln, m)
    unit = np.linspace(-1.0, 1.0, config.n_k)
    k = config.k_span * scale[:, None] * unit[None, :]
    growth = _max_growth(coupling, mu, k)
    best = np.argmax(growth, axis=1)
    rows = np.arange(k.shape[0])
    best_k, best_g = k[rows, best], growth[rows, best]
    half_width = 2.0 * config.k_span * scale / (config.n_k - 1)
    offsets = np.linspace(-1.0, 1.0, config.refine_points + 2)[1:-1]
    for _ in range(config.n_refine):
        k = best_k[:, None] + half_width[:, None] * offsets[None, :]
        growth = _max_growth(coupling, mu, k)
        j = np.argmax(growth, axis=1)
        better = growth[rows, j] > best_g
        best_k = np.where(better, k[rows, j], best_k)
        best_g = np.where(better, growth[rows, j], best_g)
        half_width = half_width * 2.0 / (config.refine_points + 1)
    return np.maximum(best_g, 0.0), best_k


def growth_rate_beams(
    mu: ArrayLike, weighted_eln: ArrayLike, config: StabilityConfig | None = None
) -> GrowthRates:
    """Growth rates of a discrete-beam model: any beam directions and ELN per beam.

    Args:
        mu: beam directions mu_j, shape (N,), in [-1, 1].
        weighted_eln: ELN carried by each beam, w_j G(mu_j), shape (n_cells, N), in units of n_nue
            (for two beams simply the two beam densities, antineutrino-like beams negative).
        config: wavenumber search and branches (its ``n_beams`` is unused here).

    Returns:
        :class:`GrowthRates` in units of sqrt(2) G_F n_nue.
    """
    cfg = config or StabilityConfig()
    mu_arr = np.asarray(mu, dtype=np.float64).reshape(-1)
    g = np.atleast_2d(np.asarray(weighted_eln, dtype=np.float64))
    if g.ndim != 2 or g.shape[1] != mu_arr.size:
        raise ValueError(
            f"weighted_eln has shape {g.shape}; expected (n_cells, {mu_arr.size}) to match mu"
        )
    if np.any(np.abs(mu_arr) > 1.0) or not np.isfinite(mu_arr).all():
        raise ValueError("mu: beam directions must be finite and in [-1, 1]")
    if not np.isfinite(g).all():
        i = int(np.flatnonzero(~np.isfinite(g).all(axis=1))[0])
        raise ValueError(f"weighted_eln: non-finite value in cell {i}")
    n = g.shape[0]
    scale = np.abs(g).sum(axis=1)
    lam1 = g @ mu_arr
    active = (g.max(axis=1) > 0) & (g.min(axis=1) < 0) if cfg.skip_single_signed else scale > 0
    result: dict[int, tuple[FloatArray, FloatArray]] = {}
    for m in BRANCHES:
        rate = np.full(n, np.nan)
        k_best = np.full(n, np.nan)
        if m in cfg.branches:
            rate[:] = 0.0
            if active.any():
                r, kb = _branch_growth(mu_arr, g[active], scale[active], m, cfg)
                rate[active] = r
                k_best[active] = np.where(r > 0, kb + lam1[active], np.nan)
        result[m] = (rate, k_best)
    total = np.fmax(result[0][0], result[1][0])
    return GrowthRates(total, result[0][0], result[1][0], result[0][1], result[1][1])


def _cell_edges(weights: FloatArray) -> FloatArray:
    """Edges of the beam cells, -1 = e_0 < ... < e_N = 1, with e_j - e_{j-1} = w_j, shape (N + 1,)."""
    edges = np.concatenate([[-1.0], -1.0 + np.cumsum(weights)])
    edges[-1] = 1.0
    return edges


def _cell_integrals(eln: FloatArray, mu_grid: FloatArray, edges: FloatArray) -> FloatArray:
    """Integral of the piecewise-linear G over every beam cell, (n_cells, n_mu) -> (n_cells, N).

    Conservative: the cells sum to the trapezoid integral of G, so a narrow peak between nodes
    keeps its full weight (point values at the nodes could miss it).
    """
    steps = 0.5 * (eln[:, 1:] + eln[:, :-1]) * np.diff(mu_grid)
    cumulative = np.concatenate([np.zeros((eln.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1)
    e = np.clip(edges, mu_grid[0], mu_grid[-1])
    j = np.clip(np.searchsorted(mu_grid, e, side="right") - 1, 0, mu_grid.size - 2)
    t = e - mu_grid[j]
    slope = (eln[:, j + 1] - eln[:, j]) / (mu_grid[j + 1] - mu_grid[j])
    # Exact integral of the linear piece from mu_grid[j] to the edge.
    at_edges = cumulative[:, j] + eln[:, j] * t + 0.5 * slope * t * t
    return np.diff(at_edges, axis=1)


def growth_rate(
    eln: ArrayLike, mu: ArrayLike | None = None, config: StabilityConfig | None = None
) -> GrowthRates:
    """Growth rates of tabulated ELN angular distributions.

    Args:
        eln: G(mu) per cell in units of n_nue per unit mu, shape (n_cells, n_mu).
        mu: sorted grid in [-1, 1], shape (n_mu,). ``None`` means ``eln`` holds point values on the
            ``config.n_beams`` Gauss-Legendre nodes (beam ELN w_j G(mu_j)); otherwise every beam
            carries the integral of the piecewise-linear G over its cell (conservative).
        config: discretization.

    Returns:
        :class:`GrowthRates` in units of sqrt(2) G_F n_nue.
    """
    cfg = config or StabilityConfig()
    nodes, weights = beams(cfg.n_beams)
    g = np.atleast_2d(np.asarray(eln, dtype=np.float64))
    if mu is None:
        if g.shape[1] != cfg.n_beams:
            raise ValueError(
                f"eln has {g.shape[1]} angles; without mu it must hold the {cfg.n_beams} Gauss-Legendre nodes"
            )
        return growth_rate_beams(nodes, g * weights, cfg)
    grid = np.asarray(mu, dtype=np.float64).reshape(-1)
    if g.shape[1] != grid.size:
        raise ValueError(f"eln has shape {g.shape}; expected (n_cells, {grid.size}) to match mu")
    if grid.size < 2 or np.any(np.diff(grid) <= 0) or grid[0] < -1 - 1e-12 or grid[-1] > 1 + 1e-12:
        raise ValueError("mu must be strictly increasing within [-1, 1]")
    return growth_rate_beams(nodes, _cell_integrals(g, grid, _cell_edges(weights)), cfg)


def _shape_cdf(family: str, theta: FloatArray, x: FloatArray) -> FloatArray | None:
    """Normalized cumulative shape int_{-1}^{x} g dmu of a built-in family, (n,), (m,) -> (n, m).

    maxent: (e^{a(x-1)} - e^{-2a}) / (1 - e^{-2a}); gaussian (b = 1/a, t = 1 - x):
    (erfc(sqrt(b) t) - erfc(2 sqrt(b))) / erf(2 sqrt(b)). ``None`` for other families.
    """
    th = theta[:, None]
    xx = x[None, :]
    isotropic = 0.5 * (xx + 1.0)
    safe = np.where(th > 1e-12, th, 1.0)
    if family == "maxent":
        # Large a: direct form (no overflow); small a: expm1 form (no cancellation).
        direct = (np.exp(safe * (xx - 1.0)) - np.exp(-2.0 * safe)) / -np.expm1(-2.0 * safe)
        series = (
            np.exp(-2.0 * safe)
            * np.expm1(np.minimum(safe, 1.0) * (xx + 1.0))
            / -np.expm1(-2.0 * safe)
        )
        cdf = np.where(th < 1.0, series, direct)
    elif family == "gaussian":
        root = np.sqrt(safe)
        cdf = (erfc(root * (1.0 - xx)) - erfc(2.0 * root)) / erf(2.0 * root)
    else:
        return None
    return np.where(th > 1e-12, cdf, isotropic)


#: Largest relative error of the beam quadrature of a species' n and F for which point values are kept.
_RESOLVED_RTOL = 1e-6


def beam_eln(features: pd.DataFrame, family: str = "maxent", n_beams: int = 24) -> FloatArray:
    """ELN carried by each Gauss-Legendre beam, from moment features (units of n_nue).

    Point values w_j G(mu_j) converge spectrally for smooth distributions, but a species peaked
    more sharply than the beam spacing (F -> 1) falls between the nodes and would vanish. So a
    cell keeps point values only when the beams reproduce every species' n and F to 1e-6; otherwise
    each beam carries the exact integral of G over its cell (edges at the cumulative weights), which
    conserves every species' number (second-order accurate). Families other than maxent and
    gaussian always use point values.

    Args:
        features: columns :data:`~nulearn.flavor.physics.species.ELN_FEATURES` or ``XLN_FEATURES``
            (density ratios to n_nue and flux factors), shape (n_cells, ...).
        family: angular family that closes the moments.
        n_beams: number of beams.

    Returns:
        Beam ELN, shape (n_cells, n_beams); sums to int G dmu.
    """
    return _beam_eln(features, family, n_beams)[0]


def _beam_eln(
    features: pd.DataFrame, family: str, n_beams: int
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """:func:`beam_eln` and whether point values resolve every species, (n, N) and (n,)."""
    species = species_for_features(features.columns)
    fam = get_family(family)
    nodes, weights = beams(n_beams)
    edges = _cell_edges(weights)
    n = len(features)
    point = np.zeros((n, n_beams))
    cells = np.zeros((n, n_beams))
    resolved = np.ones(n, dtype=bool)
    for s in species:
        density = np.ones(n) if s == "nue" else features[density_column(s)].to_numpy(np.float64)
        flux = features[flux_column(s)].to_numpy(np.float64)
        shape = fam.distribution(np.ones(n), flux, nodes, species=s) * weights
        resolved &= (np.abs(shape.sum(axis=1) - 1.0) < _RESOLVED_RTOL) & (
            np.abs(shape @ nodes - flux) < _RESOLVED_RTOL * np.maximum(flux, 1e-3)
        )
        point += ELN_SIGN[s] * density[:, None] * shape
        cdf = _shape_cdf(fam.name, fam.shape_parameter(flux), edges)
        if cdf is None:
            resolved[:] = True
        else:
            cells += ELN_SIGN[s] * density[:, None] * np.diff(cdf, axis=1)
    return np.where(resolved[:, None], point, cells), resolved


def growth_rate_from_moments(
    features: pd.DataFrame, family: str = "maxent", config: StabilityConfig | None = None
) -> pd.DataFrame:
    """Growth rates of cells given by moments, closed with an angular family.

    Every cell is solved on ``n_beams`` Gauss-Legendre beams; with ``config.adaptive`` (default)
    the marginal crossing cells (module docstring) are re-solved on crossing-adapted beams with
    resonance windows in k until converged, so that every crossing deeper than ~1e-7 gets a
    positive growth rate and near-beams (F -> 1) are resolved.

    Args:
        features: ELN (``alpha, F_nue, F_nuebar``) or ELN-XLN feature columns, shape (n_cells, ...).
        family: ``"maxent"`` or ``"gaussian"``.
        config: discretization.

    Returns:
        The columns of :meth:`GrowthRates.to_frame` (units of sqrt(2) G_F n_nue), including
        ``growth_converged`` (False: refinement did not converge, the rate is a lower bound),
        same index.
    """
    cfg = config or StabilityConfig()
    nodes, _ = beams(cfg.n_beams)
    g, resolved = _beam_eln(features, family, cfg.n_beams)
    rates = growth_rate_beams(nodes, g, cfg)
    converged = np.ones(len(features), dtype=bool)
    if cfg.adaptive and family in ("maxent", "gaussian") and len(features):
        _refine_marginal(features, family, cfg, g @ nodes, resolved, g, rates, converged)
    return replace(rates, growth_converged=converged).to_frame(features.index)


def _refine_marginal(
    features: pd.DataFrame,
    family: str,
    cfg: StabilityConfig,
    lam1: FloatArray,
    resolved: NDArray[np.bool_],
    g: FloatArray,
    rates: GrowthRates,
    converged: NDArray[np.bool_],
) -> None:
    """Re-solve the marginal crossing cells, updating ``rates`` and ``converged`` in place."""
    species, density, flux = moment_arrays(features)
    signs = np.array([ELN_SIGN[s] for s in species])
    exact = exact_crossings(density, flux, signs, family)
    nodes, _ = beams(cfg.n_beams)
    stable = rates.growth_rate <= 0
    marginal, weak, peak = marginal_cells(
        exact, nodes, g, family, flux, stable, ~resolved, cfg.marginal_depth
    )
    fam = get_family(family)
    rows = np.flatnonzero(marginal)
    theta = fam.shape_parameter(flux[rows].ravel()).reshape(flux[rows].shape)
    # Each marginal cell has its own beam layout; its ~1e2 eigen-solves dwarf the loop overhead.
    for j, i in enumerate(rows.tolist()):

        def eln(mu: FloatArray, i: int = i, j: int = j) -> FloatArray:
            return (signs * density[i]) @ np.exp(fam.log_shape(theta[j], mu))

        # The default solution (best k in the shifted frame) seeds the search and the test.
        seeds = {0: rates.k_m0[i] - lam1[i], 1: rates.k_m1[i] - lam1[i]}
        layout = (exact.zeros[i], float(peak[i]), bool(weak[i]))
        out = _adaptive_cell(eln, layout, seeds, float(rates.growth_rate[i]), cfg)
        rates.growth_rate_m0[i], rates.growth_rate_m1[i], rates.k_m0[i], rates.k_m1[i] = out[:4]
        rates.growth_rate[i] = np.fmax(out[0], out[1])
        converged[i] = out[4]


def _adaptive_cell(
    eln: Callable[[FloatArray], FloatArray],
    layout: tuple[FloatArray, float, bool],
    seeds: dict[int, float],
    default_rate: float,
    cfg: StabilityConfig,
) -> tuple[float, float, float, float, bool]:
    """(growth m0, growth m1, K m0, K m1, converged) of one cell on refined beams.

    ``layout`` = (zeros of G, width of the sharpest peak, weak). Level 0 searches around the
    default solution's best k (``seeds``, shifted, per branch; a coarse global grid where it is
    NaN) and, for a weak cell, the resonance windows; later levels search around the previous
    best k, and everywhere again only if that finds nothing. The fastest mode's eigenvector
    peaks at the beams with mu near u = Re omega / k within ~Im omega / |k|: every level grades
    the next one's panels towards that resonance and adds nodes, until the growth rate changes
    by less than ``adaptive_rtol`` (level 0 against ``default_rate``: two unrelated
    discretizations that agree are converged).
    """
    zeros, peak_width, weak = layout
    previous, best = default_rate, dict(seeds)
    rate = {m: np.nan for m in BRANCHES}
    k_best = {m: np.nan for m in BRANCHES}
    resonances: list[tuple[float, float]] = []
    done = False
    for level in range(cfg.adaptive_levels):
        mu, w = adaptive_beams(zeros, peak_width, 4 + 2 * level, resonances)
        g = (w * eln(mu))[None, :]
        scale, lam1 = float(np.abs(g).sum()), float(g[0] @ mu)
        spacing = 2.0 * cfg.k_span * scale / (cfg.n_k - 1)
        resonances = []
        for m in cfg.branches:
            coupling = _coupling(mu, g, m)
            local = np.array([[best[m] - 3 * spacing, best[m] + 3 * spacing]])
            r, kb = 0.0, np.nan
            if level > 0 and np.isfinite(best[m]):
                r, kb = _windowed_growth(coupling, mu, local, cfg)
            if not r > 0:
                windows = [resonance_windows(mu, g[0], zeros, m) if weak else np.empty((0, 2))]
                everywhere = cfg.k_span * scale * np.array([[-1.0, 1.0]])
                windows.append(local if np.isfinite(best[m]) else everywhere)
                r, kb = _windowed_growth(coupling, mu, np.concatenate(windows), cfg)
            # Below ~1e-14 of the ELN scale an imaginary part is eigen-solver rounding.
            r = r if r > _NOISE * scale else 0.0
            rate[m], best[m] = r, (kb if r > 0 else np.nan)
            k_best[m] = best[m] + lam1
            if r > 0 and kb != 0:
                a = coupling[0] + np.diag(kb * mu)
                top = max(np.linalg.eigvals(a), key=lambda z: z.imag)
                resonances.append((float(top.real / kb), float(abs(top.imag / kb))))
        total = float(np.fmax(rate[0], rate[1]))
        done = previous > 0 and abs(total - previous) <= cfg.adaptive_rtol * total
        if done:
            break
        previous = total
    return rate[0], rate[1], k_best[0], k_best[1], bool(done)


#: Relative floor below which an adaptive growth rate is rounding noise of the eigen-solver.
_NOISE = 1e-14
#: Points per k window of the adaptive search.
_WINDOW_POINTS = 17


def _windowed_growth(
    coupling: FloatArray, mu: FloatArray, windows: FloatArray, cfg: StabilityConfig
) -> tuple[float, float]:
    """max Im omega of one cell over k windows (n_windows, 2), refined around the best k; (rate, k).

    Every window gets its own ``_WINDOW_POINTS`` points (a narrow resonance window keeps its
    resolution beside the coarse global one).
    """
    unit = np.linspace(0.0, 1.0, _WINDOW_POINTS)
    k = (windows[:, :1] + (windows[:, 1:] - windows[:, :1]) * unit).ravel()
    growth = _max_growth(coupling, mu, k[None, :])[0]
    j = int(np.argmax(growth))
    best_k, best_g = float(k[j]), float(growth[j])
    half_width = float(np.diff(windows[j // _WINDOW_POINTS])[0]) / (_WINDOW_POINTS - 1)
    offsets = np.linspace(-1.0, 1.0, cfg.refine_points + 2)[1:-1]
    for _ in range(cfg.n_refine + 2):
        kk = best_k + half_width * offsets
        grow = _max_growth(coupling, mu, kk[None, :])[0]
        j = int(np.argmax(grow))
        if grow[j] > best_g:
            best_k, best_g = float(kk[j]), float(grow[j])
        half_width *= 2.0 / (cfg.refine_points + 1)
    return max(best_g, 0.0), best_k


def growth_table(
    frame: pd.DataFrame,
    family: str = "maxent",
    config: StabilityConfig | None = None,
    n_nue_cm3: float | None = None,
) -> pd.DataFrame:
    """``frame`` with the growth-rate columns appended: the library side of ``nulearn flavor growth``.

    Args:
        frame: feature columns (ELN or ELN-XLN) or raw moments ``n_<s>, F_<s>`` (converted with
            :func:`~nulearn.flavor.physics.species.features_from_moments`), shape (n_cells, ...).
        family: angular family closing the moments.
        config: discretization.
        n_nue_cm3: physical nu_e density in cm^-3 for ``growth_rate_per_s``; when ``None`` a column
            ``n_nue_cm3`` is used if present, else no per-second column is written.

    Returns:
        ``frame`` plus the :class:`GrowthRates` columns (units of sqrt(2) G_F n_nue) and, when a
        density is known, ``growth_rate_per_s`` (1/s).
    """
    features = frame
    if "alpha" not in frame.columns and "n_nue" in frame.columns:
        features = features_from_moments(frame)
    rates = growth_rate_from_moments(features, family, config)
    # Re-running on an output table replaces its growth columns rather than duplicating them.
    out = frame.drop(columns=[c for c in rates.columns if c in frame.columns]).join(rates)
    density: ArrayLike | None = n_nue_cm3
    if density is None and "n_nue_cm3" in frame.columns:
        density = frame["n_nue_cm3"].to_numpy(np.float64)
    if density is not None:
        out["growth_rate_per_s"] = growth_rate_per_second(rates["growth_rate"].to_numpy(), density)
    return out


def growth_rate_per_second(growth: ArrayLike, n_nue_cm3: ArrayLike) -> FloatArray:
    """Convert growth rates from units of sqrt(2) G_F n_nue to 1/s.

    Args:
        growth: rates, shape (n_cells,), units of sqrt(2) G_F n_nue.
        n_nue_cm3: electron-neutrino number density per cell in cm^-3, > 0, shape (n_cells,) or scalar.

    Returns:
        Rates in s^-1, shape (n_cells,).
    """
    n = np.asarray(n_nue_cm3, dtype=np.float64)
    bad = ~np.isfinite(n) | (n <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(
            f"n_nue_cm3: density must be finite and > 0 cm^-3; index {i} has {n.ravel()[i]!r}"
        )
    return np.asarray(growth, dtype=np.float64) * SQRT2_GF_CM3_PER_S * n
