"""End-to-end tests of `nulearn flavor train / predict / evaluate / reproduce` at small size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.data.generate import generate, generation_metadata
from nulearn.flavor.data.tables import read_dataset, write_dataset

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("flavor_cli")
    out = {}
    for name, seed in (("train", 0), ("test", 1)):
        path = d / f"{name}.parquet"
        write_dataset(
            generate("original", "mix", 1500, seed=seed),
            path,
            generation_metadata("original", "mix", 1500, seed),
        )
        out[name] = path
    return out


def _run(*args: str) -> str:
    res = runner.invoke(app, ["flavor", *args])
    assert res.exit_code == 0, res.output
    return res.output


def _train_all(model: str, data: Path, out: Path) -> str:
    """`flavor train` on every row of ``data`` (no validation split)."""
    return _run(
        "train", "--model", model, "--data", str(data), "--out", str(out), "--val-fraction", "0"
    )


def test_train_predict_evaluate(data: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "lr2"
    out = _run(
        "train", "--model", "lr", "--degree", "2", "--data", str(data["train"]), "--out", str(model)
    )
    assert "validation accuracy" in out and "Bayes ceiling" in out
    card = yaml.safe_load((model / "card.yaml").read_text())
    assert card["feature_names"] == ["alpha", "F_nue", "F_nuebar"] and card["scheme"] == "original"
    assert card["params"]["degree"] == 2 and len(card["training_data_sha256"]) == 64
    assert 0.8 < card["metrics"]["validation"]["accuracy"] <= 1.0

    pred = tmp_path / "pred.parquet"
    _run("predict", str(model), "--in", str(data["test"]), "--out", str(pred))
    frame = read_dataset(pred).frame
    assert {"p_crossing", "crossing_pred", "in_domain"} <= set(frame.columns)
    # Rows outside the training domain are flagged 2 (their probability kept); the rest 0/1.
    inside = frame["in_domain"].to_numpy()
    assert inside.mean() > 0.99
    np.testing.assert_array_equal(frame["crossing_pred"][~inside], 2)
    np.testing.assert_array_equal(
        frame["crossing_pred"][inside], (frame["p_crossing"][inside] >= 0.5).astype(int)
    )
    assert (frame["crossing_pred"] == frame["crossing"]).mean() > 0.85

    out = _run(
        "evaluate",
        str(model),
        "--data",
        str(data["test"]),
        "--where",
        "F_nuebar=:0.3",
        "--out",
        str(tmp_path / "ev"),
    )
    assert "accuracy" in out and "Bayes ceiling" in out and "µs/sample" in out
    assert (tmp_path / "ev" / "report.md").exists() and (
        tmp_path / "ev" / "figures" / "roc_pr.png"
    ).exists()


def test_predict_refuses_reordered_features(data: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "tree"
    _train_all("tree", data["train"], model)
    frame = read_dataset(data["test"]).frame
    swapped = write_dataset(
        frame[["F_nue", "alpha", "F_nuebar", "crossing"]], tmp_path / "swapped.parquet"
    )
    missing = write_dataset(frame[["alpha", "F_nue"]], tmp_path / "missing.parquet")
    for table, named in ((swapped, "reordered"), (missing, "F_nuebar")):
        out = tmp_path / "p.parquet"
        res = runner.invoke(
            app, ["flavor", "predict", str(model), "--in", str(table), "--out", str(out)]
        )
        assert res.exit_code != 0 and named in str(res.exception)


def test_train_with_config_features_and_bad_model(data: dict[str, Path], tmp_path: Path) -> None:
    cfg = tmp_path / "svm.yaml"
    cfg.write_text("gamma: 10.0\n")
    model = tmp_path / "svm"
    _run(
        "train",
        "--model",
        "svm",
        "--config",
        str(cfg),
        "--features",
        "alpha,F_nue,F_nuebar",
        "--label",
        "crossing",
        "--data",
        str(data["train"]),
        "--out",
        str(model),
    )
    assert yaml.safe_load((model / "card.yaml").read_text())["params"]["gamma"] == 10.0
    res = runner.invoke(
        app,
        [
            "flavor",
            "train",
            "--model",
            "rf",
            "--data",
            str(data["train"]),
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert res.exit_code != 0 and "unknown model" in res.output


def test_reproduce_tiny(tmp_path: Path) -> None:
    out = _run(
        "reproduce",
        "--size",
        "150",
        "--models",
        "lr2",
        "--jobs",
        "1",
        "--out",
        str(tmp_path / "rep"),
    )
    assert "ELN-XLN test accuracy" in out
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "Table IV" in text and "Acceptance checks" in text


def test_predict_refuses_or_masks_unphysical_moments(data: dict[str, Path], tmp_path: Path) -> None:
    """F >= 1, NaN or a non-positive density ratio is an error, or -1 with --mask-invalid; never a label."""
    model = tmp_path / "lr"
    _train_all("lr", data["train"], model)
    frame = read_dataset(data["test"]).frame.iloc[:5].copy()
    frame.loc[frame.index[1], "F_nue"] = 1.0
    frame.loc[frame.index[3], "alpha"] = np.nan
    bad = write_dataset(frame, tmp_path / "bad.parquet")
    out = tmp_path / "p.parquet"
    res = runner.invoke(app, ["flavor", "predict", str(model), "--in", str(bad), "--out", str(out)])
    assert res.exit_code != 0
    message = str(res.exception)
    assert (
        "'alpha' must be finite and > 0; row 3 has nan" in message
    )  # columns checked in card order
    _run("predict", str(model), "--in", str(bad), "--out", str(out), "--mask-invalid")
    pred = read_dataset(out).frame
    assert pred["crossing_pred"].tolist()[1] == -1 and pred["crossing_pred"].tolist()[3] == -1
    assert pred["p_crossing"].isna().tolist() == [False, True, False, True, False]
    assert set(pred["crossing_pred"].iloc[[0, 2, 4]]) <= {0, 1}


def test_train_lr_in_physical_coordinates(data: dict[str, Path], tmp_path: Path) -> None:
    """`coordinates: physical` in the model YAML: beats the raw-feature LR (n = 2) on held-out data."""
    cfg = tmp_path / "lr.yaml"
    cfg.write_text("coordinates: physical\n")
    acc = {}
    for name, extra in (("raw", []), ("physical", ["--config", str(cfg)])):
        model = tmp_path / name
        _run("train", "--model", "lr", "--data", str(data["train"]), "--out", str(model), *extra)
        pred = tmp_path / f"{name}.parquet"
        _run("predict", str(model), "--in", str(data["test"]), "--out", str(pred))
        frame = read_dataset(pred).frame
        acc[name] = float(np.mean(frame["crossing_pred"] == frame["crossing"]))
    assert acc["physical"] > acc["raw"] + 0.02, acc
