"""Efficiency, purity, confusion, ROC and energy dependence against hand-counted cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nulearn.detector.cvn.data.pixel_maps import FLAVOUR_NAMES
from nulearn.detector.cvn.evaluation.selection import (
    PUBLISHED_CVN,
    accuracy_table,
    binomial_error,
    efficiency_purity,
    efficiency_vs_energy,
    published_comparison,
    roc_per_class,
)
from nulearn.detector.cvn.study.report import efficiency_vs_energy_figure
from nulearn.ml.figures import confusion_figure, roc_figure

Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3])
Y_PRED = np.array([0, 0, 0, 1, 1, 1, 0, 1, 2, 3, 3, 3])


def test_efficiency_and_purity_by_hand() -> None:
    t = efficiency_purity(Y_TRUE, Y_PRED).set_index("class")
    # numu: 3 of 4 selected; 4 selected as numu of which 3 true.
    assert t.loc["numu_cc", "efficiency"] == pytest.approx(0.75)
    assert t.loc["numu_cc", "purity"] == pytest.approx(0.75)
    assert t.loc["nc", "efficiency"] == 1.0 and t.loc["nc", "purity"] == pytest.approx(2 / 3)
    assert t.loc["numu_cc", "efficiency_err"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert t["n_true"].sum() == t["n_selected"].sum() == 12


def test_binomial_error_limits() -> None:
    assert binomial_error(0.0, 10) == 0 and binomial_error(1.0, 10) == 0
    assert binomial_error(0.5, 100) == pytest.approx(0.05)
    assert binomial_error(0.5, 0) == 0


def test_roc_of_perfect_and_inverted_scores() -> None:
    proba = np.eye(4)[Y_TRUE]
    assert [c.area for c in roc_per_class(Y_TRUE, proba)] == [1.0] * 4
    assert roc_per_class(Y_TRUE, 1 - proba)[0].area == 0.0


def test_accuracy_table_with_folds() -> None:
    proba = np.eye(4)[Y_PRED]
    fold = np.arange(12) % 3
    t = accuracy_table(Y_TRUE, {"m": proba}, fold).iloc[0]
    assert t["accuracy"] == pytest.approx(9 / 12)
    per_fold = [np.mean((Y_PRED == Y_TRUE)[fold == f]) for f in range(3)]
    assert t["fold_mean"] == pytest.approx(np.mean(per_fold))
    assert t["fold_std"] == pytest.approx(np.std(per_fold, ddof=1))


def test_efficiency_vs_energy_counts() -> None:
    energy = np.array([1, 1, 3, 3, 1, 3, 3, 3, 5, 5, 50, 50.0])
    t = efficiency_vs_energy(Y_TRUE, Y_PRED, energy, edges=(0, 2, 4, 100))
    numu = t[t["class"] == "numu_cc"].reset_index()
    assert numu["n_true"].tolist() == [2, 2, 0]
    assert numu["efficiency"].iloc[0] == 1.0 and numu["efficiency"].iloc[1] == 0.5
    assert np.isnan(numu["efficiency"].iloc[2])


def test_published_comparison_and_figures() -> None:
    tab = efficiency_purity(Y_TRUE, Y_PRED)
    cmp = published_comparison({"ours": tab}, n_train=10)
    assert cmp["model"].iloc[0].startswith("DUNE CVN") and cmp["training_events"].iloc[1] == "10"
    assert f"{PUBLISHED_CVN['numu_cc']:.2f}" in cmp["numu_cc_efficiency"].iloc[0]
    proba = np.eye(4)[Y_PRED] * 0.7 + 0.075
    energy = np.linspace(0.5, 30, 12)
    for fig in (
        confusion_figure(Y_TRUE, {"a": Y_PRED, "b": Y_TRUE}, FLAVOUR_NAMES),
        roc_figure(Y_TRUE, {"a": proba}, FLAVOUR_NAMES),
        efficiency_vs_energy_figure({"a": efficiency_vs_energy(Y_TRUE, Y_PRED, energy)}),
    ):
        assert len(fig.axes) >= 2
    assert isinstance(cmp, pd.DataFrame)
