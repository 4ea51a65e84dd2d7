"""Fixtures shared by the detector tests outside ``tpc/``: one thread, fixed seeds."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded_one_thread() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
