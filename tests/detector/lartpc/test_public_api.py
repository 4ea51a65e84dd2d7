"""The public names of nulearn.detector.lartpc resolve, and importing the package is light."""

from __future__ import annotations

import importlib
import subprocess
import sys


def test_every_public_name_resolves() -> None:
    module = importlib.import_module("nulearn.detector.lartpc")
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_import_is_light() -> None:
    code = (
        "import sys, nulearn.detector.lartpc\n"
        "print(sorted(m for m in ('torch', 'lightning') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
