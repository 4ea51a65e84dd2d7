"""Tiny end-to-end training runs: energy CNN ensemble, site discriminator, WGAN-GP."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from nulearn.detector.tpc.data.dataset import network_images, simulate_dataset
from nulearn.detector.tpc.data.labels import event_labels
from nulearn.detector.tpc.evaluation.discrimination import signal_efficiency_at_rejection
from nulearn.detector.tpc.evaluation.generation import compare_with_simulator, image_energy_kev
from nulearn.detector.tpc.models.discrimination import WaveformSiteClassifier, bdt_classifier
from nulearn.detector.tpc.models.energy import WaveformEnergyRegressor
from nulearn.detector.tpc.models.gan_training import load_generator, save_generator, train_wgan
from nulearn.detector.tpc.physics.config import TPCConfig


@pytest.fixture(scope="module")
def small_set() -> object:
    return simulate_dataset("uniform_gamma", 24, TPCConfig(), seed=5)


def test_network_images(config: TPCConfig) -> None:
    img = network_images(np.zeros((2, 76, 1024), np.float32), config)
    assert img.shape == (2, 76, 128) and img.dtype == np.float32
    with pytest.raises(ValueError, match="image window"):
        network_images(np.zeros((1, 76, 100)), TPCConfig(n_samples=100, trigger_sample=10))


def test_estimators_share_keyword_only_training_parameters() -> None:
    training = set(WaveformSiteClassifier().get_params())
    shared = "width max_epochs batch_size learning_rate val_fraction patience seed num_threads"
    assert training == set(shared.split())
    assert set(WaveformEnergyRegressor().get_params()) == training | {
        "n_members",
        "config",
        "architecture",
    }
    model = clone(WaveformEnergyRegressor(n_members=4, seed=3).set_params(width=4))
    assert (model.n_members, model.seed, model.width) == (4, 3, 4)
    with pytest.raises(TypeError):
        WaveformSiteClassifier(8)  # type: ignore[misc]


def test_energy_ensemble_trains_and_reports_uncertainty(small_set) -> None:
    model = WaveformEnergyRegressor(n_members=2, max_epochs=1, batch_size=8, num_threads=1)
    assert clone(model).get_params()["n_members"] == 2
    model.fit(small_set.images, small_set.energy_kev)
    mean, std = model.predict_with_uncertainty(small_set.images)
    assert mean.shape == std.shape == (24,)
    assert np.all(np.isfinite(mean)) and np.all(std > 0)  # members differ
    with pytest.raises(ValueError, match="channels"):
        model.predict(small_set.images[:, :10])
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        back.predict_members(small_set.images), model.predict_members(small_set.images)
    )


@pytest.mark.parametrize("architecture", ["structured", "generic"])
def test_energy_training_is_reproducible_whatever_ran_before(small_set, architecture: str) -> None:
    """Same seed, same predictions, even when other code drew from torch's global RNG between the
    fits: the initial weights are seeded, not only the batch order."""
    import torch

    preds = []
    for draws in (0, 1000):
        torch.rand(draws)
        model = WaveformEnergyRegressor(
            n_members=1, max_epochs=1, batch_size=8, num_threads=1, architecture=architecture
        )
        preds.append(model.fit(small_set.images, small_set.energy_kev).predict(small_set.images))
    np.testing.assert_array_equal(preds[0], preds[1])


def test_site_classifier_and_bdt(small_set) -> None:
    y = (small_set.conventional.n_sites > 1).astype(int)
    y[:2] = [0, 1]
    clf = WaveformSiteClassifier(max_epochs=1, batch_size=8, num_threads=1).fit(small_set.images, y)
    proba = clf.predict_proba(small_set.images)
    assert proba.shape == (24, 2) and np.allclose(proba.sum(1), 1)
    assert set(np.unique(clf.predict(small_set.images))) <= {0, 1}
    back = pickle.loads(pickle.dumps(clf))  # networks travel as state dicts
    np.testing.assert_array_equal(
        back.decision_function(small_set.images), clf.decision_function(small_set.images)
    )
    bdt = bdt_classifier().fit(small_set.conventional.features(), y)
    assert bdt.predict_proba(small_set.conventional.features()).shape == (24, 2)


def test_signal_efficiency_at_rejection_limits() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 5000)
    perfect, _ = signal_efficiency_at_rejection(y, y + 0.1 * rng.random(y.size), 0.9)
    assert perfect == pytest.approx(1.0)
    random, curve = signal_efficiency_at_rejection(y, rng.random(y.size), 0.8)
    assert random == pytest.approx(0.2, abs=0.03) and curve.area == pytest.approx(0.5, abs=0.03)
    with pytest.raises(ValueError, match="rejection"):
        signal_efficiency_at_rejection(y, y, 1.5)


def test_wgan_trains_generates_and_compares(small_set, config: TPCConfig, tmp_path) -> None:
    labels = event_labels(small_set.centroid_mm, small_set.drift_mm, small_set.energy_kev, config)
    gan = train_wgan(
        small_set.images,
        labels,
        max_epochs=1,
        constrainer_epochs=1,
        batch_size=8,
        num_threads=1,
        n_critic=2,
        warm_start_steps=10,
    )
    generated = gan.generate(labels)
    assert generated.shape == small_set.images.shape and np.all(np.isfinite(generated))
    same = compare_with_simulator(
        small_set.images, small_set.images, labels, config, reference=small_set.images
    )
    assert np.allclose(same["w_generator"], 0.0) and len(same) == 5
    diff = compare_with_simulator(small_set.images, generated, labels, config)
    assert np.all(diff["w_generator"] >= 0) and diff["w_generator"].iloc[0] > 0
    # The image-domain energy of simulated events tracks the true energy.
    e = image_energy_kev(small_set.images, config)
    assert np.corrcoef(e, small_set.energy_kev)[0, 1] > 0.8
    # The generator file holds weights and plain hyperparameters only, and generates the same.
    import torch

    save_generator(gan, tmp_path / "gan.pt")
    back = load_generator(tmp_path / "gan.pt")
    torch.manual_seed(1)
    first = gan.generate(labels[:3])
    torch.manual_seed(1)
    np.testing.assert_array_equal(back.generate(labels[:3]), first)
    torch.save(gan, tmp_path / "pickled.pt")  # a whole pickled module, as files once were
    with pytest.raises(ValueError, match=r"pickled\.pt"):
        load_generator(tmp_path / "pickled.pt")


def test_discrimination_study_reports_paired_auc_test() -> None:
    from nulearn.detector.tpc.study.run import discrimination_study

    res = discrimination_study(60, 40, max_epochs=1, num_threads=1)
    table = res.table.set_index("method")
    v = res.deep_vs_bdt
    assert v is not None
    assert v.auc_a == pytest.approx(table.loc["deep CNN on waveforms", "ROC AUC"])
    assert v.auc_b == pytest.approx(table.loc["BDT on conventional features", "ROC AUC"])
    assert table.loc["deep CNN on waveforms", "ROC AUC stderr"] == pytest.approx(v.stderr_a)
    assert np.isnan(table.loc["site count > 1 (cut)", "ROC AUC stderr"])
