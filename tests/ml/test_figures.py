"""The shared figures: what each draws, from ready-made curves or from scores."""

from __future__ import annotations

import numpy as np
import pytest

from nulearn.ml.figures import (
    confusion_figure,
    embedding_figure,
    pr_figure,
    rejection_figure,
    reliability_diagram,
    roc_figure,
    roc_pr_figure,
)
from nulearn.ml.metrics import pr_curve, roc_curve

Y = np.array([0, 0, 1, 1, 0, 1])
P = np.array([0.1, 0.6, 0.4, 0.9, 0.2, 0.8])


def _labels(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [label for ax in fig.axes for label in ax.get_legend_handles_labels()[1]]


def test_binary_roc_and_pr_legends_carry_the_areas() -> None:
    auc = roc_curve(Y, P).area
    ap = pr_curve(Y, P).area
    assert _labels(roc_figure(Y, {"m": P})) == [f"m (AUC {auc:.3f})"]
    assert _labels(pr_figure(Y, {"m": P})) == [f"m (AP {ap:.3f})"]
    both = roc_pr_figure({"m": (roc_curve(Y, P), pr_curve(Y, P))})
    assert len(both.axes) == 2 and _labels(both) == [f"m (AUC {auc:.3f})", f"m (AP {ap:.3f})"]


def test_multiclass_scores_give_one_one_vs_rest_panel_per_class() -> None:
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.eye(3)[[0, 1, 2, 1, 1, 2]] * 0.8 + 0.2 / 3
    fig = roc_figure(y, {"a": proba, "b": proba[:, ::-1]}, ["x", "y", "z"])
    assert [ax.get_title() for ax in fig.axes] == ["x vs rest", "y vs rest", "z vs rest"]
    assert all(len(ax.get_lines()) == 3 for ax in fig.axes)  # two models and the diagonal
    with pytest.raises(ValueError, match="scores"):
        roc_figure(y, {"bad": proba[:3]})


def test_rejection_figure_reads_the_background_roc_as_efficiency() -> None:
    curve = roc_curve(Y, P)
    fig = rejection_figure({"cut": curve}, signal="single-site", background="gamma")
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_xdata(), 1 - curve.x)
    assert fig.axes[0].get_xlabel() == "single-site efficiency"


def test_reliability_diagram_with_shared_or_per_curve_labels() -> None:
    fig = reliability_diagram(Y, {"raw": P, "flat": np.full(6, 0.5)}, n_bins=2)
    assert len(fig.axes) == 2  # curves and histogram
    fig = reliability_diagram(
        {"a": Y, "b": 1 - Y}, {"a": P, "b": 1 - P}, n_bins=2, histogram=False, title=""
    )
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 3


def test_confusion_and_embedding_figures() -> None:
    fig = confusion_figure([0, 1, 1], {"m": [0, 1, 0], "n": [1, 1, 1]}, ["a", "b"])
    assert [ax.get_title() for ax in fig.axes] == ["m", "n"]
    emb = np.random.default_rng(0).normal(size=(6, 2))
    assert len(embedding_figure({"PCA": emb}, [0, 1, 0, 1, 0, 1], ["a", "b"]).axes) == 1
