"""The shared YAML round trip of configs and the range/choice checks (nulearn.ml.config)."""

from __future__ import annotations

import doctest
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nulearn.ml.config as config_module
from nulearn.ml.config import FloatConfig, YAMLConfig, check_choice, check_range


@dataclass(frozen=True)
class Inner(YAMLConfig):
    width: int = 4
    kinds: tuple[str, ...] = ("a", "b")


@dataclass(frozen=True)
class Outer(YAMLConfig):
    layers: tuple[int, ...] = (8, 4)
    grid: tuple[tuple[int, ...], ...] = ((1, 2), (3,))
    rate: float = 0.1
    name: str | None = None
    inner: Inner = field(default_factory=Inner)

    yaml_section = "outer"


@dataclass(frozen=True)
class Numbers(FloatConfig):
    x: float = 1.0
    y: float = 2.5


def test_plain_form_has_lists_and_nested_dicts() -> None:
    d = Outer().to_dict()
    assert d == {
        "layers": [8, 4],
        "grid": [[1, 2], [3]],
        "rate": 0.1,
        "name": None,
        "inner": {"width": 4, "kinds": ["a", "b"]},
    }
    back = Outer.from_dict(d)
    assert back == Outer() and isinstance(back.grid[0], tuple) and isinstance(back.inner, Inner)
    hash(back)  # tuples again: the frozen config stays hashable


def test_yaml_round_trip_from_text_file_and_section(tmp_path: Path) -> None:
    cfg = Outer(layers=(3,), name="x", inner=Inner(width=2))
    text = cfg.to_yaml(tmp_path / "cfg.yaml")
    assert (tmp_path / "cfg.yaml").read_text() == text
    assert Outer.from_yaml(text) == cfg
    assert Outer.from_yaml(tmp_path / "cfg.yaml") == cfg
    assert Outer.from_yaml(str(tmp_path / "cfg.yaml")) == cfg
    other = tmp_path / "cfg.txt"  # an existing file of another suffix is read as a file too
    other.write_text(text)
    assert Outer.from_yaml(str(other)) == cfg
    assert Outer.from_yaml("outer:\n  rate: 0.5\n").rate == 0.5
    assert Outer.from_yaml("") == Outer()
    assert Outer.from_yaml("{rate: 0.25}").rate == 0.25  # one line of YAML text, not a path
    assert Outer.from_yaml("{name: " + "n" * 400 + "}").name == "n" * 400  # too long for a path


def test_sorted_keys_follow_the_class_attribute() -> None:
    @dataclass(frozen=True)
    class Sorted(YAMLConfig):
        b: int = 1
        a: int = 2

        yaml_sort_keys = True

    assert Sorted().to_yaml() == "a: 2\nb: 1\n"
    assert Inner().to_yaml().startswith("width:")


def test_unknown_keys_and_non_mappings_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown Outer field\(s\) \['widht'\]; allowed: \["):
        Outer.from_dict({"widht": 3})
    with pytest.raises(ValueError, match=r"unknown Inner field\(s\) \['depth'\]"):
        Outer.from_dict({"inner": {"depth": 1}})
    with pytest.raises(ValueError, match="Outer YAML must be a mapping, got list"):
        Outer.from_yaml("- 1\n- 2\n")


def test_float_config_holds_floats() -> None:
    n = Numbers(x=1)
    assert n.to_dict() == {"x": 1.0, "y": 2.5} and isinstance(n.to_dict()["x"], float)
    assert n.to_yaml() == Numbers(x=1.0).to_yaml()
    assert Numbers.from_dict({"x": "3"}) == Numbers(x=3.0)
    with pytest.raises(ValueError, match=r"unknown Numbers field\(s\) \['z'\]"):
        Numbers.from_dict({"z": "not a number"})


@pytest.mark.parametrize(
    ("value", "lo", "hi", "lo_open", "hi_open", "message"),
    [
        (1.0, 0.0, 1.0, False, True, r"C.v = 1.0; allowed range \[0.0, 1.0\)"),
        (0.0, 0.0, math.inf, True, False, r"C.v = 0.0; allowed range \(0.0, inf\]"),
        (math.nan, 0.0, 1.0, False, False, "C.v = nan"),
        (True, 0.0, 1.0, False, False, "C.v = True"),
        ("0.5", 0.0, 1.0, False, False, "C.v = '0.5'"),
    ],
)
def test_check_range_names_value_and_interval(
    value: object, lo: float, hi: float, lo_open: bool, hi_open: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_range("C.v", value, lo, hi, lo_open=lo_open, hi_open=hi_open)  # type: ignore[arg-type]


@given(st.floats(min_value=-10, max_value=10))
def test_check_range_accepts_exactly_the_interval(value: float) -> None:
    inside = 0.0 < value <= 1.0
    try:
        check_range("v", value, 0.0, 1.0, lo_open=True)
    except ValueError:
        assert not inside
    else:
        assert inside


def test_check_choice() -> None:
    check_choice("C.mode", "b", ("a", "b"))
    with pytest.raises(ValueError, match=r"C\.mode = 'c'; allowed: a, b"):
        check_choice("C.mode", "c", ("a", "b"))


def test_docstring_examples() -> None:
    result = doctest.testmod(config_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rate": "fast"}, r"Outer.rate = 'fast'; expected a number"),
        ({"rate": True}, r"Outer.rate = True; expected a number"),
        ({"layers": [8, "x"]}, r"Outer.layers = \(8, 'x'\); expected a list of integers"),
        ({"layers": 3}, r"Outer.layers = 3; expected a list of integers"),
        ({"name": 5}, r"Outer.name = 5; expected text or null"),
        ({"inner": {"width": 2.5}}, r"Inner.width = 2.5; expected an integer"),
        ({"inner": [1]}, r"Outer.inner = \(1,\); expected a mapping of Inner fields"),
    ],
)
def test_ill_typed_values_are_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Outer.from_dict(data)


def test_integers_and_yaml_exponents_are_accepted_for_real_fields() -> None:
    cfg = Outer.from_dict({"rate": 1})
    assert cfg.rate == 1.0 and isinstance(cfg.rate, float)
    assert Outer.from_yaml("rate: 1e-3\n").rate == 0.001  # PyYAML reads 1e-3 as text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate: [\n", "not valid YAML at line"),
        ("", "the file is empty"),
        ("- 1\n", "expected a mapping of keys to values, got list"),
        ("rte: 0.5\n", r"unknown Outer field\(s\) \['rte'\]"),
        ("rate: fast\n", "Outer.rate = 'fast'; expected a number"),
    ],
)
def test_yaml_files_name_themselves_in_every_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as err:
        Outer.from_yaml(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_missing_yaml_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nowhere\.yaml"):
        Outer.from_yaml(tmp_path / "nowhere.yaml")
