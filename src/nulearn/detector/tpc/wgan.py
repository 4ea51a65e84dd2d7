"""Conditional WGAN-GP waveform generator with a constrainer network, and its validation.

Wasserstein GAN with gradient penalty (Gulrajani et al., NeurIPS 2017, arXiv:1704.00028): the
critic D estimates the Wasserstein-1 distance between simulated and generated images,
E[D(real)] - E[D(fake)], kept 1-Lipschitz by the penalty lambda * (|grad D(x_hat)| - 1)^2 on
random interpolates. Generator and critic are conditioned on the label (x position, drift
distance, energy). As in the EXO-200 WGAN study of U-wire waveforms (a generator trained on
calibration waveforms, supervised by a constrainer network), a *constrainer*, a regressor
trained beforehand on simulated images to predict the label, is frozen and its error on
generated images is added to the generator loss, enforcing the label-to-waveform relation.

Images are the network images of :mod:`nulearn.detector.tpc.dataset`; the critic and the
constrainer read asinh(image) so that noise (~0.8) and collected charge (up to ~100, in 1000 e)
are both O(1); the generator writes images in 1000 e directly.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
from numpy.typing import NDArray
from scipy.stats import wasserstein_distance
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from nulearn.detector.tpc.config import TPCConfig
from nulearn.detector.tpc.dataset import IMAGE_POOL, IMAGE_SCALE_ELECTRONS, IMAGE_WINDOW_SAMPLES
from nulearn.detector.tpc.energy_cnn import image_template, split_loaders
from nulearn.detector.tpc.networks import ChannelPulses
from nulearn.detector.tpc.training import SupervisedModule
from nulearn.ml.training import TrainerConfig, fit, make_trainer, seed_everything

__all__ = [
    "WGANGP",
    "Constrainer",
    "Critic",
    "Generator",
    "LabelGeometry",
    "compare_with_simulator",
    "event_labels",
    "image_energy_kev",
    "side_matched_latent",
    "train_constrainer",
    "train_wgan",
    "warm_start",
]

N_LABELS = 3
_PROFILE_HALF = 6.0  # channels either side of a cluster covered by the channel profiles
_PROFILE_STEP = 0.25  # channel-profile grid step, channels


def event_labels(
    centroid_mm: NDArray[np.floating],
    drift_mm: NDArray[np.floating],
    energy_kev: NDArray[np.floating],
    config: TPCConfig,
) -> NDArray[np.float32]:
    """Normalised labels (x / half width, drift / drift length, E / 3 MeV), shape (n_events, 3)."""
    return np.stack(
        [
            np.asarray(centroid_mm)[:, 0] / config.half_width_mm,
            np.asarray(drift_mm) / config.drift_length_mm,
            np.asarray(energy_kev) / 3000.0,
        ],
        axis=1,
    ).astype(np.float32)


@dataclass(frozen=True)
class LabelGeometry:
    """Where and how large a single-site cluster appears in the image, from its label.

    The detector constants an experiment knows without any waveform: wire pitch (channel from
    x), drift and gap velocities and the trigger time (arrival from the drift distance),
    electrons per keV and the electron lifetime (collected charge from energy). The generator
    places its cluster here and learns only corrections, the response shapes and the
    fluctuations; the comparison with the simulator measures residuals from the same place.

    Attributes:
        channels_per_side: U channels per drift region.
        start_bins: image bin of the interaction time t0, plus the V-U gap drift time.
        bins_per_drift: image bins per unit of the drift label (drift length / velocity).
        charge_per_energy: collected charge, 1000 e, per unit of the energy label (3 MeV).
        lifetime_bins: electron lifetime in image bins.
    """

    channels_per_side: int
    start_bins: float
    bins_per_drift: float
    charge_per_energy: float
    lifetime_bins: float

    @classmethod
    def from_config(cls, config: TPCConfig) -> LabelGeometry:
        """The geometry of the detector ``config`` on the network image grid."""
        bin_us = IMAGE_POOL * config.sampling_period_us
        t0_us = -IMAGE_WINDOW_SAMPLES[0] * config.sampling_period_us  # trigger, from window start
        return cls(
            channels_per_side=config.channels_per_side,
            start_bins=(t0_us + config.gap_mm / config.gap_velocity_mm_per_us) / bin_us,
            bins_per_drift=config.drift_length_mm / config.drift_velocity_mm_per_us / bin_us,
            charge_per_energy=3000.0 * config.electrons_per_kev / IMAGE_SCALE_ELECTRONS,
            lifetime_bins=config.electron_lifetime_us / bin_us,
        )

    def channel(self, labels: Any, side: Any) -> Any:
        """Fractional channel of the label's x in drift region ``side`` (0 or 1), shape (n,);
        numpy arrays or torch tensors, labels of shape (n, 3)."""
        return (side + 0.5 * (labels[:, 0] + 1.0)) * self.channels_per_side - 0.5

    def arrival_bin(self, labels: Any) -> Any:
        """Fractional image bin at which the label's charge reaches the U plane, shape (n,)."""
        return self.start_bins + labels[:, 1] * self.bins_per_drift

    def charge(self, labels: Any) -> Any:
        """Expected collected charge in 1000 e (energy label times attachment survival), (n,)."""
        # e ** (-t / tau) written as a float power, so that numpy arrays and torch tensors work.
        survival = np.exp(-1.0) ** (labels[:, 1] * self.bins_per_drift / self.lifetime_bins)
        return labels[:, 2] * self.charge_per_energy * survival


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

    It reads the waveforms through :class:`~nulearn.detector.tpc.networks.ChannelPulses` (matched
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


def train_constrainer(
    images: NDArray[np.float32],
    labels: NDArray[np.float32],
    max_epochs: int = 5,
    seed: int = 0,
    num_threads: int | None = None,
    template: list[float] | None = None,
) -> Constrainer:
    """Fit a :class:`Constrainer` on simulated images (n, 76, 128) and labels (n, 3); frozen on
    return. ``template``: the collection template on the image grid that starts its filter."""
    train, val = split_loaders(images, labels, 32, 0.15, seed)
    seed_everything(seed)
    module = Constrainer(template, n_channels=images.shape[1])
    fit(
        module,
        train,
        val,
        TrainerConfig(
            max_epochs=max_epochs,
            patience=max_epochs,
            accelerator="cpu",
            devices=1,
            seed=seed,
            num_threads=num_threads,
        ),
    )
    module.eval()
    module.requires_grad_(False)
    return module


class WGANGP(L.LightningModule):
    """Conditional WGAN-GP with manual optimisation (n_critic critic steps per generator step).

    Args:
        constrainer: frozen label regressor (None: no constraint term).
        latent_dim: generator latent size.
        width: generator and critic width.
        gp_weight: gradient-penalty weight lambda (10 in Gulrajani et al.).
        constrainer_weight: weight of the constrainer's label MSE in the generator loss.
        n_critic: critic updates per generator update (5 in Gulrajani et al.; 2 here, short CPU runs).
        learning_rate: Adam learning rate, betas (0.5, 0.9).
        pulse: initial pulse shape of the generator (the collection template on the image
            grid, starting ``Generator.pulse_lead`` bins before arrival); None: random.
        geometry: fields of the generator's :class:`LabelGeometry` (a dict, so that the
            checkpoint's hyperparameters stay plain); None: positions learned outright.
        n_shapes: pulse shapes of the generator: collection and induction (2); a third, free
            shape lets the adversarial game trade pulse timing against shape.
        reconstruction_weight: weight of the squared difference between the generator's
            typical noise-free signal (``vary=False``) and the real image of the same label,
            an L2 anchor on the conditional mean (as pix2pix anchors its GAN with L1); 0: none.
    """

    def __init__(
        self,
        constrainer: Constrainer | None = None,
        latent_dim: int = 16,
        width: int = 16,
        n_channels: int = 76,
        n_time: int = 128,
        gp_weight: float = 10.0,
        constrainer_weight: float = 300.0,
        n_critic: int = 2,
        learning_rate: float = 3e-4,
        pulse: list[float] | None = None,
        geometry: dict[str, float] | None = None,
        n_shapes: int = 2,
        reconstruction_weight: float = 30.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["constrainer"])
        self.automatic_optimization = False
        self.generator = Generator(
            latent_dim,
            8 * width,
            n_channels,
            n_time,
            n_shapes=n_shapes,
            pulse=None if pulse is None else torch.tensor(pulse, dtype=torch.float32),
            geometry=None if geometry is None else LabelGeometry(**geometry),  # type: ignore[arg-type]
        )
        self.critic = Critic(width, n_channels, n_time)
        self.constrainer = constrainer

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """Generated images in 1000 e for labels (batch, 3), shape (batch, n_channels, n_time)."""
        z = torch.randn(labels.shape[0], self.hparams["latent_dim"], device=labels.device)
        return self.generator(z, labels)

    def _gradient_penalty(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        eps = torch.rand(real.shape[0], 1, 1, device=real.device)
        mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.critic(mix, labels).sum(), mix, create_graph=True)[0]
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()  # type: ignore[misc,attr-defined]
        images, labels = batch
        real = torch.asinh(images)
        z = torch.randn(real.shape[0], self.hparams["latent_dim"])
        fake = torch.asinh(self.generator(z, labels)).detach()
        w_est = self.critic(real, labels).mean() - self.critic(fake, labels).mean()
        d_loss = -w_est + self.hparams["gp_weight"] * self._gradient_penalty(real, fake, labels)
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        self.log("wasserstein_estimate", w_est.detach(), on_epoch=True, on_step=False)
        if batch_idx % self.hparams["n_critic"] == 0:
            # The side follows the real batch (still 50/50), so that the signal can also be
            # compared with the real image of the same label.
            latent = side_matched_latent(images, self.hparams["latent_dim"])
            signal = self.generator.signal(latent, labels)
            fake_linear = signal + self.generator.noise(signal.shape[0], signal.device)
            g_loss = -self.critic(torch.asinh(fake_linear), labels).mean()
            if self.hparams["reconstruction_weight"] > 0:
                # Anchors the label's typical event only: the fluctuations around it are
                # the critic's to shape (an L2 term on full samples would suppress them).
                typical = self.generator.signal(latent, labels, vary=False)
                g_loss = g_loss + self.hparams["reconstruction_weight"] * torch.mean(
                    (typical - images) ** 2
                )
            if self.constrainer is not None:
                g_loss = g_loss + self.hparams["constrainer_weight"] * torch.mean(
                    (self.constrainer(fake_linear) - labels) ** 2
                )
            opt_g.zero_grad()
            self.manual_backward(g_loss)
            opt_g.step()

    def configure_optimizers(self) -> Any:
        lr = self.hparams["learning_rate"]
        return (
            torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.9)),
            torch.optim.Adam(self.critic.parameters(), lr=lr, betas=(0.5, 0.9)),
        )

    def generate(self, labels: NDArray[np.float32], batch_size: int = 512) -> NDArray[np.float32]:
        """Images (n, n_channels, n_time) in 1000 e for normalised labels of shape (n, 3)."""
        lab = torch.from_numpy(np.asarray(labels, np.float32))
        if lab.ndim != 2 or lab.shape[1] != N_LABELS:
            raise ValueError(
                f"labels must have shape (n_events, {N_LABELS}); got {tuple(lab.shape)}"
            )
        self.eval()
        with torch.inference_mode():
            return torch.cat(
                [self(lab[i : i + batch_size]) for i in range(0, lab.shape[0], batch_size)]
            ).numpy()


def side_matched_latent(
    images: torch.Tensor, latent_dim: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Standard-normal latents (batch, latent_dim) whose first coordinate's sign puts the
    generator's charge in the drift region where ``images`` (batch, channels, time) have theirs."""
    half = images.shape[1] // 2
    latent = torch.randn(images.shape[0], latent_dim, generator=generator)
    sign = (images.amax(-1).argmax(1) >= half).to(latent.dtype) * 2.0 - 1.0
    latent[:, 0] = latent[:, 0].abs() * sign
    return latent


def warm_start(
    generator: Generator,
    images: NDArray[np.float32],
    labels: NDArray[np.float32],
    steps: int = 1000,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """Fit the generator's typical signal to the images' conditional mean; returns the losses.

    The loss is the mean squared difference between the noise-free typical signal
    (:meth:`Generator.signal` with ``vary=False``) and the simulated image (n, channels, time)
    of the same label (n, 3), the side (drift region) taken from where the image's charge is:
    with Gaussian noise this is the likelihood of the signal, so channel profiles, induction
    shapes, arrival times and charges start where the data put them, whereas adversarial
    gradients move a misplaced pulse only slowly (a critic sees it as merely "unlike" the
    data). The adversarial game then shapes the fluctuations.
    """
    x = torch.from_numpy(np.asarray(images, np.float32))
    lab = torch.from_numpy(np.asarray(labels, np.float32))
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(
        [p for p in generator.parameters() if p.requires_grad],
        lr=learning_rate,
        betas=(0.5, 0.9),
    )
    history = []
    generator.train()
    for _ in range(steps):
        idx = torch.randint(0, lab.shape[0], (batch_size,), generator=gen)
        latent = side_matched_latent(x[idx], generator.latent_dim, gen)
        loss = torch.mean((generator.signal(latent, lab[idx], vary=False) - x[idx]) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history


def train_wgan(
    images: NDArray[np.float32],
    labels: NDArray[np.float32],
    max_epochs: int = 10,
    constrainer_epochs: int = 8,
    batch_size: int = 32,
    seed: int = 0,
    num_threads: int | None = None,
    config: TPCConfig | None = None,
    warm_start_steps: int = 1000,
    **kwargs: Any,
) -> WGANGP:
    """Train the constrainer, then the conditional WGAN-GP, on simulated images and labels.

    The generator starts from the collection template of ``config`` (the detector that made
    the images; default :class:`TPCConfig`) and from the images' noise covariance, and is
    fitted for ``warm_start_steps`` to the images' conditional mean (:func:`warm_start`). It
    places clusters by the detector's :class:`LabelGeometry` unless ``geometry=None`` is passed.
    ``kwargs`` go to :class:`WGANGP`.
    """
    seed_everything(seed)
    cfg = config or TPCConfig()
    template = image_template(cfg).tolist()
    constrainer = (
        train_constrainer(images, labels, constrainer_epochs, seed, num_threads, template)
        if constrainer_epochs > 0
        else None
    )
    # The generator's pulse covers the whole window: the shaped tail decays over ~100 bins.
    kwargs.setdefault("pulse", image_template(cfg, n_taps=images.shape[2] + 2).tolist())
    kwargs.setdefault("geometry", asdict(LabelGeometry.from_config(cfg)))
    module = WGANGP(constrainer, n_channels=images.shape[1], n_time=images.shape[2], **kwargs)
    module.generator.init_noise(torch.from_numpy(images))
    if warm_start_steps > 0:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        warm_start(module.generator, images, labels, warm_start_steps, batch_size, seed=seed)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)),
        batch_size=min(batch_size, images.shape[0]),
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )
    # The Wasserstein estimate is not a loss to early-stop on: patience = max_epochs disables it.
    trainer_config = TrainerConfig(
        max_epochs=max_epochs,
        patience=max_epochs,
        monitor="wasserstein_estimate",
        accelerator="cpu",
        devices=1,
        seed=seed,
        num_threads=num_threads,
        deterministic=False,
    )
    make_trainer(trainer_config).fit(module, train_dataloaders=loader)
    return module


def image_energy_kev(
    images: NDArray[np.floating], config: TPCConfig, threshold_sigma: float = 5.0
) -> NDArray[np.float64]:
    """Simple image-domain energy: sum of per-channel peak amplitudes above threshold, keV, shape (n,).

    Applied identically to simulated and generated images, so it compares their spectra; the
    noise in the pooled image is about noise_electrons / 1000.
    """
    x = np.asarray(images, np.float64)
    peak = x.max(axis=-1)
    hit = peak > threshold_sigma * config.noise_electrons / IMAGE_SCALE_ELECTRONS
    return np.where(hit, peak, 0.0).sum(axis=1) * IMAGE_SCALE_ELECTRONS / config.electrons_per_kev


@dataclass(frozen=True)
class _Quantities:
    pixels: NDArray[np.float64]
    channel_sum: NDArray[np.float64]
    channel_residual: NDArray[np.float64]
    time_residual: NDArray[np.float64]
    energy: NDArray[np.float64]


def _quantities(
    images: NDArray[np.floating], labels: NDArray[np.floating], config: TPCConfig, seed: int
) -> _Quantities:
    x = np.asarray(images, np.float64)
    rng = np.random.default_rng(seed)  # the same pixel subset for every image set
    n_ch = x.shape[1]
    pix = x.ravel()
    pix = pix[rng.choice(pix.size, min(pix.size, 200_000), replace=False)]
    per_channel = x.sum(axis=-1)  # (n, ch): summed amplitude per channel
    peak = x.max(axis=-1)
    w = np.clip(peak, 0, None) ** 2
    centroid = (w * np.arange(n_ch)).sum(1) / np.maximum(w.sum(1), 1e-9)
    # Expected channel from the label x, in the drift region the event's charge went to.
    geometry = LabelGeometry.from_config(config)
    side = (np.argmax(peak, axis=1) >= config.channels_per_side).astype(np.float64)
    expected_ch = geometry.channel(labels, side)
    bin_us = IMAGE_POOL * config.sampling_period_us
    t_peak = x.max(axis=1).argmax(axis=1) * bin_us  # us since the window's start
    expected_t = geometry.arrival_bin(labels) * bin_us
    return _Quantities(
        pix,
        per_channel.ravel(),
        centroid - expected_ch,
        t_peak - expected_t,
        image_energy_kev(x, config),
    )


def compare_with_simulator(
    simulated: NDArray[np.floating],
    generated: NDArray[np.floating],
    labels: NDArray[np.floating],
    config: TPCConfig,
    reference: NDArray[np.floating] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Wasserstein-1 distance (scipy.stats.wasserstein_distance) per quantity, generator vs simulator.

    Quantities: raw image samples, summed amplitude per channel, position dependence (charge
    centroid channel minus the label's channel; peak time minus the label's drift time) and the
    reconstructed energy spectrum. ``reference``, a second independent simulated set with the same
    labels, gives the simulator-vs-simulator distance: the floor set by finite statistics.

    Returns:
        One row per quantity: ``quantity``, ``unit``, ``w_generator``, ``w_simulator_floor``
        and ``simulated_std`` (the quantity's standard deviation in ``simulated``).
    """
    sim = _quantities(simulated, labels, config, seed)
    gen = _quantities(generated, labels, config, seed)
    ref = _quantities(reference, labels, config, seed) if reference is not None else None
    rows = [
        ("raw waveform samples", "1000 e", "pixels"),
        ("summed amplitude per channel", "1000 e x sample", "channel_sum"),
        ("position: channel centroid - label", "channels", "channel_residual"),
        ("position: peak time - label drift time", "us", "time_residual"),
        ("reconstructed energy spectrum", "keV", "energy"),
    ]
    return pd.DataFrame(
        [
            {
                "quantity": q,
                "unit": unit,
                "w_generator": wasserstein_distance(getattr(sim, f), getattr(gen, f)),
                "w_simulator_floor": wasserstein_distance(getattr(sim, f), getattr(ref, f))
                if ref is not None
                else float("nan"),
                # The scale to judge a distance by: the quantity's own spread in the simulation.
                "simulated_std": float(np.std(getattr(sim, f))),
            }
            for q, unit, f in rows
        ]
    )


def time_per_event(func: Any, n_events: int, repeats: int = 1) -> float:
    """Best wall time per event in seconds of ``func()`` producing ``n_events`` events."""
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t)
    return float(best / n_events)
