"""Reading and writing fitted estimators: safe by default, and robust to a package reorganisation.

Estimators are stored with joblib (a pickle with efficient NumPy arrays). A pickle names each
class by its module path, so moving a class to another module would make every saved model
unloadable. Each pillar keeps a table of the module paths it renamed in ``nulearn.<pillar>._moved``
(``MOVED_MODULES``: old module -> new module; ``MOVED_NAMES``: (old module, name) -> new module
for modules that were split; optionally ``RENAMED``: (old module, old name) -> (new module, new
name) for classes that were renamed); :func:`load_estimator` consults it for every class the
pickle names.

Loading runs no code from the file. A pickle can name any importable callable and call it with
arguments of its choosing, so :func:`load_estimator` uses a restricted unpickler in the manner of
``torch.load(weights_only=True)``: it resolves only the NumPy, joblib and Python built-ins that
rebuild arrays and containers, and *classes* (never functions) from scikit-learn, LightGBM,
``scipy.sparse`` and nulearn itself. Anything else (``os.system``, ``subprocess.Popen``,
``builtins.eval``, torch's nested loader, ...) is refused with :class:`UnsafeModelError`. A file
from an older nulearn or another tool that needs more can be loaded with ``trusted=True`` (the
command-line option ``--trust-model``), which only follows moved module paths.

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
import pickle
from pathlib import Path
from typing import Any

import joblib
from joblib.numpy_pickle import NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

__all__ = [
    "UnsafeModelError",
    "dump_estimator",
    "load_estimator",
    "resolve_moved",
    "resolve_renamed",
]


class UnsafeModelError(ValueError):
    """An estimator file names a global that a restricted load does not resolve."""


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


# Callables that rebuild plain data: arrays, dtypes, NumPy scalars and random states, containers.
_SAFE_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("copyreg", "_reconstructor"),
        ("_codecs", "encode"),
        ("collections", "OrderedDict"),
        ("collections", "defaultdict"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.random._pickle", "__randomstate_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random.bit_generator", "__pyx_unpickle_SeedSequence"),
    }
    | {
        ("builtins", n)
        for n in (
            "set",
            "frozenset",
            "slice",
            "complex",
            "bytearray",
            "bytes",
            "range",
            "object",
            "dict",
            "list",
            "tuple",
            "int",
            "float",
            "str",
            "bool",
        )
    }
)
# Packages whose *classes* a model may hold; their constructors and __setstate__ only store data.
_SAFE_CLASS_PACKAGES: tuple[str, ...] = (
    "sklearn.",
    "lightgbm.",
    "scipy.sparse.",
    "numpy.dtypes",
    "numpy.random.",
    "nulearn.",
)


class _Unpickler(NumpyUnpickler):  # type: ignore[misc]
    """joblib's unpickler, with classes looked up at their current module paths and, unless
    trusted, only the globals above resolved."""

    trusted = False

    def find_class(self, module: str, name: str) -> Any:
        module, name = resolve_renamed(module, name)
        if self.trusted or (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if module.startswith("sklearn.") and name == "newObj":
            # scikit-learn's Cython trees and metrics reduce through newObj(cls) = cls.__new__(cls).
            return super().find_class(module, name)
        if module.startswith(_SAFE_CLASS_PACKAGES) or module in ("numpy.dtypes",):
            obj = super().find_class(module, name)
            if isinstance(obj, type):
                return obj
        raise UnsafeModelError(
            f"{self.filename}: refers to {module}.{name}, which a restricted load does not "
            "execute; if you trust where this model comes from, load it with --trust-model "
            "(trusted=True)"
        )


def dump_estimator(estimator: Any, path: str | Path) -> None:
    """Write a fitted estimator to ``path`` (joblib format)."""
    joblib.dump(estimator, path)


def load_estimator(path: str | Path, *, trusted: bool = False) -> Any:
    """Read an estimator written by :func:`dump_estimator`, following moved module paths.

    Args:
        path: the estimator file.
        trusted: resolve every global the file names (only for files whose origin you trust).

    Raises:
        UnsafeModelError: (restricted load) the file names a global outside the allow-list.
        ValueError: the file is empty, truncated or not a joblib pickle.
    """
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as fh:
            with _validate_fileobject_and_memmap(fh, filename, None) as (fobj, _):
                if isinstance(fobj, str):
                    raise ValueError(
                        f"{filename}: written by a joblib older than 0.10; not supported"
                    )
                unpickler = _Unpickler(filename, fobj, True)
                unpickler.trusted = trusted
                return unpickler.load()
    except UnsafeModelError:
        raise
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as err:
        raise ValueError(
            f"{filename}: not a readable estimator file ({type(err).__name__}: {err})"
        ) from None
