"""nulearn.detector: machine learning on detector data.

Three studies, each arranged by role (physics or data → models → evaluation → study):

* :mod:`nulearn.detector.cvn`: CVN-style flavour classification of DUNE far-detector pixel maps;
* :mod:`nulearn.detector.tpc`: a liquid-xenon TPC (EXO-200-like): waveform simulation,
  conventional reconstruction, energy and site CNNs, a conditional WGAN-GP;
* :mod:`nulearn.detector.optical`: a sparse in-ice optical array (IceCube-like): hit simulation
  with a Pandel time PDF, the classical line fit, a DynEdge-style GNN against a string-grid CNN;
* :mod:`nulearn.detector.lartpc`: liquid-argon TPC wire-plane images (SBND-like): a simulator
  with per-pixel truth, a class-weighted UNet against a Hough/timing cosmic tagger.

The subpackages are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["cvn", "lartpc", "optical", "tpc"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
