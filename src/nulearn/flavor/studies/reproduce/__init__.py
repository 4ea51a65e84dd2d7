"""``nulearn flavor reproduce``: regenerate Tables I-IV and Figs. 1-3 of arXiv:2310.03807.

One call generates the labelled data, trains every model, scores it beside the Bayes ceiling
and the published numbers (:mod:`nulearn.flavor.studies.published`), and writes one Markdown
report with PNG figures. Running and reporting are apart:

* :mod:`~nulearn.flavor.studies.reproduce.config`: :class:`ReproduceConfig`, :class:`ReproduceResult`;
* :mod:`~nulearn.flavor.studies.reproduce.run`: :func:`reproduce` (data, ceilings, training);
* :mod:`~nulearn.flavor.studies.reproduce.tables`, :mod:`~nulearn.flavor.studies.reproduce.figures`
  and :mod:`~nulearn.flavor.studies.reproduce.report`: :func:`write_report`.

The paper's set-ups and our analogues (we have no CCSN simulation data, so the paper's
"realistic" test set is played by the hierarchical scheme, whose flux-factor hierarchy
F_nue < F_nuebar was introduced precisely to mimic it; arXiv:2310.03807 Sec. III A):

- Table I / Fig. 1 red curve: models trained on the ``original`` scheme (arXiv:2303.05560),
  tested on the ``hierarchical`` one (train-on-one-scheme, test-on-another);
- Table II / Fig. 2: trained on ``hierarchical``, tested on ``hierarchical``;
- Table III / Fig. 3: the Table II models on the sub-population F_nuebar < 0.3 (nearly isotropic
  antineutrinos, our stand-in for the decoupling region r < 100 km) with the p_c sweep;
- Table IV: the ELN-XLN scheme, 50k samples, 80/20 split — the same kind of data as the paper,
  so the numbers are directly comparable.

Every model is also scored in-distribution on both ELN schemes and on single-family data,
which are the acceptance checks of the Bayes ceiling. Hyperparameters are fixed (the papers'
configurations, :mod:`nulearn.flavor.models.registry`) or chosen on a validation split carved
from the training part; the test split is only scored, and the "best model" is chosen by
validation accuracy.
"""

from __future__ import annotations

from pathlib import Path

from nulearn.flavor.studies.published import PUBLISHED
from nulearn.flavor.studies.reproduce.config import ReproduceConfig, ReproduceResult
from nulearn.flavor.studies.reproduce.report import write_report
from nulearn.flavor.studies.reproduce.run import reproduce
from nulearn.flavor.studies.reproduce.tables import acceptance_table

__all__ = [
    "PUBLISHED",
    "ReproduceConfig",
    "ReproduceResult",
    "acceptance_table",
    "reproduce",
    "reproduce_to_folder",
    "write_report",
]


def reproduce_to_folder(
    config: ReproduceConfig, out_dir: str | Path, *, progress: bool = False
) -> tuple[ReproduceResult, Path]:
    """Run :func:`reproduce` and write its report to ``out_dir``; returns the result and report path.

    The folder is checked before the (minutes-long) run, so an unwritable ``out_dir`` fails at once.
    """
    from nulearn.ml.io import check_output

    check_output(out_dir, directory=True, what="--out (report folder)")
    result = reproduce(config, progress=progress)
    return result, write_report(result, out_dir)
