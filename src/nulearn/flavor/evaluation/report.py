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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rep = Report(title)
    rep.text(description)
    rep.text(f"Accuracy {ev.accuracy:.4f}. " + (ceiling.describe() if ceiling else ""))
    rep.table(ev.scores.per_class.reset_index(), caption="Per-class scores")
    rep.table(ev.sweep, caption="Threshold sweep p_c (crossing class)")
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4))
    a1.plot(ev.roc.x, ev.roc.y)
    a1.set(
        xlabel="false-positive rate",
        ylabel="true-positive rate",
        title=f"ROC (AUC {ev.roc.area:.3f})",
    )
    a2.plot(ev.pr.x, ev.pr.y)
    a2.set(xlabel="recall", ylabel="precision", title=f"PR (AP {ev.pr.area:.3f})")
    rep.figure(fig, "roc_pr", "ROC and precision-recall curves")
    return rep
