"""The evaluation of a saved model as a report: scores, the Bayes ceiling, the p_c sweep and
ROC / precision-recall curves."""

from __future__ import annotations

from typing import Any

from nulearn.flavor.evaluation.scoring import ModelEvaluation
from nulearn.ml.report import Report

__all__ = ["evaluation_report"]


def evaluation_report(
    title: str, description: str, ev: ModelEvaluation, ceiling: Any | None
) -> Report:
    """A :class:`~nulearn.ml.report.Report` of one evaluation.

    Args:
        title: report title.
        description: what was scored (data file, ranges, sample count).
        ev: the scores.
        ceiling: the data's :class:`~nulearn.flavor.evaluation.ceiling.BayesCeiling`, or ``None``.
    """
    from nulearn.ml.figures import roc_pr_figure

    rep = Report(title)
    rep.text(description)
    rep.text(f"Accuracy {ev.accuracy:.4f}. " + (ceiling.describe() if ceiling else ""))
    rep.table(ev.scores.per_class.reset_index(), caption="Per-class scores")
    rep.table(ev.sweep, caption="Threshold sweep p_c (crossing class)")
    fig = roc_pr_figure({ev.label: (ev.roc, ev.pr)})
    rep.figure(fig, "roc_pr", "ROC and precision-recall curves")
    return rep
