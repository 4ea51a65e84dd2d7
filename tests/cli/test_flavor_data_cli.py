"""End-to-end tests of `nulearn flavor generate` and `nulearn flavor label` at small size."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.data.tables import read_dataset, write_dataset

runner = CliRunner()


def test_generate_and_label(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data.parquet"
    res = runner.invoke(
        app,
        [
            "flavor",
            "generate",
            "--scheme",
            "xln",
            "--family",
            "mix",
            "--n",
            "2000",
            "--seed",
            "0",
            "--out",
            str(data),
            "--no-progress",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "wrote 2,000 samples" in res.output
    ds = read_dataset(data)
    assert (
        ds.metadata["scheme"] == "xln"
        and ds.metadata["seed"] == 0
        and "nulearn_version" in ds.metadata
    )
    assert len(ds.frame) == 2000

    out = tmp_path / "labels.h5"
    res = runner.invoke(
        app, ["flavor", "label", "--family", "maxent", "--in", str(data), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    labelled = read_dataset(out).frame
    maxent_rows = ds.frame["family"] == "maxent"
    assert (
        labelled.loc[maxent_rows, "crossing"].to_numpy()
        == ds.frame.loc[maxent_rows, "crossing"].to_numpy()
    ).all()


def test_label_raw_moments_and_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = pd.DataFrame(
        {"n_nue": [1.0, 2.0], "n_nuebar": [1.5, 2.0], "F_nue": [0.1, 0.2], "F_nuebar": [0.5, 1.0]}
    )
    src = write_dataset(raw, tmp_path / "raw.parquet")
    res = runner.invoke(
        app, ["flavor", "label", "--in", str(src), "--out", str(tmp_path / "o.parquet")]
    )
    assert res.exit_code != 0
    assert "'F_nuebar' must be finite and in [0, 1); row 1 has 1.0" in str(res.exception)

    ok = write_dataset(raw.iloc[:1], tmp_path / "ok.parquet")
    res = runner.invoke(
        app, ["flavor", "label", "--in", str(ok), "--out", str(tmp_path / "o.parquet")]
    )
    assert res.exit_code == 0, res.output
    assert read_dataset(tmp_path / "o.parquet").frame["crossing"].tolist() == [1]


def test_generate_rejects_unknown_scheme(tmp_path) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(
        app,
        [
            "flavor",
            "generate",
            "--scheme",
            "bogus",
            "--n",
            "10",
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert res.exit_code != 0
