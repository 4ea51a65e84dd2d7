"""``nulearn detector tpc light simulate | train | evaluate`` end to end at tiny size."""

from __future__ import annotations

import numpy as np


def test_simulate_train_evaluate(nulearn, tmp_path) -> None:
    train, test = tmp_path / "train.npz", tmp_path / "test.npz"
    model, report = tmp_path / "m.joblib", tmp_path / "rep"
    r = nulearn("detector", "tpc", "light", "simulate", "--n", 24, "--out", train)
    assert r.exit_code == 0, r.output
    assert "simulated 24 events" in r.stdout
    assert np.load(train)["light"].shape == (24, 74, 128)
    r = nulearn(
        "detector", "tpc", "light", "simulate", "--n", 8, "--seed", 1, "--e-min", 1000,
        "--e-max", 2000, "--out", test,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    r = nulearn(
        "detector", "tpc", "light", "train", "--data", train, "--out", model, "--epochs", 1,
        "--no-progress",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert model.exists()
    r = nulearn(
        "detector", "tpc", "light", "evaluate", "--model", model, "--data", test, "--out", report
    )
    assert r.exit_code == 0, r.output
    assert "CNN" in r.stdout and "EXO-200" in r.stdout
    text = (report / "report.md").read_text()
    assert "EXO-200 published" in text and "centroid (calibrated)" in text
    assert (report / "figures").is_dir()


def test_refusals(nulearn, tmp_path) -> None:
    events = tmp_path / "e.npz"
    r = nulearn("detector", "tpc", "light", "simulate", "--n", 4, "--e-min", 3000, "--e-max", 500,
                "--out", events)  # fmt: skip
    assert r.exit_code == 2 and "energy range" in r.stderr
    assert not events.exists()
    nan = tmp_path / "nan.npz"
    np.savez(
        nan,
        light=np.full((8, 74, 128), np.nan, np.float32),
        position_mm=np.zeros((8, 3)),
        energy_kev=np.full(8, 1000.0),
    )
    r = nulearn("detector", "tpc", "light", "train", "--data", nan, "--out", tmp_path / "m.joblib")
    assert r.exit_code == 2 and "event 0, channel 0, sample 0" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    small = tmp_path / "small.npz"
    np.savez(
        small,
        light=np.zeros((8, 74, 64), np.float32),
        position_mm=np.zeros((8, 3)),
        energy_kev=np.full(8, 1000.0),
    )
    r = nulearn(
        "detector", "tpc", "light", "train", "--data", small, "--out", tmp_path / "m.joblib"
    )
    assert r.exit_code == 2 and "expected (n_events, 74, 128)" in r.stderr
    r = nulearn("detector", "tpc", "light", "simulate", "--n", 2, "--out", tmp_path / "x.csv")
    assert r.exit_code == 2 and ".npz" in r.stderr
