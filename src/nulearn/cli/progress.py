"""Progress of the long ``nulearn`` commands, on stderr so that stdout holds only results.

One rule for every command with a ``--progress/--no-progress`` option (on by default): counted
loops (events read, maps simulated, attributions) draw a rich bar, and stages and training epochs
print one line each (``fold 2/5: epoch 3/25: val_loss 0.8123``). On a terminal the bar redraws in
place; away from one (a log file, a pipe) a bar is one line written when it is full, while the
stage and epoch lines appear as the work advances. ``--no-progress`` prints none of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nulearn.ml.progress import Progress, epoch_log, no_progress

__all__ = ["Reporter", "reporter"]


@dataclass(frozen=True)
class Reporter:
    """Where a command's progress goes.

    Attributes:
        bar: the :data:`~nulearn.ml.progress.Progress` callback of counted loops.
        line: prints one line (``None`` with ``--no-progress``).
    """

    bar: Progress
    line: Callable[[str], None] | None


@contextmanager
def reporter(enabled: bool) -> Iterator[Reporter]:
    """A :class:`Reporter` for the block; training loops started inside it report their epochs
    through :func:`~nulearn.ml.progress.epoch_log` (nothing at all unless ``enabled``)."""
    if not enabled:
        yield Reporter(no_progress, None)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True, highlight=False)
    # started with the first bar, so that a command that fails early prints nothing
    bars: list[Progress] = []

    def start(description: str, total: int) -> Callable[[int], None]:
        if not console.is_terminal:
            return _finished_line(console, description, total)
        if not bars:
            bars.append(
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=console,
                )
            )
            bars[0].start()
        task = bars[0].add_task(description, total=total)
        return lambda k: bars[0].advance(task, k)

    def line(text: str) -> None:
        console.print(text, markup=False)

    try:
        with epoch_log(line):
            yield Reporter(start, line)
    finally:
        if bars:
            bars[0].stop()


def _finished_line(console: Any, description: str, total: int) -> Callable[[int], None]:
    """Away from a terminal (a log file, a pipe) a bar is one line, printed when it is full, so
    that a log holds what was done and a failed step adds nothing to its error line."""
    start = time.perf_counter()
    done = [0]

    def advance(k: int) -> None:
        done[0] += k
        if done[0] >= total > 0 and done[0] - k < total:
            seconds = time.perf_counter() - start
            console.print(f"{description}: {total}/{total} in {seconds:.1f} s", markup=False)

    return advance
