r"""The lepton-number moment features of the boosted trees as a plan stage, and the maximum-entropy inversion.

:class:`MomentFeatures` is :class:`nulearn.flavor.models.classical.ELNMomentFeatures` written as
arithmetic every deployment target can run: for canonical features ``x`` (3 ELN or 7 ELN-XLN
columns) it appends ``g0``, ``g1``, ``g1 / (|g0| + 0.01)``, ``log(max(alpha, 1e-300))`` and,
with a closure, the lepton-number distribution at fixed angles,

.. math:: \frac{G(\mu_k)}{\sum_s f_s(\mu_k)}, \qquad f_s(\mu) = n_s \exp\big(-\ln Z(a_s) + a_s (\mu - 1)\big),

with the maximum-entropy shape (arXiv:2303.05560 Eq. 3) of each species, flux factors capped at
0.999 as the model's transform caps them, and :math:`\ln Z(a) - a = \ln(-\mathrm{expm1}(-2a)/a)`
(:math:`\ln 2` at :math:`a = 0`).

The shape parameter solves :math:`L(a) = \coth a - 1/a = F` (the Langevin function).
:func:`maxent_shape_parameter` is the algorithm the generated code runs, written once here so
that NumPy, C, Fortran and ONNX do the same operations:

1. start from Jedynak's rational approximation of the inverse Langevin function,
   :math:`a_0 = F (3 - 2.6F + 0.7F^2) / ((1 - F)(1 + 0.1F))` (R. Jedynak, Rheol. Acta 54, 29
   (2015); relative error below 1.6 %);
2. take :data:`NEWTON_STEPS` Newton steps :math:`a \leftarrow a - (L(a) - F) / L'(a)`. :math:`L` is
   increasing and concave on :math:`a > 0`, so after the first step the iterates approach the root
   from below and converge quadratically (1.5e-2, 2e-4, 5e-8, 3e-15 relative);
3. for :math:`a < 1`, :math:`L` and :math:`L'` come from the odd power series
   :math:`L(a) = \sum_k 2^{2k} B_{2k} a^{2k-1} / (2k)!` (:data:`LANGEVIN_SERIES`, 18 terms: the
   series converges for :math:`|a| < \pi`, the remainder at :math:`a = 1` is below 1e-17); for
   :math:`a \ge 1`, with :math:`E = e^{-2a}`, :math:`\coth a = (1 + E)/(1 - E)` and
   :math:`L'(a) = 1/a^2 - 4E/(1 - E)^2` (no overflow at any :math:`a`).

The result agrees with :meth:`nulearn.flavor.physics.families.MaxEntropy.shape_parameter` to
1e-12 relative on [0, 0.999] (both are limited by the conditioning :math:`\delta a / a \approx a\,
\delta F` near :math:`F = 1`).

>>> a = maxent_shape_parameter(np.array([0.0, 0.5, 0.999]))
>>> value, _ = langevin_and_slope(a)
>>> np.round(value, 14).tolist(), round(float(a[1]), 6)
([0.0, 0.5, 0.999], 1.796756)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from math import comb, factorial
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CLOSURE_FLUX_CAP",
    "JEDYNAK",
    "LANGEVIN_SERIES",
    "NEWTON_STEPS",
    "SERIES_LIMIT",
    "MomentFeatures",
    "langevin_and_slope",
    "langevin_series_source",
    "log_normalization",
    "maxent_shape_parameter",
    "moment_features",
    "moment_features_stage",
]

#: Newton steps after the rational start (3 reach machine precision; one more for margin)
NEWTON_STEPS = 4
#: below this shape parameter the power series is used
SERIES_LIMIT = 1.0
#: Jedynak's start: a0 = F (J0 + J1 F + J2 F^2) / ((1 - F)(1 + J3 F))
JEDYNAK: tuple[float, float, float, float] = (3.0, -2.6, 0.7, 0.1)
#: flux factors are capped here before the inversion, as ``ELNMomentFeatures`` caps them
CLOSURE_FLUX_CAP = 0.999
#: floor of the log density ratio and of the sum of the distributions (``ELNMomentFeatures``)
TINY = 1e-300


def _bernoulli(n: int) -> list[Fraction]:
    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum(comb(m + 1, k) * b[k] for k in range(m)) / Fraction(m + 1))
    return b


def _langevin_series(terms: int) -> tuple[float, ...]:
    b = _bernoulli(2 * terms)
    return tuple(
        float(Fraction(2 ** (2 * k)) * b[2 * k] / factorial(2 * k)) for k in range(1, terms + 1)
    )


#: c_k of L(a) = sum_k c_k a^(2k-1): 1/3, -1/45, 2/945, -1/4725, ...
LANGEVIN_SERIES: tuple[float, ...] = _langevin_series(18)


def langevin_series_source(lit: Callable[[float], str], plus: str = " + ") -> tuple[str, str]:
    """Source text of the odd series of :data:`LANGEVIN_SERIES` in Horner form in ``s = a**2``,
    for the generated C and Fortran: ``(value, slope)`` with ``L(a) = a * value`` and
    ``L'(a) = slope``. ``lit`` writes a float literal of the target language and ``plus`` joins
    the terms (a Fortran continuation, for instance).

    >>> import math
    >>> v, d = langevin_series_source(repr)
    >>> a = 0.5  # L(a) = coth a - 1/a, L'(a) = 1/a**2 - 1/sinh(a)**2
    >>> abs(a * eval(v, {"s": a * a}) - (1 / math.tanh(a) - 1 / a)) < 1e-15
    True
    >>> abs(eval(d, {"s": a * a}) - (1 / a**2 - 1 / math.sinh(a) ** 2)) < 1e-14
    True
    """
    c = LANGEVIN_SERIES
    k = len(c)
    value = lit(c[-1])
    slope = lit((2 * k - 1) * c[-1])
    for i in range(k - 2, -1, -1):
        value = f"({value}) * s{plus}{lit(c[i])}"
        slope = f"({slope}) * s{plus}{lit((2 * i + 1) * c[i])}"
    return value, slope


def langevin_and_slope(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(L(a), L'(a))`` for shape parameters ``a >= 0`` of any shape (see the module docstring)."""
    a = np.asarray(a, dtype=np.float64)
    s = a * a
    c = LANGEVIN_SERIES
    k_max = len(c)
    poly = np.full_like(a, c[-1])
    slope = np.full_like(a, (2 * k_max - 1) * c[-1])
    for k in range(k_max - 2, -1, -1):  # Horner in a^2
        poly = poly * s + c[k]
        slope = slope * s + (2 * k + 1) * c[k]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.exp(-2.0 * a)
        one_m = 1.0 - e
        closed = (1.0 + e) / one_m - 1.0 / a
        closed_slope = 1.0 / s - 4.0 * e / (one_m * one_m)
    small = a < SERIES_LIMIT
    return np.where(small, a * poly, closed), np.where(small, slope, closed_slope)


def maxent_shape_parameter(flux_factor: NDArray[np.float64]) -> NDArray[np.float64]:
    """Maximum-entropy shape parameter ``a`` with ``coth a - 1/a = F``, for ``F`` in [0, 1), any shape."""
    f = np.asarray(flux_factor, dtype=np.float64)
    j0, j1, j2, j3 = JEDYNAK
    a = f * (j0 + j1 * f + j2 * f * f) / ((1.0 - f) * (1.0 + j3 * f))
    for _ in range(NEWTON_STEPS):
        value, slope = langevin_and_slope(a)
        a = a - (value - f) / slope
    return a


def log_normalization(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """``ln Z(a) - a = ln(-expm1(-2a) / a)``, ``ln 2`` at ``a = 0``."""
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, np.log(-np.expm1(-2.0 * safe) / safe), np.log(2.0))


@dataclass(frozen=True)
class MomentFeatures:
    """``ELNMomentFeatures`` (see the module docstring); input ``(n, n_in)``, ``n_in`` 3 or 7.

    Attributes:
        n_in: canonical feature columns (ratios first, then flux factors).
        g0_terms, g1_terms: the lepton-number sums (:data:`nulearn.flavor.models.coordinates.LEPTON_TERMS`).
        softening: of ``g1 / (|g0| + softening)``.
        species: ``(density column or -1 for n_nue = 1, flux column, sign in G)`` per species,
            in the order the model sums them; empty without a closure.
        mu: angles ``mu_k`` of the closure features, shape ``(n_points,)``.
    """

    n_in: int
    g0_terms: tuple[tuple[float, int], ...]
    g1_terms: tuple[tuple[float, int, int], ...]
    softening: float
    species: tuple[tuple[int, int, float], ...] = ()
    mu: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def closure(self) -> bool:
        return bool(self.species)

    @property
    def n_out(self) -> int:
        return self.n_in + 4 + int(self.mu.size)


def moment_features(stage: MomentFeatures, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """NumPy run of the stage on ``x (n, n_in)``; returns ``(n, n_out)``."""
    g0 = np.ones(x.shape[0])
    for sign, i in stage.g0_terms:
        g0 = g0 + x[:, i] if sign > 0 else g0 - x[:, i]
    g1 = np.zeros(x.shape[0])
    for sign, a, b in stage.g1_terms:
        term = x[:, a] if b < 0 else x[:, a] * x[:, b]
        g1 = g1 + term if sign > 0 else g1 - term
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = [
            x,
            g0[:, None],
            g1[:, None],
            (g1 / (np.abs(g0) + stage.softening))[:, None],
            np.log(np.maximum(x[:, 0], TINY))[:, None],
        ]
        if stage.closure:
            cols.append(_closure_columns(stage, x))
    return np.concatenate(cols, axis=1)


def _closure_columns(stage: MomentFeatures, x: NDArray[np.float64]) -> NDArray[np.float64]:
    m1 = stage.mu - 1.0
    g = np.zeros((x.shape[0], stage.mu.size))
    total = np.zeros_like(g)
    for density, flux, sign in stage.species:
        a = maxent_shape_parameter(np.minimum(x[:, flux], CLOSURE_FLUX_CAP))
        log_n = np.zeros(x.shape[0]) if density < 0 else np.log(x[:, density])
        f = np.exp(log_n[:, None] + (-log_normalization(a)[:, None] + a[:, None] * m1[None, :]))
        g = g + f if sign > 0 else g - f
        total = total + f
    return g / np.maximum(total, TINY)


def moment_features_stage(transformer: Any) -> MomentFeatures:
    """:class:`MomentFeatures` of a fitted ``ELNMomentFeatures``, checked on probe features.

    Raises:
        ValueError: for an unfitted transformer, a closure other than ``"maxent"``, or a map
            that the stage does not reproduce to 1e-12 (the model's transform changed).
    """
    from nulearn.flavor.models.coordinates import G_RATIO_SOFTENING, LEPTON_TERMS

    width = getattr(transformer, "n_features_in_", None)
    if width not in (3, 7):
        raise ValueError("ELNMomentFeatures is not fitted on 3 or 7 canonical features")
    r = 1 if width == 3 else 3
    g0_terms, g1_terms = LEPTON_TERMS[r]
    closure = transformer.closure
    species: tuple[tuple[int, int, float], ...] = ()
    mu = np.zeros(0)
    if closure is not None:
        if closure != "maxent":
            raise ValueError(
                f"closure features of family {closure!r} cannot be exported; supported: maxent"
            )
        # (density ratio column, flux column, sign in G) as ELNMomentFeatures orders them
        species = (
            ((-1, 1, 1.0), (0, 2, -1.0))
            if width == 3
            else ((-1, 3, 1.0), (0, 4, -1.0), (1, 5, -1.0), (2, 6, 1.0))
        )
        mu = np.linspace(-1.0, 1.0, int(transformer.n_points))
    stage = MomentFeatures(
        n_in=int(width),
        g0_terms=g0_terms,
        g1_terms=g1_terms,
        softening=float(G_RATIO_SOFTENING),
        species=species,
        mu=mu,
    )
    rng = np.random.default_rng(0)
    probe = np.column_stack(
        [rng.uniform(0.2, 3.0, (64, r)), rng.uniform(0.0, 0.9995, (64, int(width) - r))]
    )
    probe[0, r:] = 0.0  # isotropic: a = 0
    expected = np.asarray(transformer.transform(probe), dtype=np.float64)
    got = moment_features(stage, probe)
    if expected.shape != got.shape or not np.allclose(got, expected, rtol=1e-12, atol=1e-12):
        raise ValueError(
            f"{type(transformer).__name__} gives {expected.shape[1]} columns that the deploy "
            f"MomentFeatures stage ({got.shape[1]} columns) does not reproduce; update "
            "nulearn.flavor.deploy to the new feature map"
        )
    return stage
