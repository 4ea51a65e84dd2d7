r"""Analytic asymptotic states of fast flavor conversion: survival probabilities and moments.

Every prescription maps the lepton-number distribution :math:`G(\mu)` (ELN or ELN-XLN) to an
asymptotic survival probability :math:`P_{ee}(\mu)`, shared by neutrinos and antineutrinos (fast
limit); :func:`~nulearn.flavor.physics.fast_flavor_beams.mixed_moments` turns it into the moments of
every species. On beams :math:`g_j = w_j G(\mu_j)` let

.. math:: I_+ = \sum_j \max(g_j, 0), \qquad I_- = \sum_j \max(-g_j, 0),
          \qquad I_< = \min(I_+, I_-), \quad I_> = \max(I_+, I_-),

the "minority" side of the crossing being the sign whose integral is :math:`I_<`. The mean-field
equations conserve the box lepton number :math:`\int G P_z\,d\mu` with :math:`P_z = 2P_{ee} - 1`
(:mod:`~nulearn.flavor.physics.fast_flavor`), which every prescription except ``equipartition``
respects:

``no_mixing``
    :math:`P_{ee} = 1`.
``equipartition``
    :math:`P_{ee} = 1/2` everywhere (two-flavor equipartition; does not conserve lepton number).
``box`` (Zaizen & Nagakura 2023, PRD 107, 103022)
    The minority side equilibrates, :math:`P_{ee} = 1/2` (:math:`P_z = 0`); on the majority side a
    constant :math:`P_z = c` fixed by conservation, :math:`c I_> = I_> - I_<`, i.e.
    :math:`P_{ee} = 1 - I_</(2 I_>)`. The box-averaged G after conversion has no crossing. Without a
    crossing (:math:`I_< = 0`) this is ``no_mixing``.
``box_power`` and ``box_smooth``
    Continuous variants that remove the jump of the box at the crossing angles (the published
    smoothed forms of Zaizen & Nagakura 2023 and Xiong et al. 2023, PRD 108, 063003 were not
    available to us; these are our own, derived the same way). On the majority side
    :math:`P_z = c\,h(d)`, with :math:`d(\mu)` the distance in :math:`\mu` to the nearest crossing
    (linear interpolation of :math:`G_j = g_j / w_j` between beams), so :math:`P_{ee} = 1/2` at every
    crossing; the minority side keeps :math:`P_z = 0`; conservation
    :math:`c\sum_{\rm maj}|g_j| h(d_j) = I_> - I_<` fixes the free parameter:

    * ``box_power``: :math:`h = (d/d_{\max})^q`, :math:`c = 1` (no mixing at the majority direction
      farthest from a crossing), the exponent :math:`q \ge 0` solved by bisection
      (:math:`q \to 0` as :math:`I_</I_> \to 0`, :math:`q \to \infty` as :math:`I_</I_> \to 1`);
      when that direction alone carries more than :math:`I_> - I_<`, :math:`q \to \infty` and
      :math:`c < 1` from conservation;
    * ``box_smooth``: :math:`h = s(d/w)` with the smoothstep :math:`s(x) = 3x^2 - 2x^3` on [0, 1]
      and a transition width :math:`w` (default 0.2 in :math:`\mu`); :math:`c \le 1` from
      conservation, and where :math:`c` would exceed 1 the width shrinks until :math:`c = 1`.

``box3d`` is the three-flavor form for 3D moments, :func:`box3d_moments` (Richers et al. 2024,
arXiv:2409.04405).

>>> import numpy as np
>>> mu = np.array([-0.5, 0.5]); w = np.array([1.0, 1.0])
>>> survival_probability([[0.4, -0.1]], mu, w, "box").round(4).tolist()   # 1 - 0.1 / 0.8
[[0.875, 0.5]]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.flavor.physics.families import get_family
from nulearn.flavor.physics.fast_flavor_beams import beams_from_moments, mixed_moments
from nulearn.flavor.physics.moments3d import (
    fibonacci_sphere,
    flux_vector_columns,
    maxent3d_log_distribution,
)
from nulearn.flavor.physics.species import SPECIES
from nulearn.flavor.physics.validity import validate_moments

__all__ = [
    "BOX3D_DIRECTIONS",
    "PRESCRIPTIONS",
    "box3d_moments",
    "prescribed_moments",
    "survival_probability",
]

FloatArray = NDArray[np.float64]

#: Prescriptions of :func:`survival_probability`, in order of increasing sophistication.
PRESCRIPTIONS: tuple[str, ...] = ("no_mixing", "equipartition", "box", "box_power", "box_smooth")
#: Fibonacci directions of the Box3D quadrature.
BOX3D_DIRECTIONS = 2000
_BISECTIONS = 80
_CHUNK = 2048


def _sides(g: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """(I_<, I_>, minority mask, crossing) per cell; ties count the negative side as minority."""
    pos = np.clip(g, 0.0, None).sum(axis=1)
    neg = np.clip(-g, 0.0, None).sum(axis=1)
    minority_negative = neg <= pos
    minority = np.where(minority_negative[:, None], g < 0, g > 0)
    crossing = (pos > 0) & (neg > 0)
    return np.minimum(pos, neg), np.maximum(pos, neg), minority, crossing


def _crossing_distance(point_eln: FloatArray, mu: FloatArray) -> FloatArray:
    """Distance in mu from every beam to the nearest zero of G (NaN-free; inf without one)."""
    out = np.empty_like(point_eln)
    for lo in range(0, point_eln.shape[0], _CHUNK):
        gp = point_eln[lo : lo + _CHUNK]
        a, b = gp[:, :-1], gp[:, 1:]
        change = (a > 0) & (b < 0) | (a < 0) & (b > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            where = mu[:-1] + (mu[1:] - mu[:-1]) * a / (a - b)
        angles = np.where(change, where, np.inf)
        out[lo : lo + _CHUNK] = np.abs(mu[None, :, None] - angles[:, None, :]).min(axis=2)
    return out


def _solve_decreasing(func, lo: FloatArray, hi: FloatArray) -> FloatArray:  # type: ignore[no-untyped-def]
    """Vectorized bisection for the root of a decreasing ``func(x) -> (n,)`` in [lo, hi]."""
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = func(mid) > 0
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def _smooth_majority(
    g: FloatArray, mu: FloatArray, weights: FloatArray, prescription: str, width: float
) -> FloatArray:
    """P_z on the majority side for the continuous variants (0 on the minority side)."""
    small, large, minority, crossing = _sides(g)
    target = np.where(crossing, large - small, 0.0)
    majority = ~minority & (g != 0)
    absg = np.where(majority, np.abs(g), 0.0)
    d = _crossing_distance(g / weights, mu)
    d = np.where(np.isfinite(d) & majority, d, 0.0)
    if prescription == "box_power":
        d_max = np.maximum(d.max(axis=1), 1e-300)[:, None]
        x = d / d_max

        def excess(q: FloatArray) -> FloatArray:
            return (absg * x ** np.exp(q)[:, None]).sum(axis=1) - target

        log_q = _solve_decreasing(excess, np.full(len(g), -30.0), np.full(len(g), 30.0))
        h = x ** np.exp(log_q)[:, None]
        # c = 1 at the root; below 1 only where even q -> infinity (mixing everywhere but at
        # the farthest direction) leaves too much lepton number, i.e. I_< close to I_>
        norm = (absg * h).sum(axis=1)
        c = np.where(norm > 0, target / np.where(norm > 0, norm, 1.0), 0.0)
        pz = np.clip(c, 0.0, 1.0)[:, None] * h
    else:

        def ramp(w: FloatArray) -> FloatArray:
            x = np.clip(d / w[:, None], 0.0, 1.0)
            return x * x * (3.0 - 2.0 * x)

        def excess_width(w: FloatArray) -> FloatArray:
            # decreasing in the width: a wider ramp lowers the majority P_z
            return (absg * ramp(w)).sum(axis=1) - target

        nominal = np.full(len(g), width)
        fits = excess_width(nominal) >= 0
        shrunk = _solve_decreasing(excess_width, np.full(len(g), 0.0), nominal)
        w_used = np.where(fits, nominal, np.maximum(shrunk, 1e-300))
        h = ramp(w_used)
        norm = (absg * h).sum(axis=1)
        c = np.where(norm > 0, target / np.where(norm > 0, norm, 1.0), 0.0)
        pz = np.clip(c, 0.0, 1.0)[:, None] * h
    return np.where(majority, pz, 0.0)


def survival_probability(
    eln: ArrayLike,
    mu: ArrayLike,
    weights: ArrayLike,
    prescription: str,
    transition_width: float = 0.2,
) -> FloatArray:
    """Asymptotic P_ee per beam under an analytic prescription (see the module docstring).

    Args:
        eln: lepton number per beam g_j = w_j G(mu_j), shape (n_cells, n_mu) (any density unit).
        mu: beam directions, sorted, shape (n_mu,).
        weights: quadrature weights w_j, shape (n_mu,), > 0 (to recover G_j = g_j / w_j).
        prescription: one of :data:`PRESCRIPTIONS`.
        transition_width: width in mu of the ``box_smooth`` ramp.

    Returns:
        P_ee, shape (n_cells, n_mu), in [0, 1]; cells without a crossing get 1 (except under
        ``equipartition``).
    """
    g = np.atleast_2d(np.asarray(eln, dtype=np.float64))
    m = np.asarray(mu, dtype=np.float64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if prescription not in PRESCRIPTIONS:
        raise ValueError(
            f"unknown prescription {prescription!r}; allowed: {', '.join(PRESCRIPTIONS)}"
        )
    if g.shape[1] != m.size or w.size != m.size:
        raise ValueError(
            f"eln has shape {g.shape}; expected (n_cells, {m.size}) matching mu and weights"
        )
    if not np.isfinite(g).all():
        row = int(np.flatnonzero(~np.isfinite(g).all(axis=1))[0])
        raise ValueError(f"eln: non-finite value in row {row}")
    if (w <= 0).any() or np.any(np.diff(m) <= 0):
        raise ValueError("weights must be > 0 and mu strictly increasing")
    if not (math.isfinite(transition_width) and transition_width > 0):
        raise ValueError(f"transition_width = {transition_width!r}; must be finite and > 0")
    if prescription == "no_mixing":
        return np.ones_like(g)
    if prescription == "equipartition":
        return np.full_like(g, 0.5)
    small, large, minority, crossing = _sides(g)
    if prescription == "box":
        majority_pz = np.where(crossing, 1.0 - small / np.where(large > 0, large, 1.0), 1.0)
        pz = np.where(minority, 0.0, majority_pz[:, None])
    else:
        pz = _smooth_majority(g, m, w, prescription, transition_width)
    pz = np.where(crossing[:, None], pz, 1.0)
    return np.clip(0.5 * (1.0 + pz), 0.0, 1.0)


def prescribed_moments(
    features: pd.DataFrame,
    family: str,
    prescription: str,
    n_mu: int = 64,
    transition_width: float = 0.2,
) -> pd.DataFrame:
    """Asymptotic moments from moments alone: close with a family, apply a prescription, integrate.

    Args:
        features: ELN or ELN-XLN feature columns (densities relative to n_nue), shape (n_cells, ...).
        family: angular family reconstructing each species (``"maxent"``, ``"gaussian"``).
        prescription: one of :data:`PRESCRIPTIONS`.
        n_mu: Gauss-Legendre beams of the reconstruction.
        transition_width: ``box_smooth`` ramp width.

    Returns:
        :func:`~nulearn.flavor.physics.fast_flavor_beams.mixed_moments` columns (densities in
        n_nue), same index as ``features``.

    >>> import pandas as pd
    >>> cells = pd.DataFrame({"alpha": [0.9, 0.5], "F_nue": [0.1, 0.2], "F_nuebar": [0.4, 0.2]})
    >>> out = prescribed_moments(cells, "maxent", "box")
    >>> out["eln_xln_number"].round(12).tolist()   # conserved: 1 - alpha
    [0.1, 0.5]
    """
    beams = beams_from_moments(features, family, n_mu)
    survival = survival_probability(
        beams.eln, beams.mu, beams.weights, prescription, transition_width
    )
    return mixed_moments(beams, survival).set_index(features.index)


def _box3d_survival(g: FloatArray) -> FloatArray:
    """Three-flavor box: 1/3 on the minority side, 1 - 2 I_< / (3 I_>) on the other (equal weights)."""
    small, large, minority, crossing = _sides(g)
    p_large = 1.0 - 2.0 * small / (3.0 * np.where(large > 0, large, 1.0))
    p = np.where(minority, 1.0 / 3.0, p_large[:, None])
    return np.where(crossing[:, None], p, 1.0)


def box3d_moments(frame: pd.DataFrame, n_directions: int = BOX3D_DIRECTIONS) -> pd.DataFrame:
    r"""The three-flavor Box3D asymptotic state of 3D moments (Richers et al. 2024, arXiv:2409.04405).

    Each species is closed with the 3D maximum-entropy distribution of
    :mod:`~nulearn.flavor.physics.moments3d` and
    :math:`G(\Omega) = (f_{\nu_e} - f_{\bar\nu_e}) - (f_{\nu_x} - f_{\bar\nu_x})` is integrated on
    ``n_directions`` Fibonacci directions. Three flavors with :math:`\nu_\mu = \nu_\tau = \nu_x`
    (``n_nux`` is the density of *one* heavy flavor) and one survival probability P for both
    helicities give :math:`f'_e = P f_e + (1 - P) f_x`, :math:`f'_x = \tfrac12(1 - P) f_e +
    \tfrac12(1 + P) f_x` (the same for antineutrinos), so :math:`G' = \tfrac12(3P - 1)G`. Flavor
    equipartition :math:`P = 1/3` on the minority side and conservation of :math:`\int G\,d\Omega`
    on the other side give :math:`P = 1 - 2I_</(3I_>)` there. The moments after conversion are the
    exact input moments plus the quadrature of the change :math:`f'_s - f_s`, so cells without a
    crossing come back unchanged to the last bit.

    Args:
        frame: columns ``n_<s>``, ``flux_x_<s>``, ``flux_y_<s>``, ``flux_z_<s>`` for the four
            species (fluxes in units of n c), shape (n_cells, ...).
        n_directions: Fibonacci directions of the quadrature.

    Returns:
        The same columns after conversion (same index), plus ``eln_xln_number`` (after; equal to
        the input's, which the prescription conserves).

    Raises:
        ValueError: a missing column, n <= 0, |F| >= 1 or a non-finite value (naming species and row).
    """
    cols = {s: (f"n_{s}", *flux_vector_columns(s)) for s in SPECIES}
    missing = [c for s in SPECIES for c in cols[s] if c not in frame.columns]
    if missing:
        raise ValueError(f"3D moment table lacks columns {missing} (Box3D needs all four species)")
    dens = {s: frame[f"n_{s}"].to_numpy(np.float64) for s in SPECIES}
    flux = {s: frame[list(flux_vector_columns(s))].to_numpy(np.float64) for s in SPECIES}
    for s in SPECIES:
        with np.errstate(divide="ignore", invalid="ignore"):
            validate_moments(dens[s], np.linalg.norm(flux[s], axis=1) / dens[s], species=s)
    dirs = fibonacci_sphere(n_directions)
    solid = 4.0 * math.pi / n_directions
    out = {c: frame[c].to_numpy(np.float64).copy() for s in SPECIES for c in cols[s]}
    get_family("maxent")  # the closure's inversion table is built once, before the chunks
    for lo in range(0, len(frame), _CHUNK):
        sl = slice(lo, min(len(frame), lo + _CHUNK))
        f = {
            s: np.exp(
                maxent3d_log_distribution(dens[s][sl], flux[s][sl] / dens[s][sl, None], dirs, s)
            )
            for s in SPECIES
        }
        g = (f["nue"] - f["nuebar"]) - (f["nux"] - f["nuxbar"])
        p = _box3d_survival(g * solid)
        change = {
            "nue": (1.0 - p) * (f["nux"] - f["nue"]),
            "nuebar": (1.0 - p) * (f["nuxbar"] - f["nuebar"]),
            "nux": 0.5 * (1.0 - p) * (f["nue"] - f["nux"]),
            "nuxbar": 0.5 * (1.0 - p) * (f["nuebar"] - f["nuxbar"]),
        }
        for s in SPECIES:
            out[f"n_{s}"][sl] += solid * change[s].sum(axis=1)
            moved = solid * change[s] @ dirs
            for axis, col in enumerate(flux_vector_columns(s)):
                out[col][sl] += moved[:, axis]
    result = pd.DataFrame(out, index=frame.index)
    result["eln_xln_number"] = (result["n_nue"] - result["n_nuebar"]) - (
        result["n_nux"] - result["n_nuxbar"]
    )
    return result
