"""The figures every pillar draws, written once: ROC and precision-recall curves, signal efficiency
against background rejection, reliability diagrams, confusion matrices, 2D embeddings.

Each function returns a ``matplotlib.figure.Figure`` (Agg backend, see
:func:`nulearn.ml.report.pyplot`) for :meth:`nulearn.ml.report.Report.figure`; the ``plot_*``
functions draw onto given axes for composite figures. Curves come from :mod:`nulearn.ml.metrics`
(:class:`~nulearn.ml.metrics.Curve`), calibration from :mod:`nulearn.ml.calibration`.

Examples:
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.6, 0.4, 0.9])
    >>> fig = roc_figure(y, {"model": p})
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['model (AUC 0.750)']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from nulearn.ml.calibration import expected_calibration_error, reliability_curve
from nulearn.ml.metrics import Curve, normalised_confusion, pr_curve, roc_curve
from nulearn.ml.report import pyplot

__all__ = [
    "confusion_figure",
    "curve_figure",
    "embedding_figure",
    "plot_curves",
    "plot_reliability",
    "pr_figure",
    "rejection_figure",
    "reliability_diagram",
    "roc_figure",
    "roc_pr_figure",
]

_CURVE_KINDS = ("roc", "pr", "rejection")


def plot_curves(ax: Any, curves: Mapping[str, Curve], kind: str = "roc") -> None:
    """Draw one line per named curve on ``ax``.

    ``kind``: ``"roc"`` (true- against false-positive rate, the AUC in the legend, the chance
    diagonal dotted), ``"pr"`` (precision against recall, the average precision in the legend)
    or ``"rejection"`` (a ROC of the background class read as background rejection against
    signal efficiency, 1 − false-positive rate).
    """
    if kind not in _CURVE_KINDS:
        raise ValueError(f"curve kind {kind!r} unknown; allowed: {', '.join(_CURVE_KINDS)}")
    for name, c in curves.items():
        if kind == "roc":
            ax.plot(c.x, c.y, label=f"{name} (AUC {c.area:.3f})")
        elif kind == "pr":
            ax.plot(c.x, c.y, label=f"{name} (AP {c.area:.3f})")
        else:
            ax.plot(1 - c.x, c.y, label=name)
    if kind == "roc":
        ax.plot([0, 1], [0, 1], color="0.7", ls=":", lw=1)
        ax.set_xlabel("false-positive rate")
    elif kind == "pr":
        ax.set_xlabel("recall")
    ax.legend(fontsize=7, loc="lower right" if kind == "roc" else "best")


def curve_figure(
    panels: Mapping[str, Mapping[str, Curve]], kind: str = "roc", ylabel: str | None = None
) -> Any:
    """One panel per key of ``panels`` (its title), one line per curve (see :func:`plot_curves`)."""
    plt = pyplot()
    k = len(panels)
    fig, axes = plt.subplots(1, k, figsize=(3.3 * k, 3.3), squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        plot_curves(ax, curves, kind)
        ax.set_title(title)
    default = {"roc": "true-positive rate (efficiency)", "pr": "precision", "rejection": ""}
    axes[0, 0].set_ylabel(ylabel if ylabel is not None else default.get(kind, ""))
    fig.tight_layout()
    return fig


def _panels(
    y_true: ArrayLike,
    scores: Mapping[str, ArrayLike],
    class_names: Sequence[str] | None,
    curve: Any,
) -> dict[str, dict[str, Curve]]:
    """Binary scores ``(n,)``: one panel; class scores ``(n, k)``: one one-vs-rest panel per class."""
    y = np.asarray(y_true)
    panels: dict[str, dict[str, Curve]] = {}
    for name, s in scores.items():
        arr = np.asarray(s, dtype=np.float64)
        if arr.ndim == 1:
            title = "" if class_names is None else f"{class_names[-1]} vs {class_names[0]}"
            panels.setdefault(title, {})[name] = curve(y, arr)
            continue
        if arr.ndim != 2 or arr.shape[0] != y.shape[0]:
            raise ValueError(f"scores of {name!r} must be ({y.shape[0]},) or ({y.shape[0]}, k)")
        names = class_names or [str(c) for c in range(arr.shape[1])]
        for c in range(arr.shape[1]):
            panels.setdefault(f"{names[c]} vs rest", {})[name] = curve(
                (y == c).astype(int), arr[:, c]
            )
    return panels


def roc_figure(
    y_true: ArrayLike, scores: Mapping[str, ArrayLike], class_names: Sequence[str] | None = None
) -> Any:
    """ROC curves of several models on the same events.

    Args:
        y_true: labels ``(n,)``: 0/1, or class indices for multi-class scores.
        scores: model name -> scores ``(n,)`` growing with class 1, or class probabilities
            ``(n, n_classes)`` (one one-vs-rest panel per class).
        class_names: names of the classes, in label order.
    """
    return curve_figure(_panels(y_true, scores, class_names, roc_curve), "roc")


def pr_figure(
    y_true: ArrayLike, scores: Mapping[str, ArrayLike], class_names: Sequence[str] | None = None
) -> Any:
    """Precision-recall curves of several models (arguments as :func:`roc_figure`)."""
    return curve_figure(_panels(y_true, scores, class_names, pr_curve), "pr")


def roc_pr_figure(curves: Mapping[str, tuple[Curve, Curve]]) -> Any:
    """ROC (left) and precision-recall (right) of several models, from ready-made
    ``{name: (roc, pr)}`` curves."""
    fig, (roc, pr) = pyplot().subplots(1, 2, figsize=(10, 4))
    plot_curves(roc, {n: c[0] for n, c in curves.items()}, "roc")
    plot_curves(pr, {n: c[1] for n, c in curves.items()}, "pr")
    roc.set_ylabel("true-positive rate")
    pr.set_ylabel("precision")
    fig.tight_layout()
    return fig


def rejection_figure(
    curves: Mapping[str, Curve], signal: str = "signal", background: str = "background"
) -> Any:
    """Background rejection against signal efficiency, one line per discriminator, from ROC
    curves of the background class (:func:`nulearn.ml.metrics.roc_curve` with background = 1)."""
    fig, ax = pyplot().subplots(figsize=(5, 4))
    plot_curves(ax, curves, "rejection")
    ax.set_xlabel(f"{signal} efficiency")
    ax.set_ylabel(f"{background} rejection")
    return fig


def plot_reliability(
    ax: Any,
    y: ArrayLike,
    p: ArrayLike,
    name: str,
    n_bins: int = 15,
    strategy: str = "uniform",
    ece_format: str = ".4f",
) -> float:
    """Draw the reliability curve of probabilities ``p`` ``(n,)`` for labels ``y`` ``(n,)`` on the
    matplotlib axes ``ax``, labelled ``"<name> (ECE <ece>)"``; returns the ECE."""
    curve = reliability_curve(y, p, n_bins=n_bins, strategy=strategy)
    ece = expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy)
    ax.plot(
        curve["mean_predicted"],
        curve["fraction_positive"],
        marker="o",
        ms=3,
        label=f"{name} (ECE {ece:{ece_format}})",
    )
    return ece


def reliability_diagram(
    y: ArrayLike | Mapping[str, ArrayLike],
    probabilities: Mapping[str, ArrayLike],
    n_bins: int = 15,
    strategy: str = "uniform",
    title: str = "Reliability diagram",
    *,
    histogram: bool = True,
    xlabel: str = "predicted probability",
    ylabel: str = "observed fraction positive",
    ece_format: str = ".4f",
) -> Any:
    """A reliability diagram with one curve per named set of probabilities, ECE in the legend.

    Args:
        y: labels ``(n,)`` in {0, 1}, or one label array per name (e.g. "top class right" of
            each model, :func:`nulearn.ml.uncertainty.top_label`).
        probabilities: name -> positive-class probabilities ``(n,)``, e.g. ``{"raw": p,
            "isotonic": p_iso}``.
        n_bins: number of bins.
        strategy: ``"uniform"`` or ``"quantile"``.
        title: axes title.
        histogram: add a lower panel with the histogram of the probabilities.
        xlabel, ylabel: axis labels.
        ece_format: format of the ECE in the legend.
    """
    plt = pyplot()
    if histogram:
        fig, (ax, axh) = plt.subplots(
            2, 1, figsize=(5.0, 6.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
    else:
        fig, ax = plt.subplots(figsize=(4.5, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfect")
    for name, p in probabilities.items():
        labels = y[name] if isinstance(y, Mapping) else y
        plot_reliability(ax, labels, p, name, n_bins, strategy, ece_format)
        if histogram:
            axh.hist(
                np.asarray(p, dtype=np.float64), bins=50, range=(0, 1), histtype="step", log=True
            )
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8 if histogram else 7)
    if histogram:
        axh.set_xlabel(xlabel)
        axh.set_ylabel("count")
    else:
        ax.set_xlabel(xlabel)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    fig.tight_layout()
    return fig


def confusion_figure(
    y_true: ArrayLike, predictions: Mapping[str, ArrayLike], class_names: Sequence[str]
) -> Any:
    """Row-normalised confusion matrices of several models side by side."""
    plt = pyplot()
    fig, axes = plt.subplots(
        1, len(predictions), figsize=(4.2 * len(predictions), 3.8), squeeze=False
    )
    k = len(class_names)
    for ax, (name, y_pred) in zip(axes[0], predictions.items(), strict=True):
        cm = normalised_confusion(y_true, y_pred, k)
        ax.imshow(cm, vmin=0, vmax=1, cmap="Blues")
        for i in range(k):
            for j in range(k):
                ax.text(
                    j,
                    i,
                    f"{cm[i, j]:.2f}",
                    ha="center",
                    va="center",
                    color="white" if cm[i, j] > 0.5 else "black",
                    fontsize=8,
                )
        ax.set_xticks(range(k), class_names, rotation=30)
        ax.set_yticks(range(k), class_names)
        ax.set_xlabel("selected as")
        ax.set_ylabel("true class")
        ax.set_title(name)
    fig.tight_layout()
    return fig


def embedding_figure(
    embeddings: Mapping[str, ArrayLike], labels: ArrayLike, class_names: Sequence[str]
) -> Any:
    """Scatter of each 2D embedding ``(n, 2)`` coloured by true class (labels ``(n,)``)."""
    plt = pyplot()
    y = np.asarray(labels)
    fig, axes = plt.subplots(
        1, len(embeddings), figsize=(4.2 * len(embeddings), 4.0), squeeze=False
    )
    for ax, (name, e) in zip(axes[0], embeddings.items(), strict=True):
        pts = np.asarray(e)
        for c, cname in enumerate(class_names):
            m = y == c
            ax.scatter(pts[m, 0], pts[m, 1], s=6, alpha=0.7, label=cname)
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].legend(fontsize=7, markerscale=2)
    fig.tight_layout()
    return fig
