"""Energy deposits in the liquid xenon: double-beta (single-site) and Compton-scattering gammas.

Events are stored padded, vectorized over events: arrays of shape ``(n_events, n_deposits)``
with a boolean ``mask``. Each deposit is a short electron track (a straight segment of length
half the CSDA range, the rest of the range being lost to tortuosity) which the simulator splits
into charge clusters.

Coordinates in mm: the drift axis is ``z`` with the cathode at ``z = 0`` and the two V/U wire
planes at ``z = +-drift_length``; U channels measure ``x``; ``y`` runs along the wires.

Gamma transport (photoelectric absorption or Klein-Nishina Compton scattering; pair production,
about 5 % of interactions at 2.6 MeV, is folded into Compton) uses NIST XCOM attenuation
coefficients for xenon at the liquid density 3.0 g/cm^3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import Q_BB_KEV, TL208_GAMMA_KEV, TPCConfig

__all__ = [
    "Deposits",
    "csda_range_mm",
    "double_beta_events",
    "gamma_events",
    "uniform_energy_events",
    "uniform_gamma_events",
]

ELECTRON_MASS_KEV = 510.999
LXE_DENSITY_G_CM3 = 3.0

# NIST XCOM, xenon: photon energy (MeV), total attenuation mu/rho (cm^2/g), photoelectric fraction.
_XCOM_E_MEV = np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0])
_XCOM_MU_RHO = np.array(
    [8.0, 1.9, 0.68, 0.34, 0.16, 0.11, 0.087, 0.075, 0.062, 0.054, 0.044, 0.040, 0.037]
)
_XCOM_PE_FRACTION = np.array(
    [0.95, 0.85, 0.75, 0.62, 0.42, 0.28, 0.19, 0.13, 0.07, 0.045, 0.02, 0.012, 0.008]
)


@dataclass(frozen=True)
class Deposits:
    """Padded energy deposits of a batch of events.

    Attributes:
        energy_kev: deposited energy, shape (n_events, n_deposits), keV (0 where masked).
        position_mm: track start point, shape (n_events, n_deposits, 3), mm.
        direction: unit track direction, shape (n_events, n_deposits, 3).
        length_mm: straight track extent, shape (n_events, n_deposits), mm.
        mask: which deposits exist, shape (n_events, n_deposits).
        is_gamma: event source, shape (n_events,): 0 double-beta-like, 1 gamma (multi-site prone).
    """

    energy_kev: NDArray[np.float64]
    position_mm: NDArray[np.float64]
    direction: NDArray[np.float64]
    length_mm: NDArray[np.float64]
    mask: NDArray[np.bool_]
    is_gamma: NDArray[np.int64]

    @property
    def n_events(self) -> int:
        """Number of events."""
        return int(self.energy_kev.shape[0])

    @property
    def total_energy_kev(self) -> NDArray[np.float64]:
        """Summed deposited energy per event, shape (n_events,), keV."""
        return np.where(self.mask, self.energy_kev, 0.0).sum(axis=1)

    def charge_centroid_mm(self) -> NDArray[np.float64]:
        """Energy-weighted mean position per event, shape (n_events, 3), mm."""
        w = np.where(self.mask, self.energy_kev, 0.0)
        mid = self.position_mm + 0.5 * self.length_mm[..., None] * self.direction
        return (w[..., None] * mid).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)[:, None]

    def site_count(self, resolution_mm: float = 9.0) -> NDArray[np.int64]:
        """Number of spatially separated sites per event, shape (n_events,).

        Deposits closer than ``resolution_mm`` in every coordinate are one site (greedy chaining
        in deposit order, which follows the gamma's path).
        """
        pos = self.position_mm
        k = self.mask.shape[1]
        close = np.all(np.abs(pos[:, :, None, :] - pos[:, None, :, :]) < resolution_mm, axis=-1)
        close &= self.mask[:, :, None] & self.mask[:, None, :]
        # A deposit starts a new site when no earlier deposit is close to it.
        earlier = np.tril(np.ones((k, k), dtype=bool), k=-1)
        starts = self.mask & ~np.any(close & earlier[None], axis=2)
        return starts.sum(axis=1).astype(np.int64)

    def select(self, index: NDArray[np.int64] | NDArray[np.bool_]) -> Deposits:
        """Subset of events."""
        return Deposits(
            self.energy_kev[index],
            self.position_mm[index],
            self.direction[index],
            self.length_mm[index],
            self.mask[index],
            self.is_gamma[index],
        )

    @staticmethod
    def concatenate(parts: list[Deposits]) -> Deposits:
        """Stack batches of events, padding the deposit axis to the longest."""
        k = max(p.mask.shape[1] for p in parts)

        def pad(a: NDArray, fill: float | bool = 0) -> NDArray:
            width = [(0, 0), (0, k - a.shape[1])] + [(0, 0)] * (a.ndim - 2)
            return np.pad(a, width, constant_values=fill)

        return Deposits(
            np.concatenate([pad(p.energy_kev) for p in parts]),
            np.concatenate([pad(p.position_mm) for p in parts]),
            np.concatenate([pad(p.direction) for p in parts]),
            np.concatenate([pad(p.length_mm) for p in parts]),
            np.concatenate([pad(p.mask, False) for p in parts]),
            np.concatenate([p.is_gamma for p in parts]),
        )


def csda_range_mm(energy_kev: NDArray[np.float64]) -> NDArray[np.float64]:
    """Electron CSDA range in liquid xenon, mm; power-law fit to NIST ESTAR (within ~30 %, 0.1-3 MeV).

    Args:
        energy_kev: electron kinetic energy, any shape, keV.
    """
    return 2.2 * (np.maximum(energy_kev, 0.0) / 1000.0) ** 1.25


def _isotropic(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.float64]:
    cos_t = rng.uniform(-1.0, 1.0, shape)
    phi = rng.uniform(0.0, 2 * np.pi, shape)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)


def _check_n(n_events: int) -> None:
    if n_events < 1:
        raise ValueError(f"n_events = {n_events} must be >= 1")


def _uniform_vertices(
    n: int, config: TPCConfig, rng: np.random.Generator, margin_mm: float
) -> NDArray[np.float64]:
    """Uniform points in the fiducial cylinder (radius and drift length shrunk by the margin)."""
    radius = config.half_width_mm - margin_mm
    r = radius * np.sqrt(rng.uniform(0, 1, n))
    phi = rng.uniform(0, 2 * np.pi, n)
    z = rng.uniform(margin_mm, config.drift_length_mm - margin_mm, n) * rng.choice([-1.0, 1.0], n)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)


def _single_site(
    energy: NDArray[np.float64], config: TPCConfig, rng: np.random.Generator, margin_mm: float
) -> Deposits:
    """Two electron tracks from one vertex sharing ``energy`` (double-beta topology)."""
    n = energy.shape[0]
    vertex = _uniform_vertices(n, config, rng, margin_mm)
    share = rng.beta(2.0, 2.0, n)
    e = np.stack([share * energy, (1 - share) * energy], axis=1)
    pos = np.repeat(vertex[:, None, :], 2, axis=1)
    direction = _isotropic(rng, (n, 2))
    return Deposits(
        e, pos, direction, 0.5 * csda_range_mm(e), np.ones((n, 2), bool), np.zeros(n, np.int64)
    )


def double_beta_events(
    n_events: int,
    config: TPCConfig | None = None,
    rng: np.random.Generator | None = None,
    energy_kev: float = Q_BB_KEV,
    margin_mm: float = 15.0,
) -> Deposits:
    """Neutrinoless double-beta decays at ``energy_kev`` (single-site), uniform in the fiducial volume.

    Args:
        n_events: number of events.
        config: detector (default :class:`TPCConfig`).
        rng: random generator.
        energy_kev: summed electron energy (default Q = 2457.83 keV).
        margin_mm: fiducial cut from the walls and the planes, mm.
    """
    _check_n(n_events)
    cfg, g = config or TPCConfig(), rng or np.random.default_rng()
    return _single_site(np.full(n_events, float(energy_kev)), cfg, g, margin_mm)


def uniform_energy_events(
    n_events: int,
    config: TPCConfig | None = None,
    rng: np.random.Generator | None = None,
    e_min_kev: float = 500.0,
    e_max_kev: float = 3500.0,
    margin_mm: float = 15.0,
) -> Deposits:
    """Single-site events with energy uniform in ``[e_min_kev, e_max_kev]`` (unbiased training set)."""
    _check_n(n_events)
    if not 0 < e_min_kev < e_max_kev:
        raise ValueError(
            f"energy range [{e_min_kev}, {e_max_kev}] keV must satisfy 0 < e_min < e_max"
        )
    cfg, g = config or TPCConfig(), rng or np.random.default_rng()
    return _single_site(g.uniform(e_min_kev, e_max_kev, n_events), cfg, g, margin_mm)


def _interp_loglog(e_kev: NDArray[np.float64], table: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.log(np.clip(e_kev / 1000.0, _XCOM_E_MEV[0], _XCOM_E_MEV[-1]))
    return np.exp(np.interp(x, np.log(_XCOM_E_MEV), np.log(table)))


def _distance_to_exit(
    p: NDArray[np.float64], d: NDArray[np.float64], radius: float, half_length: float
) -> NDArray[np.float64]:
    """Distance along ``d`` from inside point ``p`` to the cylinder surface, shape (n,)."""
    a = np.maximum(d[:, 0] ** 2 + d[:, 1] ** 2, 1e-15)
    b = 2 * (p[:, 0] * d[:, 0] + p[:, 1] * d[:, 1])
    c = p[:, 0] ** 2 + p[:, 1] ** 2 - radius**2
    t_side = (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))) / (2 * a)
    with np.errstate(divide="ignore"):
        t_cap = np.where(
            d[:, 2] > 0, (half_length - p[:, 2]) / d[:, 2], (-half_length - p[:, 2]) / d[:, 2]
        )
    t_cap = np.where(np.abs(d[:, 2]) < 1e-12, np.inf, t_cap)
    return np.maximum(np.minimum(t_side, t_cap), 0.0)


def _klein_nishina_cos(e_kev: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    """Scattering-angle cosines from the Klein-Nishina cross section by vectorized rejection."""
    k = e_kev / ELECTRON_MASS_KEV
    out = np.empty_like(k)
    todo = np.arange(k.size)
    while todo.size:
        c = rng.uniform(-1.0, 1.0, todo.size)
        p = 1.0 / (1.0 + k[todo] * (1.0 - c))
        # dsigma/dOmega ~ P^2 (P + 1/P - sin^2), maximal (= 2) in the forward direction.
        ok = rng.uniform(0.0, 2.0, todo.size) < p * p * (p + 1.0 / p - (1.0 - c * c))
        out[todo[ok]] = c[ok]
        todo = todo[~ok]
    return out


def _rotate(
    d: NDArray[np.float64], cos_t: NDArray[np.float64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """New unit directions at polar angle acos(cos_t) about ``d`` with uniform azimuth."""
    phi = rng.uniform(0, 2 * np.pi, cos_t.size)
    sin_t = np.sqrt(np.maximum(1 - cos_t**2, 0.0))
    helper = np.where(
        np.abs(d[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]])
    )
    u = np.cross(d, helper)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v = np.cross(d, u)
    return cos_t[:, None] * d + sin_t[:, None] * (
        np.cos(phi)[:, None] * u + np.sin(phi)[:, None] * v
    )


def gamma_events(
    n_events: int,
    config: TPCConfig | None = None,
    rng: np.random.Generator | None = None,
    energy_kev: float | NDArray[np.float64] = TL208_GAMMA_KEV,
    source_offset_mm: float = 25.0,
    max_interactions: int = 8,
) -> Deposits:
    """Gammas from an external calibration source that interact at least once in the xenon.

    The source sits outside the cylinder wall at the cathode plane (like EXO-200's source tube);
    gammas are aimed at uniform points of the volume (a variance-reduction choice: the angular
    acceptance is not modelled). Each vertex is photoelectric (all remaining energy deposited)
    or Compton (Klein-Nishina); the gamma stops on escape or after ``max_interactions``, where
    its remaining energy is deposited locally.

    Args:
        n_events: number of interacting gammas.
        config: detector geometry.
        rng: random generator.
        energy_kev: gamma energy (default 2614.5 keV, 208Tl), scalar or shape (n_events,).
        source_offset_mm: source distance outside the cylinder wall.
        max_interactions: deposit slots per event.
    """
    _check_n(n_events)
    e_start = np.broadcast_to(np.asarray(energy_kev, np.float64), (n_events,)).copy()
    if np.any(e_start <= 0):
        raise ValueError(f"gamma energy must be > 0 keV; got minimum {e_start.min()}")
    cfg, g = config or TPCConfig(), rng or np.random.default_rng()
    radius, half_len = cfg.half_width_mm, cfg.drift_length_mm
    source = np.array([0.0, -(radius + source_offset_mm), 0.0])

    # First interaction points: resample gammas that cross without interacting.
    first = np.empty((n_events, 3))
    first_dir = np.empty((n_events, 3))
    todo = np.arange(n_events)
    lam0 = 10.0 / (_interp_loglog(e_start, _XCOM_MU_RHO) * LXE_DENSITY_G_CM3)
    while todo.size:
        target = _uniform_vertices(todo.size, cfg, g, 0.0)
        d = target - source
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        a = d[:, 0] ** 2 + d[:, 1] ** 2
        b = 2 * (source[0] * d[:, 0] + source[1] * d[:, 1])
        c = source[0] ** 2 + source[1] ** 2 - radius**2
        t_in = (-b - np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))) / (2 * a)
        entry = source + t_in[:, None] * d
        s = g.exponential(lam0[todo])
        ok = s < _distance_to_exit(entry, d, radius, half_len)
        first[todo[ok]] = entry[ok] + s[ok, None] * d[ok]
        first_dir[todo[ok]] = d[ok]
        todo = todo[~ok]

    k = max_interactions
    e_dep = np.zeros((n_events, k))
    pos = np.zeros((n_events, k, 3))
    mask = np.zeros((n_events, k), bool)
    e_gamma = e_start.copy()
    alive = np.ones(n_events, bool)
    p, d = first, first_dir
    for i in range(k):
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        e = e_gamma[idx]
        photo = (g.uniform(0, 1, idx.size) < _interp_loglog(e, _XCOM_PE_FRACTION)) | (i == k - 1)
        cos_t = _klein_nishina_cos(e, g)
        e_out = np.where(photo, 0.0, e / (1.0 + e / ELECTRON_MASS_KEV * (1.0 - cos_t)))
        e_dep[idx, i] = e - e_out
        pos[idx, i] = p[idx]
        mask[idx, i] = True
        new_d = _rotate(d[idx], cos_t, g)
        lam = 10.0 / (_interp_loglog(np.maximum(e_out, 1.0), _XCOM_MU_RHO) * LXE_DENSITY_G_CM3)
        step = g.exponential(lam)
        inside = step < _distance_to_exit(p[idx], new_d, radius, half_len)
        cont = ~photo & inside
        p = p.copy()
        d = d.copy()
        p[idx] = p[idx] + step[:, None] * new_d
        d[idx] = new_d
        e_gamma[idx] = e_out
        alive[idx] = cont
    # The recoil electron's direction is taken isotropic: its track is shorter than the pitch.
    direction = _isotropic(g, (n_events, k))
    return Deposits(
        e_dep, pos, direction, 0.5 * csda_range_mm(e_dep), mask, np.ones(n_events, np.int64)
    )


def uniform_gamma_events(
    n_events: int,
    config: TPCConfig | None = None,
    rng: np.random.Generator | None = None,
    e_min_kev: float = 500.0,
    e_max_kev: float = 3500.0,
) -> Deposits:
    """Gammas with energy uniform in ``[e_min_kev, e_max_kev]``: multi-site topologies, flat spectrum.

    Training on these instead of a line source avoids teaching a network the line energies
    (the EXO-200 lesson, Delaquis et al. 2018).
    """
    _check_n(n_events)
    if not 0 < e_min_kev < e_max_kev:
        raise ValueError(
            f"energy range [{e_min_kev}, {e_max_kev}] keV must satisfy 0 < e_min < e_max"
        )
    g = rng or np.random.default_rng()
    return gamma_events(n_events, config, g, energy_kev=g.uniform(e_min_kev, e_max_kev, n_events))
