"""End-to-end CLI: simulate → train → evaluate → saliency at 32², with an analytic spectrum table."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from nulearn.cli import app

from .conftest import power_law_table

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_cosmo_commands_end_to_end(tmp_path: Path) -> None:
    spectra = tmp_path / "cl.npz"
    power_law_table(suppression=0.5).save(spectra)
    common = [
        "--n-pix",
        "32",
        "--side-deg",
        "2",
        "--spectra",
        str(spectra),
        "--n-gal",
        "0",
        "--jitter",
        "0",
    ]
    _ok(
        [
            "cosmo",
            "simulate",
            "--out",
            str(tmp_path / "train.h5"),
            "--n-per-class",
            "128",
            "--seed",
            "1",
            *common,
        ]
    )
    out = _ok(
        [
            "cosmo",
            "simulate",
            "--out",
            str(tmp_path / "test.h5"),
            "--n-per-class",
            "64",
            "--seed",
            "2",
            "--field",
            "lognormal",
            *common,
        ]
    )
    assert "wrote 128 maps" in out
    _ok(
        [
            "cosmo",
            "simulate",
            "--out",
            str(tmp_path / "lognormal_train.h5"),
            "--n-per-class",
            "64",
            "--seed",
            "3",
            "--field",
            "lognormal",
            *common,
        ]
    )
    _ok(
        [
            "cosmo",
            "train",
            "--maps",
            str(tmp_path / "lognormal_train.h5"),
            "--out",
            str(tmp_path / "cnn.pt"),
            "--epochs",
            "2",
            "--threads",
            "1",
        ]
    )
    assert (tmp_path / "cnn.pt").exists()
    assert not (tmp_path / ".cnn_checkpoints").exists()  # best weights restored, folder cleaned up
    out = _ok(
        [
            "cosmo",
            "evaluate",
            "--train",
            str(tmp_path / "lognormal_train.h5"),
            "--test",
            str(tmp_path / "test.h5"),
            "--model",
            str(tmp_path / "cnn.pt"),
            "--out",
            str(tmp_path / "report"),
        ]
    )
    assert "power-spectrum likelihood ratio" in out and "CNN" in out
    text = (tmp_path / "report" / "report.md").read_text()
    assert "Massless vs M_ν = 0.1 eV" in text and "lognormal maps" in text
    out = _ok(
        [
            "cosmo",
            "saliency",
            "--model",
            str(tmp_path / "cnn.pt"),
            "--maps",
            str(tmp_path / "test.h5"),
            "--n-maps",
            "2",
            "--steps",
            "4",
            "--out",
            str(tmp_path / "sal"),
        ]
    )
    assert "under-dense" in out
    assert list((tmp_path / "sal" / "figures").glob("*.png"))


def test_cosmo_regression_path(tmp_path: Path) -> None:
    spectra = tmp_path / "cl.npz"
    power_law_table(m_nodes=(0.0, 0.1, 0.2, 0.3), suppression=0.25).save(spectra)
    _ok(
        [
            "cosmo",
            "simulate",
            "--out",
            str(tmp_path / "reg.h5"),
            "--n-per-class",
            "64",
            "--regression",
            "--n-pix",
            "16",
            "--spectra",
            str(spectra),
        ]
    )
    out = _ok(
        [
            "cosmo",
            "train",
            "--maps",
            str(tmp_path / "reg.h5"),
            "--out",
            str(tmp_path / "reg.pt"),
            "--epochs",
            "1",
            "--threads",
            "1",
        ]
    )
    assert "regressor" in out
    out = _ok(
        [
            "cosmo",
            "evaluate",
            "--train",
            str(tmp_path / "reg.h5"),
            "--test",
            str(tmp_path / "reg.h5"),
            "--model",
            str(tmp_path / "reg.pt"),
            "--out",
            str(tmp_path / "reg_report"),
        ]
    )
    assert "Fisher sigma" in out and "coverage" in out
    assert "M_ν regression" in (tmp_path / "reg_report" / "report.md").read_text()


def test_simulate_rejects_bad_sizes(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["cosmo", "simulate", "--out", str(tmp_path / "x.h5"), "--n-pix", "4"]
    )
    assert result.exit_code != 0
