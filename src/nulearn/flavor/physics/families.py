r"""Parametric angular distributions of one neutrino species, energy-integrated and axisymmetric.

A family maps the two moments a simulation evolves, the number density
:math:`n = I_0 = \int_{-1}^{1} f(\mu)\,d\mu` and the flux factor :math:`F = I_1 / I_0`, to a full
angular distribution :math:`f(\mu)`, :math:`\mu = \cos\theta`. Two families are standard in the
crossing-detection literature (arXiv:2303.05560 Eqs. 3-4, arXiv:2310.03807 Eqs. 3-4):

* maximum entropy, :math:`f(\mu) = e^{\eta + a\mu}`, with :math:`F = \coth a - 1/a` (the Langevin function);
* Gaussian, :math:`f(\mu) = A\,e^{-(1-\mu)^2/a}`; here parametrized by :math:`b = 1/a \ge 0` so that the
  isotropic limit :math:`F = 0` is the finite point :math:`b = 0`.

Both are exponential families whose log is a quadratic in :math:`\mu`, which the crossing kernel
exploits (:meth:`AngularFamily.log_quadratic`). Inversion :math:`F \mapsto` shape parameter is
vectorized: a tabulated initial guess accurate to ~1e-7 followed by Newton steps with the exact
derivative :math:`dF/d\theta = \mathrm{Cov}(\mu, T(\mu))` of an exponential family with sufficient
statistic :math:`T`. Small-parameter limits use power series and large ones log-space forms, so
:math:`F \to 0` and :math:`F \to 1` give neither NaN nor overflow.

To add a family, subclass :class:`AngularFamily`, implement :meth:`~AngularFamily.shape_moments`,
:meth:`~AngularFamily.shape_parameter` and :meth:`~AngularFamily.log_shape`, and register it with
:func:`register_family`.

>>> fam = get_family("maxent")
>>> I = fam.moments([2.0], [0.5])
>>> round(float(I[0, 1] / I[0, 0]), 12)
0.5
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction
from math import comb, factorial
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erf

from nulearn.flavor.physics._inversion import newton_gaussian, newton_maxent
from nulearn.flavor.physics.validity import validate_moments

__all__ = [
    "FAMILIES",
    "AngularFamily",
    "Gaussian",
    "InversionError",
    "MaxEntropy",
    "get_family",
    "register_family",
]

FloatArray = NDArray[np.float64]

#: Most Newton refinements after the tabulated guess (good to ~1e-4 relative near F = 0, far better
#: elsewhere); iteration stops at 1e-13 relative, usually after one step.
_NEWTON_STEPS = 4
#: Relative tolerance on the flux factor after inversion; anything worse raises.
_INVERSION_RTOL = 1e-11


class InversionError(RuntimeError):
    """The flux factor could not be inverted to the stated tolerance (never silently accepted)."""


class AngularFamily(ABC):
    """A one-parameter family of angular shapes, scaled by the number density.

    Subclasses describe the *shape* :math:`g(\\mu;\\theta)` normalized to :math:`\\int g\\,d\\mu = 1`;
    the distribution is :math:`f = n\\,g`.
    """

    name: ClassVar[str]

    @abstractmethod
    def shape_moments(self, theta: ArrayLike, n_max: int = 3) -> FloatArray:
        """Normalized moments :math:`\\langle\\mu^k\\rangle`, k = 0..n_max, shape (n_cells, n_max + 1)."""

    @abstractmethod
    def shape_parameter(self, flux_factor: ArrayLike) -> FloatArray:
        """Shape parameter :math:`\\theta` with :math:`\\langle\\mu\\rangle = F`, shape (n_cells,)."""

    @abstractmethod
    def log_shape(self, theta: ArrayLike, mu: ArrayLike) -> FloatArray:
        """:math:`\\ln g(\\mu;\\theta)` on a grid: theta (n_cells,), mu (n_mu,) -> (n_cells, n_mu)."""

    def log_quadratic(self, number_density: ArrayLike, flux_factor: ArrayLike) -> FloatArray | None:
        """Coefficients (l1, s, c2) with :math:`\\ln f = l_1 + s(\\mu - 1) + c_2(\\mu - 1)^2`, shape (n_cells, 3).

        ``None`` when the family's log is not a quadratic in :math:`\\mu`; the crossing search then
        evaluates :meth:`log_distribution` on the grid instead of using the fast kernel.
        """
        return None

    # -- concrete API -----------------------------------------------------------------------------
    def flux_factor(self, theta: ArrayLike) -> FloatArray:
        """Flux factor :math:`F(\\theta)`, shape (n_cells,)."""
        return self.shape_moments(theta, n_max=1)[:, 1]

    def moments(
        self, number_density: ArrayLike, flux_factor: ArrayLike, n_max: int = 3, species: str = "nu"
    ) -> FloatArray:
        """Angular moments :math:`I_k = \\int \\mu^k f\\,d\\mu`, k = 0..n_max, shape (n_cells, n_max + 1).

        Args:
            number_density: :math:`I_0` per cell, shape (n_cells,), > 0, any unit (I_k carry it).
            flux_factor: :math:`F` per cell, shape (n_cells,), in [0, 1).
            n_max: highest moment (at most 3).
            species: name used in validation errors.
        """
        n, f = _as_cells(number_density, flux_factor, species)
        theta = self.shape_parameter(f)
        return n[:, None] * self.shape_moments(theta, n_max=n_max)

    def log_distribution(
        self, number_density: ArrayLike, flux_factor: ArrayLike, mu: ArrayLike, species: str = "nu"
    ) -> FloatArray:
        """:math:`\\ln f(\\mu)` for every cell on a grid: (n_cells,), (n_cells,), (n_mu,) -> (n_cells, n_mu)."""
        n, f = _as_cells(number_density, flux_factor, species)
        return np.log(n)[:, None] + self.log_shape(self.shape_parameter(f), mu)

    def distribution(
        self, number_density: ArrayLike, flux_factor: ArrayLike, mu: ArrayLike, species: str = "nu"
    ) -> FloatArray:
        """:math:`f(\\mu)` for every cell on a grid, shape (n_cells, n_mu); same units as the density."""
        return np.exp(self.log_distribution(number_density, flux_factor, mu, species))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _as_cells(
    number_density: ArrayLike, flux_factor: ArrayLike, species: str
) -> tuple[FloatArray, FloatArray]:
    n = np.atleast_1d(np.asarray(number_density, dtype=np.float64))
    f = np.atleast_1d(np.asarray(flux_factor, dtype=np.float64))
    validate_moments(n, f, species=species)
    return n, f


def _check_n_max(n_max: int) -> None:
    if not 0 <= n_max <= 3:
        raise ValueError(f"n_max must be in 0..3 (closed forms up to I_3); got {n_max}")


def _check_inversion(family: AngularFamily, flux_factor: FloatArray, achieved: FloatArray) -> None:
    """Raise if any cell's achieved flux factor misses the target by more than the tolerance."""
    err = np.abs(achieved - flux_factor)
    # The absolute floor only matters for subnormal flux factors, where relative precision is lost.
    bad = (err > _INVERSION_RTOL * flux_factor + 1e-290) | ~np.isfinite(achieved)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InversionError(
            f"{family.name}: flux factor {flux_factor[i]!r} (index {i}) inverted only to relative error "
            f"{err[i] / flux_factor[i]:.3g} > {_INVERSION_RTOL:g}"
        )


class _Table:
    """g(F) = theta(F) * (1 - F)^p on a uniform grid of F in [0, 1]: the Newton start, good to ~1e-8.

    Built once per family from a dense parameter scan; the factor (1 - F)^p absorbs the divergence of
    theta as F -> 1, so g is smooth and bounded and linear interpolation is accurate.
    """

    SIZE = 1 << 16

    def __init__(self, theta: FloatArray, flux: FloatArray, power: float) -> None:
        order = np.argsort(flux)
        grid = np.linspace(0.0, 1.0, self.SIZE)
        g_scan = (theta * (1.0 - flux) ** power)[order]
        self.g = np.ascontiguousarray(np.interp(grid, flux[order], g_scan))
        self.power = power


# ------------------------------------------------------------------------------------------------
# Maximum entropy: f = exp(eta + a mu)
# ------------------------------------------------------------------------------------------------
_SERIES_TERMS = 26
# int mu^j over [-1, 1] = 2/(j+1) for even j, 0 for odd j.
_MU_POWER_INTEGRAL = np.array(
    [2.0 / (j + 1) if j % 2 == 0 else 0.0 for j in range(_SERIES_TERMS + 4)]
)
_INV_FACTORIAL = np.array([1.0 / factorial(k) for k in range(_SERIES_TERMS)])


def _maxent_series(a: FloatArray, n_max: int) -> FloatArray:
    """<mu^k> for |a| < 1 from the Taylor series of e^{a mu}; no cancellation near a = 0."""
    raw = np.zeros((a.size, n_max + 1))
    for m in range(_SERIES_TERMS - 1, -1, -1):  # Horner in a
        raw *= a[:, None]
        raw += _INV_FACTORIAL[m] * _MU_POWER_INTEGRAL[m : m + n_max + 1]
    return raw / raw[:, :1]


def _maxent_closed(a: FloatArray, n_max: int) -> FloatArray:
    """<mu^k> for |a| >= 1 by the integration-by-parts recursion <mu^k> = c_k - (k/a) <mu^{k-1}>."""
    coth = 1.0 / np.tanh(a)
    out = np.empty((a.size, n_max + 1))
    out[:, 0] = 1.0
    for k in range(1, n_max + 1):
        # (e^a - (-1)^k e^-a) / (e^a - e^-a): coth a for odd k, 1 for even k.
        lead = coth if k % 2 else 1.0
        out[:, k] = lead - k / a * out[:, k - 1]
    return out


class MaxEntropy(AngularFamily):
    r"""Maximum-entropy shape :math:`f(\mu) = e^{\eta + a\mu}`, shape parameter :math:`a \ge 0`.

    :math:`F(a) = \coth a - 1/a`, :math:`F \approx a/3` for small :math:`a`, :math:`F \approx 1 - 1/a` for large.
    """

    name = "maxent"

    def __init__(self) -> None:
        a = np.concatenate([[0.0], np.geomspace(1e-6, 1e9, 200_000)])
        self._table = _Table(a, self.shape_moments(a, 1)[:, 1], power=1.0)

    def shape_moments(self, theta: ArrayLike, n_max: int = 3) -> FloatArray:
        _check_n_max(n_max)
        a = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        out = np.empty((a.size, n_max + 1))
        small = np.abs(a) < 1.0
        if small.any():
            out[small] = _maxent_series(a[small], n_max)
        if (~small).any():
            out[~small] = _maxent_closed(a[~small], n_max)
        return out

    def shape_parameter(self, flux_factor: ArrayLike) -> FloatArray:
        f = np.ascontiguousarray(np.atleast_1d(np.asarray(flux_factor, dtype=np.float64)))
        theta, achieved = newton_maxent(f, self._table.g, _NEWTON_STEPS)
        _check_inversion(self, f, achieved)
        return theta

    @staticmethod
    def _log_normalization(a: FloatArray) -> FloatArray:
        """ln Z(a) - a with Z = int e^{a mu} dmu = 2 sinh(a)/a, stable for a -> 0 and a -> inf."""
        safe = np.where(a > 0, a, 1.0)
        return np.where(a > 0, np.log(-np.expm1(-2.0 * safe) / safe), np.log(2.0))

    def log_shape(self, theta: ArrayLike, mu: ArrayLike) -> FloatArray:
        a = np.atleast_1d(np.asarray(theta, dtype=np.float64))[:, None]
        m = np.asarray(mu, dtype=np.float64)[None, :]
        return -self._log_normalization(a) + a * (m - 1.0)

    def log_quadratic(self, number_density: ArrayLike, flux_factor: ArrayLike) -> FloatArray:
        n, f = _as_cells(number_density, flux_factor, self.name)
        a = self.shape_parameter(f)
        return np.stack([np.log(n) - self._log_normalization(a), a, np.zeros_like(a)], axis=1)


# ------------------------------------------------------------------------------------------------
# Gaussian: f = A exp(-b (1 - mu)^2), b = 1/a
# ------------------------------------------------------------------------------------------------
def _gauss_series_coefficients(n_max: int, terms: int) -> FloatArray:
    """C[k, m] = int_{-1}^{1} mu^k (1-mu)^{2m} dmu / m!, exact in rationals then rounded once."""
    out = np.empty((n_max + 1, terms))
    for k in range(n_max + 1):
        for m in range(terms):
            exact = sum(
                Fraction(comb(k, j) * (-1) ** j * 2 ** (2 * m + j + 1), 2 * m + j + 1)
                for j in range(k + 1)
            )
            out[k, m] = float(exact / factorial(m))
    return out


_GAUSS_SERIES_B = 0.5
_GAUSS_C = _gauss_series_coefficients(3, _SERIES_TERMS)


def _gauss_raw_series(b: FloatArray, n_max: int) -> FloatArray:
    """K_k(b) = int mu^k e^{-b(1-mu)^2} dmu for small b, shape (n, n_max + 1)."""
    raw = np.zeros((b.size, n_max + 1))
    for m in range(_SERIES_TERMS - 1, -1, -1):  # Horner in -b
        raw *= -b[:, None]
        raw += _GAUSS_C[: n_max + 1, m]
    return raw


def _gauss_t_integrals(b: FloatArray) -> FloatArray:
    """J_k(b) = int_0^2 t^k e^{-b t^2} dt, k = 0..3, for b >= 0.5 (t = 1 - mu)."""
    e4 = np.exp(-4.0 * b)
    j0 = np.sqrt(np.pi / (4.0 * b)) * erf(2.0 * np.sqrt(b))
    j1 = -np.expm1(-4.0 * b) / (2.0 * b)
    j2 = (j0 - 2.0 * e4) / (2.0 * b)
    j3 = (2.0 * j1 - 4.0 * e4) / (2.0 * b)
    return np.stack([j0, j1, j2, j3], axis=1)


class Gaussian(AngularFamily):
    r"""Gaussian shape :math:`f(\mu) = A e^{-b(1-\mu)^2}` (:math:`b = 1/a` of arXiv:2303.05560 Eq. 4), :math:`b \ge 0`.

    :math:`F \approx 2b/3` for small :math:`b` (nearly isotropic) and :math:`F \approx 1 - 1/\sqrt{\pi b}`
    for large :math:`b` (forward peaked).
    """

    name = "gaussian"

    def __init__(self) -> None:
        b = np.concatenate([[0.0], np.geomspace(1e-7, 1e16, 200_000)])
        self._table = _Table(b, self.shape_moments(b, 1)[:, 1], power=2.0)

    def _t_moments(self, b: FloatArray) -> FloatArray:
        """<t^k>, t = 1 - mu, k = 0..3."""
        j = _gauss_t_integrals(b)
        return j / j[:, :1]

    def shape_moments(self, theta: ArrayLike, n_max: int = 3) -> FloatArray:
        _check_n_max(n_max)
        b = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        if (b < 0).any():
            raise ValueError("Gaussian shape parameter b = 1/a must be >= 0")
        out = np.empty((b.size, n_max + 1))
        small = b < _GAUSS_SERIES_B
        if small.any():
            raw = _gauss_raw_series(b[small], n_max)
            out[small] = raw / raw[:, :1]
        if (~small).any():
            t = self._t_moments(b[~small])
            # <mu^k> = <(1 - t)^k> by the binomial expansion.
            mu_mom = np.stack(
                [
                    sum(comb(k, j) * (-1) ** j * t[:, j] for j in range(k + 1))
                    for k in range(n_max + 1)
                ],
                axis=1,
            )
            out[~small] = mu_mom
        return out

    def shape_parameter(self, flux_factor: ArrayLike) -> FloatArray:
        # dF/db = Cov(mu, -(1-mu)^2) = Cov(t, t^2) with t = 1 - mu (see _inversion).
        f = np.ascontiguousarray(np.atleast_1d(np.asarray(flux_factor, dtype=np.float64)))
        theta, achieved = newton_gaussian(f, self._table.g, _GAUSS_C, _NEWTON_STEPS)
        _check_inversion(self, f, achieved)
        return theta

    @staticmethod
    def _log_normalization(b: FloatArray) -> FloatArray:
        """ln int e^{-b(1-mu)^2} dmu, stable for all b >= 0."""
        out = np.empty_like(b)
        small = b < _GAUSS_SERIES_B
        if small.any():
            out[small] = np.log(_gauss_raw_series(b[small], 0)[:, 0])
        if (~small).any():
            out[~small] = np.log(_gauss_t_integrals(b[~small])[:, 0])
        return out

    def log_shape(self, theta: ArrayLike, mu: ArrayLike) -> FloatArray:
        b = np.atleast_1d(np.asarray(theta, dtype=np.float64))
        m = np.asarray(mu, dtype=np.float64)[None, :]
        return -self._log_normalization(b)[:, None] - b[:, None] * (1.0 - m) ** 2

    def log_quadratic(self, number_density: ArrayLike, flux_factor: ArrayLike) -> FloatArray:
        n, f = _as_cells(number_density, flux_factor, self.name)
        b = self.shape_parameter(f)
        return np.stack([np.log(n) - self._log_normalization(b), np.zeros_like(b), -b], axis=1)


FAMILIES: dict[str, AngularFamily] = {}


def register_family(family: AngularFamily) -> None:
    """Make ``family`` available by name to :func:`get_family`, labelling and generation."""
    FAMILIES[family.name] = family


def get_family(name: str) -> AngularFamily:
    """The registered family called ``name`` (``"maxent"`` or ``"gaussian"`` built in)."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown angular family {name!r}; known: {sorted(FAMILIES)}") from None


register_family(MaxEntropy())
register_family(Gaussian())
