"""End-to-end tests of ``nulearn detector tpc ...`` at tiny sizes."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from nulearn.cli import app

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_simulate_and_reconstruct(tmp_path) -> None:
    events = tmp_path / "bb.npz"
    out = _ok(["detector", "tpc", "simulate", "--kind", "bb", "--n", "6", "--out", str(events)])
    assert "simulated 6 bb events" in out
    assert np.load(events)["waveforms"].shape == (6, 76, 1024)
    out = _ok(
        ["detector", "tpc", "reconstruct", "--data", str(events), "--out", str(tmp_path / "r.csv")]
    )
    assert "sigma/E" in out and (tmp_path / "r.csv").exists()
    bad = runner.invoke(app, ["detector", "tpc", "simulate", "--kind", "muon", "--n", "2"])
    assert bad.exit_code != 0


def test_train_gan_then_generate(tmp_path) -> None:
    out_dir = tmp_path / "run"
    _ok(
        [
            "detector",
            "tpc",
            "train",
            "--task",
            "gan",
            "--n-train",
            "16",
            "--n-test",
            "8",
            "--epochs",
            "1",
            "--warm-start-steps",
            "5",
            "--out",
            str(out_dir),
        ]
    )
    assert (out_dir / "report.md").exists() and (out_dir / "gan.pt").exists()
    assert "the simulator's own floor" in (out_dir / "report.md").read_text()
    gen = tmp_path / "gen.npz"
    out = _ok(
        [
            "detector",
            "tpc",
            "generate",
            "--model",
            str(out_dir / "gan.pt"),
            "--n",
            "5",
            "--out",
            str(gen),
        ]
    )
    assert "generated 5 events" in out
    assert np.load(gen)["images"].shape == (5, 76, 128)


def test_train_energy_tiny(tmp_path) -> None:
    out = _ok(
        [
            "detector",
            "tpc",
            "train",
            "--task",
            "energy",
            "--n-train",
            "16",
            "--n-test",
            "16",
            "--epochs",
            "1",
            "--members",
            "2",
            "--pitfall-epochs",
            "1",
            "--out",
            str(tmp_path),
        ]
    )
    assert "conventional" in out and "pitfall" in out and "lines only" in out
    report = (tmp_path / "report.md").read_text()
    assert "sigma/E at 2615" in report and "line-training pitfall" in report
    assert "1 epochs each" in report
