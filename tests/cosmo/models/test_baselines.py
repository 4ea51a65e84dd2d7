"""Baselines: likelihood-ratio optimality against the Fisher prediction, estimator contract, peak finding."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from nulearn.cosmo.data.maps import MapConfig, SpectrumTable, simulate_maps
from nulearn.cosmo.evaluation.comparison import analysis_binning, run_baselines
from nulearn.cosmo.models.baselines import (
    PowerSpectrumLikelihoodRatio,
    fisher_forecast,
    peak_count_classifier,
    peak_counts,
)
from nulearn.cosmo.theory.fourier import band_powers

from ..conftest import power_law_table


def _sets(table: SpectrumTable, config: MapConfig, n: int, seed: int):  # type: ignore[no-untyped-def]
    lab = np.tile([0, 1], n // 2)
    return simulate_maps(table, config, 0.1 * lab, seed=seed, labels=lab)


def test_likelihood_ratio_reaches_the_fisher_accuracy_on_gaussian_maps() -> None:
    table = power_law_table(suppression=0.15)
    config = MapConfig(n_pix=32, side_deg=2.0, n_gal=30.0, amplitude_jitter=0.015)
    train, test = _sets(table, config, 1000, 1), _sets(table, config, 3000, 2)
    res = run_baselines(train, test, table)
    lr_acc = float(res.table.set_index("method").loc["power-spectrum likelihood ratio", "accuracy"])
    assert res.fisher is not None
    stderr = np.sqrt(lr_acc * (1 - lr_acc) / 3000)
    # Gaussian-approximation Fisher accuracy is what the optimal test achieves (to noise + ~1 point)
    assert abs(lr_acc - res.fisher.accuracy) < 3 * stderr + 0.015
    assert 0.6 < lr_acc < 0.95
    # the optimal statistic beats peak counts on Gaussian maps
    pk_acc = float(res.table.set_index("method").loc["peak counts", "accuracy"])
    assert pk_acc < lr_acc + 2 * stderr


def test_fisher_accuracy_grows_with_galaxy_density(table: SpectrumTable) -> None:
    accs = []
    for n_gal in (10.0, 30.0, 100.0, None):
        cfg = MapConfig(n_pix=32, n_gal=n_gal)
        accs.append(fisher_forecast(table, cfg, analysis_binning(cfg)).accuracy)
    assert accs == sorted(accs)
    assert 0.5 < accs[0]


def test_likelihood_ratio_estimator_contract(table: SpectrumTable) -> None:
    config = MapConfig(n_pix=16, n_gal=None, amplitude_jitter=0.0)
    ms = _sets(power_law_table(suppression=0.4), config, 200, 3)
    binning = analysis_binning(config, 8)
    x = band_powers(ms.maps, binning)
    clf = PowerSpectrumLikelihoodRatio(binning.mode_counts(), amplitude_jitter=0.0)
    assert clone(clf).get_params()["amplitude_jitter"] == 0.0
    scores = cross_val_score(clf, x, ms.labels, cv=3)
    assert scores.mean() > 0.7
    proba = clf.fit(x, ms.labels).predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="two classes"):
        clf.fit(x, np.zeros(len(x)))


def test_peak_counts_find_isolated_peaks() -> None:
    maps = np.zeros((2, 16, 16), dtype=np.float32)
    maps[0, 4, 4] = 1.0
    maps[0, 10, 12] = 0.5
    maps[1] = 0.3  # flat: no strict maxima
    counts = peak_counts(maps, edges=[0.1, 0.75, 2.0], smoothing_pix=0.0)
    np.testing.assert_array_equal(counts, [[1, 1], [0, 0]])
    # periodic boundary: a peak on the edge is still one peak
    edge = np.zeros((1, 16, 16), dtype=np.float32)
    edge[0, 0, 15] = 1.0
    assert peak_counts(edge, [0.5, 2.0], smoothing_pix=0.0).sum() == 1
    assert peak_count_classifier().fit(
        np.random.default_rng(0).normal(size=(20, 3)), np.tile([0, 1], 10)
    )
