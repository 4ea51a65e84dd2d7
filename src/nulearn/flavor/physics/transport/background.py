r"""Static, parametrized post-bounce supernova backgrounds: density, temperature, Ye versus radius.

A profile is a proto-neutron-star (PNS) atmosphere on top of a power-law mantle, cut by a
standing accretion shock:

.. math:: \rho(r) = \left[\rho_{in}\,e^{-(r - r_{in})/h} + \rho_{30}\,(r/30\,{\rm km})^{-n}\right]
          \times \left[1 - (1 - 1/\xi)\,\sigma\!\left(\frac{r - r_{sh}}{w_{sh}}\right)\right]

(``sigma`` the logistic function, ``xi`` the shock compression), ``T(r) = T_in (r/r_in)^{-q}``
reduced by the same shock factor to the power 1/3, and an electron fraction fixed through the
beta-equilibrium nue degeneracy it implies. Where neutrinos decouple, matter is close to beta
equilibrium with them, and ``eta_nue`` (not Ye itself) sets the ratio of nuebar to nue, so the profile
is parametrized as

.. math:: \eta_{\nu_e}(r) = \eta_{out} + (\eta_{in} - \eta_{out})\,e^{-(r-r_{in})/L}
          - d\,e^{-((r-r_d)/w_d)^2}

and ``Ye(r)`` is the root of ``eta_nue(rho, T, Ye) = eta(r)`` (:mod:`.equilibrium`), within
[0.03, 0.5], blended to Ye = 0.5 across the shock (pre-shock matter is not in beta equilibrium): a deleptonized
PNS (degenerate nue, low Ye) under a mantle with Ye rising outwards, and optional low-Ye pockets
(``d > 0``) where nuebar become abundant and ELN crossings appear (Nagakura et al. 2021,
PRD 104, 063014; Abbar et al. 2023, arXiv:2310.03807 Sec. II).

The default ranges of :data:`PARAMETER_RANGES` bracket 200-300 ms post-bounce conditions of
1D/2D models (e.g. Fischer et al. 2012; Nagakura et al. 2019, ApJ 880, 28).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.physics.transport.equilibrium import equilibrium_degeneracies
from nulearn.ml.config import FloatConfig

__all__ = [
    "PARAMETER_RANGES",
    "Background",
    "BackgroundParams",
    "build_background",
    "electron_fraction_for_degeneracy",
    "perturb_background_params",
    "radial_grid",
    "sample_background_params",
]

YE_MIN, YE_MAX = 0.03, 0.5
#: Electron fraction of the infalling pre-shock matter (not in beta equilibrium with neutrinos).
PRESHOCK_YE = 0.5
#: Mass fraction of free nucleons ahead of the shock (the infalling matter is mostly heavy nuclei).
PRESHOCK_FREE_NUCLEONS = 1e-3

# (low, high, "lin" | "log") for every randomized parameter; documented physical ranges.
PARAMETER_RANGES: dict[str, tuple[float, float, str]] = {
    "inner_radius_km": (12.0, 20.0, "lin"),  # inner boundary inside the PNS (opaque to all species)
    "inner_density_g_cm3": (3e12, 3e13, "log"),
    "scale_height_km": (1.0, 3.0, "lin"),  # PNS atmosphere scale height
    "mantle_density_g_cm3": (3e10, 3e11, "log"),  # power-law mantle normalisation at 30 km
    "mantle_power": (2.5, 4.0, "lin"),
    "shock_radius_km": (80.0, 250.0, "lin"),
    "shock_compression": (4.0, 10.0, "lin"),
    "inner_temperature_mev": (7.0, 13.0, "lin"),
    "temperature_power": (0.6, 1.2, "lin"),
    "inner_degeneracy": (2.0, 8.0, "lin"),  # eta_nue in the deleptonized PNS (low Ye)
    "outer_degeneracy": (-1.0, 0.6, "lin"),  # eta_nue in the decoupling and gain regions
    "degeneracy_length_km": (2.0, 10.0, "lin"),
    "ye_dip_depth": (0.0, 1.0, "lin"),  # low-Ye pocket, as a drop of eta_nue
    "ye_dip_radius_km": (20.0, 80.0, "lin"),
    "ye_dip_width_km": (3.0, 20.0, "lin"),
    "heavy_lepton_degeneracy": (0.0, 0.25, "lin"),  # muon-like nux/nuxbar asymmetry eta_x = +-delta
    "antineutrino_weak_magnetism": (0.8, 1.0, "lin"),  # ratio of nubar to nu cross sections
    "pair_absorption_ratio": (0.005, 0.1, "log"),  # heavy-lepton kappa_a / kappa_s (pair processes)
}


@dataclass(frozen=True)
class BackgroundParams(FloatConfig):
    """Parameters of one background profile (see the module docstring for the formulae); round-trips
    to YAML (:class:`FloatConfig`)."""

    inner_radius_km: float = 15.0
    inner_density_g_cm3: float = 1e13
    scale_height_km: float = 2.0
    mantle_density_g_cm3: float = 1e11
    mantle_power: float = 3.0
    shock_radius_km: float = 150.0
    shock_compression: float = 7.0
    inner_temperature_mev: float = 10.0
    temperature_power: float = 0.9
    inner_degeneracy: float = 5.0
    outer_degeneracy: float = 0.5
    degeneracy_length_km: float = 8.0
    ye_dip_depth: float = 0.0
    ye_dip_radius_km: float = 40.0
    ye_dip_width_km: float = 10.0
    heavy_lepton_degeneracy: float = 0.0
    antineutrino_weak_magnetism: float = 0.9
    pair_absorption_ratio: float = 0.03
    outer_radius_km: float = 500.0
    shock_width_km: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value}")
        signed = {"ye_dip_depth", "heavy_lepton_degeneracy", "inner_degeneracy", "outer_degeneracy"}
        for name in (f.name for f in fields(self) if f.name not in signed):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.outer_radius_km <= 2 * self.inner_radius_km:
            raise ValueError(
                f"outer_radius_km={self.outer_radius_km} must exceed 2 x inner_radius_km={self.inner_radius_km}"
            )


@dataclass(frozen=True)
class Background:
    """Matter profile on the radial grid.

    Attributes:
        radius: r (km), shape (n_r,).
        density: rho (g cm^-3), shape (n_r,).
        temperature: T (MeV), shape (n_r,).
        electron_fraction: Ye, shape (n_r,).
        params: the parameters it was built from.
        free_nucleon_fraction: mass fraction of free nucleons, shape (n_r,): 1 behind the shock
            (dissociated matter), PRESHOCK_FREE_NUCLEONS ahead of it; charged-current emission
            and absorption scale with it.
    """

    radius: NDArray[np.float64]
    density: NDArray[np.float64]
    temperature: NDArray[np.float64]
    electron_fraction: NDArray[np.float64]
    params: BackgroundParams
    free_nucleon_fraction: NDArray[np.float64] | None = None


def radial_grid(params: BackgroundParams, n_radii: int) -> NDArray[np.float64]:
    """Radial nodes (km), shape (n_radii,): log-spaced, plus a finer log spacing in the first
    ``6 h + 15`` km so the steep PNS atmosphere (where the neutrinospheres sit) is resolved.

    Half of the nodes go to [r_in, r_in + 6h + 15 km], the rest log-spaced to the outer radius.
    """
    if n_radii < 8:
        raise ValueError(f"n_radii must be >= 8, got {n_radii}")
    r_in, r_out = params.inner_radius_km, params.outer_radius_km
    r_mid = min(r_in + 6 * params.scale_height_km + 15.0, 0.5 * (r_in + r_out))
    n_inner = n_radii // 2
    inner = np.geomspace(r_in, r_mid, n_inner, endpoint=False)
    outer = np.geomspace(r_mid, r_out, n_radii - n_inner)
    return np.concatenate([inner, outer])


def build_background(params: BackgroundParams, n_radii: int = 128) -> Background:
    """Evaluate the parametrized profile on :func:`radial_grid`.

    Args:
        params: profile parameters.
        n_radii: number of radial nodes.

    Returns:
        :class:`Background`; Ye within [YE_MIN, YE_MAX].
    """
    p = params
    r = radial_grid(p, n_radii)
    shock = 1.0 / (1.0 + np.exp(-(r - p.shock_radius_km) / p.shock_width_km))
    jump = 1.0 - (1.0 - 1.0 / p.shock_compression) * shock
    rho = (
        p.inner_density_g_cm3 * np.exp(-(r - p.inner_radius_km) / p.scale_height_km)
        + p.mantle_density_g_cm3 * (r / 30.0) ** (-p.mantle_power)
    ) * jump
    temp = (
        p.inner_temperature_mev
        * (r / p.inner_radius_km) ** (-p.temperature_power)
        * jump ** (1 / 3)
    )
    eta = (
        p.outer_degeneracy
        + (p.inner_degeneracy - p.outer_degeneracy)
        * np.exp(-(r - p.inner_radius_km) / p.degeneracy_length_km)
        - p.ye_dip_depth * np.exp(-(((r - p.ye_dip_radius_km) / p.ye_dip_width_km) ** 2))
    )
    # Inside the shock matter is near beta equilibrium with the neutrinos (Ye from eta); the
    # infalling pre-shock matter keeps Ye = 0.5 and is mostly heavy nuclei, so it neither emits
    # nor absorbs much. Without this the cold, dilute outer layers would glow in nuebar (their
    # equilibrium eta_nue is < 0), an artefact that would set the sign of the backward ELN halo.
    ye_eq = electron_fraction_for_degeneracy(rho, temp, eta)
    ye = ye_eq + (PRESHOCK_YE - ye_eq) * shock
    free = 1.0 + (PRESHOCK_FREE_NUCLEONS - 1.0) * shock
    return Background(r, rho, temp, ye, p, free)


def electron_fraction_for_degeneracy(
    density_g_cm3: NDArray[np.float64],
    temperature_mev: NDArray[np.float64],
    eta_nue: NDArray[np.float64],
    bounds: tuple[float, float] = (YE_MIN, YE_MAX),
) -> NDArray[np.float64]:
    """Ye at which beta equilibrium gives the nue degeneracy ``eta_nue``, shape (n_r,).

    eta_nue increases monotonically with Ye (more electrons, fewer neutrons), so the root is found
    by vectorized bisection; targets outside what ``bounds`` allows are clipped to the bound.
    """
    lo = np.full_like(eta_nue, bounds[0])
    hi = np.full_like(eta_nue, bounds[1])
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        too_high = equilibrium_degeneracies(density_g_cm3, mid, temperature_mev)[0] > eta_nue
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return 0.5 * (lo + hi)


def _from_unit_coordinate(u: Any, lo: float, hi: float, scale: str) -> Any:
    """Value at unit coordinate ``u`` (scalar or array) of the range [lo, hi], log-spaced for "log"."""
    return lo * (hi / lo) ** u if scale == "log" else lo + (hi - lo) * u


def _unit_coordinate(value: float, lo: float, hi: float, scale: str) -> float:
    """Position of ``value`` in its range, 0 at ``lo`` and 1 at ``hi`` (log-spaced for "log")."""
    if scale == "log":
        return float(np.log(value / lo) / np.log(hi / lo))
    return (value - lo) / (hi - lo)


def sample_background_params(
    n: int, seed: int = 0, outer_radius_km: float = 500.0, dip_probability: float = 0.6
) -> list[BackgroundParams]:
    """Draw ``n`` profiles uniformly (or log-uniformly) within :data:`PARAMETER_RANGES`.

    Args:
        n: number of profiles (>= 1).
        seed: seed of the NumPy generator (deterministic).
        outer_radius_km: outer boundary of every profile.
        dip_probability: chance that a profile has a low-Ye pocket (else depth 0).

    Returns:
        List of :class:`BackgroundParams`.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    draws: dict[str, NDArray[np.float64]] = {}
    for name, (lo, hi, scale) in PARAMETER_RANGES.items():
        draws[name] = _from_unit_coordinate(rng.random(n), lo, hi, scale)
    draws["ye_dip_depth"] = np.where(rng.random(n) < dip_probability, draws["ye_dip_depth"], 0.0)
    return [
        BackgroundParams(
            **{k: float(v[i]) for k, v in draws.items()}, outer_radius_km=outer_radius_km
        )
        for i in range(n)
    ]


def perturb_background_params(
    params: list[BackgroundParams], step: float, seed: int = 0
) -> list[BackgroundParams]:
    """Nearby profiles: every ranged parameter moved by ``step`` x N(0, 1) of its range.

    The analogue of a later snapshot of the same simulation: in the unit coordinates of
    :data:`PARAMETER_RANGES` (log-spaced where the range is), each parameter moves by a normal
    step of standard deviation ``step`` and is reflected back into [0, 1]. A profile without a
    low-Ye pocket keeps none; the outer radius is kept. ``step`` = 0 returns equal profiles.

    Args:
        params: the profiles to move.
        step: standard deviation of the move as a fraction of each range (>= 0).
        seed: seed of the NumPy generator (deterministic).

    Returns:
        One moved :class:`BackgroundParams` per input, in order.
    """
    if not np.isfinite(step) or step < 0:
        raise ValueError(f"step must be finite and >= 0, got {step}")
    if step == 0.0:
        return list(params)  # exactly, without a round trip through unit coordinates
    rng = np.random.default_rng(seed)
    moved = []
    for p in params:
        values = {f.name: getattr(p, f.name) for f in fields(p)}
        for name, (lo, hi, scale) in PARAMETER_RANGES.items():
            if name == "ye_dip_depth" and values[name] == 0.0:
                continue
            u = _unit_coordinate(values[name], lo, hi, scale) + step * rng.standard_normal()
            u = float(np.abs(u) % 2.0)
            u = 2.0 - u if u > 1.0 else u  # reflect into [0, 1]
            values[name] = _from_unit_coordinate(u, lo, hi, scale)
        moved.append(BackgroundParams(**values))
    return moved
