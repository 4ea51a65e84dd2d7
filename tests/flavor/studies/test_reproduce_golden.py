"""`reproduce` at a tiny size gives the tables and report it gave before the package was split by role.

The golden files in ``tests/fixtures/reproduce_golden`` were written by the flat layout (see the
fixtures' README); timing columns and the wall-time line are masked, every score must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from nulearn.flavor.studies.reproduce import ReproduceConfig, reproduce, write_report

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "reproduce_golden"


def normalize_report(text: str) -> str:
    """The report without what depends on the machine and the clock: date, wall time, timing columns."""
    out: list[str] = []
    timing = False
    for line in text.splitlines():
        if line.startswith(("- wall time", "*Generated ")):
            continue
        if line.startswith("| model | training samples | train wall"):
            timing = True
        elif timing and line.startswith("|") and not line.startswith("|---"):
            cells = line.split("|")
            cells[3:6] = [" * "] * 3
            line = "|".join(cells)
        elif not line.startswith("|"):
            timing = False
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    cfg = ReproduceConfig.sized(
        400,
        models=("lr2", "tree", "gbt_closure"),
        single_models=("lr2", "gbt_closure"),
        degrees=(1, 2, 3),
        n_jobs=1,
    )
    result = reproduce(cfg)
    report = write_report(result, tmp_path_factory.mktemp("golden") / "report")
    return result, report


def test_accuracy_table_is_golden(tiny) -> None:  # type: ignore[no-untyped-def]
    result, _ = tiny
    acc = result.accuracy_table().sort_values(["train", "test", "model"]).reset_index(drop=True)
    want = pd.read_csv(GOLDEN / "accuracy.csv")
    pd.testing.assert_frame_equal(acc, want, check_dtype=False, rtol=1e-10, atol=0)


def test_sweeps_and_ceilings_are_golden(tiny) -> None:  # type: ignore[no-untyped-def]
    result, _ = tiny
    sweeps = pd.concat([s.assign(train=k) for k, s in sorted(result.sweeps.items())])
    sweeps = sweeps.drop(columns=["train_s"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        sweeps, pd.read_csv(GOLDEN / "sweeps.csv"), check_dtype=False, rtol=1e-10, atol=0
    )
    ceilings = json.loads((GOLDEN / "ceilings.json").read_text())
    assert sorted(ceilings) == sorted(result.ceilings)
    for key, c in result.ceilings.items():
        assert c.accuracy == pytest.approx(ceilings[key]["accuracy"], rel=1e-12)
        assert c.f1_crossing == pytest.approx(ceilings[key]["f1"], rel=1e-12)


def test_report_text_is_golden(tiny) -> None:  # type: ignore[no-untyped-def]
    _, report = tiny
    assert normalize_report(report.read_text()) == (GOLDEN / "report.md").read_text()
