"""From artificial to realistic angular distributions: the study of arXiv:2310.03807 on our data.

Realistic data are the transport-solved profiles of :mod:`nulearn.flavor.physics.transport` (moments and
exact crossing labels per radial cell); artificial data come from
:func:`nulearn.flavor.data.generate.generate`. Every split of realistic data is by *profile*, never by
cell, because neighbouring cells of one profile are strongly correlated.

Experiments (:func:`run_study`), each a table of the report and a function of
:mod:`~nulearn.flavor.studies.realistic.experiments`:

1. Table I analogue: train on artificial data only (``original``, ``hierarchical`` and ``mixed`` =
   half of each), test on all realistic cells; plus LR accuracy against polynomial degree (Fig. 1).
2. Table II analogue: train on hierarchical artificial data plus the realistic training profiles,
   test on held-out profiles.
3. Table III analogue: the same models on held-out cells at r <= ``inner_radius_km``.
4. The analytic maximum-entropy and Gaussian tests from moments on the same cells.
5. Domain adaptation: a domain-adversarial network (labelled artificial + unlabelled realistic
   training profiles) against the same network without the adversary.
6. Higher moments: ELN features plus I_2/I_0 (and I_3/I_0) per species; artificial rows get them
   from their own angular family.
7. ELN-XLN: models trained on the ``xln`` scheme, tested on the realistic XLN labels.

Beside the papers' models the study runs the same inputs in coordinates that resolve
forward-peaked distributions (registry keys ``lr2_phys`` and ``mlp_phys`` in
:mod:`nulearn.flavor.models.coordinates`, ``gbt_forward`` on
:mod:`nulearn.flavor.models.forward_coordinates`), the bright-sphere (cone) closure, a learning
curve in the number of training profiles, an error budget by crossing depth, and a label-quality
check under solver refinement (:func:`nulearn.flavor.data.label_resolution.label_resolution_check`);
the report states plainly whether the realistic-data targets are met and why
(:mod:`~nulearn.flavor.studies.realistic.report`).

Modules: ``config`` (:class:`StudyConfig`, the study's models), ``data`` (inputs), ``experiments``
(one function per table), ``run`` (:func:`run_study`), ``figures`` and ``report``
(:func:`study_report`, :func:`write_study`). Published numbers come from
:mod:`nulearn.flavor.studies.published`.
"""

from pathlib import Path

from nulearn.flavor.studies.realistic.config import StudyConfig, StudyResult, study_models
from nulearn.flavor.studies.realistic.data import (
    add_family_moments,
    artificial_training_sets,
    load_realistic,
    radial_crossing_profile,
)
from nulearn.flavor.studies.realistic.experiments import (
    PROFILE_CURVE_FRACTIONS,
    SHALLOW_DEPTH,
    best_accuracy,
    error_budget,
    profile_learning_curve,
)
from nulearn.flavor.studies.realistic.report import study_report, write_study
from nulearn.flavor.studies.realistic.run import run_study

__all__ = [
    "PROFILE_CURVE_FRACTIONS",
    "SHALLOW_DEPTH",
    "StudyConfig",
    "StudyResult",
    "add_family_moments",
    "artificial_training_sets",
    "best_accuracy",
    "error_budget",
    "load_realistic",
    "profile_learning_curve",
    "radial_crossing_profile",
    "run_study",
    "study_models",
    "study_report",
    "study_to_folder",
    "write_study",
]


def study_to_folder(
    config: StudyConfig, out_dir: str | Path, *, progress: bool = False
) -> tuple[StudyResult, Path]:
    """Run the study (:func:`run_study`) and write it to ``out_dir`` (:func:`write_study`);
    returns the result and the report's path. An unwritable ``out_dir`` fails before the run;
    a given realistic table is read and checked (rows, physical moments, 0/1 labels) first."""
    from nulearn.ml.io import check_output

    check_output(out_dir, directory=True, what="--out (report folder)")
    result = run_study(config, progress=progress)
    return result, write_study(result, out_dir)
