"""Property tests: tables with random defects get a right answer or one clean refusal, never a
traceback and never a silently wrong result.

Hypothesis corrupts a valid ELN-XLN table (NaN, +-inf, negative or zero densities, flux factors
at or beyond 1 or below 0, text, narrowed dtypes) and runs ``label``, ``predict``, ``train`` and
``flag`` on it. Each run must either exit 0 with the answer the library gives on the clean rows,
or exit 2 with a single ``nulearn: error:`` line and no output file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nulearn.flavor.data.generate import generate, generation_metadata
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.data.tables import read_dataset, write_dataset

XLN = ["alpha", "alpha_x", "alpha_xbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
BAD_VALUES = [np.nan, np.inf, -np.inf, -1.0, 0.0, 1.0, 1.5, -0.2, 1e300]
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from nulearn.flavor.evaluation.files import train_from_table

    d = tmp_path_factory.mktemp("props")
    frame = generate("xln", "maxent", 400, 3)
    table = write_dataset(frame, d / "train.parquet", generation_metadata("xln", "maxent", 400, 3))
    model = d / "lr"
    train_from_table("lr2", table, model, val_fraction=0.0)
    return {"frame": frame.iloc[:40].reset_index(drop=True), "model": model}


defects = st.lists(
    st.tuples(
        st.integers(0, 39),
        st.sampled_from(XLN),
        st.one_of(st.sampled_from(BAD_VALUES), st.just("text")),
    ),
    min_size=0,
    max_size=4,
)


def _corrupt(
    frame: pd.DataFrame, defects: list[tuple[int, str, object]], narrow: bool
) -> pd.DataFrame:
    out = frame.copy()
    for row, col, value in defects:
        if value == "text":
            # a column read from text: numbers as strings (object dtype under every pandas)
            out[col] = out[col].map(str).astype(object)
        numeric = pd.api.types.is_numeric_dtype(out[col])
        out.loc[row, col] = value if value == "text" or numeric else str(value)
    if narrow and pd.api.types.is_numeric_dtype(out["F_nue"]):
        out["F_nue"] = out["F_nue"].astype(np.float32)
    return out


def _physical(column: str, value: object) -> bool:
    """Whether ``value`` is a valid ``column`` entry: a density ratio finite and > 0 (1.0, 1.5
    and 1e300 are), a flux factor in [0, 1)."""
    if not isinstance(value, float) or not np.isfinite(value):
        return False
    return value > 0 if column.startswith("alpha") else 0.0 <= value < 1.0


def _clean_or_refused(result, out: Path) -> bool:  # type: ignore[no-untyped-def]
    """True if the run succeeded; otherwise assert it refused cleanly."""
    assert "Traceback" not in result.output, result.output
    if result.exit_code == 0:
        return True
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("nulearn: error: ")
    assert not out.exists()
    return False


@SETTINGS
@given(defects=defects, narrow=st.booleans())
@example(defects=[(0, "alpha", 1.0)], narrow=False)  # a valid value: labelled, not refused
@example(defects=[(3, "F_nux", 1.0)], narrow=False)  # invalid: refused
def test_label(
    nulearn: Callable[..., object], base: dict[str, object], tmp_path: Path, defects, narrow
) -> None:
    src = tmp_path / "in.parquet"
    out = tmp_path / "out.parquet"
    out.unlink(missing_ok=True)
    table = _corrupt(base["frame"][XLN], defects, narrow)  # type: ignore[index]
    table.to_parquet(src)
    if _clean_or_refused(nulearn("flavor", "label", "--in", src, "--out", out), out):
        got = read_dataset(out).frame
        expected = label_moments(table.astype(np.float64), "maxent")
        np.testing.assert_array_equal(got["crossing"], expected["crossing"])
        # accepted only if every "defect" is in fact a physical value for its column
        assert all(_physical(col, v) for _, col, v in defects), defects


@SETTINGS
@given(defects=defects, narrow=st.booleans())
@example(defects=[(0, "alpha", 1e300)], narrow=False)  # features overflow: refused, row named
def test_predict(
    nulearn: Callable[..., object], base: dict[str, object], tmp_path: Path, defects, narrow
) -> None:
    from nulearn.ml.model_card import load_model

    src = tmp_path / "in.parquet"
    out = tmp_path / "out.parquet"
    out.unlink(missing_ok=True)
    table = _corrupt(base["frame"][XLN], defects, narrow)  # type: ignore[index]
    table.to_parquet(src)
    result = nulearn("flavor", "predict", base["model"], "--in", src, "--out", out)
    if _clean_or_refused(result, out):
        got = read_dataset(out).frame
        want = load_model(base["model"]).predict_proba(table.astype(np.float64))[:, 1]  # type: ignore[arg-type]
        np.testing.assert_allclose(got["p_crossing"], want, rtol=1e-12)


@SETTINGS
@given(defects=defects)
def test_train(
    nulearn: Callable[..., object], base: dict[str, object], tmp_path: Path, defects
) -> None:
    src = tmp_path / "in.parquet"
    out = tmp_path / "model"
    frame = base["frame"]
    table = _corrupt(frame, defects, narrow=False)  # type: ignore[arg-type]
    table.to_parquet(src)
    result = nulearn(
        "flavor", "train", "--model", "lr", "--data", src, "--out", out, "--val-fraction", "0"
    )
    if _clean_or_refused(result, out):
        assert (out / "card.yaml").exists()
        import shutil

        shutil.rmtree(out)


@SETTINGS
@given(
    defects=st.lists(
        st.tuples(
            st.integers(0, 39),
            st.sampled_from(["n_nue", "n_nuebar", "F_nue", "F_nux"]),
            st.sampled_from(BAD_VALUES),
        ),
        max_size=4,
    )
)
def test_flag_marks_every_defect_invalid(
    nulearn: Callable[..., object], base: dict[str, object], tmp_path: Path, defects
) -> None:
    frame = base["frame"]
    raw = {"n_nue": np.ones(40)}
    for s, col in (("nuebar", "alpha"), ("nux", "alpha_x"), ("nuxbar", "alpha_xbar")):
        raw[f"n_{s}"] = frame[col].to_numpy().copy()  # type: ignore[index]
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        raw[f"F_{s}"] = frame[f"F_{s}"].to_numpy().copy()  # type: ignore[index]
    bad = np.zeros(40, dtype=bool)
    for row, name, value in defects:
        raw[name][row] = value
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        n, f = raw[f"n_{s}"], raw[f"F_{s}"]
        bad |= ~(np.isfinite(n) & (n > 0) & np.isfinite(f) & (f >= 0) & (f < 1))
    snap = tmp_path / "snap.h5"
    with h5py.File(snap, "w") as h5:
        for name, values in raw.items():
            h5[name] = values
    out = tmp_path / "flags.h5"
    out.unlink(missing_ok=True)
    result = nulearn(
        "flavor", "flag", snap, "--model", base["model"], "--out", out, "--no-progress"
    )
    assert _clean_or_refused(result, out), "a snapshot with invalid cells is flagged, not refused"
    with h5py.File(out) as h5:
        flag = h5["flag"][...]
    np.testing.assert_array_equal(flag == -1, bad)
    assert set(np.unique(flag[~bad])) <= {0, 1, 2}


def test_a_unit_mixup_that_overflows_the_model_is_refused_naming_row_and_value(
    nulearn: Callable[..., object], base: dict[str, object], tmp_path: Path
) -> None:
    """alpha = 1e300 is positive and finite, but the model's polynomial features overflow:
    predict and evaluate refuse it in one line naming file, row, quantity and value."""
    frame = base["frame"].copy()  # type: ignore[attr-defined]
    frame.loc[7, "alpha"] = 1e300
    src = tmp_path / "units.parquet"
    frame.to_parquet(src)
    out = tmp_path / "p.parquet"
    for args in (("predict", base["model"], "--in", src, "--out", out),
                 ("evaluate", base["model"], "--data", src)):  # fmt: skip
        res = nulearn("flavor", *args)
        assert res.exit_code == 2, res.output  # type: ignore[attr-defined]
        last = res.stderr.strip().splitlines()[-1]  # type: ignore[attr-defined]
        assert last.startswith(f"nulearn: error: {src}: model ")
        assert "cannot evaluate row 7: alpha = 1e+300" in last and "Traceback" not in res.output  # type: ignore[attr-defined]
        assert not out.exists()
