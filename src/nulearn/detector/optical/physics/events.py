"""Truth of the simulated events: up-going nu_mu charged-current muon tracks and cascades (the
neutrino signal) and down-going atmospheric muon bundles (the background).

Directions are the particles' directions of travel (unit vectors); an up-going event travels
with ``direction[:, 2] > 0``. Every kind has energies log-uniform in [e_min_gev, e_max_gev] so
that the resolution can be read at every energy.

* ``KIND_TRACK`` (0): the muon of a nu_mu CC interaction, travel direction uniform in solid angle
  over the upper hemisphere, passing within ``impact_radius_m`` of the array centre; it starts
  at the interaction vertex (upstream of the array or inside it) and ranges out after
  R(E) = ln(1 + E b/a)/b.
* ``KIND_CASCADE`` (1): a nu_e CC / NC shower at a vertex inside the array cylinder, neutrino
  direction up-going as for tracks.
* ``KIND_BUNDLE`` (2): a bundle of 1 + Poisson parallel muons from an air shower, through-going,
  down-going with |u_z| in [horizon_uz, 1] distributed as |u_z| (flux per solid angle
  through a horizontal plane).

>>> from nulearn.detector.optical.physics.config import OpticalConfig
>>> t = generate_truth(np.array([0, 1, 2]), OpticalConfig(), np.random.default_rng(0))
>>> t.direction.shape, bool(t.direction[2, 2] < 0), t.is_signal.tolist()
((3, 3), True, [1, 1, 0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.optical.physics.config import OpticalConfig

__all__ = [
    "KIND_BUNDLE",
    "KIND_CASCADE",
    "KIND_NAMES",
    "KIND_TRACK",
    "Truth",
    "event_kinds",
    "generate_truth",
    "muon_range_m",
]

KIND_TRACK, KIND_CASCADE, KIND_BUNDLE = 0, 1, 2
KIND_NAMES: tuple[str, ...] = ("nu_mu CC track", "cascade", "muon bundle")


@dataclass(frozen=True)
class Truth:
    """True properties of n events.

    Attributes:
        kind: event kind (``KIND_*``), shape (n,).
        energy_gev: muon energy (tracks), shower energy (cascades), bundle energy, shape (n,).
        direction: unit direction of travel, shape (n, 3).
        vertex_m: a point of the track (tracks: the interaction vertex; bundles: the point of
            closest approach to the array centre) or the cascade vertex, shape (n, 3).
        track_start_m, track_end_m: the light-emitting segment along ``direction`` from
            ``vertex_m`` (bundles: +-inf; cascades: 0, 0), shape (n,).
        multiplicity: muons in the event (tracks: 1; cascades: 0), shape (n,).
    """

    kind: NDArray[np.int8]
    energy_gev: NDArray[np.float64]
    direction: NDArray[np.float64]
    vertex_m: NDArray[np.float64]
    track_start_m: NDArray[np.float64]
    track_end_m: NDArray[np.float64]
    multiplicity: NDArray[np.int32]

    @property
    def is_signal(self) -> NDArray[np.int8]:
        """1 for neutrino events (tracks and cascades), 0 for muon bundles."""
        return (self.kind != KIND_BUNDLE).astype(np.int8)

    def __len__(self) -> int:
        return int(self.kind.shape[0])


def muon_range_m(energy_gev: NDArray[np.float64], config: OpticalConfig) -> NDArray[np.float64]:
    """Mean muon range R(E) = ln(1 + E b/a)/b in m (continuous-loss approximation)."""
    a, b = config.dedx_a_gev_per_m, config.dedx_b_per_m
    return np.log1p(np.asarray(energy_gev) * b / a) / b


def event_kinds(
    n: int, signal_fraction: float, cascade_fraction: float, rng: np.random.Generator
) -> NDArray[np.int8]:
    """Kinds of n events: ``signal_fraction`` neutrinos, of which ``cascade_fraction`` cascades.

    Counts are exact (rounded), the order shuffled.
    """
    if n < 1:
        raise ValueError(f"number of events = {n}; allowed range [1, inf)")
    for name, f in (("signal fraction", signal_fraction), ("cascade fraction", cascade_fraction)):
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"{name} = {f}; allowed range [0, 1]")
    n_sig = round(n * signal_fraction)
    n_casc = round(n_sig * cascade_fraction)
    kinds = np.full(n, KIND_BUNDLE, dtype=np.int8)
    kinds[:n_sig] = KIND_TRACK
    kinds[:n_casc] = KIND_CASCADE
    return rng.permutation(kinds)


def _perpendicular_basis(u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(u, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    return e1, np.cross(u, e1)


def _directions(uz: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.float64]:
    phi = 2 * np.pi * rng.random(uz.shape[0])
    s = np.sqrt(np.clip(1 - uz**2, 0.0, None))
    return np.column_stack([s * np.cos(phi), s * np.sin(phi), uz])


def generate_truth(
    kind: NDArray[np.integer], config: OpticalConfig, rng: np.random.Generator
) -> Truth:
    """Draw the truth of events of the given kinds (vectorised over events).

    Args:
        kind: ``KIND_*`` per event, shape (n,).
        config: array and generation parameters.
        rng: random generator.
    """
    kinds: NDArray[np.int8] = np.asarray(kind, dtype=np.int8)
    n = kinds.shape[0]
    log_e = rng.uniform(np.log10(config.e_min_gev), np.log10(config.e_max_gev), n)
    energy = 10.0**log_e
    track, casc, bundle = kinds == KIND_TRACK, kinds == KIND_CASCADE, kinds == KIND_BUNDLE
    # Up-going: uniform in solid angle, u_z uniform in (0, 1). Down-going bundles: pdf ~ |u_z|
    # on [h, 1], drawn by inverting its CDF.
    up = rng.random(n)
    h = config.horizon_uz
    down = -np.sqrt(h**2 + rng.random(n) * (1 - h**2))
    direction = _directions(np.where(bundle, down, up), rng)
    # Tracks pass a point uniform in a disc perpendicular to the direction.
    e1, e2 = _perpendicular_basis(direction)
    rad = config.impact_radius_m * np.sqrt(rng.random(n))
    ang = 2 * np.pi * rng.random(n)
    closest = rad[:, None] * (np.cos(ang)[:, None] * e1 + np.sin(ang)[:, None] * e2)
    closest[:, 2] += config.centre_z_m
    rng_m = muon_range_m(energy, config)
    # The nu_mu vertex lies upstream of the closest point by up to the muon range, or up to
    # 400 m downstream of it (an interaction inside the array): starting tracks are included.
    upstream = np.minimum(rng.uniform(0.0, 1.0, n) * (rng_m + 400.0) - 400.0, rng_m)
    vertex = np.where(track[:, None], closest - upstream[:, None] * direction, closest)
    cyl_r = config.cascade_radius_m * np.sqrt(rng.random(n))
    cyl_phi = 2 * np.pi * rng.random(n)
    cz = rng.uniform(-config.cascade_half_height_m, config.cascade_half_height_m, n)
    cascade_vertex = np.column_stack([cyl_r * np.cos(cyl_phi), cyl_r * np.sin(cyl_phi), cz])
    cascade_vertex[:, 2] += config.centre_z_m
    vertex = np.where(casc[:, None], cascade_vertex, vertex)
    start = np.where(bundle, -np.inf, 0.0)
    end = np.where(bundle, np.inf, np.where(track, rng_m, 0.0))
    extra = rng.poisson(config.bundle_mean_extra * (energy / 1000.0) ** 0.3)
    multiplicity = np.where(bundle, 1 + extra, np.where(track, 1, 0)).astype(np.int32)
    return Truth(kinds, energy, direction, vertex, start, end, multiplicity)
