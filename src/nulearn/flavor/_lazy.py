"""Lazy re-exports (PEP 562) for the curated names of the :mod:`nulearn.flavor` packages.

A package lists its public names with the module that defines each; a name is imported on first
access and then cached on the package, so importing the package itself stays cheap (no torch,
Lightning, scikit-learn or LightGBM until a name that needs them is used).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` resolving each name of ``homes`` in its module.

    Args:
        package: the package's ``__name__``.
        homes: public name -> full name of the module that defines it.
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
