"""UNet shapes and training, the Hough tagger, the scores and the data files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nulearn.detector.lartpc.data.dataset import load_dataset, save_dataset, simulate_dataset
from nulearn.detector.lartpc.evaluation.metrics import TARGETS, score_table, segmentation_scores
from nulearn.detector.lartpc.models.baseline import HoughCosmicTagger
from nulearn.detector.lartpc.models.unet import (
    UNet,
    class_weights,
    load_unet,
    predict_labels,
    save_unet,
    train_unet,
)
from nulearn.detector.lartpc.physics.config import LArTPCConfig, pixel_noise_sigma


@pytest.mark.parametrize(("size", "depth"), [(32, 2), (64, 4)])
def test_unet_keeps_the_image_shape(size: int, depth: int) -> None:
    net = UNet(base_channels=4, depth=depth)
    assert net(torch.zeros(3, 1, size, size)).shape == (3, 3, size, size)


def test_unet_trains_saves_and_reloads(tmp_path: Path) -> None:
    data = simulate_dataset(10, LArTPCConfig.for_image_size(32), seed=0)
    sigma = pixel_noise_sigma(data.config)
    module, epochs = train_unet(
        data.images, data.labels, sigma, base_channels=4, depth=2, max_epochs=2
    )
    assert epochs >= 1
    labels, probs = predict_labels(module, data.images)
    assert labels.shape == data.labels.shape and probs.shape == (10, 3, 32, 32)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    path = save_unet(module, tmp_path / "m.pt")
    again, _ = predict_labels(load_unet(path), data.images)
    np.testing.assert_array_equal(labels, again)
    with pytest.raises(ValueError, match="divisible"):
        train_unet(data.images, data.labels, sigma, depth=6)


def test_class_weights_favour_rare_classes() -> None:
    w = class_weights(np.array([0] * 96 + [1] * 3 + [2] * 1, dtype=np.int8))
    assert w[0] < w[1] < w[2] and w.mean() == pytest.approx(1.0)


def test_hough_tagger_separates_a_crossing_track_from_a_vertex() -> None:
    img = np.zeros((64, 64), np.float32)
    rr = np.arange(64)
    img[rr, (rr * 0.5 + 5).astype(int)] = 50.0  # crosses from the bottom to the top edge
    img[30:34, 40:44] = 50.0  # a blob: neutrino-like
    img[32, 44:60] = 50.0  # a track leaving a vertex, not reaching an edge
    lab = HoughCosmicTagger.for_image_size(64).predict(img[None], noise_sigma=1.0)[0]
    assert np.all(lab[rr, (rr * 0.5 + 5).astype(int)] == 1)
    assert np.all(lab[30:34, 40:44] == 2) and np.all(lab[32, 46:60] == 2)
    assert np.all(lab[img == 0] == 0)


def test_scores_perfect_and_refusals() -> None:
    t = np.random.default_rng(0).integers(0, 3, (2, 8, 8))
    s = segmentation_scores(t, t)
    assert s.accuracy_nonzero == 1.0 and np.all(s.iou == 1.0)
    table = score_table({"perfect": s})
    assert list(table["method"]) == ["perfect", "CosmicTagger target (SBND)"]
    assert set(TARGETS) <= set(table.columns)
    with pytest.raises(ValueError, match="differ in shape"):
        segmentation_scores(t, t[:1])
    with pytest.raises(ValueError, match="outside"):
        segmentation_scores(t, t + 1)


def test_dataset_round_trip_and_bad_files(tmp_path: Path) -> None:
    data = simulate_dataset(3, LArTPCConfig.for_image_size(32), seed=1)
    path = save_dataset(data, tmp_path / "d.npz")
    back = load_dataset(path)
    np.testing.assert_array_equal(back.images, data.images)
    np.testing.assert_array_equal(back.labels, data.labels)
    assert back.config == data.config
    bad = tmp_path / "bad.npz"
    np.savez(
        bad, images=data.images, labels=data.labels[:, :4], config=np.array(data.config.to_yaml())
    )
    with pytest.raises(ValueError, match="must be equal"):
        load_dataset(bad)
    nan = data.images.copy()
    nan[2, 0, 0] = np.nan
    np.savez(bad, images=nan, labels=data.labels, config=np.array(data.config.to_yaml()))
    with pytest.raises(ValueError, match="image 2 has non-finite"):
        load_dataset(bad)
    (tmp_path / "x.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable"):
        load_dataset(tmp_path / "x.npz")
