r"""Fast flavor conversion in a periodic one-dimensional box: the mean-field solver.

Physics
-------
Two flavors (:math:`\nu_e`, :math:`\nu_x`), no vacuum or matter term and no collisions (the fast
limit), a gas homogeneous in x and y and axisymmetric in momentum about z. In this limit the
neutrino and antineutrino density matrices of one direction evolve with the same unitary
:math:`U_\mu(z, t)` (the Hamiltonian depends only on the lepton-number distribution), so one unit
polarization vector :math:`P(z, \mu)` per direction describes every species and the flavor survival
probability :math:`P_{ee} = (1 + P_z)/2` is the same for :math:`\nu` and :math:`\bar\nu` (Bhattacharyya &
Dasgupta 2021, PRL 126, 061302; Wu et al. 2021, PRD 103, 063018; Zaizen & Nagakura 2023, PRD 107,
103022). With :math:`G(\mu) = (f_{\nu_e} - f_{\nu_x}) - (f_{\bar\nu_e} - f_{\bar\nu_x})` normalized as
in :mod:`nulearn.flavor.physics.stability` (densities in units of :math:`n_{\nu_e}`),

.. math:: \partial_t P_\mu + \mu\,\partial_z P_\mu = (D_0 - \mu D_1)\times P_\mu, \qquad
          D_n(z, t) = \int_{-1}^{1} d\mu'\,\mu'^n\, G(\mu')\, P_{\mu'},

time in :math:`1/\mu_0`, :math:`\mu_0 = \sqrt2 G_F n_{\nu_e}`, lengths in :math:`c/\mu_0`. The
azimuthal average of :math:`1 - \mathbf v\cdot\mathbf v'` leaves :math:`1 - \mu\mu'`, so only the
:math:`m = 0` branch of the dispersion relation exists here. Linearizing,
:math:`S = P_x + iP_y` obeys the complex conjugate of the equation in
:mod:`~nulearn.flavor.physics.stability`: a mode of wavenumber :math:`K` grows at the rate the
dispersion relation gives for :math:`-K`, and the box holds both signs.

Conservation: :math:`\partial_t D_0 + \partial_z D_1 = D_0\times D_0 - D_1\times D_1 = 0`, so the
box integral of the lepton-number vector :math:`D_0` (its z component is the ELN-XLN number
:math:`\int G P_z`) is conserved, and so is :math:`|P_\mu| = 1` pointwise.

Scheme
------
Angles: Gauss-Legendre beams :math:`\mu_j` carrying :math:`g_j = w_j G(\mu_j)` (point values when
they reproduce every species' n and F to 1e-6, else the exact integral of G over each beam's cell,
as :func:`~nulearn.flavor.physics.stability.beam_eln`). Space: ``n_z`` periodic points. Time: Strang
splitting :math:`A(\Delta t/2)\,R(\Delta t)\,A(\Delta t/2)` (second order, time reversible):

* :math:`A`, advection, is exact: each beam is shifted by :math:`\mu\,\Delta t` in Fourier space,
  which keeps every beam's box integral (the k = 0 mode) to round-off; an order-36 exponential
  filter (Hou & Li 2007, J. Comput. Phys. 226, 379), a factor :math:`e^{-36(k/k_{\max})^{36}}` per
  step, damps the top third of the wavenumbers (the unstable band lies far below) and never the
  k = 0 mode: it removes aliasing noise and the unresolved end of the small-scale cascade of the
  nonlinear phase without touching the conserved sums (the mean 1 - |P| it leaves is recorded);
* :math:`R`, the collective rotation at each z, is the implicit midpoint rule solved as an exact
  Cayley rotation (:mod:`~nulearn.flavor.physics._fast_flavor_kernel`): |P| is kept exactly and
  :math:`D_0` to the fixed-point tolerance (1e-12 of S per step), so the box lepton number is
  conserved to ~1e-11 of S over a run, with no renormalization.

The collective step is compiled with numba, threaded over z only for grids of at least 65536
points (below that one thread is faster); many cells run one per core through
:func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many`.

Because :math:`G \to cG`, :math:`(t, z) \to (t, z)/c` maps solutions onto solutions, the solver works
in units of :math:`1/(\mu_0 S)` with :math:`S = \int|G|\,d\mu`; :class:`EvolveConfig` lengths and times
are in those units, so one configuration serves every cell. Results are reported in :math:`1/\mu_0`.

Run length and asymptotic state: the linear phase lasts about :math:`\ln(1/\epsilon)/\sigma` for a
seed of amplitude :math:`\epsilon` and the fastest box mode's rate :math:`\sigma` (from the dispersion
relation); the relaxation after it scales with :math:`1/\sigma`. :math:`P_{ee}(\mu) = (1 + \langle
P_z\rangle)/2` is averaged over the box and the final part of the relaxation (:class:`EvolveConfig`).
Species after conversion (same :math:`P_{ee}` for both helicities):
:math:`f'_{\nu_e} = P_{ee} f_{\nu_e} + (1 - P_{ee}) f_{\nu_x}`, :math:`f'_{\nu_x} = (1 - P_{ee}) f_{\nu_e} +
P_{ee} f_{\nu_x}`, and the same for the antineutrinos; :math:`\nu_x` is one heavy-lepton flavor and
:math:`\nu_x \ne \bar\nu_x` is allowed. ELN-only inputs have no heavy leptons (:math:`f_{\nu_x} =
f_{\bar\nu_x} = 0`). See :func:`evolve` for an example.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import fft

from nulearn.flavor.physics._fast_flavor_kernel import collective_step, transverse_spectrum
from nulearn.flavor.physics.fast_flavor_beams import SpeciesBeams, mixed_moments
from nulearn.flavor.physics.stability import linearized_matrix
from nulearn.ml.config import YAMLConfig, check_range

__all__ = [
    "HISTORY_COLUMNS",
    "EvolveConfig",
    "EvolveResult",
    "asymptotic_moments",
    "box_growth_rates",
    "evolve",
]

FloatArray = NDArray[np.float64]

#: Columns of :attr:`EvolveResult.history`.
HISTORY_COLUMNS: tuple[str, ...] = (
    "t",
    "transverse_rms",
    "dominant_mode",
    "lepton_number_error",
    "eln_xln_flux",
    "norm_deficit",
    "survival_minority",
    "survival_majority",
)
#: Grids with fewer points (n_z x n_mu) run the collective step on one thread.
_THREADED_POINTS = 1 << 16
#: Transverse rms amplitude that ends the linear phase (corrections to P_z are ~ its square).
_LINEAR_END = 1e-2
#: The fitted window spans at most this factor in amplitude below the end of the linear phase.
_FIT_SPAN = 1e3
#: The dominant mode must have grown by this factor over its initial amplitude to be fitted.
_FIT_MIN_GROWTH = 30.0


@dataclass(frozen=True)
class EvolveConfig(YAMLConfig):
    """Resolution, run length and seeding of :func:`evolve`; round-trips to YAML.

    Lengths and times are in units of :math:`1/(\\mu_0 S)`, :math:`S = \\int|G|\\,d\\mu` (see the module
    docstring); divide by S for :math:`1/\\mu_0`.

    Attributes:
        n_mu: Gauss-Legendre beams in mu.
        n_z: periodic grid points in z (even).
        box_length: box length L; the box holds wavenumbers 2 pi n / L.
        t_end: run length; ``None`` chooses ``t_lin + max(t_relax, relax_growth_times / sigma)``
            with ``t_lin = ln(1/perturbation) / sigma`` from the fastest growth rate sigma of the
            box modes (dispersion relation), capped at ``t_max``; stable cells run ``t_relax``.
        t_relax: shortest relaxation allowed after the linear phase (automatic ``t_end``).
        relax_growth_times: relaxation after the linear phase of at least this many e-folding
            times 1/sigma (automatic ``t_end``).
        t_max: cap of the automatic run length.
        dt: time step (advection is exact, so dt only sets the accuracy of the collective
            step and of the splitting).
        average_window: fraction of the post-linear stretch ``t_end - t_lin`` (of the whole run
            when the linear phase outlasts it), at its end, over which P(mu) is averaged.
        seed: seed of the random transverse perturbation.
        perturbation: amplitude of the seed, P_x, P_y ~ perturbation x N(0, 1) per grid point.
        diagnostics_every: steps between recorded diagnostics.
        spectral_filter: apply the order-36 exponential filter in the advection step.
        tol: fixed-point tolerance of the collective step (units of S).
        skip_single_signed: return P = 1 without evolving when every beam's G has one sign
            (exactly stable: no crossing, Morinaga 2022).
    """

    n_mu: int = 32
    n_z: int = 128
    box_length: float = 100.0
    t_end: float | None = None
    t_relax: float = 300.0
    relax_growth_times: float = 50.0
    t_max: float = 5000.0
    dt: float = 0.1
    average_window: float = 0.5
    seed: int = 0
    perturbation: float = 1e-6
    diagnostics_every: int = 10
    spectral_filter: bool = True
    tol: float = 1e-12
    skip_single_signed: bool = True

    def __post_init__(self) -> None:
        for name, lo in (("n_mu", 2), ("n_z", 4), ("diagnostics_every", 1)):
            value = getattr(self, name)
            if int(value) != value or value < lo:
                raise ValueError(f"EvolveConfig.{name} = {value!r}; must be an integer >= {lo}")
        if self.n_z % 2:
            raise ValueError(f"EvolveConfig.n_z = {self.n_z}; must be even")
        for name in ("box_length", "t_relax", "relax_growth_times", "t_max", "dt", "tol"):
            check_range(f"EvolveConfig.{name}", getattr(self, name), 0.0, math.inf, lo_open=True)
        if self.t_end is not None:
            check_range("EvolveConfig.t_end", self.t_end, 0.0, math.inf, lo_open=True)
        check_range("EvolveConfig.average_window", self.average_window, 0.0, 1.0, lo_open=True)
        check_range("EvolveConfig.perturbation", self.perturbation, 0.0, 0.1, lo_open=True)


@dataclass(frozen=True)
class EvolveResult:
    """Outcome of one :func:`evolve` run; rates in units of :math:`\\mu_0`, times in :math:`1/\\mu_0`.

    Attributes:
        mu: beam directions, shape (n_mu,).
        weights: Gauss-Legendre weights, shape (n_mu,).
        eln: lepton number per beam g_j (units of the input densities, n_nue for moments),
            shape (n_mu,).
        survival: asymptotic P_ee(mu) per beam, shape (n_mu,), in [0, 1].
        moments_before, moments_after: ``n_<s>`` and ``F_<s>`` of every species (densities in
            the input unit) and ``eln_xln_number``, ``eln_xln_flux`` (int G dmu, int mu G dmu).
        growth_rate: rate fitted to the exponential phase of the dominant box mode (NaN if
            none was seen).
        growth_rate_predicted: the dispersion relation's rate for that same mode (its
            fastest box mode when none was fitted; 0 when every box mode is stable).
        growth_rate_box_max: fastest rate over all box modes (dispersion relation).
        dominant_wavenumber: physical wavenumber K of the fitted mode (NaN if none).
        conservation_error: max over time of |<D_0>(t) - <D_0>(0)| / S (box average,
            vector norm).
        norm_error: max over the recorded states of ||P| - 1|.
        saturated: the transverse rms amplitude reached 0.1 before the averaging window began.
        drift: change of the side-averaged survival (minority and majority side of the
            crossing, |G|-weighted) between the two halves of the averaging window; small when
            the state is stationary.
        t_end: run length used.
        history: time series, columns :data:`HISTORY_COLUMNS`: time (1/mu0), rms of
            |P_x + i P_y|, amplitude of the fitted mode, |<D_0>(t) - <D_0>(0)| / S, box-averaged
            int mu G P_z, mean 1 - |P| (small-scale structure removed by the filter), and the
            |G|-weighted survival on the minority and majority sides.
        seconds: wall time of the run.
        max_iterations: most fixed-point iterations of a collective step.
        evolved: False when the cell was skipped as exactly stable.
    """

    mu: FloatArray
    weights: FloatArray
    eln: FloatArray
    survival: FloatArray
    moments_before: dict[str, float]
    moments_after: dict[str, float]
    growth_rate: float
    growth_rate_predicted: float
    growth_rate_box_max: float
    dominant_wavenumber: float
    conservation_error: float
    norm_error: float
    saturated: bool
    drift: float
    t_end: float
    history: pd.DataFrame = field(repr=False)
    seconds: float = 0.0
    max_iterations: int = 0
    evolved: bool = True

    def summary(self) -> dict[str, Any]:
        """Flat record for a results table: scalars, ``*_after``/``*_before`` moments, and the
        beams and survival probability as lists."""
        row: dict[str, Any] = {f"{k}_before": v for k, v in self.moments_before.items()}
        row |= {f"{k}_after": v for k, v in self.moments_after.items()}
        for name in (
            "growth_rate",
            "growth_rate_predicted",
            "growth_rate_box_max",
            "dominant_wavenumber",
            "conservation_error",
            "norm_error",
            "saturated",
            "drift",
            "t_end",
            "seconds",
            "max_iterations",
            "evolved",
        ):
            row[name] = getattr(self, name)
        row["mu"] = self.mu.tolist()
        row["eln"] = self.eln.tolist()
        row["survival"] = self.survival.tolist()
        return row


def box_growth_rates(
    mu: ArrayLike, eln: ArrayLike, box_length: float, n_z: int
) -> tuple[FloatArray, FloatArray]:
    """Dispersion-relation growth rate of every box mode of this solver (m = 0 branch).

    Args:
        mu: beam directions, shape (n_mu,).
        eln: lepton number per beam g_j, shape (n_mu,).
        box_length: L, in the length unit matching ``eln`` (1/mu0 for densities in n_nue).
        n_z: grid points; modes n = 0, +-1, ..., n_z/2 in numpy FFT order.

    Returns:
        (K, rate), both shape (n_z,): physical wavenumbers 2 pi n / L and Im omega of the
        solver's mode at K, which is the dispersion relation's mode at -K (module docstring).
    """
    m = np.asarray(mu, dtype=np.float64)
    g = np.asarray(eln, dtype=np.float64).reshape(1, -1)
    wavenumber = np.asarray(np.fft.fftfreq(n_z, d=1.0 / n_z), dtype=np.float64) * (
        2.0 * math.pi / box_length
    )
    lam1 = float(g[0] @ m)
    shifted = (-wavenumber - lam1)[None, :]
    a = linearized_matrix(m, g, shifted, m=0)[0]
    rate: FloatArray = np.maximum(np.linalg.eigvals(a).imag.max(axis=-1), 0.0)
    return wavenumber, rate


def asymptotic_moments(beams: SpeciesBeams, survival: ArrayLike) -> dict[str, float]:
    """Moments of one cell after two-flavor conversion (:func:`~nulearn.flavor.physics.fast_flavor_beams.mixed_moments`).

    Args:
        beams: one cell's beams.
        survival: P_ee per beam, shape (n_mu,).

    Returns:
        ``n_<s>``, ``F_<s>`` (four species; ELN-only inputs: heavy leptons start at zero) and
        ``eln_xln_number``, ``eln_xln_flux``.
    """
    row = mixed_moments(beams, survival).iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def _minority_side(g: FloatArray) -> NDArray[np.bool_]:
    """Beams on the side of the crossing with the smaller |int G| (ties: the negative side)."""
    pos, neg = np.clip(g, 0.0, None).sum(), np.clip(-g, 0.0, None).sum()
    return np.asarray(g < 0 if neg <= pos else g > 0)


def _initial_state(config: EvolveConfig) -> FloatArray:
    rng = np.random.default_rng(config.seed)
    transverse = config.perturbation * rng.standard_normal((config.n_z, 2, config.n_mu))
    p = np.empty((config.n_z, 3, config.n_mu))
    p[:, :2] = transverse
    p[:, 2] = np.sqrt(1.0 - (transverse**2).sum(axis=1))
    return p


def _phase(mu: FloatArray, config: EvolveConfig, dt: float) -> NDArray[np.complex128]:
    """Exact advection by dt times the spectral filter, shape (n_z // 2 + 1, 1, n_mu)."""
    k = 2.0 * math.pi * np.fft.rfftfreq(config.n_z, d=config.box_length / config.n_z)
    shift = np.exp(-1j * k[:, None] * mu[None, :] * dt)
    if config.spectral_filter:
        # Hou & Li: exp(-36 (k/k_max)^36) is 1 to 1e-15 below 0.38 k_max and 1e-16 at k_max.
        shift = shift * np.exp(-36.0 * (k / k.max()) ** 36)[:, None]
    return shift[:, None, :]


def _fit_growth(t: FloatArray, spectrum: FloatArray, rms: FloatArray) -> tuple[float, int]:
    """(rate, mode) of the dominant mode's exponential phase; (nan, -1) if there is none.

    ``spectrum`` has shape (n_records, n_z): summed |S_hat(k_n)|^2; ``rms`` (n_records,) is the rms of
    |S| over grid and beams. The linear phase ends when ``rms`` first reaches 1e-2 (P_z is then
    1 - 5e-5); the fitted mode is the strongest there; the fit covers the records where its
    amplitude lies within a factor 1e3 below that point and at least 30 above its start.
    """
    reached = rms >= _LINEAR_END
    end = int(np.argmax(reached)) if reached.any() else rms.size - 1
    mode = int(np.argmax(spectrum[end]))
    amp = np.sqrt(spectrum[: end + 1, mode])
    if amp[-1] < _FIT_MIN_GROWTH * amp[0]:
        return float("nan"), -1
    window = (amp >= max(amp[-1] / _FIT_SPAN, _FIT_MIN_GROWTH * amp[0])) & (np.arange(end + 1) > 0)
    if window.sum() < 4:
        return float("nan"), -1
    slope = np.polyfit(t[: end + 1][window], np.log(amp[window]), 1)[0]
    return float(slope), mode


def evolve(beams: SpeciesBeams, config: EvolveConfig | None = None) -> EvolveResult:
    """Evolve one cell to its asymptotic flavor state.

    Args:
        beams: the cell's beams (:func:`~nulearn.flavor.physics.fast_flavor_beams.beams_from_moments`
            or :func:`~nulearn.flavor.physics.fast_flavor_beams.beams_from_tabulated`), one cell;
            its ``n_mu`` must equal ``config.n_mu``.
        config: resolution and run length (defaults solve a typical cell in seconds).

    Returns:
        :class:`EvolveResult` (rates in mu0 = sqrt2 G_F n_nue when densities are in n_nue).

    >>> import pandas as pd
    >>> from nulearn.flavor.physics.fast_flavor_beams import beams_from_moments
    >>> cell = pd.DataFrame({"alpha": [0.9], "F_nue": [0.1], "F_nuebar": [0.4]})
    >>> cfg = EvolveConfig(n_mu=16, n_z=64, box_length=60.0, t_end=200.0, dt=0.2)
    >>> res = evolve(beams_from_moments(cell, "maxent", cfg.n_mu), cfg)
    >>> bool(res.conservation_error < 1e-10), bool(abs(res.growth_rate / res.growth_rate_predicted - 1) < 0.05)
    (True, True)
    """
    cfg = config or EvolveConfig()
    if beams.n_cells != 1:
        raise ValueError(f"evolve takes one cell; got {beams.n_cells} (use evolve_many)")
    if beams.mu.size != cfg.n_mu:
        raise ValueError(f"beams have {beams.mu.size} directions; EvolveConfig.n_mu = {cfg.n_mu}")
    t0 = time.perf_counter()
    g = beams.eln[0]
    if not np.isfinite(g).all():
        raise ValueError(
            f"beams: non-finite lepton number in beam {int(np.argmax(~np.isfinite(g)))}"
        )
    scale = float(np.abs(g).sum())
    before = asymptotic_moments(beams, np.ones_like(g))
    single_signed = not (g.max() > 0 and g.min() < 0)
    if scale == 0.0 or (single_signed and cfg.skip_single_signed):
        return _unevolved(beams, before, cfg, time.perf_counter() - t0)
    g_unit = g / scale
    wavenumber, rates = box_growth_rates(beams.mu, g_unit, cfg.box_length, cfg.n_z)
    t_end, window = _run_length(float(rates.max()), cfg)
    threads = numba.get_num_threads()
    if cfg.n_z * cfg.n_mu < _THREADED_POINTS:
        # a step on a small grid is ~0.1 ms of work: waking a thread pool costs more than it
        # saves (and stalls on a loaded machine); many cells run one per core in evolve_many
        numba.set_num_threads(1)
    try:
        run = _integrate(beams.mu, g_unit, cfg, t_end, window)
    finally:
        numba.set_num_threads(threads)
    rate, mode = _fit_growth(run["t"], run["spectrum"], run["rms"])
    survival = np.clip(0.5 * (1.0 + run["pz_late"]), 0.0, 1.0)
    history = pd.DataFrame(
        {
            "t": run["t"] / scale,
            "transverse_rms": run["rms"],
            "dominant_mode": (
                np.sqrt(run["spectrum"][:, mode] / cfg.n_mu) / cfg.n_z if mode >= 0 else np.nan
            ),
            "lepton_number_error": run["d0_error"],
            "eln_xln_flux": run["d1z"] * scale,
            "norm_deficit": run["norm_deficit"],
            "survival_minority": run["sides"][:, 0],
            "survival_majority": run["sides"][:, 1],
        }
    )
    late = run["late"]
    nonlinear = run["rms"] >= 10 * _LINEAR_END
    return EvolveResult(
        mu=beams.mu,
        weights=beams.weights,
        eln=g,
        survival=survival,
        moments_before=before,
        moments_after=asymptotic_moments(beams, survival),
        growth_rate=rate * scale,
        growth_rate_predicted=float(rates[mode] if mode >= 0 else rates.max()) * scale,
        growth_rate_box_max=float(rates.max()) * scale,
        dominant_wavenumber=float(wavenumber[mode]) * scale if mode >= 0 else float("nan"),
        conservation_error=float(run["d0_error"].max()),
        norm_error=float(run["norm_error"]),
        saturated=bool(nonlinear.any() and run["t"][np.argmax(nonlinear)] < run["t"][late][0]),
        drift=_drift(run["t"], run["sides"], late),
        t_end=t_end / scale,
        history=history,
        seconds=time.perf_counter() - t0,
        max_iterations=int(run["iterations"]),
    )


def _drift(t: FloatArray, sides: FloatArray, late: NDArray[np.bool_]) -> float:
    """Largest change of the side-averaged survival between the halves of the averaging window."""
    first = late & (t < 0.5 * (t[late][0] + t[-1]))
    second = late & ~first
    if not first.any() or not second.any():
        return float("nan")
    return float(np.abs(sides[first].mean(axis=0) - sides[second].mean(axis=0)).max())


def _unevolved(
    beams: SpeciesBeams, before: dict[str, float], cfg: EvolveConfig, seconds: float
) -> EvolveResult:
    g = beams.eln[0]
    return EvolveResult(
        mu=beams.mu,
        weights=beams.weights,
        eln=g,
        survival=np.ones_like(g),
        moments_before=before,
        moments_after=dict(before),
        growth_rate=float("nan"),
        growth_rate_predicted=0.0,
        growth_rate_box_max=0.0,
        dominant_wavenumber=float("nan"),
        conservation_error=0.0,
        norm_error=0.0,
        saturated=False,
        drift=0.0,
        t_end=0.0,
        history=pd.DataFrame(columns=list(HISTORY_COLUMNS), dtype=np.float64),
        seconds=seconds,
        evolved=False,
    )


def _run_length(fastest: float, cfg: EvolveConfig) -> tuple[float, float]:
    """(t_end, averaging window) in units of 1/(mu0 S) from the fastest box growth rate.

    The linear phase lasts t_lin = ln(1/perturbation) / sigma; the nonlinear relaxation that
    follows scales with the instability's own time 1/sigma (weak instabilities relax slowly), so
    it lasts max(t_relax, relax_growth_times / sigma). The final ``average_window`` fraction of
    the post-linear stretch is averaged.
    """
    t_lin = math.log(1.0 / cfg.perturbation) / fastest if fastest > 0 else 0.0
    if cfg.t_end is not None:
        t_end = cfg.t_end
    else:
        relax = max(cfg.t_relax, cfg.relax_growth_times / fastest) if fastest > 0 else cfg.t_relax
        t_end = min(cfg.t_max, t_lin + relax)
    stretch = t_end - t_lin if t_end > t_lin else t_end
    return t_end, cfg.average_window * stretch


def _integrate(
    mu: FloatArray, g: FloatArray, cfg: EvolveConfig, t_end: float, window: float
) -> dict[str, Any]:
    """Run the split-step scheme on normalized G (sum |g| = 1) up to t_end; record diagnostics."""
    n_steps = max(1, math.ceil(t_end / cfg.dt))
    dt = t_end / n_steps
    p = _initial_state(cfg)
    half, full = _phase(mu, cfg, 0.5 * dt), _phase(mu, cfg, dt)
    n_rec = n_steps // cfg.diagnostics_every + 1
    t = np.zeros(n_rec)
    spectrum = np.zeros((n_rec, cfg.n_z))
    pz = np.zeros((n_rec, cfg.n_mu))
    d0 = np.zeros((n_rec, 3))
    d1z = np.zeros(n_rec)
    minority = _minority_side(g)
    sides = np.zeros((n_rec, 2))
    norm_deficit = np.zeros(n_rec)
    norm_error = 0.0
    iterations = 0
    max_iter = 100

    def record(i: int, time_now: float, xhat: NDArray[np.complex128]) -> None:
        # Box averages and |S_hat| are invariant under the advection sub-step, so they can be
        # read between the collective step and the advection that follows it.
        box = xhat[0].real / cfg.n_z  # (3, n_mu)
        t[i] = time_now
        spectrum[i] = transverse_spectrum(xhat[:, 0, :], xhat[:, 1, :])
        pz[i] = box[2]
        d0[i] = box @ g
        d1z[i] = box[2] @ (g * mu)
        weight = np.abs(g)
        for side, mask in enumerate((minority, ~minority)):
            mean_pz = (weight[mask] @ box[2, mask]) / max(weight[mask].sum(), 1e-300)
            sides[i, side] = 0.5 * (1.0 + mean_pz)

    xhat = fft.rfft(p, axis=0)
    record(0, 0.0, xhat)
    p = fft.irfft(xhat * half, n=cfg.n_z, axis=0)
    i_rec = 1
    for step in range(1, n_steps + 1):
        iterations = max(iterations, collective_step(p, mu, g, dt, cfg.tol, max_iter))
        xhat = fft.rfft(p, axis=0)
        if step % cfg.diagnostics_every == 0:
            record(i_rec, step * dt, xhat)
            deviation = np.sqrt((p * p).sum(axis=1)) - 1.0
            norm_error = max(norm_error, float(np.abs(deviation).max()))
            norm_deficit[i_rec] = -float(deviation.mean())
            i_rec += 1
        xhat *= half if step == n_steps else full
        p = fft.irfft(xhat, n=cfg.n_z, axis=0, overwrite_x=True)
    if iterations >= max_iter:
        raise RuntimeError(f"collective step did not converge in {max_iter} iterations; lower dt")
    t, spectrum, pz, d0, d1z = t[:i_rec], spectrum[:i_rec], pz[:i_rec], d0[:i_rec], d1z[:i_rec]
    norm_deficit, sides = norm_deficit[:i_rec], sides[:i_rec]
    late = t >= t_end - window
    late[-1] = True
    rms = np.sqrt(spectrum.sum(axis=1) / cfg.n_mu) / cfg.n_z
    return {
        "t": t,
        "spectrum": spectrum,
        "rms": rms,
        "pz_late": pz[late].mean(axis=0),
        "d0_error": np.linalg.norm(d0 - d0[0], axis=1),
        "d1z": d1z,
        "norm_error": norm_error,
        "norm_deficit": norm_deficit,
        "sides": sides,
        "late": late,
        "iterations": iterations,
    }
