"""Bad input at every flavor command: one line, exit status 2, nothing written.

Each case runs ``nulearn ...`` through the console script's ``main`` (the ``nulearn`` fixture)
with one bad ingredient: unphysical or non-finite moments, text where numbers belong, empty,
zero-row, truncated or foreign tables, a CSV where Parquet/HDF5 is expected, bad labels, a label
chosen as a feature, an edited, empty or garbage model card, a model of the wrong scheme, or an
output that cannot be written. Every case must be refused with exactly one stderr line
``nulearn: error: ...`` naming the file or quantity, exit status 2, and no output file left.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nulearn.flavor.data.generate import generate, generation_metadata
from nulearn.flavor.data.tables import write_dataset

XLN = ["alpha", "alpha_x", "alpha_xbar", "F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
UNWRITABLE = "/proc/nulearn-cannot-write"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good tables and models, then one bad variant per case."""
    from nulearn.flavor.evaluation.files import train_from_table

    d = tmp_path_factory.mktemp("bad_inputs")
    f: dict[str, Path] = {}
    for name, scheme, n, seed in (("xln", "xln", 800, 0), ("eln", "original", 800, 0)):
        f[name] = write_dataset(
            generate(scheme, "mix", n, seed),
            d / f"{name}.parquet",
            generation_metadata(scheme, "mix", n, seed),
        )
    f["lr_xln"] = d / "lr_xln"
    f["lr_eln"] = d / "lr_eln"
    train_from_table("lr2", f["xln"], f["lr_xln"], val_fraction=0.0)
    train_from_table("lr2", f["eln"], f["lr_eln"], val_fraction=0.0)
    base = pd.read_parquet(f["xln"])

    def variant(name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(d / f"{name}.parquet")
        f[name] = d / f"{name}.parquet"

    for name, (col, value) in {
        "nan": ("F_nue", np.nan),
        "inf": ("alpha", np.inf),
        "neg_density": ("alpha", -0.5),
        "F_one": ("F_nuebar", 1.0),
        "F_neg": ("F_nux", -0.1),
    }.items():
        t = base.copy()
        t.loc[t.index[3], col] = value
        variant(name, t)
    t = base.copy()
    t["crossing"] = t["crossing"].astype(float)
    t.loc[t.index[5], "crossing"] = np.nan
    variant("nan_label", t)
    t = base.copy()
    t.loc[t.index[5], "crossing"] = 2
    variant("label_2", t)
    variant("zero_rows", base.iloc[:0])
    variant("missing_col", base.drop(columns=["F_nuebar"]))
    t = base.copy()
    t["alpha"] = t["alpha"].astype(str)
    t.loc[t.index[0], "alpha"] = "abc"
    variant("text", t)
    (d / "empty.parquet").write_bytes(b"")
    f["empty"] = d / "empty.parquet"
    raw = f["xln"].read_bytes()
    (d / "truncated.parquet").write_bytes(raw[: len(raw) // 2])
    f["truncated"] = d / "truncated.parquet"
    base.head(20).to_csv(d / "table.csv", index=False)
    f["csv"] = d / "table.csv"
    (d / "garbage.parquet").write_text("hello\n1,2,3\n")
    f["garbage"] = d / "garbage.parquet"
    h5 = write_dataset(base.head(100), d / "table.h5")
    raw = h5.read_bytes()
    (d / "truncated.h5").write_bytes(raw[: len(raw) // 2])
    f["truncated_h5"] = d / "truncated.h5"
    (d / "empty.h5").write_bytes(b"")
    f["empty_h5"] = d / "empty.h5"
    for name in ("card_garbage", "card_empty", "card_swapped", "card_unsigned", "est_garbage"):
        shutil.copytree(f["lr_xln"], d / name)
        f[name] = d / name
    (d / "card_garbage" / "card.yaml").write_text("{{{ not: yaml: [")
    (d / "card_empty" / "card.yaml").write_text("")
    card = (d / "card_swapped" / "card.yaml").read_text()
    (d / "card_swapped" / "card.yaml").write_text(
        card.replace("- F_nue\n- F_nuebar\n", "- F_nuebar\n- F_nue\n", 1)
    )
    unsigned = [ln for ln in card.splitlines() if not ln.startswith("card_sha256")]
    (d / "card_unsigned" / "card.yaml").write_text("\n".join(unsigned) + "\n")
    (d / "est_garbage" / "estimator.joblib").write_bytes(b"\x80\x04garbage")
    (d / "tiny_mlp.yaml").write_text("hidden_layers: [4]\nmax_epochs: 1\n")
    f["tiny_mlp"] = d / "tiny_mlp.yaml"
    (d / "garbage.yaml").write_text("{{{: [")
    f["garbage_yaml"] = d / "garbage.yaml"
    (d / "a_file").write_text("x")
    f["a_file"] = d / "a_file"
    f["a_folder"] = d / "a_folder"
    f["a_folder"].mkdir()
    (f["a_folder"] / "keep.txt").write_text("not ours")
    return f


BAD_TABLES = (
    "nan",
    "inf",
    "neg_density",
    "F_one",
    "F_neg",
    "zero_rows",
    "missing_col",
    "text",
    "empty",
    "truncated",
    "csv",
    "garbage",
    "truncated_h5",
    "empty_h5",
)


def _table_commands(f: dict[str, Path], table: Path, out: Path) -> dict[str, list[object]]:
    return {
        "label": ["flavor", "label", "--in", table, "--out", out / "o.parquet"],
        "predict": ["flavor", "predict", f["lr_xln"], "--in", table, "--out", out / "o.parquet"],
        "evaluate": ["flavor", "evaluate", f["lr_xln"], "--data", table, "--out", out / "rep"],
        "train": ["flavor", "train", "--model", "lr", "--data", table, "--out", out / "model"],
        "growth": ["flavor", "growth", "--in", table, "--out", out / "o.parquet", "--n-beams", "8"],
        "tune": ["flavor", "tune", "--data", table, "--n-trials", "1", "--out", out / "tune"],
        "seeds": ["flavor", "seeds", "--data", table, "--seeds", "1", "--out", out / "s.md"],
        "calibration": ["flavor", "calibration", "--data", table, "--out", out / "cal"],
    }


def _refused(result, out: Path, *named: str) -> None:  # type: ignore[no-untyped-def]
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("nulearn: error: "), result.stderr
    assert "Traceback" not in result.output
    for word in named:
        assert word in lines[0], (word, lines[0])
    left = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert not left, f"left behind: {left}"


@pytest.mark.parametrize("bad", BAD_TABLES)
@pytest.mark.parametrize(
    "command", ["label", "predict", "evaluate", "train", "growth", "tune", "seeds", "calibration"]
)
def test_bad_table_is_refused(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, command: str, bad: str
) -> None:
    out = tmp_path / "out"
    args = _table_commands(fx, fx[bad], out)[command]
    if command in ("tune", "seeds", "calibration"):
        args += ["--config", fx["tiny_mlp"]]
    _refused(nulearn(*args), out, fx[bad].name)


@pytest.mark.parametrize("bad", [b for b in BAD_TABLES if b != "csv"])  # CSV is an input of evolve
def test_bad_table_is_refused_by_evolve(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, bad: str
) -> None:
    out = tmp_path / "out"
    args = [
        "flavor",
        "evolve",
        fx[bad],
        "--out",
        out,
        "--n-mu",
        "8",
        "--n-z",
        "32",
        "--workers",
        "1",
    ]
    _refused(nulearn(*args), out, fx[bad].name)


@pytest.mark.parametrize("bad", ["nan_label", "label_2"])
@pytest.mark.parametrize("command", ["train", "evaluate", "seeds"])
def test_labels_other_than_0_1_are_refused_not_dropped(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, command: str, bad: str
) -> None:
    out = tmp_path / "out"
    args = _table_commands(fx, fx[bad], out)[command]
    if command == "seeds":
        args += ["--config", fx["tiny_mlp"]]
    result = nulearn(*args)
    _refused(result, out, "label 'crossing'", "row 5")


@pytest.mark.parametrize("feature", ["crossing", "n_crossings", "depth", "valid", "family"])
def test_label_derived_feature_is_refused(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, feature: str
) -> None:
    out = tmp_path / "out"
    result = nulearn(
        "flavor", "train", "--model", "lr", "--data", fx["xln"],
        "--features", f"alpha,F_nue,{feature}", "--out", out / "model",
    )  # fmt: skip
    _refused(result, out, repr(feature))


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_eln_model_on_xln_data_is_refused_unless_asked(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    args = _table_commands({**fx, "lr_xln": fx["lr_eln"]}, fx["xln"], out)[command]
    _refused(nulearn(*args), out, "ELN scheme", "--ignore-heavy-leptons")
    assert nulearn(*args, "--ignore-heavy-leptons").exit_code == 0


@pytest.mark.parametrize(
    ("model", "named"),
    [
        ("card_garbage", "card.yaml"),
        ("card_empty", "card.yaml"),
        ("card_swapped", "integrity checksum"),
        ("card_unsigned", "--trust-model"),
        ("est_garbage", "estimator.joblib"),
    ],
)
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_broken_model_directory_is_refused(
    nulearn: Callable[..., object],
    fx: dict[str, Path],
    tmp_path: Path,
    command: str,
    model: str,
    named: str,
) -> None:
    out = tmp_path / "out"
    args = _table_commands({**fx, "lr_xln": fx[model]}, fx["xln"], out)[command]
    _refused(nulearn(*args), out, named)


def _unwritable(f: dict[str, Path], kind: str, name: str) -> Path:
    return {
        "proc": Path(UNWRITABLE) / name,
        "under_file": f["a_file"] / name,
    }[kind]


@pytest.mark.parametrize("kind", ["proc", "under_file"])
@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("generate", "x.parquet"),
        ("label", "x.parquet"),
        ("predict", "x.parquet"),
        ("train", "model"),
        ("growth", "x.parquet"),
        ("snapshot", "x.h5"),
        ("generate3d", "x.parquet"),
        ("transport", "x.parquet"),
        ("evaluate", "rep"),
        ("reproduce", "rep"),
        ("tune", "tune"),
        ("calibration", "cal"),
        ("seeds", "s.md"),
    ],
)
def test_unwritable_output_fails_before_work(
    nulearn: Callable[..., object],
    fx: dict[str, Path],
    tmp_path: Path,
    command: str,
    name: str,
    kind: str,
) -> None:
    target = _unwritable(fx, kind, name)
    extra = {
        "generate": ["flavor", "generate", "--n", "10", "--no-progress", "--out", target],
        "snapshot": ["flavor", "snapshot", "--shape", "4", "--no-progress", "--out", target],
        "generate3d": ["flavor", "generate3d", "--n", "10", "--out", target],
        "transport": ["flavor", "transport", "--profiles", "1", "--no-progress", "--out", target],
        "reproduce": ["flavor", "reproduce", "--size", "200", "--jobs", "1", "--out", target],
    }
    if command in extra:
        args = extra[command]
    else:
        args = _table_commands(fx, fx["xln"], tmp_path / "o")[command]
        args = [target if isinstance(a, Path) and a.parent == tmp_path / "o" else a for a in args]
    result = nulearn(*args)
    _refused(result, tmp_path / "nothing", "cannot write")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["flavor", "generate", "--n", "10", "--out", "{tmp}/x.csv"], "must end in .parquet"),
        (["flavor", "generate", "--n", "10", "--out", "{tmp}/x"], "must end in .parquet"),
        (["flavor", "generate", "--n", "0", "--out", "{tmp}/x.parquet"], "--n"),
        (["flavor", "generate", "--n", "-5", "--out", "{tmp}/x.parquet"], "--n"),
        (["flavor", "generate", "--scheme", "foo", "--out", "{tmp}/x.parquet"], "--scheme"),
        (["flavor", "snapshot", "--shape", "0", "4", "--out", "{tmp}/x.h5"], "shape"),
        (["flavor", "train", "--model", "foo", "--data", "{xln}", "--out", "{tmp}/m"], "--model"),
        (["flavor", "reproduce", "--size", "0", "--out", "{tmp}/r"], "--size"),
        (["flavor", "train", "--model", "lr", "--data", "{xln}", "--out", "{folder}"], "holds other files"),
        (["flavor", "predict", "{tmp}/none", "--in", "{xln}", "--out", "{tmp}/o.parquet"], "no such folder"),
        (["flavor", "train", "--model", "mlp", "--data", "{xln}", "--config", "{yaml}", "--out", "{tmp}/m"], "garbage.yaml"),
        (["flavor", "nope"], "No such command"),
    ],
)  # fmt: skip
def test_usage_and_value_errors_are_one_line(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path, args: list[str], named: str
) -> None:
    out = tmp_path / "w"
    out.mkdir()
    subs = {
        "{tmp}": str(out),
        "{xln}": str(fx["xln"]),
        "{folder}": str(fx["a_folder"]),
        "{yaml}": str(fx["garbage_yaml"]),
    }
    filled = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        filled.append(a)
    _refused(nulearn(*filled), out, named)
    assert (fx["a_folder"] / "keep.txt").exists()


def test_unreachable_storage_fails_fast(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path
) -> None:
    import time

    out = tmp_path / "tune"
    t0 = time.perf_counter()
    result = nulearn(
        "flavor", "tune", "--data", fx["xln"], "--n-trials", "1", "--config", fx["tiny_mlp"],
        "--storage", "postgresql://nobody:secret@127.0.0.1:1/db", "--out", out,
    )  # fmt: skip
    assert time.perf_counter() - t0 < 15
    _refused(result, tmp_path / "tune", "cannot reach the Optuna storage")
    assert "secret" not in result.stderr


def test_predict_accepts_raw_moments_and_marks_the_training_domain(
    nulearn: Callable[..., object], fx: dict[str, Path], tmp_path: Path
) -> None:
    from nulearn.flavor.data.tables import read_dataset

    feats = pd.read_parquet(fx["xln"])
    raw = pd.DataFrame({"n_nue": 2.0 * np.ones(len(feats))})
    for s, col in (("nuebar", "alpha"), ("nux", "alpha_x"), ("nuxbar", "alpha_xbar")):
        raw[f"n_{s}"] = 2.0 * feats[col]
    for s in ("nue", "nuebar", "nux", "nuxbar"):
        raw[f"F_{s}"] = feats[f"F_{s}"]
    raw.loc[raw.index[7], "n_nuebar"] = 2.0 * 40.0  # a density ratio of 40, far outside training
    raw.to_parquet(tmp_path / "raw.parquet")
    result = nulearn(
        "flavor", "predict", fx["lr_xln"], "--in", tmp_path / "raw.parquet",
        "--out", tmp_path / "p.parquet",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = read_dataset(tmp_path / "p.parquet").frame
    assert not out["in_domain"].iloc[7]
    assert out["in_domain"].mean() > 0.98
    direct = nulearn(
        "flavor", "predict", fx["lr_xln"], "--in", fx["xln"], "--out", tmp_path / "q.parquet"
    )
    assert direct.exit_code == 0
    q = read_dataset(tmp_path / "q.parquet").frame
    same = np.arange(len(q)) != 7
    np.testing.assert_allclose(out["p_crossing"][same], q["p_crossing"][same], rtol=1e-12)
