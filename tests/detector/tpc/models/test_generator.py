"""The WGAN-GP generator's physics-structured parts: noise model, renderer, constrainer, warm start."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.detector.tpc.data.dataset import image_template, network_images, simulate_dataset
from nulearn.detector.tpc.data.labels import LabelGeometry, event_labels
from nulearn.detector.tpc.evaluation.generation import compare_with_simulator
from nulearn.detector.tpc.models.gan_networks import Generator
from nulearn.detector.tpc.models.gan_training import (
    side_matched_latent,
    train_constrainer,
    warm_start,
)
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.simulator import electronics_noise


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


def test_constrainer_regresses_labels(single_site) -> None:
    images, labels = single_site
    template = image_template(TPCConfig()).tolist()
    constrainer = train_constrainer(images[:1000], labels[:1000], 10, 0, 1, template)
    with torch.no_grad():
        pred = constrainer(torch.from_numpy(images[1000:])).numpy()
    rmse = np.sqrt(np.mean((pred - labels[1000:]) ** 2, axis=0))
    # Position across channels, drift and energy: far better than the labels' spread (~0.3-0.6).
    assert np.all(rmse < 0.12), rmse


def _template_fit_shift(
    images: np.ndarray, labels: np.ndarray, config: TPCConfig
) -> tuple[float, float]:
    """Mean and spread of the best shift (bins) of the collection template against the
    geometry's arrival bin, fitted to each event's brightest channel."""
    geo = LabelGeometry.from_config(config)
    template = image_template(config, n_taps=images.shape[2] + 2)
    brightest = images[np.arange(len(images)), images.max(-1).argmax(1)]
    t = np.arange(images.shape[2])
    shifts = np.arange(-4.0, 4.01, 0.05)
    chi2 = []
    for s in shifts:
        m = np.interp(
            t - (geo.arrival_bin(labels)[:, None] + s) + 2, np.arange(template.size), template, 0, 0
        )
        amp = (m * brightest).sum(1) / (m * m).sum(1)
        chi2.append(((brightest - amp[:, None] * m) ** 2).sum(1))
    best = shifts[np.argmin(chi2, axis=0)]
    return float(best.mean()), float(best.std())


def test_label_geometry_places_simulated_clusters(single_site) -> None:
    """The geometry's channel and arrival bin are where the simulator puts single-site charge:
    the brightest channel within a channel of it, the pulse within one bin (the charge induces
    on the U wire while it crosses the V-U gap, so the fitted start precedes collection)."""
    images, labels = single_site
    cfg = TPCConfig()
    geo = LabelGeometry.from_config(cfg)
    peak = images.max(-1)
    side = (peak.argmax(1) >= cfg.channels_per_side).astype(float)
    assert np.median(np.abs(peak.argmax(1) - geo.channel(labels, side))) < 0.75
    mean, spread = _template_fit_shift(images, labels, cfg)
    assert -1.0 < mean < 0.0 and spread < 0.3, (mean, spread)
    # Charge: the brightest channel and its neighbours at the pulse's top (the template peaks at 1).
    rows = np.arange(len(images))
    top = images[rows, peak.argmax(1)].argmax(1)
    near = np.clip(peak.argmax(1)[:, None] + np.arange(-2, 3), 0, images.shape[1] - 1)
    charge = images[rows[:, None], near, top[:, None]].sum(1)
    assert np.median(charge / geo.charge(labels)) == pytest.approx(1.0, abs=0.03)


def test_variation_averages_to_the_typical_event() -> None:
    """The latent variation is odd in the latent (side aside): a latent and its mirror image
    deviate oppositely from the label's typical event, so the variation averages to zero and
    adversarial training cannot move the typical event that the reconstruction term anchors."""
    gen = Generator(pulse=torch.tensor(image_template(TPCConfig(), n_taps=130)))
    torch.manual_seed(2)
    with torch.no_grad():
        gen.variation.fill_(1.0)
        gen.terms.weight.normal_(std=0.3)
        gen.terms.bias.normal_(std=0.3)  # a bias that a non-odd design would pass through
        labels = torch.rand(16, 3)
        z = torch.randn(16, gen.latent_dim)
        mirror = torch.cat([z[:, :1], -z[:, 1:]], 1)
        typical = gen.cluster_parameters(z, labels, vary=False)
        up = gen.cluster_parameters(z, labels) - typical
        down = gen.cluster_parameters(mirror, labels) - typical
        assert up.abs().max() > 0.05
        assert torch.allclose(up, -down, atol=1e-6)
        assert not torch.allclose(gen.signal(z, labels), gen.signal(z, labels, vary=False))


def test_warm_start_fits_the_conditional_mean(single_site) -> None:
    """The regression warm start alone brings the generator's typical pulse onto the
    simulator's: timing and image-domain energy spectrum near the simulator's own floor."""
    images, labels = single_site
    cfg = TPCConfig()
    gen = Generator(
        pulse=torch.tensor(image_template(cfg, n_taps=images.shape[2] + 2), dtype=torch.float32),
        geometry=LabelGeometry.from_config(cfg),
        n_shapes=2,
    )
    gen.init_noise(torch.from_numpy(images[:1000]))
    history = warm_start(gen, images[:1000], labels[:1000], steps=300, seed=0)
    assert np.mean(history[-20:]) < 0.8 * np.mean(history[:5])
    test, lab = images[1000:], labels[1000:]
    with torch.no_grad():
        x = torch.from_numpy(test)
        generated = gen(side_matched_latent(x, gen.latent_dim), torch.from_numpy(lab)).numpy()
    table = compare_with_simulator(test, generated, lab, cfg).set_index("quantity")
    w = table["w_generator"] / table["simulated_std"]
    # Every quantity's distance is a small fraction of its spread in the simulation.
    assert np.all(w < 0.3), w
    assert w["position: peak time - label drift time"] < 0.5 * 1.0
