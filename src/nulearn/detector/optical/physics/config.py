"""Geometry, ice optics, module response and event generation of the sparse in-ice optical array.

The defaults describe an IceCube-like array (IceCube, JINST 12 (2017) P03012, "The IceCube
Neutrino Observatory: instrumentation and online systems"): about 80 strings on a roughly
hexagonal horizontal pattern with ~125 m spacing, 60 digital optical modules (DOMs) per string
spaced 17 m vertically between 1450 m and 2450 m depth (here z = +500 m ... -503 m about the
array centre). The horizontal pattern is irregular: a hexagonal lattice whose points are displaced
by up to ``string_jitter_m`` with a fixed layout seed, so that no regular grid holds the strings.

==============================  =============  ==================================================
parameter                       default        source / note
==============================  =============  ==================================================
strings                         80             IceCube: 78 in-ice + 8 DeepCore (86)
DOMs per string                 60             IceCube
vertical DOM spacing            17 m           IceCube
horizontal string spacing       125 m          IceCube (irregular pattern: jitter 25 m here)
Pandel tau                      557 ns         AMANDA, Ahrens et al., NIM A 524 (2004) 169
Pandel lambda_s (scattering)    33.3 m         idem
Pandel lambda_a (absorption)    98 m           idem
group index in ice              1.32           c_ice = c/1.32 = 0.2271 m/ns (Pandel fit value)
phase index (Cherenkov angle)   1.31           theta_c = arccos(1/1.31) = 40.2 deg
DOM dark-noise rate             500 Hz         IceCube DOMs: ~500-800 Hz (JINST 12 P03012)
readout window                  10 us          [-4, +6] us about the event's reference time
discriminator threshold         0.25 p.e.      IceCube DOM discriminator
single-p.e. charge resolution   0.3 p.e.       typical PMT
time jitter                     2 ns           DOM timing + PMT transit-time spread
==============================  =============  ==================================================

Light yields are a parametrization (chosen so that a minimum-ionising muon gives ~1.5 p.e. at
50 m and a 1 TeV cascade ~5 p.e. at 100 m), as is the DOM's angular acceptance (downward-facing
PMT: 1 + 0.4 cos of the photon's upward direction). Muon energy loss dE/dx = a + b E with
a = 0.24 GeV/m and b = 3.3e-4 /m (ionisation + radiative losses in ice).

>>> cfg = OpticalConfig()
>>> round(cfg.c_ice_m_per_ns, 4), round(cfg.cherenkov_angle_deg, 1)
(0.2271, 40.2)
>>> cfg.n_doms
4800
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.ml.config import YAMLConfig, check_range

__all__ = ["C_VACUUM_M_PER_NS", "OpticalConfig"]

C_VACUUM_M_PER_NS: float = 0.299792458
"""Speed of light in vacuum in m/ns (the muon's speed)."""


@dataclass(frozen=True)
class OpticalConfig(YAMLConfig):
    """The simulated optical array and its physics; round-trips to YAML (:class:`YAMLConfig`).

    Attributes:
        n_strings: strings on the horizontal pattern.
        doms_per_string: optical modules per string.
        dom_spacing_m: vertical module spacing in m.
        string_spacing_m: lattice spacing of the horizontal pattern in m.
        string_jitter_m: largest displacement of a string from its lattice point in m.
        top_z_m: z of the uppermost module in m (array centre near z = 0).
        layout_seed: seed of the fixed string pattern (part of the geometry, not of an event).
        tau_ns, lambda_s_m, lambda_a_m: Pandel time-PDF parameters.
        n_group: group refractive index (photon speed c/n_group).
        n_phase: phase refractive index (Cherenkov angle).
        noise_rate_hz: uncorrelated dark-noise rate per module.
        window_ns: readout window (start, end) in ns about the event's reference time.
        threshold_pe: discriminator threshold on the module charge in p.e.
        spe_sigma: single-photoelectron charge resolution (relative).
        time_jitter_ns: Gaussian time smearing of a hit in ns.
        track_yield: p.e. at 1 m (before absorption, 1/sqrt(r) spreading) per minimum-ionising
            muon, scaled by (dE/dx)/a.
        cascade_yield: p.e. per GeV at 1 m (before absorption, 1/r^2 spreading).
        acceptance_slope: DOM acceptance 1 + slope * (photon direction z).
        dedx_a_gev_per_m, dedx_b_per_m: muon energy loss a + b E.
        e_min_gev, e_max_gev: energies are drawn log-uniform in this range.
        impact_radius_m: tracks pass through a disc of this radius about the array centre.
        cascade_radius_m, cascade_half_height_m: cascade vertices fill this cylinder.
        bundle_mean_extra: mean number of extra muons in a 1 TeV bundle (Poisson).
        horizon_uz: the least |direction z| of a down-going bundle (near-horizontal ones are the
            hard background).
    """

    n_strings: int = 80
    doms_per_string: int = 60
    dom_spacing_m: float = 17.0
    string_spacing_m: float = 125.0
    string_jitter_m: float = 25.0
    top_z_m: float = 500.0
    layout_seed: int = 2026
    tau_ns: float = 557.0
    lambda_s_m: float = 33.3
    lambda_a_m: float = 98.0
    n_group: float = 1.32
    n_phase: float = 1.31
    noise_rate_hz: float = 500.0
    window_ns: tuple[float, float] = (-4000.0, 6000.0)
    threshold_pe: float = 0.25
    spe_sigma: float = 0.3
    time_jitter_ns: float = 2.0
    track_yield: float = 18.0
    cascade_yield: float = 140.0
    acceptance_slope: float = 0.4
    dedx_a_gev_per_m: float = 0.24
    dedx_b_per_m: float = 3.3e-4
    e_min_gev: float = 100.0
    e_max_gev: float = 1.0e5
    impact_radius_m: float = 600.0
    cascade_radius_m: float = 500.0
    cascade_half_height_m: float = 450.0
    bundle_mean_extra: float = 1.5
    horizon_uz: float = 0.03

    def __post_init__(self) -> None:
        for name, lo, hi in (
            ("n_strings", 1, 10_000),
            ("doms_per_string", 1, 1000),
            ("dom_spacing_m", 1e-3, 1e4),
            ("string_spacing_m", 1e-3, 1e4),
            ("string_jitter_m", 0.0, 1e4),
            ("tau_ns", 1e-3, 1e6),
            ("lambda_s_m", 1e-3, 1e5),
            ("lambda_a_m", 1e-3, 1e5),
            ("n_group", 1.0, 3.0),
            ("n_phase", 1.0001, 3.0),
            ("noise_rate_hz", 0.0, 1e6),
            ("threshold_pe", 0.0, 100.0),
            ("spe_sigma", 0.0, 10.0),
            ("time_jitter_ns", 0.0, 1e4),
            ("track_yield", 0.0, 1e9),
            ("cascade_yield", 0.0, 1e9),
            ("acceptance_slope", 0.0, 1.0),
            ("e_min_gev", 1e-3, 1e12),
            ("e_max_gev", 1e-3, 1e12),
            ("impact_radius_m", 0.0, 1e5),
            ("bundle_mean_extra", 0.0, 1e3),
            ("horizon_uz", 0.0, 0.99),
        ):
            check_range(name, float(getattr(self, name)), lo, hi)
        if self.e_min_gev >= self.e_max_gev:
            raise ValueError(
                f"e_min_gev = {self.e_min_gev} must be below e_max_gev = {self.e_max_gev}"
            )
        lo, hi = self.window_ns
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(
                f"window_ns = {self.window_ns} must be a finite (start, end), start < end"
            )

    @property
    def c_ice_m_per_ns(self) -> float:
        """Photon (group) speed in ice in m/ns."""
        return C_VACUUM_M_PER_NS / self.n_group

    @property
    def cherenkov_angle_deg(self) -> float:
        """Cherenkov angle of a relativistic muon in degrees."""
        return math.degrees(math.acos(1.0 / self.n_phase))

    @property
    def centre_z_m(self) -> float:
        """z of the array centre (midway between the top and bottom modules) in m."""
        return self.top_z_m - self.dom_spacing_m * (self.doms_per_string - 1) / 2

    @property
    def n_doms(self) -> int:
        """Optical modules in the array."""
        return self.n_strings * self.doms_per_string

    @property
    def pandel_rate_per_ns(self) -> float:
        """Rate of the Pandel gamma distribution, 1/tau + c_ice/lambda_a, in 1/ns."""
        return 1.0 / self.tau_ns + self.c_ice_m_per_ns / self.lambda_a_m

    def string_xy(self) -> NDArray[np.float64]:
        """Horizontal string positions in m, shape (n_strings, 2): the ``n_strings`` points of a
        hexagonal lattice nearest the centre, each displaced uniformly within a disc of radius
        ``string_jitter_m`` (fixed by ``layout_seed``)."""
        return _string_xy(
            self.n_strings, self.string_spacing_m, self.string_jitter_m, self.layout_seed
        )

    def dom_positions(self) -> NDArray[np.float64]:
        """Module positions in m, shape (n_doms, 3), string-major: module ``s * doms_per_string
        + k`` is the k-th from the top on string s."""
        xy = self.string_xy()
        z = self.top_z_m - self.dom_spacing_m * np.arange(self.doms_per_string)
        return np.column_stack(
            [
                np.repeat(xy, self.doms_per_string, axis=0),
                np.tile(z, self.n_strings),
            ]
        )


def _string_xy(n: int, spacing: float, jitter: float, seed: int) -> NDArray[np.float64]:
    half = math.ceil(math.sqrt(n)) + 2
    i, j = np.meshgrid(np.arange(-half, half + 1), np.arange(-half, half + 1), indexing="ij")
    x = spacing * (i + 0.5 * j).ravel()
    y = spacing * (math.sqrt(3) / 2 * j).ravel()
    order = np.lexsort((y, x, np.hypot(x, y).round(6)))[:n]
    rng = np.random.default_rng(seed)
    r = jitter * np.sqrt(rng.random(n))
    phi = 2 * np.pi * rng.random(n)
    return np.column_stack([x[order] + r * np.cos(phi), y[order] + r * np.sin(phi)])
