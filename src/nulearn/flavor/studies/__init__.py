"""Studies that combine everything: the published numbers, the reproduction of
arXiv:2303.05560 / 2310.03807, the realistic (transport-derived) study and the deep-MLP study.

* :mod:`~nulearn.flavor.studies.published`: the papers' tables, stored once;
* :mod:`~nulearn.flavor.studies.reproduce`: ``nulearn flavor reproduce`` (config, run, tables,
  figures, report);
* :mod:`~nulearn.flavor.studies.realistic`: ``nulearn flavor study`` (config, data,
  experiments, run, figures, report);
* :mod:`~nulearn.flavor.studies.deep`: seeds, compact models and calibration of the deep MLP.

Each study runs apart from its report. Names resolve on first use (the subpackage
``reproduce`` holds the function of that name).
"""

from nulearn.flavor._lazy import lazy_exports

_PUBLISHED = "nulearn.flavor.studies.published"
_REPRODUCE = "nulearn.flavor.studies.reproduce"
_REALISTIC = "nulearn.flavor.studies.realistic"
_DEEP = "nulearn.flavor.studies.deep"
_HOMES = {
    "PUBLISHED": _PUBLISHED,
    "PublishedScores": _PUBLISHED,
    "published_accuracy": _PUBLISHED,
    "ReproduceConfig": _REPRODUCE,
    "ReproduceResult": _REPRODUCE,
    "reproduce_to_folder": _REPRODUCE,
    "write_report": _REPRODUCE,
    "StudyConfig": _REALISTIC,
    "StudyResult": _REALISTIC,
    "run_study": _REALISTIC,
    "study_report": _REALISTIC,
    "study_to_folder": _REALISTIC,
    "write_study": _REALISTIC,
    "calibration_study": _DEEP,
    "compact_study": _DEEP,
    "seed_study": _DEEP,
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
