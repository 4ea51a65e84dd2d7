"""Scintillation-light readout of the liquid-xenon TPC: parameters, sources and the APD layout.

EXO-200 (Auger et al., JINST 7 (2012) P05010, "The EXO-200 detector, part I") reads the 175 nm
xenon scintillation with large-area avalanche photodiodes (LAAPDs, 16 mm active diameter) on two
platters, one behind each wire plane at the two ends of the cylindrical TPC. The APDs are ganged
in groups of about seven (a central APD and its six hexagonal neighbours) into 37 readout
channels per plane, 74 in all. The barrel between the planes is lined with teflon (PTFE), a
diffuse reflector with reflectivity above 0.9 in the VUV. The APDs run at a gain of about 200 with
gang-to-gang variations and are read through charge-sensitive preamplifiers and CR-RC shapers,
digitised at 1 MHz like the wires.

==========================  ================  ==================================================
parameter                   default           source / choice
==========================  ================  ==================================================
reflector radius            183 mm            EXO-200 TPC radius (teflon reflector), part I
APD plane distance          210 mm            U plane (198 + 6 mm) plus ~6 mm to the platter
APD active diameter         16 mm             Advanced Photonix LAAPD, EXO-200 part I
APD pitch in a gang         19 mm             chosen so 37 seven-APD gangs fit in the radius
gangs per plane             37                EXO-200 (74 APD channels)
teflon reflectivity         0.95              PTFE in LXe at 175 nm, > 0.9 (Yamashita et al.,
                                              NIM A 535 (2004) 692; Neves et al. 2017)
wire-plane transmission     0.90 (U and V)    geometric transparency of two wire planes
APD quantum efficiency      1.0               LAAPD at 175 nm, ~1 (EXO-200 part I)
exciton/ion ratio           0.06              Doke et al., Jpn. J. Appl. Phys. 41, 1538 (2002)
APD gain                    200 +- 8 %        EXO-200 operating gain; spread per gang (seeded)
excess noise factor         2.0               LAAPD at gain ~200 (Neilson et al., NIM A 608
                                              (2009) 68)
shaping                     CR-(RC)^2         3 us integration, 10 us differentiation (EXO-like)
noise                       2000 e white      per gang at the APD output; plus 600 e common
                                              to all 74 channels (coherent pickup)
==========================  ================  ==================================================

Quantities in the simulation: a deposit of energy E creates N_i = E / W ions (W = 15.6 eV, the
charge model's W-value) and alpha * N_i excitons; every ion that recombines and every exciton
yields one 175 nm photon, so ``photons = (1 + alpha) N_i - electrons_escaping``: light and charge
of one event are anti-correlated exactly through the recombination fluctuation of the charge
simulator (:class:`~nulearn.detector.tpc.physics.simulator.ChargeClusters`).

The noise and shaping defaults are round EXO-like values, not fits to EXO-200 data; the
real detector's light map non-uniformities, dead APDs and gain drifts are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from nulearn.ml.config import YAMLConfig

__all__ = ["GANGS_PER_PLANE", "LightConfig", "apd_positions", "gang_centres"]

GANGS_PER_PLANE = 37
"""Readout channels per APD plane (EXO-200): a hexagon of 3 rings around a central gang."""


@dataclass(frozen=True)
class LightConfig(YAMLConfig):
    """Geometry, optics and electronics of the APD light readout; round-trips to YAML.

    Attributes:
        reflector_radius_mm: radius of the teflon-lined barrel.
        apd_plane_z_mm: distance of each APD plane from the cathode (planes at +- this z).
        apd_diameter_mm: active diameter of one APD.
        apd_pitch_mm: centre-to-centre distance of neighbouring APDs within a gang.
        reflectivity: diffuse (Lambertian) reflectivity of the teflon barrel.
        grid_transmission: fraction of photons crossing the V and U wire planes.
        quantum_efficiency: photoelectrons per photon reaching an APD.
        exciton_ratio: excitons per ion (alpha).
        apd_gain: mean avalanche gain.
        gain_spread: relative RMS of the per-gang gain (fixed per detector by ``gain_seed``).
        gain_seed: seed of the per-gang gains.
        excess_noise_factor: avalanche excess noise factor F (variance (F - 1) n G^2).
        n_samples: samples per waveform (1 MHz).
        sampling_period_us: digitiser period.
        trigger_sample: sample of the (prompt) scintillation flash.
        shaping_integration_us: RC integration time constant.
        n_integrators: RC integration stages.
        shaping_differentiation_us: CR differentiation time constant.
        noise_white_electrons: RMS shaped noise per gang, electrons at the APD output.
        noise_correlated_electrons: RMS noise common to all channels, electrons.
        wall_z_bins, wall_phi_bins: barrel elements of the reflection integral.
    """

    reflector_radius_mm: float = 183.0
    apd_plane_z_mm: float = 210.0
    apd_diameter_mm: float = 16.0
    apd_pitch_mm: float = 19.0
    reflectivity: float = 0.95
    grid_transmission: float = 0.90
    quantum_efficiency: float = 1.0
    exciton_ratio: float = 0.06
    apd_gain: float = 200.0
    gain_spread: float = 0.08
    gain_seed: int = 175
    excess_noise_factor: float = 2.0
    n_samples: int = 128
    sampling_period_us: float = 1.0
    trigger_sample: int = 32
    shaping_integration_us: float = 3.0
    n_integrators: int = 2
    shaping_differentiation_us: float = 10.0
    noise_white_electrons: float = 2000.0
    noise_correlated_electrons: float = 600.0
    wall_z_bins: int = 42
    wall_phi_bins: int = 72

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value):
                raise ValueError(f"{f.name} = {value}; must be a finite number")
        for name in ("reflectivity", "grid_transmission", "quantum_efficiency"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} = {getattr(self, name)} must lie in [0, 1]")
        if not 0 <= self.gain_spread < 0.5:
            raise ValueError(f"gain_spread = {self.gain_spread} must lie in [0, 0.5)")
        if self.excess_noise_factor < 1:
            raise ValueError(f"excess_noise_factor = {self.excess_noise_factor} must be >= 1")
        for name in ("noise_white_electrons", "noise_correlated_electrons", "exciton_ratio"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} = {getattr(self, name)} must be >= 0")
        for name in (
            "reflector_radius_mm",
            "apd_plane_z_mm",
            "apd_diameter_mm",
            "apd_gain",
            "n_samples",
            "sampling_period_us",
            "shaping_integration_us",
            "n_integrators",
            "shaping_differentiation_us",
            "wall_z_bins",
            "wall_phi_bins",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} = {getattr(self, name)} must be > 0")
        if self.apd_pitch_mm < self.apd_diameter_mm:
            raise ValueError(
                f"apd_pitch_mm = {self.apd_pitch_mm} is smaller than the APD diameter "
                f"{self.apd_diameter_mm}: APDs would overlap"
            )
        outer = float(np.max(np.hypot(*apd_positions(self)[:, :2].T))) + self.apd_diameter_mm / 2
        if outer > self.reflector_radius_mm:
            raise ValueError(
                f"APDs reach r = {outer:.1f} mm, beyond the reflector radius "
                f"{self.reflector_radius_mm} mm; reduce apd_pitch_mm"
            )
        if not 0 <= self.trigger_sample < self.n_samples:
            raise ValueError(
                f"trigger_sample = {self.trigger_sample} must lie in [0, {self.n_samples})"
            )

    @property
    def n_channels(self) -> int:
        """APD readout channels (gangs) of both planes: 74."""
        return 2 * GANGS_PER_PLANE


def _hex_axial(rings: int) -> NDArray[np.float64]:
    """Axial coordinates (q, r) of a hexagon of ``rings`` rings around the origin, ring by ring."""
    qq, rr = np.meshgrid(np.arange(-rings, rings + 1), np.arange(-rings, rings + 1), indexing="ij")
    q, r = qq.ravel(), rr.ravel()
    keep = np.maximum.reduce([np.abs(q), np.abs(r), np.abs(q + r)]) <= rings
    q, r = q[keep], r[keep]
    ring = np.maximum.reduce([np.abs(q), np.abs(r), np.abs(q + r)])
    angle = np.arctan2(r * math.sqrt(3) / 2, q + r / 2)
    order = np.lexsort((np.round(angle, 9), ring))
    return np.stack([q[order], r[order]], axis=1).astype(np.float64)


def gang_centres(config: LightConfig) -> NDArray[np.float64]:
    """Centres of the 74 gangs, shape (74, 3), mm: plane 0 (z < 0) first, 37 per plane.

    The 7-APD gangs tile the plane: their centres form the index-7 sub-lattice of the APD
    lattice, a hexagonal lattice of pitch sqrt(7) * a rotated by atan(sqrt(3)/5) from it.

    >>> gang_centres(LightConfig()).shape
    (74, 3)
    """
    a = config.apd_pitch_mm
    b1 = a * np.array([2.5, math.sqrt(3) / 2])  # |b1| = sqrt(7) a
    b2 = a * np.array([0.5, 3 * math.sqrt(3) / 2])  # b1 rotated by 60 degrees
    axial = _hex_axial(3)
    xy = axial[:, :1] * b1 + axial[:, 1:] * b2
    z = config.apd_plane_z_mm
    planes = [np.column_stack([xy, np.full(len(xy), s * z)]) for s in (-1.0, 1.0)]
    return np.concatenate(planes)


def apd_positions(config: LightConfig) -> NDArray[np.float64]:
    """Centres of every APD, shape (74, 7, 3), mm: the gang centre and its six neighbours."""
    a = config.apd_pitch_mm
    angles = np.arange(6) * np.pi / 3
    offsets = np.vstack([[0.0, 0.0], a * np.column_stack([np.cos(angles), np.sin(angles)])])
    centres = gang_centres(config)
    out = np.repeat(centres[:, None, :], 7, axis=1)
    out[:, :, :2] += offsets[None]
    return out
