"""End to end: settings round trip, shared tuning, and the `nulearn detector` commands at tiny size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.detector.cvn.data.pixel_maps import CVNSample
from nulearn.detector.cvn.models.tuning import tune_cnn
from nulearn.detector.cvn.study.run import CVNSettings, load_run
from nulearn.ml.training import TrainerConfig

from ..conftest import TINY_CNN, TINY_PIXELS


def test_settings_yaml_round_trip() -> None:
    s = CVNSettings(per_class=3, n_folds=3, pixels=TINY_PIXELS, cnn=TINY_CNN, ensemble_members=0)
    assert CVNSettings.from_yaml(s.to_yaml()) == s


def test_tuning_uses_the_shared_study(tiny_sample: CVNSample, tmp_path: Path) -> None:
    cfg, study = tune_cnn(
        tiny_sample.pixel_maps,
        tiny_sample.flavour,
        tiny_sample.interaction,
        n_trials=2,
        base=TINY_CNN,
        trainer=TrainerConfig(max_epochs=1, patience=1, accelerator="cpu", devices=1),
        directory=tmp_path,
    )
    assert len(study.trials) == 2 and (tmp_path / "detector-cvn-cnn.optuna.db").is_file()
    assert cfg.learning_rate == study.best_params["learning_rate"]
    assert len(cfg.channels) == len(TINY_CNN.channels)


def test_cli_train_evaluate_explain(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    run_dir = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "detector",
            "cvn",
            "train",
            "--out",
            str(run_dir),
            "--data",
            str(data_dir),
            "--per-class",
            "4",
            "--folds",
            "2",
            "--max-epochs",
            "1",
            "--ensemble",
            "1",
            "--image-size",
            "16",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "CNN accuracy" in res.output and "BDT accuracy" in res.output
    run = load_run(run_dir)
    assert (
        run.pixel_maps.shape == (16, 3, 16, 16) and len(run.models) == 2 and len(run.ensemble) == 2
    )
    np.testing.assert_allclose(run.proba("cnn").sum(1), 1, rtol=1e-5)

    res = runner.invoke(
        app,
        [
            "detector",
            "cvn",
            "evaluate",
            "--run",
            str(run_dir),
            "--out",
            str(tmp_path / "rep"),
            "--mc-samples",
            "2",
        ],
    )
    assert res.exit_code == 0, res.output
    text = (tmp_path / "rep" / "report.md").read_text()
    for needle in (
        "Overall flavour accuracy",
        "Efficiency and purity",
        "DUNE CVN",
        "ECE",
        "blanked",
    ):
        assert needle in text
    assert (tmp_path / "rep" / "figures" / "cvn_roc.png").is_file()

    res = runner.invoke(
        app,
        # the hidden alias of `nulearn detector cvn explain`, kept for scripts written before
        ["detector", "explain", "--run", str(run_dir), "--out", str(tmp_path / "exp"), "--no-tsne"],
    )
    assert res.exit_code == 0, res.output
    figs = {p.name for p in (tmp_path / "exp" / "figures").iterdir()}
    assert "cvn_embedding.png" in figs and any(f.startswith("cvn_attribution_nue_cc") for f in figs)


def test_cli_reports_missing_run(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["detector", "cvn", "evaluate", "--run", str(tmp_path / "none")])
    assert res.exit_code != 0
    assert "settings.yaml" in str(res.exception)
