"""Parameters of the simulated liquid-argon TPC wire plane (SBND-like), with sources.

The image is the collection-plane view of one drift volume: the horizontal axis is the wire
coordinate ``z`` (the beam direction; collection wires are vertical), the vertical axis is the
drift time, shown as apparent drift distance ``x = v_d (t - t_trigger)`` from the anode. The
detector's vertical axis ``y`` is integrated by the wires; cosmic muons come down along ``-y``.

==============================  ==================  ===========================================
parameter                       default             source
==============================  ==================  ===========================================
wire pitch                      3 mm                SBND (Acciarri et al., arXiv:1503.01520)
drift length (one TPC)          2000 mm             SBND: two 2 m drift volumes
active height                   4000 mm             SBND
drift field                     500 V/cm            SBND
drift velocity                  1.5625 mm/us        500 V/cm at 87 K (Walkowiak, NIM A 449
                                                    (2000) 288): full drift 1.28 ms
longitudinal diffusion D_L      6.2 cm^2/s          LArSoft default (ICARUS/MicroBooNE)
transverse diffusion D_T        16.3 cm^2/s         LArSoft default
electron lifetime               10 ms               SBND design (> 10 ms; MicroBooNE ~ms)
W-value                         23.6 eV             Miyajima et al., PRA 9 (1974) 1438
recombination (modified Box)    A=0.93, B=0.212     ArgoNeuT, JINST 8 (2013) P08005
sampling                        0.5 us/tick         SBND cold electronics, 2 MHz
shaping                         CR-RC^4, 2 us peak  SBND front end (LArASIC), 2 us setting
gain                            14 mV/fC            SBND front end setting
ADC                             12 bit, 2 V range   -> 0.488 mV per count
noise                           500 electrons ENC   SBND cold electronics (2.3 ADC per tick)
==============================  ==================  ===========================================

Pixels merge ``wires_per_pixel`` wires and ``ticks_per_pixel`` ticks (the default 4 x 20 makes a
128 x 128 image of 512 wires = 1.54 m by the full 2 m drift, like the downsampled CosmicTagger
images); a pixel holds the summed pedestal-subtracted ADC samples of its block.

The cosmic multiplicity is a modelling choice. The sea-level muon flux (~1 cm^-2 min^-1, 167
m^-2 s^-1 through a horizontal surface) gives about 1.3 muons through the 1.54 m x 2 m top of
this window in the 2.56 ms during which a muon can leave charge in the readout (one drift time
before and after the trigger); SBND's full 5 m x 4 m planes see about ten. ``mean_cosmics``
defaults to 5 so that, as in the full-plane CosmicTagger images, cosmic charge dominates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.ml.config import YAMLConfig, check_range

__all__ = ["LABEL_NAMES", "LArTPCConfig", "pixel_noise_sigma", "pixel_response", "tick_response"]

#: Per-pixel truth classes, in label order.
LABEL_NAMES: tuple[str, ...] = ("background", "cosmic", "neutrino")

_BASE_WIRES, _BASE_TICKS = 512, 2560
_ELECTRONS_PER_FC = 6241.5
_SHAPING_ORDER = 4  # CR-RC^4: peak at 4 tau


@dataclass(frozen=True)
class LArTPCConfig(YAMLConfig):
    """Geometry, transport, electronics and event content of the simulated wire-plane images.

    Lengths in mm, times in microseconds unless the name says otherwise. Round-trips to YAML.

    Attributes:
        wire_pixels, time_pixels: image size (wire axis, drift-time axis).
        wires_per_pixel, ticks_per_pixel: readout samples merged into one pixel.
        wire_pitch_mm: collection-wire pitch.
        tick_us: digitisation period.
        drift_length_mm: anode-to-cathode distance.
        height_mm: active height (extent along the wires, ``y``).
        drift_velocity_mm_per_us: electron drift velocity at the drift field.
        field_kv_per_cm: drift field (enters the recombination).
        diffusion_long_cm2_per_s, diffusion_trans_cm2_per_s: D_L, D_T.
        electron_lifetime_us: attachment lifetime (charge survives as exp(-t/tau)).
        w_value_ev: energy per ionisation electron.
        box_alpha, box_beta: modified Box recombination parameters (beta in
            (g/cm^2)(kV/cm)/MeV).
        argon_density_g_cm3: liquid-argon density.
        peaking_time_us: shaping peaking time of the CR-RC^4 front end.
        gain_mv_per_fc, adc_mv_per_count: front-end gain and ADC step.
        noise_enc_electrons: equivalent noise charge per tick (shaped, correlated in time).
        mean_cosmics: Poisson mean of cosmic muons per readout window (see module notes).
        stopping_cosmic_fraction: cosmics that stop in the volume (a Michel electron follows).
        label_threshold_sigma: a pixel is labelled background when its noiseless charge is below
            this many pixel-noise sigmas.
        step_mm: sampling step of the charge deposits along a trajectory.
    """

    wire_pixels: int = 128
    time_pixels: int = 128
    wires_per_pixel: int = 4
    ticks_per_pixel: int = 20
    wire_pitch_mm: float = 3.0
    tick_us: float = 0.5
    drift_length_mm: float = 2000.0
    height_mm: float = 4000.0
    drift_velocity_mm_per_us: float = 1.5625
    field_kv_per_cm: float = 0.5
    diffusion_long_cm2_per_s: float = 6.2
    diffusion_trans_cm2_per_s: float = 16.3
    electron_lifetime_us: float = 10000.0
    w_value_ev: float = 23.6
    box_alpha: float = 0.93
    box_beta: float = 0.212
    argon_density_g_cm3: float = 1.396
    peaking_time_us: float = 2.0
    gain_mv_per_fc: float = 14.0
    adc_mv_per_count: float = 2000.0 / 4096.0
    noise_enc_electrons: float = 500.0
    mean_cosmics: float = 5.0
    stopping_cosmic_fraction: float = 0.1
    label_threshold_sigma: float = 3.0
    step_mm: float = 3.0

    def __post_init__(self) -> None:
        for name in ("wire_pixels", "time_pixels"):
            check_range(f"LArTPCConfig.{name}", getattr(self, name), 8, 2048)
        for name in ("wires_per_pixel", "ticks_per_pixel"):
            check_range(f"LArTPCConfig.{name}", getattr(self, name), 1, 1000)
        for name in (
            "wire_pitch_mm",
            "tick_us",
            "drift_length_mm",
            "height_mm",
            "drift_velocity_mm_per_us",
            "field_kv_per_cm",
            "electron_lifetime_us",
            "w_value_ev",
            "box_alpha",
            "box_beta",
            "argon_density_g_cm3",
            "peaking_time_us",
            "gain_mv_per_fc",
            "adc_mv_per_count",
            "step_mm",
        ):
            check_range(f"LArTPCConfig.{name}", getattr(self, name), 0.0, math.inf, lo_open=True)
        for name in (
            "diffusion_long_cm2_per_s",
            "diffusion_trans_cm2_per_s",
            "noise_enc_electrons",
            "mean_cosmics",
            "label_threshold_sigma",
        ):
            check_range(f"LArTPCConfig.{name}", getattr(self, name), 0.0, math.inf)
        check_range("LArTPCConfig.stopping_cosmic_fraction", self.stopping_cosmic_fraction, 0, 1)

    @classmethod
    def for_image_size(cls, size: int, **overrides: float) -> LArTPCConfig:
        """A square image of ``size`` pixels over the same 512 wires x 2560 ticks (1.54 m x 2 m).

        >>> c = LArTPCConfig.for_image_size(256)
        >>> c.wires_per_pixel, c.ticks_per_pixel, round(c.pixel_drift_mm, 2)
        (2, 10, 7.81)
        >>> LArTPCConfig.for_image_size(100)
        Traceback (most recent call last):
        ...
        ValueError: image size 100: must divide 512 (the simulated wires); allowed: 32, 64, 128, 256, 512
        """
        allowed = [s for s in (32, 64, 128, 256, 512) if _BASE_WIRES % s == 0]
        if size not in allowed:
            raise ValueError(
                f"image size {size}: must divide {_BASE_WIRES} (the simulated wires); "
                f"allowed: {', '.join(map(str, allowed))}"
            )
        return cls(
            wire_pixels=size,
            time_pixels=size,
            wires_per_pixel=_BASE_WIRES // size,
            ticks_per_pixel=_BASE_TICKS // size,
            **overrides,  # type: ignore[arg-type]
        )

    # -- derived quantities -----------------------------------------------------------------
    @property
    def pixel_wire_mm(self) -> float:
        """Width of a pixel along the wire coordinate, mm."""
        return self.wire_pitch_mm * self.wires_per_pixel

    @property
    def pixel_drift_mm(self) -> float:
        """Height of a pixel in apparent drift distance, mm."""
        return self.drift_velocity_mm_per_us * self.tick_us * self.ticks_per_pixel

    @property
    def width_mm(self) -> float:
        """Extent of the image along the wire coordinate, mm."""
        return self.pixel_wire_mm * self.wire_pixels

    @property
    def window_drift_mm(self) -> float:
        """Apparent drift distance covered by the readout window, mm."""
        return self.pixel_drift_mm * self.time_pixels

    @property
    def drift_time_us(self) -> float:
        """Full drift time, anode to cathode."""
        return self.drift_length_mm / self.drift_velocity_mm_per_us

    @property
    def electrons_per_adc_tick(self) -> float:
        """Electrons per ADC count x tick of waveform area (set by the gain and the shaping).

        The peak of the shaped pulse is ``gain`` per fC; its area in ticks follows from the
        CR-RC^4 shape and the collection field response (:func:`tick_response`).
        """
        return 1.0 / (self.counts_per_electron_peak * float(tick_response(self).sum()))

    @property
    def counts_per_electron_peak(self) -> float:
        """Peak height of the shaped pulse in ADC counts per collected electron."""
        return self.gain_mv_per_fc / self.adc_mv_per_count / _ELECTRONS_PER_FC


def tick_response(config: LArTPCConfig) -> NDArray[np.float64]:
    """Collection-wire response to a point charge, per tick, peak-normalised to 1.

    The CR-RC^4 shaping ``(t/tau)^4 exp(-t/tau)`` (peak at ``4 tau`` = the peaking time) is
    convolved with the collection field response, modelled as a unipolar box as long as the
    charge takes to cross one wire pitch (the induced current grows as the charge nears the
    wire and stops when it is collected).

    >>> h = tick_response(LArTPCConfig())
    >>> round(float(h.max()), 6), int(h.argmax()) > 0
    (1.0, True)
    """
    tau = config.peaking_time_us / _SHAPING_ORDER
    t = np.arange(0.0, 12.0 * config.peaking_time_us, config.tick_us)
    shaping = (t / tau) ** _SHAPING_ORDER * np.exp(-t / tau)
    crossing_ticks = max(
        1, round(config.wire_pitch_mm / config.drift_velocity_mm_per_us / config.tick_us)
    )
    h = np.convolve(shaping, np.ones(crossing_ticks) / crossing_ticks)
    out: NDArray[np.float64] = h / h.max()
    return out


def pixel_response(config: LArTPCConfig) -> NDArray[np.float64]:
    """Fraction of a charge's waveform area landing in the arrival pixel and the ones after it,
    averaged over the arrival time within the pixel; sums to 1 (charge is conserved).

    >>> k = pixel_response(LArTPCConfig())
    >>> round(float(k.sum()), 9), bool(k[0] > k[-1])
    (1.0, True)
    """
    h = tick_response(config)
    n = config.ticks_per_pixel
    n_pix = (len(h) + 2 * n - 1) // n
    out = np.zeros(n_pix)
    for phase in range(n):  # arrival tick within the pixel; n <= 1000 iterations of a short sum
        padded = np.zeros(n_pix * n)
        padded[phase : phase + len(h)] = h[: n_pix * n - phase]
        out += padded.reshape(n_pix, n).sum(axis=1)
    out /= out.sum()
    keep = int(np.flatnonzero(out > 1e-6)[-1]) + 1  # drop the numerically empty tail
    trimmed: NDArray[np.float64] = out[:keep] / out[:keep].sum()
    return trimmed


def pixel_noise_sigma(config: LArTPCConfig) -> float:
    """RMS of the electronics noise of one pixel in ADC counts x ticks.

    Each wire carries white noise shaped by the front end, with ``noise_enc_electrons`` RMS per
    tick; summing ``n`` ticks of it adds the shaped autocorrelation ``rho`` over the pixel:
    ``Var = sigma_tick^2 * sum_{|d|<n} (n - |d|) rho(d)``, times ``wires_per_pixel``
    independent wires. (Neighbouring pixels are left uncorrelated.)

    >>> round(pixel_noise_sigma(LArTPCConfig()), 1) > 0
    True
    """
    h = tick_response(config)
    rho = np.correlate(h, h, "full") / float(np.dot(h, h))
    n = config.ticks_per_pixel
    lags = np.arange(len(rho)) - (len(h) - 1)
    weight = np.clip(n - np.abs(lags), 0, None)
    sigma_tick = config.noise_enc_electrons * config.counts_per_electron_peak
    return float(sigma_tick * np.sqrt(config.wires_per_pixel * np.dot(weight, rho)))
