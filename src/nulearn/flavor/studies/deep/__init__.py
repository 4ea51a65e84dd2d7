"""Studies around the deep MLP: test-split scores with calibration, seed reproducibility, and
F1 against inference cost for compact models.

* :mod:`~nulearn.flavor.studies.deep.run`: the studies on arrays (``seed_study``,
  ``compact_study``, ``calibration_study``, ``evaluate_mlp``);
* :mod:`~nulearn.flavor.studies.deep.inputs`: ``TableSource``, a table file and its split;
* :mod:`~nulearn.flavor.studies.deep.report`: tables and the calibration report;
* :mod:`~nulearn.flavor.studies.deep.files`: table file in, result files out (the commands).

Everything here trains the PyTorch MLP; the names resolve on first use, so importing the
package does not import torch.
"""

from nulearn.flavor._lazy import lazy_exports

_RUN = "nulearn.flavor.studies.deep.run"
_FILES = "nulearn.flavor.studies.deep.files"
_HOMES = {
    "DEFAULT_COMPACT_SIZES": _RUN,
    "CalibrationStudy": _RUN,
    "TableSource": "nulearn.flavor.studies.deep.inputs",
    "calibration_from_table": _FILES,
    "calibration_study": _RUN,
    "compact_from_table": _FILES,
    "compact_study": _RUN,
    "evaluate_mlp": _RUN,
    "measure_throughput": _RUN,
    "seed_study": _RUN,
    "seeds_from_table": _FILES,
    "summarize_seeds": _RUN,
    "tune_from_table": _FILES,
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
