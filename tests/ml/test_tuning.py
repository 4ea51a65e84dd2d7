"""Tests of nulearn.ml.tuning (Optuna studies, resume, pruning) and of the MLP search on top of it.

The ``postgres`` test starts a real PostgreSQL server (Debian package ``postgresql``; binaries
under /usr/lib/postgresql/*/bin) in a temporary folder on 127.0.0.1, runs two
``nulearn flavor tune`` worker processes on one study, and stops the server afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch

from nulearn.flavor.models.mlp.classifier import MLPClassifier, MLPConfig
from nulearn.flavor.models.mlp.tuning import SearchSpace, suggest_config, tune_mlp
from nulearn.ml.tuning import (
    PruningCallback,
    create_study,
    default_storage,
    driver_url,
    finished_trials,
    make_pruner,
    run_trials,
    trials_frame,
)

torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)

TINY = MLPConfig(max_epochs=3, batch_size=256, num_threads=1, accelerator="cpu", calibration="none")
TINY_SPACE = SearchSpace(n_layers=(1, 2), widths=(8, 16), batch_sizes=(256, 512))


def _data(n: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, (X[:, 0] - X[:, 2] > 0.8).astype(np.int64)


def _quadratic(trial: optuna.Trial) -> float:
    return (trial.suggest_float("x", -2.0, 2.0) - 0.5) ** 2


def test_default_storage_is_a_sqlite_file(tmp_path: Path) -> None:
    url = default_storage("my-study", tmp_path / "sub")
    assert url == f"sqlite:///{(tmp_path / 'sub' / 'my-study.optuna.db').resolve()}"
    assert (tmp_path / "sub").is_dir()
    with pytest.raises(ValueError, match="path separators"):
        default_storage("a/b")


def test_study_resumes_and_counts_finished_trials(tmp_path: Path) -> None:
    study = create_study("resume", directory=tmp_path, seed=1, heartbeat_interval=None)
    run_trials(study, _quadratic, n_trials=2)
    # A new process (here: a new Study object on the same file) continues to the target.
    again = create_study("resume", directory=tmp_path, seed=1, heartbeat_interval=None)
    assert len(finished_trials(again)) == 2
    run_trials(again, _quadratic, n_trials=4)
    assert len(finished_trials(again)) == 4
    xs = [t.params["x"] for t in again.trials]
    assert len(set(xs)) == 4, "a resumed study must not replay the first suggestions"
    run_trials(again, _quadratic, n_trials=4)  # target reached: nothing runs
    assert len(again.trials) == 4
    frame = trials_frame(again)
    assert {"number", "state", "value", "params_x", "worker"} <= set(frame.columns)
    assert frame["worker"].str.endswith(f":{os.getpid()}").all()


@pytest.mark.filterwarnings(
    "ignore:Heartbeat of storage is supposed to be used with Study.optimize"
)
def test_stale_trial_of_a_dead_worker_is_retried(tmp_path: Path) -> None:
    study = create_study("stale", directory=tmp_path, seed=0, heartbeat_interval=1)
    trial = study.ask({"x": optuna.distributions.FloatDistribution(-2.0, 2.0)})
    # Simulate a worker that sent one heartbeat and then died mid-trial.
    study._storage.record_heartbeat(trial._trial_id)  # type: ignore[attr-defined]
    time.sleep(5.0)  # grace period = 3 heartbeat intervals, with margin for a loaded machine
    run_trials(study, _quadratic, n_trials=2)
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.FAIL
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == trial.number]
    assert retried and retried[0].params["x"] == study.trials[0].params["x"]
    assert len(finished_trials(study)) == 2


def test_argument_validation() -> None:
    with pytest.raises(ValueError, match="direction"):
        create_study("x", storage="sqlite://", direction="up")
    with pytest.raises(ValueError, match="pruner 'best' unknown"):
        make_pruner("best")
    study = create_study("x", storage="sqlite://", heartbeat_interval=None)
    with pytest.raises(ValueError, match="n_trials = 0"):
        run_trials(study, _quadratic, n_trials=0)


def test_pruning_callback_prunes_through_lightning() -> None:
    X, y = _data()
    # Any validation F1 below 1.01 is "poor": the trial must stop after its first epoch.
    study = create_study(
        "prune",
        storage="sqlite://",
        direction="maximize",
        pruner=optuna.pruners.ThresholdPruner(lower=1.01),
        heartbeat_interval=None,
    )

    def objective(trial: optuna.Trial) -> float:
        clf = MLPClassifier(TINY, hidden_layers=(8,), max_epochs=5)
        clf.fit(X, y, callbacks=[PruningCallback(trial, "val_f1")])
        return float(clf.validation_["f1"])

    run_trials(study, objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]
    assert 0.0 < trial.intermediate_values[0] <= 1.0


def test_suggest_config_covers_the_space() -> None:
    fixed = optuna.trial.FixedTrial(
        {
            "n_layers": 4,
            "width": 256,
            "taper": True,
            "dropout": 0.1,
            "batch_norm": False,
            "weight_decay": 1e-4,
            "batch_size": 8192,
            "learning_rate": 3e-3,
            "schedule": "step",
        }
    )
    cfg = suggest_config(fixed, MLPConfig(max_epochs=7), SearchSpace())  # type: ignore[arg-type]
    assert cfg.hidden_layers == (256, 256, 128, 128)
    assert (cfg.batch_norm, cfg.schedule, cfg.batch_size, cfg.max_epochs) == (
        False,
        "step",
        8192,
        7,
    )
    with pytest.raises(ValueError, match="schedules"):
        SearchSpace(schedules=("linear",))


def test_tune_mlp_end_to_end(tmp_path: Path) -> None:
    X, y = _data()
    res = tune_mlp(
        X, y, n_trials=2, study_name="mlp", directory=tmp_path, base=TINY, space=TINY_SPACE, seed=0
    )
    assert len(finished_trials(res.study)) == 2
    assert 0.0 < res.best_f1 <= 1.0
    best = res.study.best_trial
    assert res.best_config.batch_size == best.params["batch_size"]
    assert len(res.best_config.hidden_layers) == best.params["n_layers"]
    assert res.best_config.max_epochs == TINY.max_epochs  # unsearched fields come from the base
    assert (tmp_path / "mlp.optuna.db").is_file()


# -- PostgreSQL: two workers, one study ---------------------------------------------------------
def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server on 127.0.0.1 and yield its SQLAlchemy URL."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
            "or on PATH; install the Debian package 'postgresql' (make system-deps)"
        )
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="nulearn-pg-")
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the server as the 'postgres' system user.
        user = "postgres" if _has_user("postgres") else "nobody"
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
        prefix = (
            ["runuser", "-u", user, "--"]
            if shutil.which("runuser")
            else ["su", user, "-s", "/bin/sh", "-c"]
        )
    data, log = os.path.join(root, "data"), os.path.join(root, "server.log")
    port = _free_port()

    def run(cmd: list[str]) -> None:
        full = prefix + ([" ".join(cmd)] if prefix[:1] == ["su"] else cmd)
        subprocess.run(full, check=True, capture_output=True, timeout=120, cwd=root)

    try:
        run([str(bindir / "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"])
        opts = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        run([str(bindir / "pg_ctl"), "-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start"])
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.mark.postgres
def test_two_workers_share_a_postgres_study(postgres_url: str, tmp_path: Path) -> None:
    import pandas as pd

    X, y = _data(800, seed=3)
    data = tmp_path / "train.parquet"
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(crossing=y).to_parquet(data)
    (tmp_path / "cfg.yaml").write_text(TINY.to_yaml())
    cmd = [
        sys.executable,
        "-c",
        "from nulearn.cli import main; main()",
        "flavor",
        "tune",
        "--data",
        str(data),
        "--features",
        "a,b,c",
        "--config",
        str(tmp_path / "cfg.yaml"),
        "--n-trials",
        "3",
        "--study-name",
        "shared",
        "--storage",
        postgres_url,
        "--layers",
        "1,2",
        "--widths",
        "8,16",
        "--batch-sizes",
        "256,512",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [*cmd, "--out", str(tmp_path / f"w{i}"), "--seed", str(i)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    for w, text in zip(workers, outputs, strict=True):
        assert w.returncode == 0, text
    study = optuna.load_study(study_name="shared", storage=driver_url(postgres_url))
    n_done = len(finished_trials(study))
    # One shared target of 3: a trial in flight when the other worker reached it may add one.
    assert 3 <= n_done <= 4, n_done
    assert sorted(t.number for t in study.trials) == list(range(len(study.trials)))
    for i in range(2):
        # Each worker stops only once the shared study holds the target, and reports all of it.
        assert (tmp_path / f"w{i}" / "best_config.yaml").is_file()
        seen = pd.read_csv(tmp_path / f"w{i}" / "trials.csv")
        assert seen["state"].isin(["COMPLETE", "PRUNED"]).sum() >= 3, seen
