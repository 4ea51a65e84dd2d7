"""Reading and writing fitted estimators, with module paths that survive a package reorganisation.

Estimators are stored with joblib (a pickle with efficient NumPy arrays). A pickle names each
class by its module path, so moving a class to another module would make every saved model
unloadable. Each pillar keeps a table of the module paths it renamed in ``nulearn.<pillar>._moved``
(``MOVED_MODULES``: old module -> new module; ``MOVED_NAMES``: (old module, name) -> new module
for modules that were split; optionally ``RENAMED``: (old module, old name) -> (new module, new
name) for classes that were renamed); :func:`load_estimator` consults it for every class the
pickle names.

>>> import tempfile, pathlib
>>> from sklearn.linear_model import LogisticRegression
>>> path = pathlib.Path(tempfile.mkdtemp()) / "estimator.joblib"
>>> dump_estimator(LogisticRegression(C=2.0), path)
>>> load_estimator(path).C
2.0
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import joblib
from joblib.numpy_pickle import NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

__all__ = ["dump_estimator", "load_estimator", "resolve_moved", "resolve_renamed"]


def _table(module: str) -> Any:
    """The ``_moved`` table of the pillar of ``module`` (``None`` outside nulearn's pillars)."""
    parts = module.split(".")
    if len(parts) < 3 or parts[0] != "nulearn":
        return None
    try:
        return importlib.import_module(f"nulearn.{parts[1]}._moved")
    except ModuleNotFoundError:
        return None


def resolve_renamed(module: str, name: str) -> tuple[str, str]:
    """``(module, name)`` of a class today, for a class pickled as ``module.name`` that may have
    been renamed (the pillar's ``RENAMED`` table) or moved (:func:`resolve_moved`).

    >>> resolve_renamed("numpy", "ndarray")
    ('numpy', 'ndarray')
    """
    renamed: dict[tuple[str, str], tuple[str, str]] = getattr(_table(module), "RENAMED", {})
    if (module, name) in renamed:
        return renamed[(module, name)]
    return resolve_moved(module, name), name


def resolve_moved(module: str, name: str) -> str:
    """The module that defines ``name`` today, for a class pickled as ``module.name``.

    Looks ``module`` up in the ``_moved`` table of its pillar (``nulearn.flavor._moved`` for
    ``nulearn.flavor.mlp``); returns ``module`` unchanged when it was never moved.

    >>> resolve_moved("numpy", "ndarray")
    'numpy'
    """
    table = _table(module)
    if table is None:
        return module
    names: dict[tuple[str, str], str] = getattr(table, "MOVED_NAMES", {})
    modules: dict[str, str] = getattr(table, "MOVED_MODULES", {})
    return names.get((module, name), modules.get(module, module))


class _Unpickler(NumpyUnpickler):  # type: ignore[misc]
    """joblib's unpickler, with classes looked up at their current module paths."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(*resolve_renamed(module, name))


def dump_estimator(estimator: Any, path: str | Path) -> None:
    """Write a fitted estimator to ``path`` (joblib format)."""
    joblib.dump(estimator, path)


def load_estimator(path: str | Path) -> Any:
    """Read an estimator written by :func:`dump_estimator`, following moved module paths."""
    filename = os.fspath(path)
    with open(filename, "rb") as fh:
        with _validate_fileobject_and_memmap(fh, filename, None) as (fobj, _):
            if isinstance(fobj, str):
                raise ValueError(f"{filename}: written by a joblib older than 0.10; not supported")
            return _Unpickler(filename, fobj, True).load()
