"""The console script turns bad input into one named error line and exit status 2."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.cli import main


def _run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["nulearn", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_unphysical_density_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.DataFrame(
        {"n_nue": [1.0, 1.0], "n_nuebar": [0.8, -0.5], "F_nue": [0.2, 0.3], "F_nuebar": [0.4, 0.5]}
    )
    frame.to_parquet(tmp_path / "m.parquet")
    code = _run(
        monkeypatch,
        "flavor",
        "label",
        "--in",
        str(tmp_path / "m.parquet"),
        "--out",
        str(tmp_path / "l.parquet"),
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("nulearn: error: ") and "nuebar" in err and "-0.5" in err
    assert "Traceback" not in err and not (tmp_path / "l.parquet").exists()


def test_unreadable_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "x.parquet"
    bad.write_text("not a table")
    code = _run(monkeypatch, "flavor", "label", "--in", str(bad), "--out", str(tmp_path / "l.pq"))
    assert code == 2 and "not a readable Parquet or HDF5 table" in capsys.readouterr().err


def test_debug_shows_the_exception(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "x.parquet"
    bad.write_text(str(np.pi))
    monkeypatch.setenv("NULEARN_DEBUG", "1")
    monkeypatch.setattr(
        sys,
        "argv",
        ["nulearn", "flavor", "label", "--in", str(bad), "--out", str(tmp_path / "l.pq")],
    )
    with pytest.raises(ValueError, match="not a readable Parquet or HDF5 table"):
        main()
