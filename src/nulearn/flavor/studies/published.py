"""Published scores that the studies print beside their own, stored once.

Source: F. Abbar and H. Nagakura, *Detecting fast neutrino flavor conversions with machine
learning*, arXiv:2310.03807, Tables I-IV. The classifiers read the angular-moment features
(density ratios and flux factors) and predict whether the ELN (Tables I-III) or ELN-XLN
(Table IV) angular distribution has a crossing:

* Table I: models trained on the artificial data of arXiv:2303.05560 (our ``original`` scheme),
  tested on CCSN simulation data;
* Table II: models trained on CCSN plus artificial data, tested on CCSN data;
* Table III: the Table II models on the region r < 100 km of the simulation;
* Table IV: ELN-XLN crossings, 50k artificial samples split 80/20.

arXiv:2303.05560 introduced the ``original`` artificial scheme that Table I trains on; no score
of that paper is stored here.

Each number is in percent, as printed (rounded to integers): the accuracy, and per class
(``no crossing``, ``crossing``) the precision, recall and F1 score. Models are named by their
keys in :mod:`nulearn.flavor.models.registry`: ``lr9`` is the degree-9 logistic regression of
Table I, ``lr2`` the degree-2 one of Tables II-IV, ``knn`` (k = 3), ``svm`` (RBF, gamma = 100),
``tree`` (a decision tree).

Examples:
    >>> PUBLISHED["IV"]["lr2"].accuracy
    88
    >>> published_accuracy("II", "knn")
    0.98
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["PUBLISHED", "PublishedScores", "published_accuracy"]


class PublishedScores(NamedTuple):
    """One model's row of a published table, in percent.

    Attributes:
        accuracy: accuracy on the table's test set.
        per_class: class name -> (precision, recall, F1) of that class.
    """

    accuracy: float
    per_class: dict[str, tuple[float, float, float]]


def _row(
    accuracy: float, no_crossing: tuple[float, float, float], crossing: tuple[float, float, float]
) -> PublishedScores:
    return PublishedScores(accuracy, {"no crossing": no_crossing, "crossing": crossing})


#: arXiv:2310.03807: table numeral -> model key -> :class:`PublishedScores`.
PUBLISHED: dict[str, dict[str, PublishedScores]] = {
    "I": {
        "lr9": _row(68, (72, 82, 77), (59, 43, 50)),
        "knn": _row(77, (77, 89, 83), (75, 55, 63)),
        "svm": _row(87, (98, 81, 89), (75, 98, 85)),
        "tree": _row(71, (74, 84, 79), (63, 48, 55)),
    },
    "II": {
        "lr2": _row(94, (96, 95, 95), (91, 93, 92)),
        "knn": _row(98, (98, 99, 99), (98, 97, 98)),
        "svm": _row(97, (98, 98, 98), (96, 97, 97)),
        "tree": _row(99, (99, 99, 99), (98, 98, 98)),
    },
    "III": {
        "lr2": _row(96, (96, 100, 98), (94, 49, 64)),
        "knn": _row(100, (100, 100, 100), (100, 99, 99)),
        "svm": _row(99, (99, 99, 99), (92, 90, 91)),
        "tree": _row(100, (100, 100, 100), (99, 99, 99)),
    },
    "IV": {
        "lr2": _row(88, (87, 89, 88), (88, 86, 87)),
        "knn": _row(88, (89, 88, 89), (88, 89, 88)),
        "svm": _row(88, (92, 84, 88), (85, 93, 89)),
        "tree": _row(87, (87, 87, 87), (87, 87, 87)),
    },
}


def published_accuracy(table: str, key: str) -> float:
    """Published accuracy of model ``key`` in ``table`` (``"I"`` ... ``"IV"``) as a fraction in
    [0, 1]; NaN where the table has no such model."""
    scores = PUBLISHED[table].get(key)
    return math.nan if scores is None else scores.accuracy / 100
