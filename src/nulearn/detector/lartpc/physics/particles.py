"""Charged-particle trajectories of one readout window: cosmic muons and neutrino interactions.

Every particle is a set of straight *segments* (start, direction, length); a segment deposits
energy along its length with a stopping power chosen by its ``kind``:

* ``MIP``: minimum ionising, 2.1 MeV/cm with Landau-like (Moyal) fluctuations of each step:
  through-going muons, shower electrons, pions in flight;
* ``PROTON``: Bragg curve ``dE/dx = 17 R^-0.42`` MeV/cm of the residual range ``R`` in cm
  (the ArgoNeuT/MicroBooNE particle-identification parametrisation), range
  ``R = 0.0022 T^1.77`` cm for kinetic energy ``T`` in MeV (CSDA fit to PSTAR in argon);
* ``MUON``: stopping muon, ``dE/dx = max(8 R^-0.37, 2.1)`` MeV/cm.

Cosmic muons follow the sea-level ``cos^2 theta`` zenith distribution, cross the whole 4 m
height (straight: GeV muons scatter far less than a pixel), arrive at a time ``t0`` uniform within
one drift time before or after the trigger (so out-of-time ones are displaced in drift time and
cut at the window edges), and a fraction stop and decay to a Michel electron. Neutrino
interactions (t0 = 0, vertex inside the volume) are nu_mu CC (a muon, Michel electron at its
stop) or nu_e CC (an electron shower), with protons and sometimes a charged pion or a pi0 (two
photon showers, each displaced by its conversion length).

EM showers are a branching process (:func:`em_shower`): above the critical energy (32 MeV in
argon) an electron radiates after ``~X0`` (14 cm), the photon converting after an exponential
distance of mean ``9/7 X0`` into a new electron, the angles kinked by multiple scattering
``21 MeV / E sqrt(l/X0)``, which makes the Moliere-like lateral spread (R_M = 9 cm); below it
the electron ranges out at 2.1 MeV/cm.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.lartpc.physics.config import LArTPCConfig

__all__ = [
    "COSMIC",
    "MIP",
    "MUON",
    "NEUTRINO",
    "PROTON",
    "Segments",
    "cosmic_segments",
    "em_shower",
    "michel_energy",
    "neutrino_segments",
    "proton_range_mm",
]

MIP, PROTON, MUON = 0, 1, 2
COSMIC, NEUTRINO = 1, 2  # label values (0 is background)
X0_MM = 140.0  # radiation length of liquid argon
CRITICAL_MEV = 32.0  # critical energy of liquid argon
MIP_MEV_PER_MM = 0.21
MICHEL_MAX_MEV = 52.8
_SCATTER_MEV = 21.0  # E_s of the multiple-scattering angle


@dataclass(frozen=True)
class Segments:
    """Straight trajectory pieces, one row each (lengths in mm, times in microseconds).

    Attributes:
        start: (n, 3) start point (x drift from the anode, y up, z along the wires' axis).
        direction: (n, 3) unit vectors.
        length: (n,) lengths.
        kind: (n,) stopping-power kind (MIP, PROTON, MUON).
        range_end: (n,) residual range left at the segment's end (0 for a particle that stops
            there), for the Bragg kinds.
        label: (n,) truth class (COSMIC or NEUTRINO).
        t0: (n,) arrival time relative to the trigger.
        event: (n,) event index.
    """

    start: NDArray[np.float64]
    direction: NDArray[np.float64]
    length: NDArray[np.float64]
    kind: NDArray[np.int64]
    range_end: NDArray[np.float64]
    label: NDArray[np.int64]
    t0: NDArray[np.float64]
    event: NDArray[np.int64]

    @staticmethod
    def make(
        start: NDArray[np.float64],
        direction: NDArray[np.float64],
        length: float | NDArray[np.float64],
        kind: int | NDArray[np.int64],
        label: int,
        t0: float | NDArray[np.float64] = 0.0,
        event: int = 0,
        range_end: float | NDArray[np.float64] = 0.0,
    ) -> Segments:
        """Segments of one event from arrays and scalars (scalars are broadcast)."""
        start = np.atleast_2d(np.asarray(start, dtype=np.float64))
        n = start.shape[0]
        d = np.atleast_2d(np.asarray(direction, dtype=np.float64))
        d = d / np.linalg.norm(d, axis=1, keepdims=True)
        return Segments(
            start,
            np.broadcast_to(d, (n, 3)).copy(),
            np.broadcast_to(np.asarray(length, dtype=np.float64), (n,)).copy(),
            np.broadcast_to(np.asarray(kind, dtype=np.int64), (n,)).copy(),
            np.broadcast_to(np.asarray(range_end, dtype=np.float64), (n,)).copy(),
            np.full(n, label, dtype=np.int64),
            np.broadcast_to(np.asarray(t0, dtype=np.float64), (n,)).copy(),
            np.full(n, event, dtype=np.int64),
        )

    @staticmethod
    def concat(parts: list[Segments]) -> Segments:
        """All segments of ``parts`` in one set."""
        if not parts:
            return Segments.make(np.zeros((0, 3)), np.ones((0, 3)), np.zeros(0), MIP, COSMIC)
        return Segments(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Segments))
        )

    def __len__(self) -> int:
        return int(self.length.shape[0])

    def end(self) -> NDArray[np.float64]:
        """(n, 3) end points."""
        out: NDArray[np.float64] = self.start + self.direction * self.length[:, None]
        return out


def proton_range_mm(kinetic_mev: NDArray[np.float64]) -> NDArray[np.float64]:
    """CSDA range of a proton in liquid argon, mm (``0.0022 T^1.77`` cm).

    >>> tuple(round(float(r)) for r in proton_range_mm(np.array([100.0, 200.0])))
    (76, 260)
    """
    out: NDArray[np.float64] = 10.0 * 0.0022 * np.asarray(kinetic_mev) ** 1.77
    return out


def michel_energy(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Michel-electron energies in MeV from ``dN/dx ~ x^2 (3 - 2x)``, ``x = E / 52.8 MeV``.

    >>> e = michel_energy(np.random.default_rng(0), 10000)
    >>> bool(e.max() <= 52.8), round(float(e.mean()) / 52.8, 1)
    (True, 0.7)
    """
    out = np.empty(0)
    while out.size < n:  # rejection sampling, vectorised; accepts 2/3 of the draws
        x = rng.random(2 * n + 8)
        keep = rng.random(x.size) * 1.0 < x**2 * (3.0 - 2.0 * x)
        out = np.concatenate([out, x[keep]])
    return MICHEL_MAX_MEV * out[:n]


def _unit(v: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return out


def _kick(
    rng: np.random.Generator, direction: NDArray[np.float64], theta: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Rotate each unit vector by the polar angle ``theta`` around a random azimuth."""
    d = np.atleast_2d(direction)
    helper = np.where(np.abs(d[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    e1 = _unit(np.cross(d, helper))
    e2 = np.cross(d, e1)
    phi = np.asarray(rng.uniform(0.0, 2.0 * np.pi, d.shape[0])).reshape(-1, 1)
    t = np.asarray(theta, dtype=np.float64).reshape(-1, 1)
    return _unit(np.cos(t) * d + np.sin(t) * (np.cos(phi) * e1 + np.sin(phi) * e2))


def _isotropic(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return _unit(rng.normal(size=(n, 3)))


def em_shower(
    rng: np.random.Generator,
    start: NDArray[np.float64],
    axis: NDArray[np.float64],
    energy_mev: float,
    photon: bool,
    label: int,
    event: int = 0,
    t0: float = 0.0,
) -> Segments:
    """An electromagnetic shower as branching MIP segments (see the module notes).

    Args:
        start: (3,) origin (the vertex; a photon converts an exponential distance later).
        axis: (3,) initial direction.
        energy_mev: initial energy.
        photon: the shower starts with a photon (a gap before the first charge).

    >>> s = em_shower(np.random.default_rng(1), np.zeros(3), np.array([0, 0, 1.0]), 500.0, False, 2)
    >>> len(s) > 5, bool(300 < s.length.sum() * MIP_MEV_PER_MM < 700)
    (True, True)
    """
    pos = np.asarray(start, dtype=np.float64).reshape(1, 3)
    direction = _unit(np.asarray(axis, dtype=np.float64).reshape(1, 3))
    if photon:
        pos = pos + direction * rng.exponential(9.0 / 7.0 * X0_MM)
    energy = np.array([float(energy_mev)])
    starts, dirs, lengths = [], [], []
    for _ in range(24):  # generations; the number of particles roughly doubles in each
        if energy.size == 0:
            break
        low = energy <= CRITICAL_MEV
        # below the critical energy: range out, in two kinked halves (multiple scattering)
        if low.any():
            half = energy[low] / MIP_MEV_PER_MM / 2.0
            d1 = _kick(rng, direction[low], np.abs(rng.normal(0, 0.25, low.sum())))
            d2 = _kick(rng, d1, np.abs(rng.normal(0, 0.4, low.sum())))
            starts += [pos[low], pos[low] + d1 * half[:, None]]
            dirs += [d1, d2]
            lengths += [half, half]
        hi = ~low
        if not hi.any():
            break
        p, d, e = pos[hi], direction[hi], energy[hi]
        step = np.minimum(X0_MM * rng.exponential(0.7, e.size), 0.8 * e / MIP_MEV_PER_MM)
        d = _kick(rng, d, np.abs(rng.normal(0, _SCATTER_MEV / e * np.sqrt(step / X0_MM))))
        starts.append(p)
        dirs.append(d)
        lengths.append(step)
        end = p + d * step[:, None]
        rest = e - step * MIP_MEV_PER_MM
        share = rng.uniform(0.15, 0.85, e.size)
        # the electron continues; the radiated photon converts after a free path
        d_e = _kick(rng, d, np.abs(rng.normal(0, _SCATTER_MEV / np.maximum(rest * share, 1.0))))
        d_g = _kick(rng, d, np.abs(rng.normal(0, 0.5 / np.sqrt(np.maximum(rest, 1.0)))))
        gap = rng.exponential(9.0 / 7.0 * X0_MM, e.size)[:, None]
        pos = np.concatenate([end, end + d_g * gap])
        direction = np.concatenate([d_e, d_g])
        energy = np.concatenate([rest * share, rest * (1.0 - share)])
        alive = energy > 1.0
        pos, direction, energy = pos[alive], direction[alive], energy[alive]
    return Segments.make(
        np.concatenate(starts), np.concatenate(dirs), np.concatenate(lengths), MIP, label, t0, event
    )


def cosmic_segments(rng: np.random.Generator, config: LArTPCConfig, event: int = 0) -> Segments:
    """The cosmic muons of one readout window (Poisson ``mean_cosmics``), with their Michel
    electrons when they stop; label COSMIC.

    Zenith angles follow ``cos^2 theta`` (``cos theta = U^(1/3)``), azimuths are uniform; each
    muon passes through a uniform point of the window's mid-plane ``y = 0`` and enters at the
    top of the 4 m active height. ``t0`` is uniform in one drift time either side of the trigger.
    """
    n = int(rng.poisson(config.mean_cosmics))
    if n == 0:
        return Segments.concat([])
    cos_t = np.clip(rng.random(n) ** (1.0 / 3.0), 0.05, 1.0)
    sin_t = np.sqrt(1.0 - cos_t**2)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    direction = np.stack([sin_t * np.cos(phi), -cos_t, sin_t * np.sin(phi)], axis=1)
    anchor = np.stack(
        [
            rng.uniform(0.0, config.drift_length_mm, n),
            np.zeros(n),
            rng.uniform(0.0, config.width_mm, n),
        ],
        axis=1,
    )
    through = config.height_mm / cos_t
    start = anchor - direction * (0.5 * through)[:, None]
    stops = rng.random(n) < config.stopping_cosmic_fraction
    length = np.where(stops, through * rng.uniform(0.2, 1.0, n), through)
    t0 = rng.uniform(-config.drift_time_us, config.drift_time_us, n)
    muons = Segments.make(start, direction, length, np.where(stops, MUON, MIP), COSMIC, t0, event)
    parts = [muons]
    ends = muons.end()
    for i in np.flatnonzero(stops):  # a handful per event at most
        axis = _isotropic(rng, 1)[0]
        parts.append(
            em_shower(
                rng, ends[i], axis, float(michel_energy(rng, 1)[0]), False, COSMIC, event, t0[i]
            )
        )
    return Segments.concat(parts)


def neutrino_segments(rng: np.random.Generator, config: LArTPCConfig, event: int = 0) -> Segments:
    """One beam-neutrino interaction at ``t0 = 0`` with its vertex inside the window; label
    NEUTRINO. 75 % nu_mu CC (muon 0.2-2.5 m, Michel electron at the stop in 75 % of them: the
    rest are captured), 25 % nu_e CC (electron shower 0.2-1.5 GeV); Poisson(1.2) protons of
    20-250 MeV kinetic energy; a charged pion (30 %) and a pi0 (30 %: two 60-400 MeV photon
    showers)."""
    margin = 0.1
    vertex = np.array(
        [
            rng.uniform(margin, 1 - margin) * config.drift_length_mm,
            rng.uniform(-0.4, 0.4) * config.height_mm,
            rng.uniform(0.15, 0.85) * config.width_mm,
        ]
    )
    beam = np.array([0.0, 0.0, 1.0])
    parts: list[Segments] = []
    if rng.random() < 0.75:
        d = _kick(rng, beam, np.arccos(rng.uniform(-0.2, 1.0, 1)))[0]
        length = rng.uniform(200.0, 2500.0)
        parts.append(Segments.make(vertex, d, length, MUON, NEUTRINO, 0.0, event))
        if rng.random() < 0.75:
            end = vertex + d * length
            e = float(michel_energy(rng, 1)[0])
            parts.append(em_shower(rng, end, _isotropic(rng, 1)[0], e, False, NEUTRINO, event))
    else:
        d = _kick(rng, beam, np.arccos(rng.uniform(0.3, 1.0, 1)))[0]
        e = rng.uniform(200.0, 1500.0)
        parts.append(em_shower(rng, vertex, d, e, False, NEUTRINO, event))
    n_p = int(rng.poisson(1.2))
    if n_p:
        t = rng.uniform(20.0, 250.0, n_p)
        dirs = _kick(rng, np.tile(beam, (n_p, 1)), np.arccos(rng.uniform(-0.5, 1.0, n_p)))
        parts.append(
            Segments.make(
                np.tile(vertex, (n_p, 1)), dirs, proton_range_mm(t), PROTON, NEUTRINO, 0.0, event
            )
        )
    if rng.random() < 0.3:
        d = _kick(rng, beam, np.arccos(rng.uniform(-0.5, 1.0, 1)))[0]
        parts.append(
            Segments.make(vertex, d, rng.uniform(100.0, 800.0), MUON, NEUTRINO, 0.0, event)
        )
    if rng.random() < 0.3:
        for d in _isotropic(rng, 2):
            parts.append(em_shower(rng, vertex, d, rng.uniform(60.0, 400.0), True, NEUTRINO, event))
    return Segments.concat(parts)
