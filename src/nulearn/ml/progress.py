"""Progress of long steps, reported through callbacks so that the library never prints.

A step that loops over counted work takes a :data:`Progress` callback: ``progress(description,
total)`` returns a function called with the number of units just finished (a command draws a bar
from it; :func:`no_progress` ignores it). Training loops report each finished epoch as one line
to the writer set by :func:`epoch_log`, which :func:`nulearn.ml.training.make_trainer` reads, so a
study labels its stages (``"fold 2/5: "``) without passing a callback through every estimator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import lightning as L
from lightning.pytorch.callbacks import Callback

__all__ = [
    "EpochLog",
    "Progress",
    "current_epoch_log",
    "epoch_log",
    "no_progress",
]

#: ``progress(description, total)`` -> a function called with the units just finished.
Progress = Callable[[str, int], Callable[[int], None]]


def no_progress(description: str, total: int) -> Callable[[int], None]:
    """A :data:`Progress` that shows nothing."""
    return lambda k: None


#: The line writer and label of :func:`epoch_log` for the loops started in this context.
_EPOCH_LOG: ContextVar[tuple[Callable[[str], None], str] | None] = ContextVar(
    "nulearn_epoch_log", default=None
)


@contextlib.contextmanager
def epoch_log(log: Callable[[str], None] | None = None, label: str = "") -> Iterator[None]:
    """Every training loop that :func:`~nulearn.ml.training.make_trainer` builds inside the block
    reports each finished epoch to ``log`` as one line, ``"<label>epoch k/K: val_loss 0.1234"``.

    With ``log`` the block starts afresh with ``label``; without it the enclosing block's writer is
    kept and ``label`` is appended to its label, so a study labels its stages (``"fold 2/5: "``)
    and an estimator its members (``"member 1/3: "``) while the command decides where lines go
    (nowhere, outside any block with a writer).

    >>> lines = []
    >>> with epoch_log(lines.append, "energy: "), epoch_log(label="member 1/3: "):
    ...     current_epoch_log()[1]
    'energy: member 1/3: '
    >>> with epoch_log(label="fold 1/2: "):
    ...     current_epoch_log() is None
    True
    """
    current = _EPOCH_LOG.get()
    if log is not None:
        state: tuple[Callable[[str], None], str] | None = (log, label)
    elif current is not None:
        state = (current[0], current[1] + label)
    else:
        state = None
    token = _EPOCH_LOG.set(state)
    try:
        yield
    finally:
        _EPOCH_LOG.reset(token)


class EpochLog(Callback):
    """One line per finished training epoch: epoch number, limit and the watched metric.

    Args:
        log: receives each line.
        label: prefix of each line.
        monitor: logged metric to show.
        max_epochs: the loop's epoch limit.
    """

    def __init__(
        self, log: Callable[[str], None], label: str, monitor: str, max_epochs: int
    ) -> None:
        self.write = log
        self.label = label
        self.monitor = monitor
        self.max_epochs = max_epochs

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        shown = "" if value is None else f": {self.monitor} {float(value):.4g}"
        self.write(f"{self.label}epoch {trainer.current_epoch + 1}/{self.max_epochs}{shown}")


def current_epoch_log() -> tuple[Callable[[str], None], str] | None:
    """The writer and label of the innermost :func:`epoch_log` block (``None`` outside one)."""
    return _EPOCH_LOG.get()
