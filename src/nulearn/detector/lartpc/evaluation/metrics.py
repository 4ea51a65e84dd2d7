"""Segmentation scores as SBND's CosmicTagger quotes them, and its published figures.

CosmicTagger (Acciarri et al., "Cosmic background removal with deep neural networks in SBND",
Front. Artif. Intell. 4 (2021) 649917, arXiv:2012.01301) scores a network on

* **pixel accuracy on non-zero pixels**: the fraction of pixels carrying charge that get the
  right label (background pixels, the vast majority, would make any accuracy near 1). Here the
  images carry noise everywhere, so the non-zero pixels are those whose *true* charge is above
  the labelling threshold (truth label not background);
* **IoU** per class, ``TP / (TP + FP + FN)`` over all pixels, for cosmic and neutrino.

Its published targets, quoted by the issue: accuracy above 95 %, cosmic IoU above 90 %,
neutrino IoU above 70 %. Counts are pooled over all pixels of all images (not averaged per
image), so that an image with a tiny neutrino does not weigh as much as one with a large one.

>>> t = np.array([[0, 1, 1, 2]]); p = np.array([[0, 1, 2, 2]])
>>> s = segmentation_scores(t, p)
>>> round(s.accuracy_nonzero, 3), round(float(s.iou[1]), 3), round(float(s.iou[2]), 3)
(0.667, 0.5, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from nulearn.detector.lartpc.physics.config import LABEL_NAMES

__all__ = ["TARGETS", "SegmentationScores", "score_table", "segmentation_scores"]

#: CosmicTagger figures the issue asks to compare with: (metric, threshold).
TARGETS: dict[str, float] = {
    "pixel accuracy (non-zero)": 0.95,
    "cosmic IoU": 0.90,
    "neutrino IoU": 0.70,
}


@dataclass(frozen=True)
class SegmentationScores:
    """Pooled scores of a labelling against the truth.

    Attributes:
        confusion: (3, 3) pixel counts, rows = true class, columns = predicted class.
        iou: per-class intersection over union.
        accuracy_nonzero: accuracy on pixels whose true label is not background.
        accuracy_all: accuracy on all pixels (dominated by background).
    """

    confusion: NDArray[np.int64]
    iou: NDArray[np.float64]
    accuracy_nonzero: float
    accuracy_all: float

    def figures(self) -> dict[str, float]:
        """The three CosmicTagger figures, keyed like :data:`TARGETS`."""
        return {
            "pixel accuracy (non-zero)": self.accuracy_nonzero,
            "cosmic IoU": float(self.iou[1]),
            "neutrino IoU": float(self.iou[2]),
        }


def segmentation_scores(truth: ArrayLike, predicted: ArrayLike) -> SegmentationScores:
    """Confusion, IoU and accuracies of label arrays of equal shape (values 0, 1, 2)."""
    t = np.asarray(truth, dtype=np.int64).ravel()
    p = np.asarray(predicted, dtype=np.int64).ravel()
    if np.shape(truth) != np.shape(predicted):
        raise ValueError(
            f"truth {np.shape(truth)} and prediction {np.shape(predicted)} differ in shape"
        )
    k = len(LABEL_NAMES)
    for name, lab in (("truth", t), ("prediction", p)):
        if lab.size and (lab.min() < 0 or lab.max() >= k):
            raise ValueError(f"{name} labels outside 0..{k - 1}")
    cm = np.bincount(k * t + p, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - tp
    iou = np.divide(tp, union, out=np.zeros(k), where=union > 0)
    charged = cm[1:].sum()
    acc_nz = float(tp[1:].sum() / charged) if charged else float("nan")
    return SegmentationScores(cm, iou, acc_nz, float(tp.sum() / max(cm.sum(), 1)))


def score_table(scores: dict[str, SegmentationScores]) -> pd.DataFrame:
    """One row per method and one for the CosmicTagger targets; columns the three figures and
    the all-pixel accuracy."""
    rows = [
        {"method": name, **s.figures(), "accuracy (all pixels)": s.accuracy_all}
        for name, s in scores.items()
    ]
    rows.append(
        {
            "method": "CosmicTagger target (SBND)",
            **{k: f"> {v:.2f}" for k, v in TARGETS.items()},
            "accuracy (all pixels)": "-",
        }
    )
    return pd.DataFrame(rows)
