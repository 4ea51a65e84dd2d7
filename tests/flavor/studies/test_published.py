"""The published numbers are stored once, consistently, and both studies read them."""

from __future__ import annotations

import math

import pytest

from nulearn.flavor.models.registry import get_variant
from nulearn.flavor.studies.published import PUBLISHED, published_accuracy
from nulearn.flavor.studies.realistic import StudyConfig, study_models
from nulearn.flavor.studies.realistic.config import previous_lr
from nulearn.flavor.studies.realistic.report import _paper_accuracy
from nulearn.flavor.studies.reproduce import PUBLISHED as REPRODUCE_PUBLISHED


def test_one_store() -> None:
    assert REPRODUCE_PUBLISHED is PUBLISHED


@pytest.mark.parametrize("table", sorted(PUBLISHED))
def test_rows_are_consistent(table: str) -> None:
    """Keys are registry keys; every F1 is the harmonic mean of its P and R up to rounding."""
    for key, scores in PUBLISHED[table].items():
        get_variant(key)
        assert 0 <= scores.accuracy <= 100
        assert set(scores.per_class) == {"no crossing", "crossing"}
        for precision, recall, f1 in scores.per_class.values():
            assert abs(2 * precision * recall / (precision + recall) - f1) <= 1.0, (table, key)


def test_accuracy_as_fraction() -> None:
    assert published_accuracy("IV", "lr2") == PUBLISHED["IV"]["lr2"].accuracy / 100
    assert math.isnan(published_accuracy("I", "lr2"))  # Table I has the degree-9 LR


def test_realistic_study_compares_with_the_same_rows() -> None:
    cfg = StudyConfig(models=("lr", "knn", "lr_physical", "mlp_physical"))
    labels = [m.label for m in (previous_lr(cfg), *study_models(cfg))]
    assert labels == [
        "LR (n=9)",
        "LR (n=2)",
        "KNN (k=3)",
        "LR (n=2, physical coordinates)",
        "MLP (physical coordinates)",
    ]
    table_1 = _paper_accuracy("I", labels, cfg)
    assert table_1[0] == PUBLISHED["I"]["lr9"].accuracy / 100 and math.isnan(table_1[1])
    assert _paper_accuracy("II", labels, cfg)[1:3] == [0.94, 0.98]
