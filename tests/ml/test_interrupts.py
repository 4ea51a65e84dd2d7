"""A Ctrl-C swallowed by the code it lands in (a finalizer) still stops the next block of work."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from nulearn.ml.interrupts import catching_interrupts, checked, checkpoint

pytestmark = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signals need the main thread"
)


def _swallowed_ctrl_c() -> None:
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1.0)
    except KeyboardInterrupt:
        pass  # what "Exception ignored in ..." amounts to


def test_a_swallowed_interrupt_is_raised_at_the_next_block() -> None:
    done = []
    with catching_interrupts(), pytest.raises(KeyboardInterrupt):
        for block in checked(range(5)):
            done.append(block)
            if block == 1:
                _swallowed_ctrl_c()
    assert done == [0, 1]


class _Finalized:
    def __del__(self) -> None:
        _swallowed_ctrl_c_in_finalizer()


def _swallowed_ctrl_c_in_finalizer() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1.0)


def test_an_interrupt_in_a_finalizer_is_not_printed_but_raised_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with catching_interrupts(), pytest.raises(KeyboardInterrupt):
        _Finalized()  # dropped at once: __del__ runs, Python ignores what it raises
        checkpoint()
    assert "Exception ignored" not in capsys.readouterr().err


def test_no_interrupt_no_raise_and_the_handler_is_restored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with catching_interrupts():
        checkpoint()
        assert list(checked("ab")) == ["a", "b"]
    assert signal.getsignal(signal.SIGINT) is before
    checkpoint()


def test_an_ignored_sigint_stays_ignored() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with catching_interrupts():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
