"""The flavor commands' choices agree with the library's constants."""

from __future__ import annotations

from nulearn.cli import options
from nulearn.flavor.data.generate import FAMILY_CHOICES
from nulearn.flavor.data.sampling import SCHEMES
from nulearn.flavor.deploy.export import FORMATS
from nulearn.flavor.deploy.flagging import BACKENDS
from nulearn.flavor.models.registry import model_names
from nulearn.flavor.physics.families import FAMILIES


def _values(enum: type) -> tuple[str, ...]:
    return tuple(m.value for m in enum)  # type: ignore[attr-defined]


def test_choices_mirror_the_library() -> None:
    assert _values(options.Scheme) == SCHEMES
    assert _values(options.GenerationFamily) == FAMILY_CHOICES
    assert set(_values(options.Family)) <= set(FAMILIES)
    assert _values(options.GenerationFamily) == (*_values(options.Family), "mix")
    assert _values(options.ExportFormat) == FORMATS
    assert _values(options.FlagBackend) == BACKENDS
    assert _values(options.ModelKey) == model_names()
