"""Convolutional networks over TPC waveform images (n_channels x n_time), shared by the tasks.

The trunk sees the image plus a drift-time coordinate channel (so it can learn the attachment
correction exp(t/tau_e), which depends on absolute time), with kernels spanning three channels
(collection plus induction on both neighbours). The energy head is a 1x1 convolution followed by
a *sum* over the image: charge is additive, so the network learns a per-pixel charge density and
adds it up, the inductive bias of the conventional charge sum, but with learned noise gating.

:class:`GenericEnergyNet` is the conventional alternative: the same conv/pool trunk, global
pooling and an MLP head. It is a universal regressor of the image, so it can also memorise a
discrete set of training energies -- the pitfall of training on calibration lines (Delaquis et
al., JINST 13, P08023 (2018)) that the physics-structured :class:`EnergyNet` is immune to.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ChannelPulses", "EnergyNet", "GenericEnergyNet", "SiteNet", "WaveformTrunk"]


class WaveformTrunk(nn.Module):
    """Conv trunk: (batch, n_channels, n_time) -> (batch, width, n_channels, n_time // 8)."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.width = width
        self.layers = nn.Sequential(
            nn.AvgPool2d((1, 2)),
            nn.Conv2d(2, width // 2, (3, 5), padding=(1, 2)),
            nn.GELU(),
            nn.AvgPool2d((1, 2)),
            nn.Conv2d(width // 2, width, (3, 3), padding=1),
            nn.GELU(),
            nn.AvgPool2d((1, 2)),
            nn.Conv2d(width, width, (3, 3), padding=1),
            nn.GELU(),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of images of shape (batch, n_channels, n_time)."""
        b, c, t = images.shape
        time = torch.linspace(0.0, 1.0, t, device=images.device, dtype=images.dtype)
        coord = time.expand(b, 1, c, t)
        return self.layers(torch.cat([images.unsqueeze(1), coord], dim=1))


class ChannelPulses(nn.Module):
    """Find the pulse on every channel: amplitude, time and significance, differentiably.

    1. A learned per-channel filter along time (initialised as the matched filter of the
       collection template, so its output is the collected charge in 1000 e at the pulse).
    2. Attention pooling over time (softmax of the filter output plus a learned 3x5 convolution
       of the image): a differentiable "find the pulse", giving a per-channel amplitude and
       time.
    3. The significance: amplitude over the event's filter-output noise, the median absolute
       value over the event (most channels hold no charge), a robust per-event estimate.

    The energy network and the WGAN-GP's constrainer read waveforms through it.
    """

    def __init__(self, template: torch.Tensor | None = None, kernel: int = 63) -> None:
        super().__init__()
        self.filter = nn.Conv2d(1, 1, (1, kernel), padding=(0, kernel // 2), bias=False)
        if template is not None:
            h = torch.zeros(kernel)
            n = min(kernel, template.numel())
            h[:n] = template[:n]
            with torch.no_grad():
                self.filter.weight.copy_((h / (h @ h)).view(1, 1, 1, kernel))
        self.context = nn.Conv2d(1, 1, (3, 5), padding=(1, 2))
        with torch.no_grad():
            self.context.weight.zero_()
            if self.context.bias is not None:
                self.context.bias.zero_()
        self.sharpness = nn.Parameter(torch.tensor(5.0))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(amplitude in 1000 e, time in [0, 1] over the window, significance), each of shape
        (batch, n_channels), for images (batch, n_channels, n_time) in 1000 e."""
        x = images.unsqueeze(1)
        mf = self.filter(x).squeeze(1)
        logits = self.sharpness * mf + self.context(x).squeeze(1)
        attention = torch.softmax(logits, dim=-1)
        amplitude = (attention * mf).sum(-1)
        t = torch.linspace(0.0, 1.0, images.shape[-1], device=images.device, dtype=images.dtype)
        t_peak = (attention * t).sum(-1)
        noise = 1.4826 * mf.abs().flatten(1).median(dim=1).values.clamp_min(1e-3)[:, None]
        return amplitude, t_peak, amplitude / noise


class EnergyNet(nn.Module):
    """Energy regression with a physics-structured CNN: output in MeV.

    1. :class:`ChannelPulses`: a learned matched filter and attention pooling over time give
       a per-channel amplitude, time and significance.
    2. A learned attachment correction exp(kappa * t) from the attended time t in [0, 1] over the
       image window, initialised at the calibrated lifetime (window length / tau_e).
    3. A channel gate in (0, 1.2), a soft 4-sigma threshold at initialisation, corrected by a
       convolution across channels of the amplitudes, their significance and times: it learns
       which channels carry charge -- including sub-threshold charge next to a hit channel,
       which the conventional chain drops -- and which are noise.

    E = scale * sum_channels gate * amplitude * exp(kappa * t). The output is linear in the
    signal amplitude for a fixed gate, so the calibration is learned quickly and precisely.
    The trunk of :class:`WaveformTrunk` is not needed here: the gate looks at the whole channel
    axis through its own convolutions.
    """

    def __init__(
        self,
        width: int = 8,
        template: torch.Tensor | None = None,
        kernel: int = 63,
        kappa: float = 0.0,
    ) -> None:
        super().__init__()
        self.pulses = ChannelPulses(template, kernel)
        self.kappa = nn.Parameter(torch.tensor(float(kappa)))
        self.gate = nn.Sequential(
            nn.Conv1d(3, width, 5, padding=2),
            nn.GELU(),
            nn.Conv1d(width, width, 3, padding=1),
            nn.GELU(),
            gate_out := nn.Conv1d(width, 2, 1),
        )
        nn.init.zeros_(gate_out.weight)
        nn.init.zeros_(gate_out.bias)  # type: ignore[arg-type]
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Energy in MeV for images (batch, n_channels, n_time) in 1000 e, shape (batch,)."""
        amplitude, t_peak, significance = self.pulses(images)
        gate_in = torch.stack([torch.asinh(amplitude), torch.asinh(significance), t_peak], dim=1)
        g = self.gate(gate_in)
        # At initialisation a soft 4-sigma threshold (the conventional chain); training moves it.
        gate = torch.sigmoid(2.0 * (significance - 4.0) + g[:, 0]) * (
            1.0 + 0.2 * torch.tanh(g[:, 1])
        )
        charge = gate * amplitude * torch.exp(self.kappa * t_peak)
        # 1000 e -> MeV with the default charge yield of 35.3 e/keV.
        return self.scale * charge.sum(-1) / 35.3


class GenericEnergyNet(nn.Module):
    """Energy regression with a conventional image CNN: output in MeV.

    :class:`WaveformTrunk` (three conv/pool stages), max- and mean-pooling of its features over
    channels and time, then an MLP head with a GELU nonlinearity. Nothing ties the output to the
    charge scale: the head can map the features to any function of the image, which is what
    lets it learn the line values of a line-only training set.

    Args:
        width: trunk width.
        hidden: hidden units of the MLP head.
        offset_mev: initial output (the head's last bias), e.g. the mean training energy, so
            that training starts from the right scale.
    """

    def __init__(self, width: int = 8, hidden: int = 64, offset_mev: float = 2.0) -> None:
        super().__init__()
        self.trunk = WaveformTrunk(width)
        self.head = nn.Sequential(
            nn.Linear(2 * width, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            out := nn.Linear(hidden, 1),
        )
        with torch.no_grad():
            out.bias.fill_(offset_mev)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Energy in MeV for images (batch, n_channels, n_time) in 1000 e, shape (batch,)."""
        f = self.trunk(images)
        pooled = torch.cat([f.amax(dim=(2, 3)), f.mean(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(-1)


class SiteNet(nn.Module):
    """Single- versus multi-site logit from max- and mean-pooled trunk features."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.trunk = WaveformTrunk(width)
        self.head = nn.Sequential(nn.Linear(2 * width, 32), nn.GELU(), nn.Linear(32, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logit of the multi-site (gamma) class, shape (batch,)."""
        f = self.trunk(images)
        pooled = torch.cat([f.amax(dim=(2, 3)), f.mean(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(-1)
