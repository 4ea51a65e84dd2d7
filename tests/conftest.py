"""Fixtures for the whole suite: every test starts from the same seeds on one thread.

Tests must not depend on what ran before them (pytest-xdist hands files to workers in any order),
so the global random states of Python, NumPy and PyTorch are reset before each test, and PyTorch
uses one thread so results do not depend on the machine's core count.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import settings

# CI runs the property tests on a fixed sequence of examples (set CI=1): a red build then means a
# regression, not a new example found by chance; locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seeded_one_thread() -> None:
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - reset the legacy global state some libraries still draw from
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)


@dataclass(frozen=True)
class CliResult:
    """What one ``nulearn`` command did: its exit status and what it printed."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def nulearn(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``nulearn ARGS...`` in-process through the console script's ``main`` (its one-line
    errors and exit statuses included), returning a :class:`CliResult`."""
    from nulearn.cli import main

    def run(*args: object) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
