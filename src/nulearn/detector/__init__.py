"""nulearn.detector: machine learning on detector data.

Two studies, each arranged by role (physics or data → models → evaluation → study):

* :mod:`nulearn.detector.cvn`: CVN-style flavour classification of DUNE far-detector pixel maps;
* :mod:`nulearn.detector.tpc`: a liquid-xenon TPC (EXO-200-like): waveform simulation,
  conventional reconstruction, energy and site CNNs, a conditional WGAN-GP.

Both subpackages are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["cvn", "tpc"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
