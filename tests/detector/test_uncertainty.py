"""MC dropout, deep ensembles, calibration, and that a blanked view raises the uncertainty."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.detector.cvn.cnn import CNNConfig
from nulearn.detector.cvn.data import AugmentationConfig
from nulearn.detector.cvn.training import train_cnn
from nulearn.detector.uncertainty import (
    blank_channel,
    confidence_ece,
    ensemble_proba,
    mc_dropout_proba,
    predictive_summary,
    reliability_figure,
)
from nulearn.ml.training import TrainerConfig


def test_summary_limits() -> None:
    uniform = np.full((5, 3, 4), 0.25)
    s = predictive_summary(uniform)
    np.testing.assert_allclose(s["entropy"], np.log(4))
    np.testing.assert_allclose(s["mutual_information"], 0, atol=1e-12)
    # Confident but contradicting members: low expected entropy, high mutual information.
    disagree = np.stack([np.eye(4)[[0, 1]], np.eye(4)[[1, 0]]]) * 0.97 + 0.0075
    s = predictive_summary(disagree)
    assert (s["mutual_information"] > 0.5).all() and (s["expected_entropy"] < 0.2).all()
    with pytest.raises(ValueError, match="shape"):
        predictive_summary(np.ones((3, 4)))


def test_confidence_ece_of_calibrated_and_overconfident_models() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    conf = rng.uniform(0.3, 1.0, n)
    correct = rng.uniform(size=n) < conf
    pred = rng.integers(0, 4, n)
    y = np.where(correct, pred, (pred + 1) % 4)
    proba = np.zeros((n, 4))
    proba[np.arange(n), pred] = conf
    proba[np.arange(n), (pred + 1) % 4] = 1 - conf  # top class keeps probability `conf`
    assert confidence_ece(y, proba) < 0.03
    over = np.eye(4)[pred]  # always certain, right ~65 % of the time
    assert confidence_ece(y, over) > 0.3
    assert len(reliability_figure(y, {"cal": proba, "over": over}).axes) == 1


def test_mc_dropout_varies_only_with_dropout() -> None:
    net = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)
    ).eval()
    x = np.random.default_rng(0).random((6, 3, 2, 2)).astype(np.float32)
    s = mc_dropout_proba(net, x, n_samples=8, seed=1)
    assert s.shape == (8, 6, 3) and s.std(0).max() > 1e-3
    np.testing.assert_array_equal(s, mc_dropout_proba(net, x, n_samples=8, seed=1))  # seeded
    assert not net.training  # mode restored
    e = ensemble_proba([net, net], x)
    np.testing.assert_allclose(e[0], e[1])
    with pytest.raises(ValueError, match="Dropout"):
        mc_dropout_proba(torch.nn.Linear(3, 2), x)


def test_blank_channel() -> None:
    x = np.ones((2, 3, 4, 4), dtype=np.uint8)
    b = blank_channel(x, 1)
    assert b[:, 1].sum() == 0 and b[:, [0, 2]].all() and x.all()
    with pytest.raises(ValueError, match="channel 3"):
        blank_channel(x, 3)


def _toy_events(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """4 classes, each a distinct pattern drawn in all three views (with noise): class = f(views)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    x = (rng.random((n, 3, 16, 16)) < 0.03).astype(np.uint8) * 60
    p = rng.integers(3, 13, (n, 3))
    for i in range(n):
        for v in range(3):
            c, q = y[i], p[i, v]
            if c == 0:
                x[i, v, 2:14, q] = 220
            elif c == 1:
                x[i, v, q, 2:14] = 220
            elif c == 2:
                x[i, v, np.arange(2, 14), np.arange(2, 14)] = 220
            else:
                x[i, v, q - 2 : q + 2, q - 2 : q + 2] = 220
    return x, y


def test_blanked_view_raises_uncertainty() -> None:
    x, y = _toy_events(96, 0)
    cfg = CNNConfig(
        channels=(6, 12), fused_width=24, batch_size=16, learning_rate=1e-2, dropout=0.3
    )
    loop = TrainerConfig(max_epochs=10, patience=10, accelerator="cpu", devices=1)
    aug = AugmentationConfig(flip_time=False, max_shift_ticks=0, max_shift_wires=0)
    members = [train_cnn(x, y, None, cfg, loop, aug, seed=s) for s in range(3)]
    xt, yt = _toy_events(48, 1)
    nominal = ensemble_proba(members, xt)
    assert (nominal.mean(0).argmax(1) == yt).mean() > 0.8  # the models did learn the task
    for method in ("ensemble", "mc_dropout"):
        for v in range(3):
            xb = blank_channel(xt, v)
            if method == "ensemble":
                before, after = nominal, ensemble_proba(members, xb)
            else:
                before = mc_dropout_proba(members[0], xt, n_samples=10)
                after = mc_dropout_proba(members[0], xb, n_samples=10)
            h0 = predictive_summary(before)["entropy"].mean()
            h1 = predictive_summary(after)["entropy"].mean()
            assert h1 > h0, f"{method}: entropy with view {v} blanked {h1:.3f} <= nominal {h0:.3f}"
