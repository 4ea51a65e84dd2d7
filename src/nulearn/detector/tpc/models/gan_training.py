"""Training the conditional WGAN-GP waveform generator: the constrainer first, then the
adversarial game with n_critic critic steps per generator step.

WGAN-GP (Gulrajani et al., NeurIPS 2017, arXiv:1704.00028): the critic maximises
E[D(real)] - E[D(fake)] and is kept 1-Lipschitz by the penalty lambda * (|grad D(x_hat)| - 1)^2
on random interpolates; the generator minimises -E[D(fake)] plus the frozen constrainer's label
error and an L2 anchor of its typical signal on the real image of the same label. Before the
game the generator is fitted to the images' conditional mean (:func:`warm_start`).

A trained generator is saved as a weights-only PyTorch file (:func:`save_generator`: the
generator's state dict and the hyperparameters as plain data) and read back with
:func:`load_generator`, which never runs code from the file.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from numpy.typing import NDArray

from nulearn.detector.tpc.data.dataset import image_template
from nulearn.detector.tpc.data.labels import N_LABELS, LabelGeometry
from nulearn.detector.tpc.models.gan_networks import Constrainer, Critic, Generator
from nulearn.detector.tpc.models.training import image_loaders
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.ml.loaders import array_loader
from nulearn.ml.progress import epoch_log
from nulearn.ml.training import (
    TrainerConfig,
    check_converged,
    fit,
    load_weights,
    make_trainer,
    seed_everything,
)

__all__ = [
    "LEGACY_ENERGY_RANGE_KEV",
    "WGANGP",
    "load_generator",
    "save_generator",
    "side_matched_latent",
    "train_constrainer",
    "train_wgan",
    "training_energy_range",
    "warm_start",
]


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
    train, val = image_loaders(images, labels, 32, 0.15, seed)
    seed_everything(seed)
    module = Constrainer(template, n_channels=images.shape[1])
    with epoch_log(label="constrainer: "):
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
        #: lowest and highest training energy in keV (set by :func:`train_wgan`)
        self.energy_range_kev: tuple[float, float] | None = None

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
    loader = array_loader(
        images,
        labels,
        batch_size=min(batch_size, images.shape[0]),
        shuffle=True,
        seed=seed,
        drop_last=True,
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
    with epoch_log(label="WGAN-GP: "), warnings.catch_warnings():
        # the constrainer is frozen in eval mode on purpose (its labels must not drift)
        warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")
        trainer = make_trainer(trainer_config)
        trainer.fit(module, train_dataloaders=loader)
    check_converged(trainer, trainer_config.monitor)
    module.energy_range_kev = training_energy_range(labels)
    return module


#: Energies of the generators saved before the training range was recorded: nulearn trained every
#: one of them on single-site events uniform in 0.5-3.5 MeV.
LEGACY_ENERGY_RANGE_KEV: tuple[float, float] = (500.0, 3500.0)


def training_energy_range(labels: NDArray[np.floating]) -> tuple[float, float]:
    """Lowest and highest energy in keV among training labels (n, 3) (energy label × 3 MeV)."""
    energy = 3000.0 * np.asarray(labels, dtype=np.float64)[:, 2]
    return float(energy.min()), float(energy.max())


def save_generator(module: WGANGP, path: str | Path) -> None:
    """Write the generator of a trained :class:`WGANGP` as a weights-only PyTorch file: its
    state dict, the module's hyperparameters (plain numbers, lists and dicts) and the energy range
    of its training events (``energy_range_kev``), which :func:`load_generator` restores so that
    generation outside it can be refused. Written to a temporary file renamed into place."""
    from nulearn.ml.io import atomic_output

    blob: dict[str, Any] = {
        "kind": "wgan-gp generator",
        "hyperparameters": dict(module.hparams),
        "generator": module.generator.state_dict(),
    }
    if module.energy_range_kev is not None:
        blob["energy_range_kev"] = [float(e) for e in module.energy_range_kev]
    with atomic_output(path) as tmp:
        torch.save(blob, tmp)


def load_generator(path: str | Path) -> WGANGP:
    """A :class:`WGANGP` (without critic training state or constrainer) whose generator is read
    from a file of :func:`save_generator`; never runs code from the file. Its
    ``energy_range_kev`` is the recorded training range (:data:`LEGACY_ENERGY_RANGE_KEV` for files
    that predate the record).

    Raises:
        ValueError: naming the file, when it is not such a file, its hyperparameters or weights do
            not build the generator, or a weight is not finite.
    """
    blob = load_weights(path)
    if blob.get("kind") != "wgan-gp generator" or "generator" not in blob:
        raise ValueError(
            f"{path}: not a WGAN-GP generator file written by `nulearn detector tpc train`"
        )
    try:
        module = WGANGP(None, **dict(blob.get("hyperparameters", {})))
        module.generator.load_state_dict(blob["generator"])
        lo, hi = (float(e) for e in blob.get("energy_range_kev", LEGACY_ENERGY_RANGE_KEV))
    except (TypeError, ValueError, RuntimeError, KeyError) as err:
        reason = " ".join(str(err).split())[:200]
        raise ValueError(f"{path}: not a usable WGAN-GP generator ({reason})") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi):
        raise ValueError(f"{path}: recorded training energy range [{lo}, {hi}] keV is not valid")
    for name, tensor in blob["generator"].items():
        if (
            torch.is_tensor(tensor)
            and tensor.is_floating_point()
            and not torch.isfinite(tensor).all()
        ):
            raise ValueError(f"{path}: generator weights {name} are not finite; retrain it")
    module.energy_range_kev = (lo, hi)
    return module.eval()
