"""The multi-view CNN: shapes, late fusion, 8-bit input, config round trip, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from sklearn.base import clone

from nulearn.detector.cvn.data.augmentation import AugmentationConfig
from nulearn.detector.cvn.data.pixel_maps import CVNSample
from nulearn.detector.cvn.models.network import CVNConfig, MultiViewCNN
from nulearn.detector.cvn.models.training import (
    CVNClassifier,
    cross_validate,
    predict_proba,
    train_cnn,
)
from nulearn.ml.training import TrainerConfig

from ..conftest import TINY_CNN

ONE_EPOCH = TrainerConfig(max_epochs=1, patience=1, accelerator="cpu", devices=1)


def test_heads_and_embedding_shapes() -> None:
    model = MultiViewCNN(TINY_CNN).eval()
    x = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    lf, li = model(x)
    assert lf.shape == (5, 4) and li.shape == (5, 4)
    assert model.embedding(x).shape == (5, TINY_CNN.fused_width)
    # 8-bit input is scaled inside the model: same result as float in [0, 1].
    torch.testing.assert_close(model(x)[0], model(x.float() / 255)[0])


@pytest.mark.parametrize("share", [False, True])
def test_late_fusion_keeps_views_apart(share: bool) -> None:
    model = MultiViewCNN(CVNConfig(channels=(4, 8), share_towers=share)).eval()
    x = torch.rand(2, 3, 16, 16)
    y = x.clone()
    y[:, 1:] = torch.rand(2, 2, 16, 16)  # change views V and Z only
    w = model.config.channels[-1]
    f_x, f_y = model.view_features(x), model.view_features(y)
    # A tower sees one view: the U-view features are blind to the other views.
    torch.testing.assert_close(f_x[:, :w], f_y[:, :w])
    assert not torch.allclose(f_x[:, w:], f_y[:, w:])


def test_config_round_trip_and_validation() -> None:
    cfg = CVNConfig(channels=(3, 5), dropout=0.2, share_towers=True)
    assert CVNConfig.from_dict(yaml.safe_load(yaml.safe_dump(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="dropout"):
        CVNConfig(dropout=1.0)
    with pytest.raises(ValueError, match="channels"):
        CVNConfig(channels=())
    with pytest.raises(ValueError, match="shape"):
        MultiViewCNN(TINY_CNN)(torch.zeros(2, 2, 16, 16))


def _toy_events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: a track along the wires in every view; class 1: along time. 16x16, uint8."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.zeros((n, 3, 16, 16), dtype=np.uint8)
    pos = rng.integers(3, 13, (n, 3))
    for i in range(n):
        for v in range(3):
            if y[i] == 0:
                x[i, v, 2:14, pos[i, v]] = 200
            else:
                x[i, v, pos[i, v], 2:14] = 200
    return x, y


def test_training_learns_a_separable_toy_task() -> None:
    x, y = _toy_events(64, 0)
    model = train_cnn(
        x,
        y,
        None,
        CVNConfig(channels=(4, 8), fused_width=16, batch_size=16, learning_rate=1e-2, dropout=0.0),
        TrainerConfig(max_epochs=12, patience=12, accelerator="cpu", devices=1),
        augmentation=AugmentationConfig(flip_time=False, max_shift_ticks=0, max_shift_wires=0),
    )
    assert 0 <= model.best_epoch < model.epochs_run + 1
    xt, yt = _toy_events(40, 1)
    p, _ = predict_proba(model, xt)
    assert (p.argmax(1) == yt).mean() >= 0.9


def test_sklearn_contract(tiny_sample: CVNSample) -> None:
    est = CVNClassifier(config=TINY_CNN, max_epochs=1, patience=1)
    assert clone(est).get_params()["max_epochs"] == 1
    names = np.array(["numu", "nue", "nutau", "nc"])[tiny_sample.flavour]
    est.fit(tiny_sample.pixel_maps, names, interaction=tiny_sample.interaction)
    p = est.predict_proba(tiny_sample.pixel_maps)
    assert p.shape == (16, 4)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    assert set(est.predict(tiny_sample.pixel_maps)) <= set(names)


def test_cross_validation_predicts_every_event_once(tiny_sample: CVNSample) -> None:
    res = cross_validate(tiny_sample, n_folds=2, cnn_config=TINY_CNN, trainer=ONE_EPOCH)
    assert sorted(np.bincount(res.fold)) == [8, 8]
    for p in (res.cnn_proba, res.baseline_proba, res.cnn_interaction_proba):
        np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    acc = res.fold_accuracy(tiny_sample.flavour)
    assert acc["cnn"].shape == acc["baseline"].shape == (2,)
    assert len(res.models) == 2 and all(e >= 0 for e in res.epochs)
