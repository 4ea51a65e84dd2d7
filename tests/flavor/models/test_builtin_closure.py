"""The shipped closure ``builtin:xln-closure``: loads by name, records how it was made and how it
scored on held-out solver runs, conserves what the equations conserve, and exports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nulearn.flavor.data.generate import generate
from nulearn.flavor.models.closure import CLOSURE_INPUTS, ClosureModel, moments_before

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "closure" / "solver_rows.parquet"


@pytest.fixture(scope="module")
def shipped() -> ClosureModel:
    return ClosureModel.load("builtin:xln-closure")


def test_records_its_commands_and_held_out_scores(shipped: ClosureModel) -> None:
    meta = shipped.metadata or {}
    assert any("flavor closure train" in c for c in meta["builtin"]["commands"])
    held = meta["heldout"]
    assert held["rows"] >= 300 and held["train_rows"] >= 1000
    assert held["best_prescription"] in {"box", "box_power", "box_smooth", "box3d"}
    assert 0.0 < held["closure_mae"] < 0.1 and np.isfinite(held["ratio"])
    assert held["conservation_error"] < 1e-12
    assert shipped.domain is not None


def test_conserves_lepton_numbers_on_unseen_cells(shipped: ClosureModel) -> None:
    frame = generate("xln", "maxent", 3000, seed=77)
    cells = frame[frame["crossing"] == 1][list(CLOSURE_INPUTS)].reset_index(drop=True)
    out, before = shipped.predict(cells), moments_before(cells)
    for e, x in (("nue", "nux"), ("nuebar", "nuxbar")):
        total = before[f"n_{e}"] + before[f"n_{x}"]
        np.testing.assert_allclose(out[f"n_{e}"] + out[f"n_{x}"], total, atol=1e-12)
    assert (out[[f"n_{s}" for s in ("nue", "nuebar", "nux", "nuxbar")]] >= 0).all().all()


def test_unknown_builtin_closure_is_one_line(nulearn: Callable) -> None:  # type: ignore[type-arg]
    res = nulearn("flavor", "closure", "export", "builtin:nope", "--out", "x")
    assert res.exit_code == 2
    assert res.stderr.strip().startswith("nulearn: error: unknown built-in closure 'builtin:nope'")
    assert "builtin:xln-closure" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_cli_evaluates_and_exports_the_builtin(nulearn: Callable, tmp_path: Path) -> None:  # type: ignore[type-arg]
    res = nulearn("flavor", "closure", "evaluate", "builtin:xln-closure", "--solver", FIXTURE)
    assert res.exit_code == 0, res.stderr
    assert "ratio" in res.stdout
    res = nulearn("flavor", "closure", "export", "builtin:xln-closure", "--out", tmp_path / "e")
    assert res.exit_code == 0, res.stderr
    assert (tmp_path / "e" / "nulearn_closure.h").is_file()
