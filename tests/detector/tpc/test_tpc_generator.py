"""The WGAN-GP generator's physics-structured parts: noise model, renderer, constrainer, warm start."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.detector.tpc.config import TPCConfig
from nulearn.detector.tpc.dataset import network_images, simulate_dataset
from nulearn.detector.tpc.energy_cnn import image_template
from nulearn.detector.tpc.simulator import electronics_noise
from nulearn.detector.tpc.wgan import Generator, event_labels, train_constrainer, warm_start


def _noise_images(config: TPCConfig, n: int, seed: int) -> np.ndarray:
    return network_images(electronics_noise(n, config, np.random.default_rng(seed)), config)


def test_init_noise_reproduces_simulator_noise(config: TPCConfig) -> None:
    """Started at the empirical covariance, the generator's noise has the simulator's pixel
    RMS, common mode per drift region and correlation between neighbouring time bins."""
    fit = _noise_images(config, 300, 0)
    real = _noise_images(config, 200, 1)
    gen = Generator(n_channels=real.shape[1], n_time=real.shape[2])
    gen.init_noise(torch.from_numpy(fit))
    torch.manual_seed(0)
    with torch.no_grad():
        fake = gen.noise(200).numpy()
    half = real.shape[1] // 2

    def stats(x: np.ndarray) -> np.ndarray:
        side_mean = x[:, :half].mean(axis=1)
        lag1 = np.mean(x[..., 1:] * x[..., :-1]) / np.mean(x * x)
        return np.array([x.std(), side_mean.std(), lag1])

    assert stats(fake) == pytest.approx(stats(real), rel=0.05)
    # Before initialisation the noise is far off: the test can fail.
    assert Generator().noise(50).std() < 0.6 * real.std()


def test_signal_is_translation_equivariant() -> None:
    """Moving a cluster by whole channels and time bins moves the rendered image with it."""
    gen = Generator(n_time=128, pulse=torch.tensor(image_template(TPCConfig())))
    torch.manual_seed(1)
    head = gen.label_terms[-1]
    with torch.no_grad():
        gen.variation.zero_()  # the label alone places the cluster
        head.weight.zero_()
        head.bias.zero_()
        head.bias[2] = 0.5  # log amplitude
        latent = -torch.ones(1, gen.latent_dim)  # first drift region
        base = gen.signal(latent, torch.zeros(1, 3))[0]
        head.bias[0] = torch.logit(torch.tensor(0.5 + 3 / 38))
        head.bias[1] = torch.logit(torch.tensor(0.5 + 10 / 128))
        moved = gen.signal(latent, torch.zeros(1, 3))[0]
    assert base.abs().max() > 10
    assert torch.allclose(moved[3:, 10:], base[:-3, :-10], atol=1e-3 * float(base.abs().max()))


@pytest.fixture(scope="module")
def single_site() -> tuple[np.ndarray, np.ndarray]:
    cfg = TPCConfig()
    data = simulate_dataset("uniform", 1200, cfg, seed=3)
    return data.images, event_labels(data.centroid_mm, data.drift_mm, data.energy_kev, cfg)


def test_constrainer_regresses_labels_and_warm_start_follows_it(single_site) -> None:
    images, labels = single_site
    template = image_template(TPCConfig()).tolist()
    constrainer = train_constrainer(images[:1000], labels[:1000], 10, 0, 1, template)
    with torch.no_grad():
        pred = constrainer(torch.from_numpy(images[1000:])).numpy()
    rmse = np.sqrt(np.mean((pred - labels[1000:]) ** 2, axis=0))
    # Position across channels, drift and energy: far better than the labels' spread (~0.3-0.6).
    assert np.all(rmse < 0.12), rmse
    gen = Generator(pulse=torch.tensor(template))
    gen.init_noise(torch.from_numpy(images))
    history = warm_start(gen, constrainer, labels, steps=150, seed=0)
    assert np.mean(history[-20:]) < 0.3 * np.mean(history[:5])
