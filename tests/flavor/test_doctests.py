"""Run the runnable examples in the flavor core's docstrings."""

from __future__ import annotations

import doctest

import pytest

import nulearn.flavor.families
import nulearn.ml.report


@pytest.mark.parametrize("module", [nulearn.flavor.families, nulearn.ml.report])
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
