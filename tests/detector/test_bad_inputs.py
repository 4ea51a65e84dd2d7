"""Bad inputs to every ``nulearn detector`` command: one ``nulearn: error:`` line, exit status 2,
the file or quantity named, and no output left behind.

The CVN cases run on a synthetic sample in the open sample's layout (so they need no download),
the TPC cases on a few simulated events and an untrained generator in the real file format.
Everything runs through the console entry point (:func:`nulearn.cli.main`, the ``nulearn``
fixture).
"""

from __future__ import annotations

import shutil
import zlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from nulearn.detector.cvn.data.pixel_maps import FLAVOUR_SUBDIRS, N_TICKS, N_VIEWS, N_WIRES
from nulearn.detector.tpc.data.labels import LabelGeometry
from nulearn.detector.tpc.models.gan_training import WGANGP, save_generator
from nulearn.detector.tpc.physics.config import TPCConfig

Run = Callable[..., object]


def assert_refused(result: object, *needles: str, absent: tuple[Path, ...] = ()) -> None:
    """Exit status 2, exactly one stderr line ``nulearn: error: ...`` containing every needle,
    and none of the ``absent`` paths (nor a temporary sibling of one) written."""
    code, out, err = result.exit_code, result.stdout, result.stderr  # type: ignore[attr-defined]
    lines = err.strip().splitlines()
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("nulearn: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    for path in absent:
        assert not path.exists(), f"{path} was left behind"
        leftovers = list(path.parent.glob(f".{path.name}*"))
        assert not leftovers, leftovers


def _unwritable(d: Path, name: str) -> list[tuple[str, str]]:
    """Outputs that cannot be written, with words of their error: under /proc, under a regular
    file, a folder where a file is expected (or a file where a folder is), a wrong suffix."""
    a_file = d / "a_file.txt"
    a_file.write_text("x")
    cases = [(f"/proc/nulearn/{name}", "/proc"), (f"{a_file}/{name}", "a_file.txt is a file")]
    if "." in name:
        folder = d / f"a_folder{Path(name).suffix}"
        folder.mkdir(exist_ok=True)
        cases += [(str(folder), "it is a folder"), (str(d / "out.txt"), "must end in")]
    else:
        cases.append((str(a_file), "a_file.txt: it is a file"))
    return cases


# -- CVN ------------------------------------------------------------------------------------------
def _write_event(stem: Path, flavour: int, rng: np.random.Generator) -> None:
    pixels = np.zeros(N_VIEWS * N_WIRES * N_TICKS, dtype=np.uint8)
    hits = rng.integers(0, pixels.size, 400)
    pixels[hits] = rng.integers(1, 255, hits.size)
    stem.with_suffix(".gz").write_bytes(zlib.compress(pixels.tobytes()))
    info = [4 * flavour, 2.5, 1.0, 0, 0, 0, 0, 14, 1, 0, 0, 1, 1]
    stem.with_suffix(".info").write_text("\n".join(str(v) for v in info) + "\n")


@pytest.fixture(scope="module")
def cvn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A synthetic sample of 3 events per class, variants of it with one damaged file, and a run
    folder trained on it (2 folds, 1 epoch, 16² images)."""
    from nulearn.cli import main

    d = tmp_path_factory.mktemp("cvn")
    rng = np.random.default_rng(0)
    sample = d / "sample"
    for flavour, sub in enumerate(FLAVOUR_SUBDIRS):
        (sample / sub).mkdir(parents=True)
        for k in range(3):
            _write_event(sample / sub / f"event{k}", flavour, rng)
    damaged = {
        "truncated_map": lambda s: (s / "nue/event1.gz").write_bytes(b"\x78\x9c\x01"),
        "garbage_info": lambda s: (s / "nc/event2.info").write_text("x\n" * 13),
        "wrong_folder": lambda s: (s / "numu/event0.info").write_text("4\n" + "1\n" * 12),
        "missing_info": lambda s: (s / "nutau/event0.info").unlink(),
    }
    paths = {"dir": d, "sample": sample}
    for name, damage in damaged.items():
        paths[name] = d / name
        shutil.copytree(sample, paths[name])
        damage(paths[name])
    paths["run"] = d / "run"
    args = ["detector", "cvn", "train", "--data", str(sample), "--out", str(paths["run"])]
    args += ["--per-class", "3", "--folds", "2", "--max-epochs", "1", "--ensemble", "0"]
    try:
        main([*args, "--image-size", "16", "--no-progress"])
    except SystemExit as done:
        assert done.code in (0, None)
    damaged_runs = {
        "garbage_settings": lambda r: (r / "settings.yaml").write_text("n_folds: [\n"),
        "unknown_setting": lambda r: (r / "settings.yaml").write_text("n_fold: 2\n"),
        "truncated_model": lambda r: (r / "models/fold0.pt").write_bytes(
            (r / "models/fold0.pt").read_bytes()[:100]
        ),
        "foreign_model": lambda r: torch.save({"w": torch.zeros(2)}, r / "models/fold1.pt"),
        "empty_maps": lambda r: np.savez(r / "pixel_maps.npz"),
        "text_predictions": lambda r: (r / "predictions.parquet").write_text("flavour,fold\n"),
    }
    for name, damage in damaged_runs.items():
        paths[name] = d / name
        shutil.copytree(paths["run"], paths[name])
        damage(paths[name])
    return paths


TRAIN = ["--folds", "2", "--max-epochs", "1", "--ensemble", "0", "--image-size", "16"]

#: (case, sample key, extra arguments, words of the error line)
CVN_TRAIN_CASES = [
    ("per class beyond the sample", "sample", ["--per-class", "500"],
     ["events per class = 500", "numu 3, nue 3, nutau 3, nc 3"]),
    ("more folds than events", "sample", ["--per-class", "3", "--folds", "4"],
     ["folds = 4", "numu 3"]),
    ("zero folds", "sample", ["--folds", "1"], ["--folds"]),
    ("too small images", "sample", ["--image-size", "4"], ["--image-size"]),
    ("truncated pixel map", "truncated_map", [], ["nue/event1.gz", "not a readable"]),
    ("garbage truth", "garbage_info", [], ["nc/event2.info", "line 1", "'x'"]),
    ("code of another folder", "wrong_folder", [], ["numu/event0.info", "nue_cc", "numu/"]),
    ("missing truth", "missing_info", [], ["nutau/event0", "no truth file"]),
    ("missing sample", "nowhere", [], ["nowhere", "not found"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "key", "extra", "needles"), CVN_TRAIN_CASES, ids=[c[0] for c in CVN_TRAIN_CASES]
)
@pytest.mark.parametrize("group", [["detector", "cvn"], ["detector"]], ids=["cvn", "alias"])
def test_cvn_train_refuses(
    nulearn: Run,
    cvn: dict[str, Path],
    tmp_path: Path,
    group: list[str],
    case: str,
    key: str,
    extra: list[str],
    needles: list[str],
) -> None:
    data = cvn.get(key, tmp_path / key)
    out = tmp_path / "run"
    result = nulearn(*group, "train", "--data", data, "--out", out, *TRAIN, *extra)
    assert_refused(result, *needles, absent=(out,))


#: (case, run key, words of the error line)
CVN_RUN_CASES = [
    ("no run folder", "nowhere", ["nowhere", "settings.yaml"]),
    ("garbage settings", "garbage_settings", ["settings.yaml", "not valid YAML"]),
    ("unknown setting", "unknown_setting", ["settings.yaml", "unknown CVNSettings field(s) ['n_fold']"]),
    ("truncated model", "truncated_model", ["fold0.pt", "truncated"]),
    ("foreign model", "foreign_model", ["fold1.pt", "do not fit the network"]),
    ("empty pixel maps", "empty_maps", ["pixel_maps.npz", "lacks arrays"]),
    ("text as parquet", "text_predictions", ["predictions.parquet", "not a readable Parquet"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "key", "needles"), CVN_RUN_CASES, ids=[c[0] for c in CVN_RUN_CASES]
)
@pytest.mark.parametrize("command", [["cvn", "evaluate"], ["cvn", "explain"], ["evaluate"]])
def test_cvn_reports_refuse_a_damaged_run(
    nulearn: Run,
    cvn: dict[str, Path],
    tmp_path: Path,
    command: list[str],
    case: str,
    key: str,
    needles: list[str],
) -> None:
    out = tmp_path / "report"
    run = cvn.get(key, tmp_path / key)
    result = nulearn("detector", *command, "--run", run, "--out", out)
    assert_refused(result, *needles, absent=(out,))


@pytest.mark.parametrize(
    "command",
    [["cvn", "train"], ["cvn", "evaluate"], ["cvn", "explain"], ["train"], ["explain"]],
)
def test_cvn_writers_refuse_unwritable_outputs(
    nulearn: Run, cvn: dict[str, Path], tmp_path: Path, command: list[str]
) -> None:
    inputs = ["--data", cvn["sample"], *TRAIN] if command[-1] == "train" else ["--run", cvn["run"]]
    for path, needle in _unwritable(tmp_path, "out"):
        assert_refused(nulearn("detector", *command, *inputs, "--out", path), needle)


def test_cvn_train_never_replaces_a_folder_that_is_not_a_run(
    nulearn: Run, cvn: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "thesis.tex").write_text("months of work")
    result = nulearn("detector", "cvn", "train", "--data", cvn["sample"], "--out", tmp_path, *TRAIN)
    assert_refused(result, "not a CVN run folder")
    assert (tmp_path / "thesis.tex").read_text() == "months of work"


# -- TPC ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tpc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two simulated events and damaged copies; an untrained generator (0.5-3.5 MeV); configs."""
    from nulearn.detector.tpc.study.events import simulate_events

    d = tmp_path_factory.mktemp("tpc")
    f = {"dir": d, "events": d / "events.npz"}
    simulate_events("bb", 2, TPCConfig(), 0, f["events"])
    good = dict(np.load(f["events"]))
    for name, change in {
        "nan": lambda a: a["waveforms"].__setitem__((1, 40, 300), np.nan),
        "inf": lambda a: a["waveforms"].__setitem__((0, 3, 7), -np.inf),
        "short": lambda a: a.__setitem__("waveforms", a["waveforms"][:, :, :512]),
        "nan_energy": lambda a: a["energy_kev"].__setitem__(1, np.nan),
        "no_events": lambda a: a.update(
            waveforms=a["waveforms"][:0], energy_kev=a["energy_kev"][:0]
        ),
    }.items():
        arrays = {k: v.copy() for k, v in good.items()}
        change(arrays)
        f[name] = d / f"{name}.npz"
        np.savez(f[name], **arrays)
    f["empty_npz"] = d / "empty_archive.npz"
    np.savez(f["empty_npz"])
    f["zero_bytes"] = d / "zero.npz"
    f["zero_bytes"].write_bytes(b"")
    f["truncated"] = d / "truncated.npz"
    f["truncated"].write_bytes(f["events"].read_bytes()[:400])
    f["text"] = d / "notes.npz"
    f["text"].write_text("waveforms\n")
    config = TPCConfig()
    gan = WGANGP(None, geometry=asdict(LabelGeometry.from_config(config)))
    gan.energy_range_kev = (500.0, 3500.0)
    f["gan"] = d / "gan.pt"
    save_generator(gan, f["gan"])
    blob = f["gan"].read_bytes()
    f["gan_truncated"] = d / "gan_truncated.pt"
    f["gan_truncated"].write_bytes(blob[: len(blob) // 2])
    f["gan_empty"] = d / "gan_empty.pt"
    f["gan_empty"].write_bytes(b"")
    f["gan_foreign"] = d / "gan_foreign.pt"
    torch.save({"kind": "classifier", "state_dict": {}}, f["gan_foreign"])
    f["gan_pickled"] = d / "gan_pickled.pt"
    torch.save(torch.nn.Linear(2, 2), f["gan_pickled"])
    with torch.no_grad():
        next(gan.generator.parameters()).fill_(float("nan"))
    f["gan_nan"] = d / "gan_nan.pt"
    save_generator(gan, f["gan_nan"])
    for name, text in {
        "garbage": "drift_length_mm: [\n",
        "unknown": "drift_lenght_mm: 200\n",
        "ill_typed": "drift_length_mm: long\n",
        "not_finite": "electron_lifetime_us: .nan\n",
        "negative": "w_value_ev: -15.6\n",
        "a_list": "- 1\n- 2\n",
        "empty": "",
        "other_detector": "drift_velocity_mm_per_us: 1.2\n",
    }.items():
        f[f"config_{name}"] = d / f"{name}.yaml"
        f[f"config_{name}"].write_text(text)
    return f


#: (case, config key, words of the error line)
CONFIG_CASES = [
    ("garbage", "garbage", ["garbage.yaml", "not valid YAML"]),
    ("unknown key", "unknown", ["unknown.yaml", "['drift_lenght_mm']"]),
    ("ill-typed value", "ill_typed", ["ill_typed.yaml", "drift_length_mm = 'long'", "a number"]),
    ("NaN value", "not_finite", ["not_finite.yaml", "electron_lifetime_us = nan"]),
    ("negative value", "negative", ["negative.yaml", "w_value_ev = -15.6"]),
    ("a list", "a_list", ["a_list.yaml", "got list"]),
    ("empty file", "empty", ["empty.yaml", "empty"]),
    ("missing file", "missing", ["missing.yaml", "no such file"]),
]


def _tpc_command(f: dict[str, Path], command: str, out: Path) -> list[object]:
    """A TPC command that would succeed, writing ``out``."""
    return {
        "simulate": ["simulate", "--n", "1"],
        "reconstruct": ["reconstruct", "--data", f["events"]],
        "train": ["train", "--task", "gan", "--n-train", "8", "--n-test", "8", "--epochs", "1"],
        "generate": ["generate", "--model", f["gan"], "--n", "2"],
    }[command] + ["--out", out]


@pytest.mark.parametrize(("case", "key", "needles"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
@pytest.mark.parametrize("command", ["simulate", "reconstruct", "train", "generate"])
def test_tpc_configs_are_checked(
    nulearn: Run,
    tpc: dict[str, Path],
    tmp_path: Path,
    command: str,
    case: str,
    key: str,
    needles: list[str],
) -> None:
    out = tmp_path / (
        "report" if command == "train" else "out.csv" if command == "reconstruct" else "out.npz"
    )
    config = tpc.get(f"config_{key}", tmp_path / f"{key}.yaml")
    result = nulearn("detector", "tpc", *_tpc_command(tpc, command, out), "--config", config)
    assert_refused(result, *needles, absent=(out,))


#: (case, events key, words of the error line)
WAVEFORM_CASES = [
    ("NaN sample", "nan", ["nan.npz", "waveforms[1, 40, 300] = nan", "event 1, channel 40"]),
    ("infinite sample", "inf", ["inf.npz", "waveforms[0, 3, 7] = -inf", "event 0, channel 3"]),
    ("too few samples", "short", ["short.npz", "(2, 76, 512)", "expected (n_events, 76, 1024)"]),
    ("NaN energy", "nan_energy", ["nan_energy.npz", "energy_kev[1] = nan"]),
    ("no events", "no_events", ["no_events.npz", "no events"]),
    ("empty archive", "empty_npz", ["empty_archive.npz", "lacks arrays ['waveforms', 'energy_kev']"]),
    ("zero bytes", "zero_bytes", ["zero.npz", "empty"]),
    ("truncated archive", "truncated", ["truncated.npz", "not a readable .npz"]),
    ("text file", "text", ["notes.npz", "not a readable .npz"]),
    ("missing file", "missing", ["missing.npz", "no such file"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "key", "needles"), WAVEFORM_CASES, ids=[c[0] for c in WAVEFORM_CASES]
)
def test_tpc_reconstruct_refuses_bad_events(
    nulearn: Run, tpc: dict[str, Path], tmp_path: Path, case: str, key: str, needles: list[str]
) -> None:
    out = tmp_path / "reco.csv"
    data = tpc.get(key, tmp_path / f"{key}.npz")
    result = nulearn("detector", "tpc", "reconstruct", "--data", data, "--out", out)
    assert_refused(result, *needles, absent=(out,))


#: (case, generator key, energy or None, words of the error line)
GENERATE_CASES = [
    ("zero energy", "gan", "0", ["energy = 0 keV", "[500.0, 3500.0] keV"]),
    ("far above the range", "gan", "100000", ["energy = 100000 keV", "[500.0, 3500.0] keV"]),
    ("negative energy", "gan", "-5", ["energy = -5 keV", "training range"]),
    ("NaN energy", "gan", "nan", ["energy = nan keV"]),
    ("truncated generator", "gan_truncated", None, ["gan_truncated.pt", "truncated"]),
    ("empty generator", "gan_empty", None, ["gan_empty.pt", "empty"]),
    ("foreign .pt", "gan_foreign", None, ["gan_foreign.pt", "not a WGAN-GP generator"]),
    ("pickled object", "gan_pickled", None, ["gan_pickled.pt", "pickled Python objects"]),
    ("NaN weights", "gan_nan", None, ["gan_nan.pt", "not finite"]),
    ("missing generator", "missing", None, ["missing.pt", "no such"]),
]


@pytest.mark.parametrize(
    ("case", "key", "energy", "needles"), GENERATE_CASES, ids=[c[0] for c in GENERATE_CASES]
)
def test_tpc_generate_refuses(
    nulearn: Run,
    tpc: dict[str, Path],
    tmp_path: Path,
    case: str,
    key: str,
    energy: str | None,
    needles: list[str],
) -> None:
    out = tmp_path / "gen.npz"
    model = tpc.get(key, tmp_path / f"{key}.pt")
    extra = [] if energy is None else ["--energy", energy]
    result = nulearn("detector", "tpc", "generate", "--model", model, "--out", out, *extra)
    assert_refused(result, *needles, absent=(out,))


def test_tpc_generate_refuses_another_detector(
    nulearn: Run, tpc: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "gen.npz"
    result = nulearn(
        "detector", "tpc", "generate", "--model", tpc["gan"], "--out", out,
        "--config", tpc["config_other_detector"],
    )  # fmt: skip
    assert_refused(result, "gan.pt", "another detector", absent=(out,))


def test_tpc_generate_inside_the_range_works(
    nulearn: Run, tpc: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "gen.npz"
    result = nulearn("detector", "tpc", "generate", "--model", tpc["gan"], "--out", out,
                     "--n", "3", "--energy", "2458")  # fmt: skip
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    labels = np.load(out)["labels"]
    np.testing.assert_allclose(labels[:, 2] * 3000, 2458, rtol=1e-6)


@pytest.mark.parametrize("command", ["simulate", "reconstruct", "train", "generate"])
def test_tpc_writers_refuse_unwritable_outputs(
    nulearn: Run, tpc: dict[str, Path], tmp_path: Path, command: str
) -> None:
    name = {"simulate": "e.npz", "reconstruct": "r.csv", "train": "report", "generate": "g.npz"}
    for path, needle in _unwritable(tmp_path, name[command]):
        args = _tpc_command(tpc, command, Path(path))
        assert_refused(nulearn("detector", "tpc", *args), needle)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["simulate", "--n", "0"], "--n"),
        (["simulate", "--n", "-3"], "--n"),
        (["generate", "--n", "0", "--model", "x.pt"], "--n"),
        (["train", "--n-train", "4"], "--n-train"),
        (["train", "--n-test", "0"], "--n-test"),
        (["train", "--members", "0"], "--members"),
        (["reconstruct", "--data", "x.npz", "--threshold", "-1"], "--threshold"),
    ],
)
def test_tpc_sizes_must_be_positive(
    nulearn: Run, tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "out"
    assert_refused(nulearn("detector", "tpc", *args, "--out", out), needle, absent=(out,))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--per-class", "0"], "--per-class"),
        (["--per-class", "1"], "--per-class"),
        (["--max-epochs", "0"], "--max-epochs"),
        (["--patience", "0"], "--patience"),
        (["--ensemble", "-1"], "--ensemble"),
        (["--tune-trials", "-1"], "--tune-trials"),
        (["--threads", "0"], "--threads"),
    ],
)
def test_cvn_sizes_must_be_positive(
    nulearn: Run, tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "run"
    result = nulearn("detector", "cvn", "train", "--data", tmp_path, "--out", out, *args)
    assert_refused(result, needle, absent=(out,))
