"""Ctrl-C that a long job cannot lose.

Python raises ``KeyboardInterrupt`` in whatever code runs when SIGINT arrives. If that code is a
finalizer or a weak-reference callback (h5py, threads and tqdm run some), the interpreter prints
"Exception ignored" and carries on, and a job the user stopped runs to the end. The handler that
:func:`catching_interrupts` installs also records the interrupt, and loops over blocks of work
call :func:`checkpoint` (or iterate through :func:`checked`), which raises it again at the next
block if it was swallowed. The swallowed one is not printed (no "Exception ignored" traceback):
the checkpoint reports it.

>>> with catching_interrupts():
...     checkpoint()  # no Ctrl-C yet: returns
>>> list(checked([1, 2]))
[1, 2]
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import TypeVar

__all__ = ["catching_interrupts", "checked", "checkpoint"]

T = TypeVar("T")
_PENDING = threading.Event()


def _handler(signum: int, frame: FrameType | None) -> None:
    _PENDING.set()
    raise KeyboardInterrupt


@contextlib.contextmanager
def catching_interrupts() -> Iterator[None]:
    """Record every SIGINT while the block runs (main thread; an ignored SIGINT stays ignored)."""
    _PENDING.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous in (signal.SIG_IGN, None):
        yield
        return
    hook = sys.unraisablehook

    def quiet(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    signal.signal(signal.SIGINT, _handler)
    sys.unraisablehook = quiet
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
        _PENDING.clear()


def checkpoint() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C arrived (and was swallowed) since the block began."""
    if _PENDING.is_set():
        raise KeyboardInterrupt


def checked(items: Iterable[T]) -> Iterator[T]:
    """``items``, with a :func:`checkpoint` before each one."""
    for item in items:
        checkpoint()
        yield item
