"""Hyperparameter search with Optuna, shared by every pillar.

A study lives in a database so that it survives interruptions and several processes (or
machines) can work on it at once:

- ``storage=None`` puts it in a SQLite file ``<directory>/<name>.optuna.db``;
- any SQLAlchemy URL (``postgresql://user@host:5432/db``, ``mysql://...``) shares it between
  machines.

:func:`create_study` creates the study or loads it when it exists; :func:`run_trials` runs
trials until the study holds ``n_trials`` finished ones, so rerunning the same command after an
interruption only runs what is missing. Trials of a worker that died are detected by a
heartbeat and re-queued once (Optuna's ``RetryHeartbeatStaleTrialCallback``). Poor trials are pruned
from their intermediate values; with Lightning, pass :class:`PruningCallback` to
:func:`nulearn.ml.training.fit`.

>>> import tempfile
>>> study = create_study("demo", directory=tempfile.mkdtemp(), seed=0)
>>> _ = run_trials(study, lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2, n_trials=5)
>>> len(finished_trials(study))
5
"""

from __future__ import annotations

import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import optuna
import pandas as pd
from lightning.pytorch.callbacks import Callback
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.study import MaxTrialsCallback
from optuna.trial import FrozenTrial, TrialState

from nulearn.ml.training import TrainingDiverged, monitored_value

__all__ = [
    "FINISHED_STATES",
    "PruningCallback",
    "create_study",
    "default_storage",
    "driver_url",
    "finished_trials",
    "make_pruner",
    "run_trials",
    "trials_frame",
]

#: Trial states that count towards a study's target number of trials.
FINISHED_STATES: tuple[TrialState, ...] = (TrialState.COMPLETE, TrialState.PRUNED)
_PRUNERS = ("median", "hyperband", "none")


def default_storage(name: str, directory: str | Path = ".") -> str:
    """SQLite URL of the default study file ``<directory>/<name>.optuna.db`` (directory created)."""
    if not name or any(c in name for c in "/\\"):
        raise ValueError(f"study name {name!r} must be non-empty and contain no path separators")
    d = Path(directory).resolve()
    d.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{d / (name + '.optuna.db')}"


def make_pruner(
    kind: str = "median", n_startup_trials: int = 3, n_warmup_steps: int = 2
) -> optuna.pruners.BasePruner:
    """A pruner by name: ``"median"`` (stop a trial below the median of earlier ones at the same
    epoch), ``"hyperband"`` (Li et al. 2018, JMLR 18:185) or ``"none"``.

    Args:
        n_startup_trials: trials that are never pruned (median pruner).
        n_warmup_steps: epochs before a trial can be pruned (median pruner).
    """
    if kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps
        )
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner {kind!r} unknown; allowed: {', '.join(_PRUNERS)}")


def create_study(
    name: str,
    storage: str | None = None,
    direction: str = "minimize",
    pruner: optuna.pruners.BasePruner | str | None = None,
    *,
    sampler: optuna.samplers.BaseSampler | None = None,
    seed: int | None = None,
    directory: str | Path = ".",
    heartbeat_interval: int | None = 60,
) -> optuna.Study:
    """Create the study ``name`` in ``storage``, or load it if it exists (resume).

    Args:
        name: study name (unique within the storage).
        storage: database URL; ``None`` uses :func:`default_storage` (a SQLite file).
        direction: ``"minimize"`` or ``"maximize"``.
        pruner: a pruner, a name for :func:`make_pruner`, or ``None`` (median pruner).
        sampler: a sampler (default TPE seeded with ``seed``).
        seed: seed of the default sampler.
        directory: folder of the default SQLite file.
        heartbeat_interval: seconds between a running trial's heartbeats; a trial without a
            heartbeat for 3 intervals (its worker died) is marked failed and re-queued once.
            ``None`` disables heartbeats.

    Returns:
        The ``optuna.Study``.
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction {direction!r}; allowed: minimize, maximize")
    if storage is not None:
        check_storage(storage)
    url = storage if storage is not None else default_storage(name, directory)
    if heartbeat_interval is not None and heartbeat_interval < 1:
        raise ValueError(
            f"heartbeat_interval = {heartbeat_interval}; allowed range [1, inf) seconds"
        )
    if pruner is None or isinstance(pruner, str):
        pruner = make_pruner(pruner or "median")
    # Workers that start at the same moment on a fresh database race to create its tables and
    # the study; the loser sees an integrity error and succeeds on a retry.
    for attempt in range(5):
        try:
            study = optuna.create_study(
                study_name=name,
                storage=_rdb_storage(url, heartbeat_interval),
                direction="maximize" if direction == "maximize" else "minimize",
                pruner=pruner,
                sampler=sampler if sampler is not None else optuna.samplers.TPESampler(seed=seed),
                load_if_exists=True,
            )
            break
        except Exception as err:  # sqlalchemy errors differ by backend
            if attempt == 4 or "sqlalchemy" not in type(err).__module__:
                raise
            time.sleep(0.5 * (attempt + 1))
    n_existing = len(study.get_trials(deepcopy=False))
    if sampler is None and seed is not None and n_existing:
        # A resumed study with the same seed would replay the first random suggestions;
        # offset the seed by the trials already stored so it explores new points instead.
        study.sampler = optuna.samplers.TPESampler(seed=seed + n_existing)
    return study


def check_storage(url: str, timeout_s: float = 5.0) -> None:
    """Fail within ``timeout_s`` seconds, in one line, when a database storage cannot be reached.

    A server URL (PostgreSQL, MySQL) is connected to once with a connect timeout before any
    data is loaded, so a typo or a stopped server is reported in seconds instead of after the
    driver's own retries; SQLite files need no check.

    Raises:
        ValueError: the storage cannot be reached (the message names it, without the password).
    """
    if url.startswith("sqlite"):
        return
    import sqlalchemy

    shown = sqlalchemy.engine.make_url(driver_url(url)).render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if url.startswith(("postgresql", "postgres")):
        connect_args["connect_timeout"] = max(1, int(timeout_s))
    elif url.startswith("mysql"):
        connect_args["connect_timeout"] = max(1, int(timeout_s))
    try:
        engine = sqlalchemy.create_engine(driver_url(url), connect_args=connect_args)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:  # sqlalchemy wraps every driver's errors differently
        reason = " ".join(str(getattr(err, "orig", err)).split())[:200]
        raise ValueError(f"cannot reach the Optuna storage {shown}: {reason}") from None


def driver_url(url: str) -> str:
    """Pin the PostgreSQL driver that is installed.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` URL to psycopg 3; nulearn depends on
    psycopg2, so such a URL is rewritten to ``postgresql+psycopg2://`` unless psycopg 3 exists.
    """
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util

        if (
            importlib.util.find_spec("psycopg") is None
            and importlib.util.find_spec("psycopg2") is not None
        ):
            return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def _rdb_storage(url: str, heartbeat_interval: int | None) -> RDBStorage:
    url = driver_url(url)
    if heartbeat_interval is None:
        return RDBStorage(url)
    with warnings.catch_warnings():
        # Heartbeats are flagged experimental in Optuna; they are what makes resume safe.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            heartbeat_interval=heartbeat_interval,
            grace_period=3 * heartbeat_interval,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=1),
        )


def finished_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Trials that are complete or pruned (the ones counting towards the target)."""
    return study.get_trials(deepcopy=False, states=FINISHED_STATES)


def run_trials(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    n_trials: int,
    *,
    timeout: float | None = None,
    catch: Sequence[type[Exception]] = (),
    show_progress_bar: bool = False,
    progress: bool = False,
) -> optuna.Study:
    """Run trials until ``study`` holds ``n_trials`` finished (complete or pruned) trials.

    Several workers may call this on one shared study; each stops once the study total is
    reached (a trial in flight at that moment still finishes, so the total can exceed
    ``n_trials`` by at most the number of other workers). After an interruption the same
    call resumes and runs only the missing trials. Each trial records the worker that ran it
    in the user attribute ``worker`` (``host:pid``).

    Args:
        study: from :func:`create_study`.
        objective: ``trial -> value``; raise ``optuna.TrialPruned`` to prune (a
            :class:`~nulearn.ml.training.TrainingDiverged` prunes the trial too).
        n_trials: target number of finished trials in the study.
        timeout: stop this worker after this many seconds.
        catch: exception types recorded as failed trials instead of stopping the run.
        progress: print one line per finished trial to stderr (its value and the best so far).

    Returns:
        The study.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials = {n_trials}; allowed range [1, inf)")
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def tagged(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        try:
            return objective(trial)
        except TrainingDiverged as err:
            # a configuration whose loss runs away is a poor one, not a reason to stop the study
            raise optuna.TrialPruned(str(err)) from None

    remaining = n_trials - len(finished_trials(study))
    if remaining <= 0:
        return study
    study.optimize(
        tagged,
        n_trials=remaining,
        timeout=timeout,
        catch=tuple(catch),
        callbacks=[MaxTrialsCallback(n_trials, states=FINISHED_STATES)]
        + ([_report_trial(n_trials)] if progress else []),
        show_progress_bar=show_progress_bar,
    )
    return study


def _report_trial(n_trials: int) -> Callable[[optuna.Study, FrozenTrial], None]:
    """An Optuna callback printing ``trial k/n: state value (best ...)`` to stderr."""

    def report(study: optuna.Study, trial: FrozenTrial) -> None:
        done = len(finished_trials(study))
        value = "" if trial.value is None else f" {trial.value:.4f}"
        try:
            best = f" (best {study.best_value:.4f}, trial {study.best_trial.number})"
        except ValueError:
            best = ""
        print(
            f"trial {trial.number} [{done}/{n_trials} finished]: {trial.state.name.lower()}"
            f"{value}{best}",
            file=sys.stderr,
            flush=True,
        )

    return report


def trials_frame(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, value, parameters (``params_*``), worker, duration."""
    df = study.trials_dataframe(
        attrs=("number", "state", "value", "params", "user_attrs", "duration")
    )
    return df.rename(columns=lambda c: c.replace("user_attrs_", ""))


class PruningCallback(Callback):
    """Lightning callback: report ``monitor`` to an Optuna trial each epoch and prune if told to.

    Raises ``optuna.TrialPruned`` out of ``trainer.fit``; Optuna records the trial as pruned.

    Args:
        trial: the running trial.
        monitor: logged validation metric (e.g. ``"val_loss"`` for a minimising study,
            ``"val_f1"`` for a maximising one; it must match the study's direction).
    """

    def __init__(self, trial: optuna.Trial, monitor: str = "val_loss") -> None:
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = monitored_value(trainer, self.monitor)
        if value is None:
            return
        epoch = trainer.current_epoch
        self.trial.report(value, step=epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(
                f"trial {self.trial.number} pruned at epoch {epoch}: {self.monitor}={value:.5g}"
            )
