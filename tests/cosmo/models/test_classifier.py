"""The map CNN classifier: architecture invariances, training through the shared glue, save/load
(weights only), Optuna tuning."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from nulearn.cosmo.data.maps import MapConfig, simulate_maps
from nulearn.cosmo.models.classifier import CNNClassifier
from nulearn.cosmo.models.network import LensingCNNConfig, MapCNN
from nulearn.cosmo.models.tuning import tune_classifier
from nulearn.ml.training import TrainerConfig

from ..conftest import power_law_table

FAST = TrainerConfig(accelerator="cpu", max_epochs=4, patience=2, num_threads=1)


def test_config_yaml_roundtrip_and_validation() -> None:
    cfg = LensingCNNConfig(stem_channels=4, body_channels=(8, 8))
    assert LensingCNNConfig.from_yaml(cfg.to_yaml()) == cfg
    with pytest.raises(ValueError, match="stem_kernel"):
        LensingCNNConfig(stem_kernel=4)
    with pytest.raises(ValueError, match="lr_decay"):
        LensingCNNConfig(lr_decay=1.5)


def test_output_invariant_under_periodic_shifts_by_the_total_stride() -> None:
    net = MapCNN(LensingCNNConfig(stem_channels=4, body_channels=(4, 4, 4)), n_outputs=2).eval()
    x = torch.randn(3, 1, 32, 32)
    with torch.no_grad():
        y = net(x)
        y_shift = net(torch.roll(x, shifts=(8, -16), dims=(2, 3)))
    assert y.shape == (3, 2)
    torch.testing.assert_close(y, y_shift, rtol=1e-4, atol=1e-5)


def _easy_maps(n: int, seed: int):  # type: ignore[no-untyped-def]
    table = power_law_table(suppression=0.6)
    lab = np.tile([0, 1], n // 2)
    return simulate_maps(
        table,
        MapConfig(n_pix=32, n_gal=None, amplitude_jitter=0.0),
        0.1 * lab,
        seed=seed,
        labels=lab,
    )


def test_classifier_learns_an_easy_task_and_roundtrips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    train, test = _easy_maps(400, 1), _easy_maps(200, 2)
    clf = CNNClassifier(
        LensingCNNConfig(stem_channels=4, body_channels=(8, 8), batch_size=32, learning_rate=1e-2),
        FAST,
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
        base=LensingCNNConfig(body_channels=(4,), batch_size=32),
        trainer=TrainerConfig(accelerator="cpu", max_epochs=1, patience=1, num_threads=1),
        directory=str(tmp_path),
        seed=0,
    )
    assert len(study.trials) == 2
    assert (tmp_path / "cosmo_cnn.optuna.db").exists()
    assert best.learning_rate == study.best_trial.params["learning_rate"]


def _tiny_classifier() -> CNNClassifier:
    data = _easy_maps(64, 4)
    cfg = LensingCNNConfig(stem_channels=4, body_channels=(4,), batch_size=32)
    trainer = TrainerConfig(accelerator="cpu", max_epochs=1, patience=1, num_threads=1)
    return CNNClassifier(cfg, trainer).fit(data.maps, data.labels)


def test_model_files_hold_plain_data_and_old_files_still_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clf = _tiny_classifier()
    path = tmp_path / "m.pt"
    clf.save(path)
    blob = torch.load(path, weights_only=True)  # plain data: loads without unpickling objects
    assert blob["kind"] == "classifier" and isinstance(blob["config"], dict)
    del blob["kind"]  # files written before the kind was recorded
    torch.save(blob, tmp_path / "old.pt")
    maps = _easy_maps(8, 5).maps
    np.testing.assert_array_equal(
        CNNClassifier.load(tmp_path / "old.pt").decision_function(maps), clf.decision_function(maps)
    )
    back = pickle.loads(pickle.dumps(clf))  # joblib/pickle: the network travels as a state dict
    np.testing.assert_array_equal(back.decision_function(maps), clf.decision_function(maps))


@pytest.mark.parametrize("kind", ["foreign", "truncated", "pickled-module", "regressor"])
def test_loading_refuses_other_files_naming_them(tmp_path, kind: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.pt"
    if kind == "foreign":
        path.write_text("hello")
    elif kind == "truncated":
        _tiny_classifier().save(path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "pickled-module":
        torch.save(_tiny_classifier().module_, path)
    else:
        torch.save({"kind": "regressor", "config": {}, "scale": 1.0, "members": []}, path)
    with pytest.raises(ValueError, match=r"model\.pt"):
        CNNClassifier.load(path)


def test_cli_names_a_bad_model_file_in_one_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import sys

    from nulearn.cli import main
    from nulearn.cosmo.data.files import save_maps

    maps = tmp_path / "maps.h5"
    save_maps(_easy_maps(8, 6), maps)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00" * 10)
    monkeypatch.setattr(
        sys, "argv", ["nulearn", "cosmo", "saliency", "--model", str(bad), "--maps", str(maps)]
    )
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.startswith("nulearn: error: ") and "bad.pt" in err
    assert err.count("\n") == 1
