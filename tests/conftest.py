"""Fixtures for the whole suite: every test starts from the same seeds on one thread.

Tests must not depend on what ran before them (pytest-xdist hands files to workers in any order),
so the global random states of Python, NumPy and PyTorch are reset before each test, and PyTorch
uses one thread so results do not depend on the machine's core count.
"""

from __future__ import annotations

import random

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seeded_one_thread() -> None:
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - reset the legacy global state some libraries still draw from
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
