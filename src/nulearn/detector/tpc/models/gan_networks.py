"""The networks of the conditional WGAN-GP waveform generator: generator, critic, constrainer.

Wasserstein GAN with gradient penalty (Gulrajani et al., NeurIPS 2017, arXiv:1704.00028): the
critic D estimates the Wasserstein-1 distance between simulated and generated images. Generator
and critic are conditioned on the label (:mod:`nulearn.detector.tpc.data.labels`). As in the
EXO-200 WGAN study of U-wire waveforms (a generator trained on calibration waveforms, supervised
by a constrainer network), a *constrainer*, a regressor trained beforehand on simulated images to
predict the label, judges the label-to-waveform relation of generated images. Training is in
:mod:`nulearn.detector.tpc.models.gan_training`.

The critic and the constrainer read asinh(image) so that noise (~0.8) and collected charge (up to
~100, in 1000 e) are both O(1); the generator writes images in 1000 e directly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from nulearn.detector.tpc.data.labels import N_LABELS, LabelGeometry
from nulearn.detector.tpc.models.networks import ChannelPulses
from nulearn.detector.tpc.models.training import SupervisedModule

__all__ = ["Constrainer", "Critic", "Generator"]

_PROFILE_HALF = 6.0  # channels either side of a cluster covered by the channel profiles
_PROFILE_STEP = 0.25  # channel-profile grid step, channels


def _conv_out(size: int, stride: int, kernel: int = 4, padding: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class Generator(nn.Module):
    """(latent, label) -> image (batch, n_channels, n_time) in 1000 e: a differentiable renderer.

    A single-site event is, to a good approximation, the same pattern translated: collected
    charge on one or two channels and induction on their neighbours, with a pulse shape that
    starts at the drift time. The generator therefore predicts, for each of ``n_terms`` charge
    clusters, a channel position, an arrival time, an amplitude and ``n_shapes`` mixing weights
    from an MLP of latent and label, and renders learned channel profiles P_j(c - c_k) times
    learned pulse shapes T_j(t - t_k) at those continuous positions (linear interpolation, so
    positions receive gradients). It is what a transposed-convolution generator is, a
    translation-equivariant decoder, with sub-pixel positions and far fewer parameters, which
    is what lets it train on a CPU. Given ``pulse`` (the collection template), the first pulse
    shape is that template, fixed; the others (induction, anything else) are learned.

    The noise is synthesised StyleGAN-style from injected white noise mixed by learned
    matrices: an (n_time x n_time) time-mixing matrix per channel (the square root of the noise
    covariance in time) plus a common-mode term per drift region; :meth:`init_noise` fixes them
    at the training images' empirical covariance (not trained further). The side of the detector (which drift region
    the charge reaches) is drawn by the sign of the first latent coordinate.

    With ``geometry`` (:class:`LabelGeometry`), the cluster sits at the label's channel, arrival
    bin and expected charge, and the networks predict corrections to them (a channel and bin
    offset, a log-charge factor): a generator given the detector's known geometry does not have
    to rediscover it from the adversarial game, which places pulses only to within a few bins.
    Without it, position, time and amplitude are learned outright. The latent-driven variation
    is an odd function of the latent (side aside), so it averages to zero about the label's
    typical event.
    """

    def __init__(
        self,
        latent_dim: int = 16,
        width: int = 128,
        n_channels: int = 76,
        n_time: int = 128,
        n_terms: int = 1,
        n_shapes: int = 3,
        pulse: torch.Tensor | None = None,
        pulse_lead: int = 2,
        geometry: LabelGeometry | None = None,
    ) -> None:
        super().__init__()
        self.geometry = geometry
        if n_channels % 2:
            raise ValueError(f"n_channels = {n_channels} must be even (two drift regions)")
        self.latent_dim, self.n_terms, self.n_shapes = latent_dim, n_terms, n_shapes
        self.n_channels, self.n_time, self.pulse_lead = n_channels, n_time, pulse_lead
        self.body = nn.Sequential(
            nn.Linear(latent_dim + N_LABELS, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, width),
            nn.LeakyReLU(0.2),
        )
        # Per term: channel position, arrival time, log amplitude, n_shapes mixing weights; a
        # function of the label alone (position, drift time and charge follow from it), plus
        # a latent-driven variation that starts at a tenth of its scale.
        self.terms = nn.Linear(width, n_terms * (3 + n_shapes))
        label_head = nn.Linear(width, n_terms * (3 + n_shapes))
        self.label_terms = nn.Sequential(
            nn.Linear(N_LABELS, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, width),
            nn.LeakyReLU(0.2),
            label_head,
        )
        for head in (self.terms, label_head):
            nn.init.normal_(head.weight, std=1e-2)
            nn.init.zeros_(head.bias)
        self.variation = nn.Parameter(torch.tensor(0.1))
        # Channel profiles on a 0.25-channel grid over +-6 channels: a narrow collection peak,
        # its two neighbours (induction) and a free shape.
        dc = torch.arange(-_PROFILE_HALF, _PROFILE_HALF + 1e-6, _PROFILE_STEP)
        profiles = 0.01 * torch.randn(n_shapes, dc.numel())
        profiles[0] = torch.exp(-0.5 * (dc / 0.4) ** 2)
        if n_shapes > 1:
            profiles[1] = 0.1 * (
                torch.exp(-0.5 * ((dc - 1) / 0.4) ** 2) + torch.exp(-0.5 * ((dc + 1) / 0.4) ** 2)
            )
        self.profiles = nn.Parameter(profiles)
        length = n_time + pulse_lead  # a pulse can start at the window's start and last it out
        shapes = 0.01 * torch.randn(n_shapes, length)
        collection = torch.zeros(1, length)
        if pulse is not None:
            n = min(length, pulse.numel())
            collection[0, :n] = pulse[:n]
            if n_shapes > 1:
                shapes[1, : n - 1] = torch.diff(pulse[:n])
        # The collected charge's pulse is the electronics response, the same for every event:
        # with the template given it stays fixed, and only the other shapes are learned.
        self.fixed_pulse = pulse is not None
        self.register_buffer("collection_pulse", collection)
        self.pulses = nn.Parameter(shapes[1:] if self.fixed_pulse else shapes)
        self.noise_mixing = nn.Parameter(0.3 * torch.eye(n_time))
        self.common_mixing = nn.Parameter(0.1 * torch.eye(n_time))

    @torch.no_grad()
    def init_noise(self, images: torch.Tensor, quiet_threshold: float = 4.0) -> None:
        """Fix the noise matrices at the covariance of signal-free channels of ``images``.

        Channels whose largest |sample| stays below ``quiet_threshold`` (1000 e) count as
        signal-free. Their mean per drift region estimates the common mode; the residuals the
        per-channel noise.
        """
        x = images.double()
        b, c, t = x.shape
        half = c // 2
        quiet = (x.abs().amax(-1) < quiet_threshold).view(b, 2, half)
        side = x.view(b, 2, half, t)
        n_quiet = quiet.sum(-1, keepdim=True)
        ok = (n_quiet[..., 0] >= half // 2).view(-1)
        common = (side * quiet[..., None]).sum(2) / n_quiet.clamp_min(1)  # (b, 2, t)
        resid = (side - common[:, :, None]) * quiet[..., None]
        resid = resid.view(-1, t)[quiet.reshape(-1)]
        common = common.reshape(-1, t)[ok]
        n_eff = half  # the residual loses 1/n of the per-channel variance to the mean
        cov_white = resid.T @ resid / resid.shape[0] * n_eff / (n_eff - 1)
        cov_common = common.T @ common / common.shape[0] - cov_white / n_eff
        for matrix, cov in ((self.noise_mixing, cov_white), (self.common_mixing, cov_common)):
            val, vec = torch.linalg.eigh(cov)
            root = vec @ torch.diag(val.clamp_min(0).sqrt()) @ vec.T  # symmetric square root
            matrix.copy_(root.to(matrix.dtype))
            # Gaussian noise is fixed by its covariance, and the empirical covariance is its
            # maximum-likelihood estimate: the adversarial game would only add variance to it.
            matrix.requires_grad_(False)

    def _render(self, table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """Linear interpolation of ``table`` (shapes, length) at fractional ``index`` (...), zero
        outside: shape (shapes, ...)."""
        padded = nn.functional.pad(table, (1, 1))
        i = index + 1.0
        lo = i.floor().clamp(0, table.shape[1] + 1)
        w = (i - lo).clamp(0, 1)
        lo_i = lo.long()
        hi_i = (lo_i + 1).clamp(max=table.shape[1] + 1)
        return padded[:, lo_i] * (1 - w) + padded[:, hi_i] * w

    def forward(self, latent: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images in 1000 e, shape (batch, n_channels, n_time)."""
        return self.signal(latent, labels) + self.noise(latent.shape[0], latent.device)

    def cluster_parameters(
        self, latent: torch.Tensor, labels: torch.Tensor, vary: bool = True
    ) -> torch.Tensor:
        """Raw per-cluster parameters (batch, n_terms, 3 + n_shapes): channel, arrival bin and
        log-charge (corrections, given a geometry) and the pulse-shape mixing weights.

        ``vary=False`` leaves out the latent-driven variation: the label's typical event.
        """
        p = self.label_terms(labels)
        if vary:
            # An odd function of the latent (side coordinate aside): the variation averages to
            # zero, so the label's typical event stays where the label terms put it and the
            # adversarial game shapes only the spread around it.
            mirrored = torch.cat([latent[:, :1], -latent[:, 1:]], 1)
            odd = self.terms(self.body(torch.cat([latent, labels], 1))) - self.terms(
                self.body(torch.cat([mirrored, labels], 1))
            )
            p = p + self.variation * odd
        return p.view(latent.shape[0], self.n_terms, 3 + self.n_shapes)

    def signal(self, latent: torch.Tensor, labels: torch.Tensor, vary: bool = True) -> torch.Tensor:
        """The rendered charge signal alone, 1000 e, shape (batch, n_channels, n_time).

        ``vary=False``: the label's typical event (only the first latent coordinate, the side,
        still counts).
        """
        half = self.n_channels // 2
        p = self.cluster_parameters(latent, labels, vary)
        side = (latent[:, :1] > 0).to(latent.dtype)  # (b, 1)
        geo = self.geometry
        if geo is None:
            channel = side * half + half * torch.sigmoid(p[..., 0]) - 0.5  # (b, terms)
            arrival = self.n_time * torch.sigmoid(p[..., 1])
            amplitude = 30.0 * torch.exp(p[..., 2].clamp(max=5.0))
        else:
            channel = geo.channel(labels, side[:, 0])[:, None] + p[..., 0]
            arrival = geo.arrival_bin(labels)[:, None] + p[..., 1]
            amplitude = geo.charge(labels)[:, None] * torch.exp(p[..., 2].clamp(max=3.0))
        mixing = p[..., 3:]
        c = torch.arange(self.n_channels, device=latent.device, dtype=latent.dtype)
        t = torch.arange(self.n_time, device=latent.device, dtype=latent.dtype)
        prof = self._render(
            self.profiles, (c - channel[..., None] + _PROFILE_HALF) / _PROFILE_STEP
        )  # (shapes, b, terms, channels)
        collection: torch.Tensor = self.collection_pulse  # type: ignore[assignment]
        shapes = torch.cat([collection, self.pulses]) if self.fixed_pulse else self.pulses
        puls = self._render(shapes, t - arrival[..., None] + self.pulse_lead)
        weight = amplitude[..., None] * (1.0 + mixing)  # (b, terms, shapes)
        return torch.einsum("bks,sbkc,sbkt->bct", weight, prof, puls)

    def noise(self, batch: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """Electronics noise alone, 1000 e, shape (batch, n_channels, n_time)."""
        half = self.n_channels // 2
        white = torch.randn(batch * self.n_channels, self.n_time, device=device) @ self.noise_mixing
        common = (torch.randn(batch * 2, self.n_time, device=device) @ self.common_mixing).view(
            batch, 2, 1, self.n_time
        )
        common = common.expand(batch, 2, half, self.n_time).reshape(batch, 2 * half, self.n_time)
        return white.view(batch, self.n_channels, self.n_time) + common


class Critic(nn.Module):
    """(asinh image, label) -> scalar critic value.

    Two branches, summed: a strided convolutional branch over the image with the labels as
    constant feature maps, and a summary branch, an MLP of the labels, the ``n_sorted`` largest
    channel peaks and deepest channel troughs (sorted, so they describe how many channels carry
    charge or induction and how much, wherever the event sits) and the waveform of the channel
    with the largest peak (pulse shape and timing against the drift label). The summaries are
    differentiable functions of the image, so the gradient penalty and the generator's gradient
    pass through them; they let a small critic see the quantities the comparison with the
    simulator measures.
    """

    def __init__(
        self, width: int = 16, n_channels: int = 76, n_time: int = 128, n_sorted: int = 8
    ) -> None:
        super().__init__()
        self.shape, self.n_sorted = (n_channels, n_time), n_sorted
        self.layers = nn.Sequential(
            nn.Conv2d(1 + N_LABELS, width // 2, 4, stride=(2, 4), padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width // 2, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(
                width * _conv_out(_conv_out(n_channels, 2), 2) * _conv_out(_conv_out(n_time, 4), 2),
                1,
            ),
        )
        self.summary = nn.Sequential(
            nn.Linear(2 * n_sorted + n_time + N_LABELS, 4 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(4 * width, 4 * width),
            nn.LeakyReLU(0.2),
            nn.Linear(4 * width, 1),
        )

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Critic values, shape (batch,)."""
        b, c, t = images.shape
        maps = labels[:, :, None, None].expand(b, N_LABELS, c, t)
        conv = self.layers(torch.cat([images.unsqueeze(1), maps], 1)).squeeze(-1)
        peaks = images.amax(-1)
        top = torch.topk(peaks, self.n_sorted, dim=1).values
        deep = torch.topk((-images).amax(-1), self.n_sorted, dim=1).values
        brightest = images[torch.arange(b, device=images.device), peaks.argmax(1)]
        return conv + self.summary(torch.cat([top, deep, brightest, labels], 1)).squeeze(-1)


class Constrainer(SupervisedModule):
    """Label regressor on images (in 1000 e), trained with plain Adam.

    It reads the waveforms through :class:`~nulearn.detector.tpc.models.networks.ChannelPulses` (matched
    filter and attention over time per channel), weights every channel by a soft 4-sigma gate
    and forms the charge-weighted summaries that carry the labels: total charge (energy),
    mean arrival time (drift distance), mean channel within the drift region (x) and the two
    spreads; a small MLP maps them to the normalised labels. A regressor built this way is
    accurate after a few epochs and, having few parameters, judges generated images by the
    same physics as simulated ones, which is what the generator's constraint needs.
    """

    def __init__(
        self,
        template: list[float] | None = None,
        n_channels: int = 76,
        hidden: int = 32,
        learning_rate: float = 2e-3,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.pulses = ChannelPulses(
            None if template is None else torch.tensor(template, dtype=torch.float32)
        )
        half = n_channels // 2
        self.register_buffer(
            "within_side", (torch.arange(n_channels) % half).float() / half, persistent=False
        )
        self.kappa = nn.Parameter(torch.tensor(0.0))
        self.head = nn.Sequential(nn.Linear(5, hidden), nn.GELU(), nn.Linear(hidden, N_LABELS))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted normalised labels, shape (batch, 3)."""
        amplitude, t, significance = self.pulses(images)
        q = torch.sigmoid(2.0 * (significance - 4.0)) * amplitude.clamp_min(0.0)
        q = q * torch.exp(self.kappa * t)
        total = q.sum(-1, keepdim=True) + 1e-3
        mean_t = (q * t).sum(-1, keepdim=True) / total
        u = self.within_side
        mean_u = (q * u).sum(-1, keepdim=True) / total
        spread_t = ((q * (t - mean_t) ** 2).sum(-1, keepdim=True) / total + 1e-6).sqrt()
        spread_u = ((q * (u - mean_u) ** 2).sum(-1, keepdim=True) / total + 1e-6).sqrt()
        features = torch.cat([total / 100.0, mean_t, mean_u, spread_t, spread_u], dim=1)
        return self.head(features)

    def _loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return torch.mean((self(x) - y) ** 2)

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=self.hparams["learning_rate"])
