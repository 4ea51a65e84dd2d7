"""Lazy attributes of a package (PEP 562): a curated public name is imported from its module on
first use, so that importing a package does not import torch, CAMB or captum before they are
needed.

>>> getattr_, dir_ = lazy_attributes("demo", {"sqrt": "math"})
>>> getattr_("sqrt")(4.0)
2.0
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` serving each of ``names`` (public name ->
    module that defines it); a resolved name is cached in the package's namespace."""

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name]), name)
        module = sys.modules.get(package)
        if module is not None:
            setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        module = sys.modules.get(package)
        own = list(vars(module)) if module is not None else []
        return sorted({*own, *names})

    return __getattr__, __dir__
