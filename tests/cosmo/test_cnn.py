"""CNN: architecture invariances, training through the shared glue, save/load, Optuna tuning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.cosmo.cnn import CNNClassifier, CNNConfig, MapCNN, tune_classifier
from nulearn.cosmo.maps import MapConfig, simulate
from nulearn.ml.training import TrainerConfig

from .conftest import power_law_table

FAST = TrainerConfig(accelerator="cpu", max_epochs=4, patience=2, num_threads=1)


def test_config_yaml_roundtrip_and_validation() -> None:
    cfg = CNNConfig(stem_channels=4, body_channels=(8, 8))
    assert CNNConfig.from_yaml(cfg.to_yaml()) == cfg
    with pytest.raises(ValueError, match="stem_kernel"):
        CNNConfig(stem_kernel=4)
    with pytest.raises(ValueError, match="lr_decay"):
        CNNConfig(lr_decay=1.5)


def test_output_invariant_under_periodic_shifts_by_the_total_stride() -> None:
    net = MapCNN(CNNConfig(stem_channels=4, body_channels=(4, 4, 4)), n_outputs=2).eval()
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        y = net(x)
        y_shift = net(torch.roll(x, shifts=(8, -16), dims=(2, 3)))
    assert y.shape == (3, 2)
    torch.testing.assert_close(y, y_shift, rtol=1e-4, atol=1e-5)


def _easy_maps(n: int, seed: int):  # type: ignore[no-untyped-def]
    table = power_law_table(suppression=0.6)
    lab = np.tile([0, 1], n // 2)
    return simulate(
        table,
        MapConfig(n_pix=32, n_gal=None, amplitude_jitter=0.0),
        0.1 * lab,
        seed=seed,
        labels=lab,
    )


def test_classifier_learns_an_easy_task_and_roundtrips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    train, test = _easy_maps(400, 1), _easy_maps(200, 2)
    clf = CNNClassifier(
        CNNConfig(stem_channels=4, body_channels=(8, 8), batch_size=32, learning_rate=1e-2), FAST
    )
    clf.fit(train.maps, train.labels)
    assert (clf.predict(test.maps) == test.labels).mean() > 0.85
    clf.save(str(tmp_path / "m.pt"))
    back = CNNClassifier.load(str(tmp_path / "m.pt"))
    np.testing.assert_allclose(
        back.decision_function(test.maps), clf.decision_function(test.maps), rtol=1e-5
    )


def test_tuning_uses_the_shared_optuna_study(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = _easy_maps(96, 3)
    best, study = tune_classifier(
        data.maps,
        data.labels,
        n_trials=2,
        base=CNNConfig(body_channels=(4,), batch_size=32),
        trainer=TrainerConfig(accelerator="cpu", max_epochs=1, patience=1, num_threads=1),
        directory=str(tmp_path),
        seed=0,
    )
    assert len(study.trials) == 2
    assert (tmp_path / "cosmo_cnn.optuna.db").exists()
    assert best.learning_rate == study.best_trial.params["learning_rate"]
