"""Bad inputs to every ``nulearn cosmo`` command: one ``nulearn: error:`` line, exit status 2, the
file or quantity named, and no output left behind.

The matrices run the real console entry point (:func:`nulearn.cli.main`, through the ``nulearn``
fixture) on tiny 16² maps drawn from an analytic C_ℓ table (CAMB never runs) and on an untrained
CNN saved in the real model format, so every case costs well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from nulearn.cosmo.data.files import load_maps, save_maps
from nulearn.cosmo.data.maps import MapConfig
from nulearn.cosmo.evaluation.comparison import compare_paired, verdict
from nulearn.cosmo.models.classifier import CNNClassifier, MapClassifierModule
from nulearn.cosmo.models.network import LensingCNNConfig
from nulearn.cosmo.models.regressor import CNNRegressor, MapRegressorModule
from nulearn.cosmo.study.run import simulate_map_file

from .conftest import power_law_table

TINY = MapConfig(n_pix=16, side_deg=2.0, n_gal=None, amplitude_jitter=0.0)


def assert_refused(result: object, *needles: str, absent: tuple[Path, ...] = ()) -> None:
    """Exit status 2, exactly one stderr line ``nulearn: error: ...`` containing every needle,
    and none of the ``absent`` paths written."""
    code, out, err = result.exit_code, result.stdout, result.stderr  # type: ignore[attr-defined]
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("nulearn: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    for path in absent:
        assert not path.exists(), f"{path} was left behind"
    leftovers = [p for path in absent for p in path.parent.glob(f".{path.name}*")]
    assert not leftovers, leftovers


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good and damaged inputs, made once for the module."""
    d = tmp_path_factory.mktemp("cosmo_inputs")
    f: dict[str, Path] = {"dir": d}
    f["spectra"] = d / "cl.npz"
    power_law_table(suppression=0.5).save(f["spectra"])
    f["maps"] = d / "maps.h5"
    simulate_map_file(f["maps"], TINY, 8, spectra=f["spectra"], seed=1)
    good = load_maps(f["maps"])
    for name, value in (("nan", np.nan), ("inf", np.inf)):
        bad = replace(good, maps=good.maps.copy())
        bad.maps[3, 5, 7] = value
        f[f"{name}_maps"] = save_maps(bad, d / f"{name}_maps.h5")
    f["bad_labels"] = save_maps(replace(good, labels=np.full(len(good), 2)), d / "labels2.h5")
    f["one_class"] = save_maps(replace(good, labels=np.ones(len(good), int)), d / "one.h5")
    other = replace(good, maps=good.maps[:, :8, :8], config=replace(TINY, n_pix=8))
    f["other_config"] = save_maps(other, d / "n8.h5")
    raw = f["maps"].read_bytes()
    f["truncated_h5"] = d / "truncated.h5"
    f["truncated_h5"].write_bytes(raw[: len(raw) // 3])
    f["empty"] = d / "empty.h5"
    f["empty"].write_bytes(b"")
    f["text"] = d / "notes.h5"
    f["text"].write_text("these are not maps\n")
    f["foreign_h5"] = d / "foreign.h5"
    with h5py.File(f["foreign_h5"], "w") as h5:
        h5.create_dataset("x", data=np.zeros(3))
    # an untrained classifier and regressor in the real file format (no training needed)
    cfg = LensingCNNConfig(stem_channels=2, body_channels=(4,), hidden=4)
    clf = CNNClassifier(cfg)
    clf.module_, clf.mean_, clf.scale_ = MapClassifierModule(cfg), 0.0, float(good.maps.std())
    clf.classes_ = np.array([0, 1])
    f["model"] = d / "cnn.pt"
    clf.save(f["model"])
    with torch.no_grad():
        next(clf.module_.parameters()).fill_(float("nan"))
    f["nan_model"] = d / "nan_cnn.pt"
    clf.save(f["nan_model"])
    reg = CNNRegressor(cfg)
    reg.members_, reg.mean_, reg.scale_ = [MapRegressorModule(cfg)], 0.0, 1.0
    f["regressor"] = d / "reg.pt"
    reg.save(f["regressor"])
    blob = f["model"].read_bytes()
    f["truncated_pt"] = d / "truncated.pt"
    f["truncated_pt"].write_bytes(blob[: len(blob) // 2])
    f["empty_pt"] = d / "empty.pt"
    f["empty_pt"].write_bytes(b"")
    f["foreign_pt"] = d / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, f["foreign_pt"])
    f["pickled_pt"] = d / "pickled.pt"
    torch.save(torch.nn.Linear(2, 2), f["pickled_pt"])
    f["text_pt"] = d / "notes.pt"
    f["text_pt"].write_text("not a model\n")
    # C_ℓ tables that cannot make maps
    t = power_law_table()
    np.savez(d / "equal_nodes.npz", **_table(t, m_nu=np.array([0.0, 0.0])))
    np.savez(d / "nan_cl.npz", **_table(t, cl=np.where(t.cl > 0, np.nan, 0)))
    np.savez(d / "empty_table.npz")
    (d / "text_table.npz").write_text("ell m_nu\n1 2\n")
    (d / "truncated_table.npz").write_bytes(f["spectra"].read_bytes()[:300])
    f["a_file"] = d / "a_file.txt"
    f["a_file"].write_text("x")
    return f


def _table(t: object, **changes: object) -> dict[str, object]:
    arrays = {k: getattr(t, k) for k in ("ell", "m_nu", "amplitude_factors", "cl")}
    return {**arrays, "lognormal_shift": t.lognormal_shift, **changes}  # type: ignore[attr-defined]


SIMULATE = ["--n-pix", "16", "--side-deg", "2", "--n-gal", "0", "--n-per-class", "4"]

#: (case, extra arguments with {placeholders} for files, words the error line must contain)
SIMULATE_CASES = [
    ("massless vs massless", ["--m-nu", "0"], ["M_ν of the massive class = 0.0 eV", "> 0"]),
    ("zero maps", ["--n-per-class", "0"], ["--n-per-class", "greater than or equal to 1"]),
    ("odd size", ["--n-pix", "9"], ["n_pix = 9"]),
    ("negative jitter", ["--jitter", "-0.1"], ["--jitter"]),
    ("equal M_ν nodes", ["--spectra", "{dir}/equal_nodes.npz"], ["equal_nodes.npz", "m_nu[1]"]),
    ("NaN C_ℓ", ["--spectra", "{dir}/nan_cl.npz"], ["nan_cl.npz", "cl[0, 0, 0] = nan"]),
    ("empty .npz", ["--spectra", "{dir}/empty_table.npz"], ["empty_table.npz", "lacks arrays"]),
    ("text as .npz", ["--spectra", "{dir}/text_table.npz"], ["text_table.npz", "not a readable"]),
    ("truncated .npz", ["--spectra", "{dir}/truncated_table.npz"], ["truncated_table.npz"]),
    ("table misses M_ν", ["--m-nu", "0.2"], ["cl.npz", "M_ν = 0.2 eV"]),
    # checked before CAMB would compute the table
    ("unwritable table", ["--spectra", "/proc/nulearn/cl.npz"], ["/proc/nulearn/cl.npz"]),
    ("table without .npz", ["--spectra", "{dir}/cl_table.txt"], ["cl_table.txt", ".npz"]),
]

UNWRITABLE = [
    ("/proc/nulearn/{name}", "/proc"),
    ("{dir}/a_file.txt/{name}", "a_file.txt is a file"),
]


def _args(args: list[str], f: dict[str, Path]) -> list[str]:
    return [a.format(dir=f["dir"], **{k: v for k, v in f.items() if k != "dir"}) for a in args]


@pytest.mark.parametrize(
    ("case", "extra", "needles"), SIMULATE_CASES, ids=[c[0] for c in SIMULATE_CASES]
)
def test_simulate_refuses(
    nulearn: Callable[..., object],
    files: dict[str, Path],
    case: str,
    extra: list[str],
    needles: list[str],
) -> None:
    out = files["dir"] / f"sim_{case.replace(' ', '_')}.h5"
    args = ["cosmo", "simulate", "--out", out, *SIMULATE, "--spectra", files["spectra"]]
    assert_refused(nulearn(*args, *_args(extra, files)), *needles, absent=(out,))


def _unwritable(f: dict[str, Path], name: str) -> list[tuple[str, Path | None, str]]:
    """(path, path that must not exist afterwards, words of the error) of outputs that cannot
    be written: under /proc, under a regular file, a folder where a file is expected, a suffix
    the writer does not produce (``name``'s suffix decides which apply)."""
    cases = [(p.format(dir=f["dir"], name=name), None, w) for p, w in UNWRITABLE]
    if "." in name:
        folder = f["dir"] / f"a_folder{Path(name).suffix}"
        folder.mkdir(exist_ok=True)
        cases.append((str(folder), None, f"{folder.name}: it is a folder"))
        cases.append((str(f["dir"] / "out.txt"), f["dir"] / "out.txt", "must end in"))
    else:
        cases.append((str(f["a_file"]), None, "a_file.txt: it is a file"))
    return cases


@pytest.mark.parametrize("index", range(4))
def test_every_writer_refuses_an_unwritable_output(
    nulearn: Callable[..., object], files: dict[str, Path], index: int
) -> None:
    f = files
    commands = {
        "x.h5": ["cosmo", "simulate", *SIMULATE, "--spectra", f["spectra"]],
        "x.pt": ["cosmo", "train", "--maps", f["maps"], "--epochs", "1"],
        "report": ["cosmo", "evaluate", "--train", f["maps"], "--test", f["maps"]],
        "saliency": ["cosmo", "saliency", "--model", f["model"], "--maps", f["maps"]],
    }
    for name, command in commands.items():
        cases = _unwritable(f, name)
        if index >= len(cases):
            continue
        path, absent, needle = cases[index]
        result = nulearn(*command, "--out", path)
        assert_refused(result, needle, absent=() if absent is None else (absent,))


#: (case, file key passed as --maps, words of the error line)
MAP_CASES = [
    ("NaN pixel", "nan_maps", ["nan_maps.h5", "maps[3, 5, 7] = nan", "finite"]),
    ("infinite pixel", "inf_maps", ["inf_maps.h5", "maps[3, 5, 7] = inf"]),
    ("empty file", "empty", ["empty.h5", "empty"]),
    ("truncated HDF5", "truncated_h5", ["truncated.h5", "not a readable HDF5"]),
    ("text file", "text", ["notes.h5", "not a readable HDF5"]),
    ("foreign HDF5", "foreign_h5", ["foreign.h5", "not a nulearn map file", "maps"]),
    ("labels not 0/1", "bad_labels", ["labels2.h5", "labels[0] = 2"]),
]


@pytest.mark.parametrize(("case", "key", "needles"), MAP_CASES, ids=[c[0] for c in MAP_CASES])
@pytest.mark.parametrize("command", ["train", "evaluate", "saliency"])
def test_bad_maps_are_refused(
    nulearn: Callable[..., object],
    files: dict[str, Path],
    tmp_path: Path,
    command: str,
    case: str,
    key: str,
    needles: list[str],
) -> None:
    bad = files[key]
    if command == "train":
        out = tmp_path / "cnn.pt"
        args = ["cosmo", "train", "--maps", bad, "--out", out, "--epochs", "1"]
    elif command == "evaluate":
        out = tmp_path / "report"
        args = ["cosmo", "evaluate", "--train", files["maps"], "--test", bad, "--out", out]
        args += ["--model", files["model"]]
    else:
        out = tmp_path / "saliency"
        args = ["cosmo", "saliency", "--model", files["model"], "--maps", bad, "--out", out]
    assert_refused(nulearn(*args), *needles, absent=(out, tmp_path / ".cnn_checkpoints"))


def test_missing_maps_are_named(nulearn: Callable[..., object], tmp_path: Path) -> None:
    result = nulearn(
        "cosmo", "train", "--maps", tmp_path / "nowhere.h5", "--out", tmp_path / "m.pt"
    )
    assert_refused(result, "nowhere.h5", "no such file", absent=(tmp_path / "m.pt",))


def test_train_needs_both_classes(
    nulearn: Callable[..., object], files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "cnn.pt"
    result = nulearn("cosmo", "train", "--maps", files["one_class"], "--out", out)
    assert_refused(result, "one.h5", "both classes", absent=(out,))


#: (case, file key passed as --model, words of the error line)
MODEL_CASES = [
    ("truncated .pt", "truncated_pt", ["truncated.pt", "truncated"]),
    ("empty .pt", "empty_pt", ["empty.pt"]),
    ("foreign .pt", "foreign_pt", ["foreign.pt", "missing"]),
    ("pickled object", "pickled_pt", ["pickled.pt", "pickled Python objects"]),
    ("text as .pt", "text_pt", ["notes.pt", "not a PyTorch weights file"]),
    ("NaN weights", "nan_model", ["nan_cnn.pt", "not finite"]),
    ("regressor for a classifier", "regressor", ["reg.pt", "regressor, not a classifier"]),
]


@pytest.mark.parametrize(("case", "key", "needles"), MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
@pytest.mark.parametrize("command", ["evaluate", "saliency"])
def test_bad_models_are_refused(
    nulearn: Callable[..., object],
    files: dict[str, Path],
    tmp_path: Path,
    command: str,
    case: str,
    key: str,
    needles: list[str],
) -> None:
    out = tmp_path / "report"
    if command == "evaluate":
        args = ["cosmo", "evaluate", "--train", files["maps"], "--test", files["maps"]]
    else:
        args = ["cosmo", "saliency", "--maps", files["maps"]]
    assert_refused(nulearn(*args, "--model", files[key], "--out", out), *needles, absent=(out,))


def test_saliency_refuses_more_maps_than_the_file_holds(
    nulearn: Callable[..., object], files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "sal"
    result = nulearn(
        "cosmo", "saliency", "--model", files["model"], "--maps", files["maps"],
        "--n-maps", "100", "--out", out,
    )  # fmt: skip
    assert_refused(result, "--n-maps 100", "holds only 16 maps", absent=(out,))


def test_evaluate_refuses_maps_made_differently(
    nulearn: Callable[..., object], files: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = nulearn(
        "cosmo", "evaluate", "--train", files["maps"], "--test", files["other_config"],
        "--out", out,
    )  # fmt: skip
    assert_refused(result, "n8.h5", "n_pix 16 vs 8", absent=(out,))


def test_chance_level_cnn_13_points_below_the_optimum_is_not_a_pass() -> None:
    """The case that used to PASS: 128 test maps, optimum 63 %, a coin-flipping CNN 50 %."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 128)
    optimum = np.where(np.arange(128) < 81, y, 1 - y)  # 81/128 = 63 % correct
    cnn = rng.integers(0, 2, 128)
    cmp = compare_paired(y, cnn, optimum)
    assert -0.2 < cmp.difference < -0.08 and cmp.n == 128
    status = verdict(cmp)
    assert status.startswith("undecided (128 test maps too few: ± ") and "PASS" not in status
    # the same gap measured on enough maps is decided, and a CNN at the optimum passes
    many = replace(cmp, stderr=cmp.stderr / 10, n=12800)
    assert verdict(many) == "FAIL (short)"
    assert verdict(replace(many, difference=-0.002)) == "PASS"


def test_identical_predictions_on_few_maps_do_not_decide() -> None:
    """Zero spread is not zero error: agreement on 10 maps cannot certify a 2-point tolerance."""
    y = np.array([0, 1] * 5)
    cmp = compare_paired(y, y, y)
    assert cmp.stderr == pytest.approx(0.1)
    assert verdict(cmp).startswith("undecided (10 test maps")


def test_evaluate_gives_no_verdict_a_small_test_set_cannot_support(
    nulearn: Callable[..., object], files: dict[str, Path], tmp_path: Path
) -> None:
    result = nulearn(
        "cosmo", "evaluate", "--train", files["maps"], "--test", files["maps"],
        "--model", files["model"], "--out", tmp_path / "report", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    last = result.stdout.strip().splitlines()[-2]  # type: ignore[attr-defined]
    assert last.startswith("CNN − likelihood ratio") and "PASS" not in last
    status = last.split(": ", 1)[1]
    assert status.startswith(("undecided (16 test maps too few: ± ", "FAIL (short)")), status
    assert status in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "--n-per-class", "-2"], "--n-per-class"),
        (["simulate", "--n-pix", "4"], "--n-pix"),
        (["simulate", "--m-nu", "0.5"], "--m-nu"),
        (["train", "--maps", "m.h5", "--epochs", "0"], "--epochs"),
        (["train", "--maps", "m.h5", "--patience", "0"], "--patience"),
        (["train", "--maps", "m.h5", "--ensemble", "0"], "--ensemble"),
        (["train", "--maps", "m.h5", "--threads", "0"], "--threads"),
        (["saliency", "--model", "m.pt", "--maps", "m.h5", "--n-maps", "0"], "--n-maps"),
        (["saliency", "--model", "m.pt", "--maps", "m.h5", "--steps", "1"], "--steps"),
    ],
)
def test_sizes_must_be_positive(
    nulearn: Callable[..., object], tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / ("out.h5" if args[0] == "simulate" else "out.pt")
    assert_refused(nulearn("cosmo", *args, "--out", out), needle, absent=(out,))
