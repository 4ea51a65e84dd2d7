"""Configurations as frozen dataclasses that round-trip to plain dicts and YAML, and the range and
choice checks their ``__post_init__`` runs. Every pillar's config inherits :class:`YAMLConfig`
instead of writing its own ``to_dict``/``from_dict``/``to_yaml``/``from_yaml``.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(YAMLConfig):
...     widths: tuple[int, ...] = (8, 4)
...     rate: float = 0.1
...     def __post_init__(self) -> None:
...         check_range("Demo.rate", self.rate, 0.0, 1.0, lo_open=True)
>>> Demo(widths=(3,)).to_dict()
{'widths': [3], 'rate': 0.1}
>>> Demo.from_yaml(Demo(widths=(3,)).to_yaml()) == Demo(widths=(3,))
True
>>> Demo.from_dict({"rte": 0.2})
Traceback (most recent call last):
...
ValueError: unknown Demo field(s) ['rte']; allowed: ['rate', 'widths']
>>> Demo(rate=0.0)
Traceback (most recent call last):
...
ValueError: Demo.rate = 0.0; allowed range (0.0, 1.0]
>>> Demo.from_dict({"rate": "fast"})
Traceback (most recent call last):
...
ValueError: Demo.rate = 'fast'; expected a number
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, Union

import numpy as np
import yaml

__all__ = ["FloatConfig", "YAMLConfig", "check_choice", "check_range"]


class YAMLConfig:
    """Mixin for frozen dataclasses: plain-dict and YAML forms, with unknown keys rejected.

    The plain form (:meth:`to_dict`) has tuples as lists and nested dataclasses as dicts; it is
    what YAML files, HDF5 attributes and model cards hold. :meth:`from_dict` inverts it: lists
    become tuples again (a frozen config holds tuples, so it stays hashable) and a mapping given
    for a field whose default is a dataclass builds that dataclass.

    Class attributes that shape the YAML form:

    * ``yaml_section``: a file may hold the fields at top level or under this key (e.g. ``mlp:``
      for :class:`~nulearn.flavor.models.mlp.config.MLPConfig`); ``None`` for top level only.
    * ``yaml_sort_keys``: write keys sorted (``True``) or in field order (``False``).
    """

    yaml_section: ClassVar[str | None] = None
    yaml_sort_keys: ClassVar[bool] = False

    if TYPE_CHECKING:  # what @dataclass provides to the subclasses
        __dataclass_fields__: ClassVar[dict[str, Any]]

        def __init__(self, **kwargs: Any) -> None: ...

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (tuples as lists, nested dataclasses as dicts), the form written to YAML."""
        out: dict[str, Any] = _lists(dataclasses.asdict(self))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a dict; unknown keys, and values of the wrong type (text for a number, a
        number for a choice, ...), raise one ValueError naming the field, the value and what it
        should be. An integer is accepted for a real-valued field (YAML writes ``1`` for 1.0), and
        so is text that reads as a number (PyYAML reads ``1e-3`` as text)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{cls.__name__} must be a mapping, got {type(data).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; allowed: {sorted(fields)}"
            )
        hints = _type_hints(cls)
        values = {}
        for name, value in data.items():
            plain = _field_value(fields[name], value)
            if name in hints:
                plain = _checked(f"{cls.__name__}.{name}", plain, hints[name])
            values[name] = plain
        return cls(**values)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """YAML text of :meth:`to_dict`; also written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=self.yaml_sort_keys)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_yaml(cls, source: str | Path) -> Self:
        """Read a config from a YAML file (a ``Path``, or a string naming a ``.yaml``/``.yml`` or an
        existing file) or from YAML text; empty text gives the defaults.

        A file that is missing, empty, not YAML or not a mapping, and any key or value the
        config refuses, is one ValueError (FileNotFoundError when missing) that names the file.
        """
        if _looks_like_path(source):
            from nulearn.ml.io import read_yaml

            data: Any = read_yaml(source, what=f"{cls.__name__} file")
            where = f"{cls.__name__} file {source}: "
        else:
            where = ""
            try:
                data = yaml.safe_load(str(source)) or {}
            except yaml.YAMLError:
                raise ValueError(f"{cls.__name__} YAML text is not valid YAML") from None
            if not isinstance(data, dict):
                raise ValueError(
                    f"{cls.__name__} YAML must be a mapping, got {type(data).__name__}"
                )
        if cls.yaml_section is not None and isinstance(data.get(cls.yaml_section), dict):
            data = data[cls.yaml_section]
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError) as err:
            if not where:
                raise
            raise ValueError(f"{where}{err}") from None


class FloatConfig(YAMLConfig):
    """A :class:`YAMLConfig` whose fields are all real numbers: both dict forms hold floats, so
    that ``1`` and ``1.0`` give one YAML text and one cache key."""

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of floats."""
        return {name: float(value) for name, value in super().to_dict().items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a dict of numbers (or numeric strings); unknown keys raise a ValueError."""
        names = {f.name for f in dataclasses.fields(cls)}
        return super().from_dict({k: float(v) if k in names else v for k, v in data.items()})


def check_range(
    name: str,
    value: float,
    lo: float,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is a finite real number in the interval
    from ``lo`` to ``hi`` (closed ends unless ``lo_open``/``hi_open``; ``hi = inf``: no upper end).
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > lo if lo_open else value >= lo)
    ok = ok and (hi == math.inf or (value < hi if hi_open else value <= hi))
    if not ok:
        lb, rb = ("(" if lo_open else "["), (")" if hi_open else "]")
        raise ValueError(f"{name} = {value!r}; allowed range {lb}{lo}, {hi}{rb}")


def check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise a ValueError naming ``name`` and the allowed values when ``value`` is not one of them."""
    if value not in allowed:
        raise ValueError(f"{name} = {value!r}; allowed: {', '.join(map(str, allowed))}")


def _lists(obj: Any) -> Any:
    """Tuples to lists, through nested dicts and lists."""
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_lists(v) for v in obj]
    return obj


def _tuples(obj: Any) -> Any:
    """Lists to tuples, through nested lists (inverse of :func:`_lists` on a sequence)."""
    return tuple(_tuples(v) for v in obj) if isinstance(obj, list) else obj


def _field_value(field: dataclasses.Field[Any], value: Any) -> Any:
    """The plain-dict ``value`` of ``field`` as the dataclass holds it (inverse of :func:`_lists`)."""
    if isinstance(value, list):
        return _tuples(value)
    if isinstance(value, Mapping):
        default = (
            field.default_factory()
            if field.default_factory is not dataclasses.MISSING
            else field.default
        )
        if dataclasses.is_dataclass(default) and not isinstance(default, type):
            kind = type(default)
            return kind.from_dict(value) if issubclass(kind, YAMLConfig) else kind(**value)
    return value


def _type_hints(cls: type) -> dict[str, Any]:
    """The resolved field annotations of ``cls`` (empty when they cannot be resolved, e.g. for a
    class defined inside a function: its values are then passed on unchecked)."""
    try:
        return typing.get_type_hints(cls)
    except Exception:  # NameError, TypeError of unresolvable string annotations
        return {}


def _describe(annotation: Any) -> str:
    """What a value of ``annotation`` is, for messages."""
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    if annotation is str:
        return "text"
    if annotation is type(None):
        return "null"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(annotation))
    if origin is tuple:
        args = typing.get_args(annotation)
        inner = _describe(args[0]) if args else "values"
        return f"a list of {inner.removeprefix('an ').removeprefix('a ')}s"
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return f"a mapping of {annotation.__name__} fields"
    return getattr(annotation, "__name__", str(annotation))


class _Mismatch(Exception):
    """A value does not have the annotated type."""


def _convert(value: Any, annotation: Any) -> Any:
    """``value`` as ``annotation`` holds it (an integer for a float field becomes a float), or
    :class:`_Mismatch`. Annotations other than the plain ones configs use pass unchecked."""
    origin = typing.get_origin(annotation)
    if annotation is Any or isinstance(annotation, typing.TypeVar):
        return value
    if origin in (Union, types.UnionType):
        for option in typing.get_args(annotation):
            try:
                return _convert(value, option)
            except _Mismatch:
                continue
        raise _Mismatch
    if origin is Literal:
        if value in typing.get_args(annotation) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if annotation is type(None):
        if value is None:
            return None
        raise _Mismatch
    if annotation is bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise _Mismatch
    if annotation is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise _Mismatch
    if annotation is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            # PyYAML reads 1e-3 (no dot) as text: a number written that way is still a number
            try:
                return float(value)
            except ValueError:
                pass
        raise _Mismatch
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    if origin is tuple:
        args = typing.get_args(annotation)
        if not isinstance(value, tuple | list):
            raise _Mismatch
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0]) for v in value)
        if args and len(args) != len(value):
            raise _Mismatch
        return tuple(_convert(v, a) for v, a in zip(value, args, strict=False)) if args else value
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return value
        raise _Mismatch
    return value


def _checked(name: str, value: Any, annotation: Any) -> Any:
    """``value`` converted to ``annotation`` (see :func:`_convert`), else one ValueError naming
    the field ``name``, the value and the expected type."""
    try:
        return _convert(value, annotation)
    except _Mismatch:
        raise ValueError(f"{name} = {value!r}; expected {_describe(annotation)}") from None


def _looks_like_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    if "\n" in source:
        return False
    if source.endswith((".yaml", ".yml")):
        return True
    try:
        return Path(source).is_file()
    except OSError:  # e.g. one line of YAML longer than a file name may be
        return False
