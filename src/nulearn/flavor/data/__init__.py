"""Labelled data: sampling schemes, the analytic crossing labels, generation (1D and 3D), table I/O,
realistic datasets from the transport solver, growth-rate datasets and splits.

* :mod:`~nulearn.flavor.data.sampling`: the papers' sampling schemes of the moment features;
* :mod:`~nulearn.flavor.data.labelling`: the analytic crossing test from moments;
* :mod:`~nulearn.flavor.data.generate`, :mod:`~nulearn.flavor.data.generate3d`: labelled samples
  (the functions ``generate`` and ``generate3d`` share their modules' names, so take them from
  there or from :mod:`nulearn.flavor`);
* :mod:`~nulearn.flavor.data.tables`: Parquet/HDF5 tables with metadata;
* :mod:`~nulearn.flavor.data.realistic`: cells of transport-solved profiles;
* :mod:`~nulearn.flavor.data.splits`: train/validation/test and by-profile splits;
* :mod:`~nulearn.flavor.data.files`: table file in, table file out (the data commands).

Names resolve on first use.
"""

from nulearn.flavor._lazy import lazy_exports

_HOMES = {
    "SCHEMES": "nulearn.flavor.data.sampling",
    "sample_features": "nulearn.flavor.data.sampling",
    "LABEL_COLUMNS": "nulearn.flavor.data.labelling",
    "crossings_for_family": "nulearn.flavor.data.labelling",
    "label_moments": "nulearn.flavor.data.labelling",
    "generation_metadata": "nulearn.flavor.data.generate",
    "Dataset": "nulearn.flavor.data.tables",
    "read_dataset": "nulearn.flavor.data.tables",
    "write_dataset": "nulearn.flavor.data.tables",
    "realistic_dataset": "nulearn.flavor.data.realistic",
    "write_realistic_dataset": "nulearn.flavor.data.realistic",
    "growth_dataset": "nulearn.flavor.data.growth",
    "select_range": "nulearn.flavor.data.splits",
    "split_by_profile": "nulearn.flavor.data.splits",
    "split_dataset": "nulearn.flavor.data.splits",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
