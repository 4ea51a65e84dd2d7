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
from dataclasses import dataclass
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
from nulearn.detector.tpc.dataset import IMAGE_SCALE_ELECTRONS
from nulearn.detector.tpc.networks import WaveformTrunk
from nulearn.detector.tpc.training import SupervisedModule
from nulearn.ml.training import TrainerConfig, fit, make_trainer, seed_everything

__all__ = [
    "WGANGP",
    "Constrainer",
    "Critic",
    "Generator",
    "compare_with_simulator",
    "event_labels",
    "image_energy_kev",
    "train_constrainer",
    "train_wgan",
]

N_LABELS = 3


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


def _conv_out(size: int, stride: int, kernel: int = 4, padding: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


class Generator(nn.Module):
    """(latent, label) -> image (batch, n_channels, n_time) in 1000 e, built from GEMMs only.

    The charge signal is a sum of ``rank`` separable terms, channel profile x pulse shape, both
    predicted by an MLP from latent and label (a single site is one such term: the collected
    and induced charge per channel times the shaped pulse at the drift time). The noise is
    synthesised StyleGAN-style from injected white noise mixed by learned matrices: a
    (n_time x n_time) time-mixing matrix per channel (the learned square root of the noise
    covariance in time) plus a common-mode term per drift region. Dense matrix products are the
    fastest operation a CPU offers, which is what makes generation cheap.
    """

    def __init__(
        self,
        latent_dim: int = 16,
        width: int = 128,
        n_channels: int = 76,
        n_time: int = 128,
        rank: int = 8,
    ) -> None:
        super().__init__()
        self.latent_dim, self.rank = latent_dim, rank
        self.n_channels, self.n_time = n_channels, n_time
        self.body = nn.Sequential(
            nn.Linear(latent_dim + N_LABELS, width),
            nn.LeakyReLU(0.2),
            nn.Linear(width, width),
            nn.LeakyReLU(0.2),
        )
        self.channel_profile = nn.Linear(width, rank * n_channels)
        self.pulse_shape = nn.Linear(width, rank * n_time)
        self.noise_mixing = nn.Parameter(0.3 * torch.eye(n_time))
        self.common_mixing = nn.Parameter(0.1 * torch.eye(n_time))

    def forward(self, latent: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Images in 1000 e, shape (batch, n_channels, n_time)."""
        b = latent.shape[0]
        h = self.body(torch.cat([latent, labels], 1))
        profile = self.channel_profile(h).view(b, self.rank, self.n_channels)
        pulse = self.pulse_shape(h).view(b, self.rank, self.n_time)
        signal = torch.bmm(profile.transpose(1, 2), pulse)
        white = (
            torch.randn(b * self.n_channels, self.n_time, device=latent.device) @ self.noise_mixing
        )
        half = self.n_channels // 2
        common = (torch.randn(b * 2, self.n_time, device=latent.device) @ self.common_mixing).view(
            b, 2, 1, self.n_time
        )
        common = common.expand(b, 2, half, self.n_time).reshape(b, 2 * half, self.n_time)
        return signal + white.view(b, self.n_channels, self.n_time) + common


class Critic(nn.Module):
    """(asinh image, label) -> scalar critic value; labels enter as constant feature maps."""

    def __init__(self, width: int = 16, n_channels: int = 76, n_time: int = 128) -> None:
        super().__init__()
        self.shape = (n_channels, n_time)
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

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Critic values, shape (batch,)."""
        b, c, t = images.shape
        maps = labels[:, :, None, None].expand(b, N_LABELS, c, t)
        return self.layers(torch.cat([images.unsqueeze(1), maps], 1)).squeeze(-1)


class Constrainer(SupervisedModule):
    """Label regressor on images (in 1000 e): the trunk of the other tasks with a dense head,
    trained with plain Adam."""

    def __init__(
        self, width: int = 8, n_channels: int = 76, n_time: int = 128, learning_rate: float = 2e-3
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.trunk = WaveformTrunk(width)
        self.head = nn.Linear(width * n_channels * (n_time // 8), N_LABELS)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Predicted normalised labels, shape (batch, 3)."""
        return self.head(self.trunk(torch.asinh(images)).flatten(1))

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
) -> Constrainer:
    """Fit a :class:`Constrainer` on simulated images (n, 76, 128) and labels (n, 3); frozen on return."""
    from nulearn.detector.tpc.energy_cnn import split_loaders

    train, val = split_loaders(images, labels, 32, 0.15, seed)
    module = Constrainer(n_channels=images.shape[1], n_time=images.shape[2])
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
    """

    def __init__(
        self,
        constrainer: Constrainer | None = None,
        latent_dim: int = 16,
        width: int = 16,
        n_channels: int = 76,
        n_time: int = 128,
        gp_weight: float = 10.0,
        constrainer_weight: float = 10.0,
        n_critic: int = 2,
        learning_rate: float = 1e-3,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["constrainer"])
        self.automatic_optimization = False
        self.generator = Generator(latent_dim, 8 * width, n_channels, n_time)
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
            fake_linear = self.generator(torch.randn_like(z), labels)
            g_loss = -self.critic(torch.asinh(fake_linear), labels).mean()
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


def train_wgan(
    images: NDArray[np.float32],
    labels: NDArray[np.float32],
    max_epochs: int = 10,
    constrainer_epochs: int = 3,
    batch_size: int = 32,
    seed: int = 0,
    num_threads: int | None = None,
    **kwargs: Any,
) -> WGANGP:
    """Train the constrainer, then the conditional WGAN-GP, on simulated images and labels."""
    seed_everything(seed)
    constrainer = (
        train_constrainer(images, labels, constrainer_epochs, seed, num_threads)
        if constrainer_epochs > 0
        else None
    )
    module = WGANGP(constrainer, n_channels=images.shape[1], n_time=images.shape[2], **kwargs)
    loader = DataLoader(
        TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)),
        batch_size=min(batch_size, images.shape[0]),
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )
    # The Wasserstein estimate is not a loss to early-stop on: patience = max_epochs disables it.
    cfg = TrainerConfig(
        max_epochs=max_epochs,
        patience=max_epochs,
        monitor="wasserstein_estimate",
        accelerator="cpu",
        devices=1,
        seed=seed,
        num_threads=num_threads,
        deterministic=False,
    )
    make_trainer(cfg).fit(module, train_dataloaders=loader)
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
    side_offset = np.where(
        np.argmax(peak, axis=1) >= config.channels_per_side, config.channels_per_side, 0
    )
    expected_ch = side_offset + (labels[:, 0] + 1) * 0.5 * config.channels_per_side - 0.5
    t_peak = x.max(axis=1).argmax(axis=1) * 2.0  # us since window start (2 us per pooled sample)
    expected_t = 8.0 + labels[:, 1] * config.drift_length_mm / config.drift_velocity_mm_per_us
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
        One row per quantity: ``quantity``, ``unit``, ``w_generator``, ``w_simulator_floor``.
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
