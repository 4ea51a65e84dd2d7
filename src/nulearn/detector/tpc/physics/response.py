"""Induced-charge and electronics response of the U wires: weighting potential and template bank.

Shockley-Ramo theorem (Shockley, J. Appl. Phys. 9, 635 (1938); Ramo, Proc. IRE 27, 584 (1939)):
a charge ``q`` at position r induces ``q * phi_i(r)`` on electrode ``i``, where ``phi_i`` is the
weighting potential (electrode i at 1, all others at 0). The V-wire plane, 6 mm in front of the
U plane, is treated as an ideal Frisch grid: U channels see a drifting electron only inside the
V-U gap, which makes induction signals on non-collecting channels start and end at zero (the
induced current integrates to zero) and puts the full charge on the collecting channel.

Inside the gap (U plane at z = 0, grid at z = g) the weighting potential of a strip of width p is
the solution of Laplace's equation with phi(x, 0) = 1 for |x| < p/2,

    phi(x, z) = int dk/(2 pi) * 2 sin(k p / 2) / k * exp(i k x) * sinh(k (g - z)) / sinh(k g),

evaluated by FFT on a wide periodic grid. Summed over all strips it is 1 - z/g.

The electronics are a charge-sensitive preamplifier followed by a CR-(RC)^n shaper,
H(s) = s tau_d / (1 + s tau_d) / (1 + s tau_i)^n, applied to the induced-charge signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import TPCConfig

__all__ = [
    "N_NEIGHBOURS",
    "ResponseTables",
    "response_tables",
    "shaper_transfer",
    "weighting_potential",
]

N_NEIGHBOURS = 3
"""Channels on each side of the collecting one that receive induction (beyond: < 1e-3 q)."""

_DX_STEP_MM = 0.25
_TAU_STEP_US = 0.1


def weighting_potential(
    dx_mm: NDArray[np.floating], z_mm: NDArray[np.floating], pitch_mm: float, gap_mm: float
) -> NDArray[np.float64]:
    """Weighting potential of one U strip inside the V-U gap (ideal grid at ``gap_mm``).

    Args:
        dx_mm: transverse offsets from the strip centre, shape (n_x,), mm.
        z_mm: distances from the U plane, shape (n_z,), mm, in [0, gap_mm].
        pitch_mm: strip width.
        gap_mm: U-to-grid distance.

    Returns:
        phi, shape (n_z, n_x), dimensionless in [0, 1].
    """
    if np.any((z_mm < 0) | (z_mm > gap_mm)):
        raise ValueError(f"z_mm must lie in [0, {gap_mm}] mm (the V-U gap)")
    step = 0.0625
    n = 1 << 15
    x = (np.arange(n) - n // 2) * step
    k = 2 * np.pi * np.fft.rfftfreq(n, step)
    strip = (np.abs(x) < 0.5 * pitch_mm).astype(np.float64)
    strip_k = np.fft.rfft(np.fft.ifftshift(strip))
    out = np.empty((z_mm.size, dx_mm.size))
    for i, z in enumerate(z_mm):
        if z <= 0:
            out[i] = (np.abs(dx_mm) < 0.5 * pitch_mm).astype(np.float64)
            continue
        # sinh(k(g-z))/sinh(kg) in an overflow-free form; its k -> 0 limit is (g - z)/g.
        kk = np.maximum(k, 1e-12)
        ratio = (
            np.exp(-kk * z) * (1 - np.exp(-2 * kk * (gap_mm - z))) / (1 - np.exp(-2 * kk * gap_mm))
        )
        ratio[0] = (gap_mm - z) / gap_mm
        phi = np.fft.fftshift(np.fft.irfft(strip_k * ratio, n))
        out[i] = np.interp(dx_mm, x, phi)
    return np.clip(out, 0.0, 1.0)


def shaper_transfer(freq_mhz: NDArray[np.floating], config: TPCConfig) -> NDArray[np.complex128]:
    """CR-(RC)^n transfer function H(2 pi i f), shape of ``freq_mhz`` (frequencies in MHz)."""
    s = 2j * np.pi * freq_mhz
    td, ti = config.shaping_differentiation_us, config.shaping_integration_us
    return s * td / (1 + s * td) / (1 + s * ti) ** config.n_integrators


@dataclass(frozen=True)
class ResponseTables:
    """Charge-signal templates of one channel versus transverse offset and time since arrival.

    ``raw[j, t]`` is the preamplifier (unshaped) signal per unit collected-side charge for a
    charge at offset ``dx_j = dx_min + (j + 1/2) * dx_step`` from the channel centre and time
    ``tau_t = tau_min + t * tau_step`` relative to its arrival at the U plane; ``shaped`` is the
    same after the shaper, normalised so a collected unit charge peaks at 1.

    Each table splits into the collected step and a transient: ``raw = transient_raw +
    1[|dx| < p/2] * step_raw``, so the simulator can weight the step by the exact Gaussian-diffused
    collected fraction while integrating only the short transient by quadrature.

    Attributes:
        raw: shape (n_dx, n_tau), float32.
        shaped: shape (n_dx, n_tau), float32.
        transient_raw: raw minus the collected step, shape (n_dx, n_tau), float32.
        transient_shaped: shaped minus the shaped collected step, shape (n_dx, n_tau), float32.
        step_raw: unit step at arrival, shape (n_tau,), float32.
        step_shaped: shaped unit step (peak 1), shape (n_tau,), float32.
        dx_min_mm: lower edge of the offset grid (-(N_NEIGHBOURS + 1/2) * pitch).
        dx_step_mm: offset grid step.
        tau_min_us: first template time (before the charge enters the gap).
        tau_step_us: template time step.
    """

    raw: NDArray[np.float32]
    shaped: NDArray[np.float32]
    transient_raw: NDArray[np.float32]
    transient_shaped: NDArray[np.float32]
    step_raw: NDArray[np.float32]
    step_shaped: NDArray[np.float32]
    dx_min_mm: float
    dx_step_mm: float
    tau_min_us: float
    tau_step_us: float

    def collection_template(self, shaped: bool = True) -> NDArray[np.float32]:
        """Template of a charge collected at the channel centre, shape (n_tau,)."""
        row = int((0.0 - self.dx_min_mm) / self.dx_step_mm)
        return (self.shaped if shaped else self.raw)[row]

    def induction_template(
        self, offset_channels: int = 1, shaped: bool = True
    ) -> NDArray[np.float32]:
        """Template on a neighbour ``offset_channels`` away from a centred charge, shape (n_tau,)."""
        pitch = -2 * self.dx_min_mm / (2 * N_NEIGHBOURS + 1)
        row = int((offset_channels * pitch - self.dx_min_mm) / self.dx_step_mm)
        return (self.shaped if shaped else self.raw)[row]


@lru_cache(maxsize=8)
def response_tables(config: TPCConfig) -> ResponseTables:
    """Build (and cache per configuration) the template bank of :class:`ResponseTables`."""
    p, g = config.wire_pitch_mm, config.gap_mm
    dx_min = -(N_NEIGHBOURS + 0.5) * p
    n_dx = round((2 * N_NEIGHBOURS + 1) * p / _DX_STEP_MM)
    dx = dx_min + (np.arange(n_dx) + 0.5) * _DX_STEP_MM
    t_gap = g / config.gap_velocity_mm_per_us
    tau_min = -t_gap - 0.5
    tau_max = config.n_samples * config.sampling_period_us + 1.0
    n_tau = int(np.ceil((tau_max - tau_min) / _TAU_STEP_US)) + 1
    tau = tau_min + np.arange(n_tau) * _TAU_STEP_US

    z = np.clip(-tau * config.gap_velocity_mm_per_us, 0.0, g)
    in_gap = (tau >= -t_gap) & (tau < 0)
    z_nodes = np.linspace(0.0, g, 121)
    phi_nodes = weighting_potential(dx, z_nodes, p, g)  # (n_z, n_dx)
    collected = (np.abs(dx) < 0.5 * p).astype(np.float64)
    raw = np.zeros((n_dx, n_tau))
    for j in range(n_dx):
        raw[j, in_gap] = np.interp(z[in_gap], z_nodes, phi_nodes[:, j])
    raw[:, tau >= 0] = collected[:, None]

    # Shaping: convolve the induced current dQ/dt with the shaper's step response (FFT, zero padded
    # so the circular convolution is linear over the table length).
    n_fft = 1 << int(np.ceil(np.log2(2 * n_tau)))
    freq = np.fft.rfftfreq(n_fft, _TAU_STEP_US)
    step_resp = np.cumsum(np.fft.irfft(shaper_transfer(freq, config), n_fft))[:n_tau]
    step = (tau >= 0).astype(np.float64)
    both = np.vstack([raw, step])
    current = np.diff(both, axis=1, prepend=0.0)
    shaped = np.fft.irfft(
        np.fft.rfft(current, n_fft, axis=1) * np.fft.rfft(step_resp, n_fft), n_fft, axis=1
    )
    shaped = shaped[:, :n_tau]
    shaped /= shaped[-1].max()
    shaped_step = shaped[-1]
    shaped = shaped[:-1]
    f32 = np.float32
    return ResponseTables(
        raw.astype(f32),
        shaped.astype(f32),
        (raw - collected[:, None] * step).astype(f32),
        (shaped - collected[:, None] * shaped_step).astype(f32),
        step.astype(f32),
        shaped_step.astype(f32),
        dx_min,
        _DX_STEP_MM,
        tau_min,
        _TAU_STEP_US,
    )
