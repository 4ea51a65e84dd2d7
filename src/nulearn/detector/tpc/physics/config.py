"""Physics and electronics parameters of the liquid-xenon TPC charge readout, with sources.

The defaults describe an EXO-200-like detector (Auger et al., JINST 7 (2012) P05010, "The
EXO-200 detector, part I"): two drift regions of about 198 mm sharing a central cathode, each
read out by 38 U-wire channels (three ganged 3 mm wires, 9 mm channel pitch) behind a V-wire
induction plane 6 mm in front, 76 channels in all, digitised at 1 MHz.

==========================  ================  ==================================================
parameter                   default           source
==========================  ================  ==================================================
drift velocity              1.705 mm/us       EXO-200, Phys. Rev. C 95, 025502 (2017), 380 V/cm
transverse diffusion D_T    55 cm^2/s         EXO-200, Phys. Rev. C 95, 025502 (2017)
electron lifetime           3000 us           EXO-200 typical (Phys. Rev. C 89, 015502 (2014))
W-value                     15.6 eV           Takahashi et al., Phys. Rev. A 12, 1771 (1975)
charge fraction (380 V/cm)  0.55              Conti et al., Phys. Rev. B 68, 054201 (2003)
Q(bb) of 136Xe              2457.83 keV       Redshaw et al., Phys. Rev. Lett. 98, 053003 (2007)
208Tl gamma                 2614.5 keV        NNDC / ENSDF
U-wire noise                ~800 electrons    EXO-200 (Delaquis et al. JINST 13
                                              (2018) P08023)
==========================  ================  ==================================================

The recombination fluctuation ``fano_effective`` is a modelling choice: it stands for the residual
charge fluctuation left after the charge-light anticorrelation is used (EXO-200 rotated energy),
about 0.5 % at 2615 keV, so that the charge reconstruction is noise limited as in EXO-200.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from nulearn.ml.config import YAMLConfig

__all__ = ["Q_BB_KEV", "TL208_GAMMA_KEV", "TPCConfig"]

Q_BB_KEV: float = 2457.83
"""Q value of 136Xe double-beta decay in keV (Redshaw et al., PRL 98, 053003 (2007))."""

TL208_GAMMA_KEV: float = 2614.5
"""Energy of the 208Tl gamma line (228Th calibration source) in keV."""


@dataclass(frozen=True)
class TPCConfig(YAMLConfig):
    """Geometry, transport, electronics and noise of the simulated TPC charge readout; round-trips
    to YAML (:class:`YAMLConfig`).

    Attributes:
        channels_per_side: U channels per drift region (EXO-200: 38).
        wire_pitch_mm: U channel pitch in mm (three ganged 3 mm wires).
        drift_length_mm: cathode-to-V-plane distance per drift region in mm.
        gap_mm: V-plane to U-plane distance in mm; the V plane acts as a Frisch grid.
        drift_velocity_mm_per_us: bulk electron drift velocity.
        gap_velocity_mm_per_us: drift velocity in the higher-field V-U gap.
        diffusion_transverse_cm2_per_s: transverse diffusion coefficient D_T.
        electron_lifetime_us: attachment lifetime tau_e (charge survives as exp(-t/tau_e)).
        w_value_ev: mean energy per electron-ion pair.
        charge_fraction: fraction of electrons escaping recombination at the drift field.
        fano_effective: variance / mean of the escaping electron number (see module doc).
        cluster_spacing_mm: spacing of charge clusters along an electron track.
        n_samples: samples per waveform.
        sampling_period_us: digitiser period.
        trigger_sample: sample of the interaction time t0 (from the scintillation trigger).
        shaping_integration_us: RC integration time constant of the shaper.
        n_integrators: number of RC integration stages.
        shaping_differentiation_us: CR differentiation time constant.
        gain_spread: relative RMS of the per-channel gain (fixed per detector by ``gain_seed``).
        gain_seed: seed of the per-channel gains (a detector property, not an event property).
        noise_white_electrons: RMS of uncorrelated shaped noise per channel, in electrons.
        noise_correlated_electrons: RMS of the noise shared by all channels of one side.
    """

    channels_per_side: int = 38
    wire_pitch_mm: float = 9.0
    drift_length_mm: float = 198.0
    gap_mm: float = 6.0
    drift_velocity_mm_per_us: float = 1.705
    gap_velocity_mm_per_us: float = 2.2
    diffusion_transverse_cm2_per_s: float = 55.0
    electron_lifetime_us: float = 3000.0
    w_value_ev: float = 15.6
    charge_fraction: float = 0.55
    fano_effective: float = 2.0
    cluster_spacing_mm: float = 0.6
    n_samples: int = 1024
    sampling_period_us: float = 1.0
    trigger_sample: int = 256
    shaping_integration_us: float = 3.0
    n_integrators: int = 2
    shaping_differentiation_us: float = 40.0
    gain_spread: float = 0.05
    gain_seed: int = 2458
    noise_white_electrons: float = 740.0
    noise_correlated_electrons: float = 300.0

    def __post_init__(self) -> None:
        positive = [
            f.name
            for f in fields(self)
            if f.name not in ("gain_seed", "gain_spread", "trigger_sample")
        ]
        for name in positive:
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"{name} = {value}; must be a finite number")
            if name.startswith("noise_") or name == "fano_effective":
                if value < 0:
                    raise ValueError(f"{name} = {value} must be >= 0")
            elif value <= 0:
                raise ValueError(f"{name} = {value} must be > 0")
        if not 0 <= self.gain_spread < 0.5:
            raise ValueError(f"gain_spread = {self.gain_spread} must lie in [0, 0.5)")
        if not 0 <= self.trigger_sample < self.n_samples:
            raise ValueError(
                f"trigger_sample = {self.trigger_sample} must lie in [0, {self.n_samples})"
            )

    @property
    def n_channels(self) -> int:
        """Total number of U channels (both drift regions)."""
        return 2 * self.channels_per_side

    @property
    def half_width_mm(self) -> float:
        """Half width of the wire plane in mm: |x| beyond it is not read out."""
        return 0.5 * self.channels_per_side * self.wire_pitch_mm

    @property
    def electrons_per_kev(self) -> float:
        """Mean number of drifting electrons per keV deposited."""
        return 1000.0 / self.w_value_ev * self.charge_fraction

    @property
    def max_drift_time_us(self) -> float:
        """Drift time from the cathode to the U plane in us."""
        return (
            self.drift_length_mm / self.drift_velocity_mm_per_us
            + self.gap_mm / self.gap_velocity_mm_per_us
        )

    @property
    def noise_electrons(self) -> float:
        """Total RMS noise per channel in electrons."""
        return float((self.noise_white_electrons**2 + self.noise_correlated_electrons**2) ** 0.5)
