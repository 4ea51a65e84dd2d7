"""The blanked-view test: a dead wire plane must raise the CVN's uncertainty (MC dropout and
deep ensemble), and the table the report shows."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.detector.cvn.data.augmentation import AugmentationConfig
from nulearn.detector.cvn.evaluation.uncertainty import (
    blank_channel,
    ood_table,
    out_of_fold_mc_dropout,
)
from nulearn.detector.cvn.models.network import CVNConfig
from nulearn.detector.cvn.models.training import train_cnn
from nulearn.ml.training import TrainerConfig
from nulearn.ml.uncertainty import ensemble_proba, mc_dropout_proba, predictive_summary


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
    cfg = CVNConfig(
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
    table = ood_table(members[0], members, xt, yt, n_samples=4)
    assert table["input"].tolist() == [
        name
        for name in ("nominal", "view U blanked", "view V blanked", "view Z blanked")
        for _ in range(2)
    ]
    assert table.loc[table["input"] == "nominal", "accuracy"].min() > 0.8
    fold = np.arange(len(yt)) % 2
    oof = out_of_fold_mc_dropout(members[:2], xt, fold, n_samples=3)
    assert oof.shape == (3, len(yt), 4)
    np.testing.assert_allclose(
        oof[:, fold == 1], mc_dropout_proba(members[1], xt[fold == 1], n_samples=3, seed=1)
    )
