"""The boosted-tree baseline honours the scikit-learn contract and learns from hand features."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from nulearn.detector.cvn.data.pixel_maps import CVNSample
from nulearn.detector.cvn.models.baseline import BaselineConfig, make_baseline


def test_contract_and_probabilities(tiny_sample: CVNSample) -> None:
    assert tiny_sample.extra is not None
    est = make_baseline(BaselineConfig(n_estimators=20, min_child_samples=2))
    params = clone(est).get_params()
    assert params["n_estimators"] == 20 and params["n_jobs"] == 1
    p = est.fit(tiny_sample.extra, tiny_sample.flavour).predict_proba(tiny_sample.extra)
    assert p.shape == (16, 4)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-6)


def test_separates_track_from_shower_features() -> None:
    # Synthetic: class 0 = long thin (few hits, long extent), class 1 = compact and wide.
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 4)) + np.outer(y, [3.0, -3.0, 0, 0])
    scores = cross_val_score(
        make_baseline(BaselineConfig(n_estimators=30, min_child_samples=5)), x, y, cv=3
    )
    assert scores.mean() > 0.9
