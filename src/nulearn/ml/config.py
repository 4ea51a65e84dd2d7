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
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

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
        """Build from a dict; unknown keys raise a ValueError naming them and the allowed ones."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(
                f"unknown {cls.__name__} field(s) {unknown}; allowed: {sorted(fields)}"
            )
        return cls(**{name: _field_value(fields[name], value) for name, value in data.items()})

    def to_yaml(self, path: str | Path | None = None) -> str:
        """YAML text of :meth:`to_dict`; also written to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=self.yaml_sort_keys)
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_yaml(cls, source: str | Path) -> Self:
        """Read a config from a YAML file (a ``Path``, or a string naming a ``.yaml``/``.yml`` or an
        existing file) or from YAML text; an empty document gives the defaults."""
        text = Path(source).read_text() if _looks_like_path(source) else str(source)
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{cls.__name__} YAML must be a mapping, got {type(data).__name__}")
        if cls.yaml_section is not None and isinstance(data.get(cls.yaml_section), dict):
            data = data[cls.yaml_section]
        return cls.from_dict(data)


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
