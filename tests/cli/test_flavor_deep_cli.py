"""End-to-end tests of the deep-MLP commands: `nulearn flavor tune | seeds | compact | calibration`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner, Result

from nulearn.cli import app
from nulearn.flavor.data.generate import generate
from nulearn.flavor.models.mlp.classifier import MLPConfig

torch.set_num_threads(1)
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("deep_cli")
    # A user's own moment table: arbitrary column names, label column 'unstable'.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 3))
    own = pd.DataFrame(X, columns=["m0", "m1", "m2"]).assign(
        unstable=(X[:, 0] + X[:, 1] > 1.2).astype(int)
    )
    own.to_parquet(d / "own.parquet")
    cfg = MLPConfig(
        hidden_layers=(16, 16), max_epochs=3, batch_size=256, num_threads=1, accelerator="cpu"
    )
    cfg.to_yaml(d / "cfg.yaml")
    return {"own": d / "own.parquet", "cfg": d / "cfg.yaml", "dir": d}


def _own_table(files: dict[str, Path]) -> list[str]:
    """Options that read the user's own table (columns m0..m2, label 'unstable') and config."""
    data, cfg = str(files["own"]), str(files["cfg"])
    return ["--data", data, "--features", "m0,m1,m2", "--label", "unstable", "--config", cfg]


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, ["flavor", *args])
    assert res.exit_code == 0, f"{res.output}\n{res.exception!r}"
    return res.output


def test_seeds_table_on_own_columns(files: dict[str, Path]) -> None:
    out = files["dir"] / "seeds.csv"
    text = _ok(
        [
            "seeds",
            *_own_table(files),
            "--seeds",
            "17,43",
            "--out",
            str(out),
        ]
    )
    table = pd.read_csv(out)
    assert list(table["seed"].astype(str)) == ["17", "43", "mean", "std"]
    assert table["f1"].iloc[:2].between(0.5, 1.0).all()
    assert table["f1"].iloc[2] == pytest.approx(table["f1"].iloc[:2].mean())
    assert "| mean |" in text


def test_tune_writes_best_config_and_resumes(files: dict[str, Path]) -> None:
    out = files["dir"] / "tune"
    args = [
        "tune",
        *_own_table(files),
        "--layers",
        "1,2",
        "--widths",
        "8,16",
        "--batch-sizes",
        "256",
        "--out",
        str(out),
    ]
    _ok([*args, "--n-trials", "1"])
    assert (out / "mlp.optuna.db").is_file()
    text = _ok([*args, "--n-trials", "2"])  # resumes the same SQLite study
    assert "2 trials" in text
    assert len(pd.read_csv(out / "trials.csv")) == 2
    best = MLPConfig.from_yaml(out / "best_config.yaml")
    assert best.features == ("m0", "m1", "m2") and best.label == "unstable"
    assert 1 <= len(best.hidden_layers) <= 2 and best.batch_size == 256


def test_compact_and_calibration_on_generated_xln(files: dict[str, Path]) -> None:
    data = files["dir"] / "xln.parquet"
    generate("xln", "maxent", 2000, seed=1, unstable_fraction=0.1, chunk_size=2000).to_parquet(data)
    table_path = files["dir"] / "compact.md"
    text = _ok(
        [
            "compact",
            "--data",
            str(data),
            "--config",
            str(files["cfg"]),
            "--sizes",
            "16x16,4",
            "--n-timing",
            "2000",
            "--out",
            str(table_path),
        ]
    )
    assert "| 16x16 |" in text and "| 4 |" in text
    # xln has 7 features. 4-unit network: MACs 7*4 + 4*1 = 32; parameters 28 weights (no bias
    # before BatchNorm) + 8 BatchNorm + 4 + 1 output = 41.
    assert "| 4 | 41 | 32 |" in table_path.read_text()
    report = files["dir"] / "calib"
    _ok(["calibration", "--data", str(data), "--config", str(files["cfg"]), "--out", str(report)])
    md = (report / "report.md").read_text()
    assert "| isotonic |" in md and "| temperature |" in md and "Threshold sweep" in md
    assert (report / "figures" / "reliability.png").stat().st_size > 1000


def test_bad_options_are_reported(files: dict[str, Path]) -> None:
    def seeds(features: str, *extra: str) -> Result:
        own = ["--data", str(files["own"]), "--label", "unstable", "--features", features]
        return runner.invoke(app, ["flavor", "seeds", *own, *extra])

    res = seeds("m0,m1", "--seeds", "17,x")
    assert res.exit_code != 0 and "'x' is not an integer" in res.output
    res = seeds("m0,zz", "--config", str(files["cfg"]))
    assert res.exit_code != 0 and "zz" in str(res.exception)
