"""``nulearn detector segment`` end to end at tiny size, and its one-line refusals."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_simulate_train_evaluate(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    train, test = tmp_path / "train.npz", tmp_path / "test.npz"
    r = nulearn(
        "detector",
        "segment",
        "simulate",
        "--n",
        8,
        "--image-size",
        32,
        "--out",
        train,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert "8 images 32x32" in r.stdout and train.is_file()
    r = nulearn(
        "detector",
        "segment",
        "simulate",
        "--n",
        3,
        "--seed",
        9,
        "--image-size",
        32,
        "--out",
        test,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    run = tmp_path / "run"
    r = nulearn(
        "detector",
        "segment",
        "train",
        "--data",
        train,
        "--out",
        run,
        "--epochs",
        1,
        "--base-channels",
        2,
        "--depth",
        2,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert (run / "model.pt").is_file() and (run / "run.yaml").is_file()
    report = tmp_path / "report"
    r = nulearn(
        "detector",
        "segment",
        "evaluate",
        "--run",
        run,
        "--data",
        test,
        "--out",
        report,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert "UNet: pixel accuracy" in r.stdout and "Hough/timing baseline" in r.stdout
    other = tmp_path / "other.npz"
    r = nulearn(
        "detector",
        "segment",
        "simulate",
        "--n",
        1,
        "--image-size",
        64,
        "--out",
        other,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    r = nulearn(
        "detector",
        "segment",
        "evaluate",
        "--run",
        run,
        "--data",
        other,
        "--out",
        tmp_path / "r2",
        "--no-progress",
    )
    assert r.exit_code == 2 and "another detector configuration" in r.stderr
    assert not (tmp_path / "r2").exists()
    text = (report / "report.md").read_text()
    assert "CosmicTagger target" in text and (report / "figures" / "segment_examples.png").is_file()


@pytest.mark.slow
def test_study_in_one_folder(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "study"
    r = nulearn(
        "detector",
        "segment",
        "study",
        "--out",
        out,
        "--n-train",
        6,
        "--n-test",
        2,
        "--image-size",
        32,
        "--epochs",
        1,
        "--base-channels",
        2,
        "--depth",
        2,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert {"report.md", "model.pt", "run.yaml"} <= {p.name for p in out.iterdir()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--image-size", "100"], "image size 100"),
        (["simulate", "--out", "x.csv"], "must end in .npz"),
        (["train", "--data", "missing.npz"], "no such file"),
        (["evaluate", "--run", "nowhere", "--data", "missing.npz"], "no such file"),
    ],
)
def test_refusals_are_one_line(
    nulearn, tmp_path: Path, monkeypatch, args: list[str], message: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    r = nulearn("detector", "segment", *args, "--no-progress")
    assert r.exit_code == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_depth_too_large_for_the_images_is_refused(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "d.npz"
    assert (
        nulearn(
            "detector",
            "segment",
            "simulate",
            "--n",
            4,
            "--image-size",
            32,
            "--out",
            data,
            "--no-progress",
        ).exit_code
        == 0
    )
    r = nulearn(
        "detector",
        "segment",
        "train",
        "--data",
        data,
        "--out",
        tmp_path / "r",
        "--depth",
        6,
        "--no-progress",
    )
    assert r.exit_code == 2 and "lower --depth" in r.stderr
    assert not (tmp_path / "r").exists()
