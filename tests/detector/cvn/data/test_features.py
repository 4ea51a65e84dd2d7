"""Hand-made features against closed forms and the time-mirror symmetry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nulearn.detector.cvn.data.features import PER_VIEW_FEATURES, feature_names, hand_features
from nulearn.detector.cvn.data.pixel_maps import CVNSample

F = {name: i for i, name in enumerate(PER_VIEW_FEATURES)}


def _one_view(view: np.ndarray) -> np.ndarray:
    maps = np.zeros((1, 3, *view.shape), dtype=np.uint8)
    maps[0, 1] = view
    return hand_features(maps).reshape(3, -1)


def test_single_hit() -> None:
    v = np.zeros((20, 30), dtype=np.uint8)
    v[7, 11] = 40
    f = _one_view(v)
    assert np.all(f[0] == 0) and np.all(f[2] == 0)  # empty views give zeros
    g = f[1]
    assert g[F["total_charge"]] == 40 and g[F["n_hits"]] == 1
    assert g[F["wire_extent"]] == 1 and g[F["time_extent"]] == 1
    assert g[F["mean_wire"]] == pytest.approx(7) and g[F["mean_time"]] == pytest.approx(11)
    assert g[F["std_wire"]] == pytest.approx(0, abs=1e-6) and g[
        F["max_charge_fraction"]
    ] == pytest.approx(1)


def test_track_along_wires() -> None:
    length = 12
    v = np.zeros((20, 30), dtype=np.uint8)
    v[3 : 3 + length, 5] = 10
    g = _one_view(v)[1]
    assert g[F["wire_extent"]] == length and g[F["time_extent"]] == 1
    # Uniform charge on L consecutive wires: variance (L^2 - 1) / 12.
    assert g[F["std_wire"]] == pytest.approx(np.sqrt((length**2 - 1) / 12), rel=1e-5)
    assert g[F["major_axis"]] == pytest.approx(g[F["std_wire"]], rel=1e-5)
    assert g[F["minor_axis"]] == pytest.approx(0, abs=1e-4)
    assert g[F["skew_wire"]] == pytest.approx(0, abs=1e-5)  # symmetric profile
    assert g[F["charge_per_hit"]] == pytest.approx(10)


def test_diagonal_track_is_fully_correlated() -> None:
    v = np.zeros((20, 20), dtype=np.uint8)
    idx = np.arange(2, 15)
    v[idx, idx] = 30
    g = _one_view(v)[1]
    assert g[F["corr_wire_time"]] == pytest.approx(1, abs=1e-5)
    # Along the diagonal the spread is sqrt(2) x that of one axis; across it zero, and the
    # elongation uses a floor of half a pixel for the minor axis.
    assert g[F["major_axis"]] == pytest.approx(np.sqrt(2 * (13**2 - 1) / 12), rel=1e-4)
    assert g[F["minor_axis"]] == pytest.approx(0, abs=1e-3)
    assert g[F["elongation"]] == pytest.approx(g[F["major_axis"]] / 0.5, rel=1e-4)


def test_shower_front_loaded_profile_has_positive_skew() -> None:
    v = np.zeros((30, 10), dtype=np.uint8)
    v[:20, 5] = np.linspace(200, 10, 20).astype(np.uint8)  # charge decreasing downstream
    assert _one_view(v)[1][F["skew_wire"]] > 0


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_time_mirror_symmetry(seed: int) -> None:
    rng = np.random.default_rng(seed)
    maps = ((rng.random((2, 3, 16, 12)) < 0.3) * rng.integers(1, 256, (2, 3, 16, 12))).astype(
        np.uint8
    )
    f = hand_features(maps).reshape(2, 3, -1)
    g = hand_features(maps[..., ::-1].copy()).reshape(2, 3, -1)
    same = [
        F[k]
        for k in (
            "total_charge",
            "n_hits",
            "wire_extent",
            "time_extent",
            "std_wire",
            "std_time",
            "major_axis",
            "minor_axis",
            "skew_wire",
        )
    ]
    np.testing.assert_allclose(g[..., same], f[..., same], rtol=1e-4, atol=1e-4)
    occupied = f[..., F["total_charge"]] > 0
    np.testing.assert_allclose(
        g[..., F["mean_time"]][occupied], 11 - f[..., F["mean_time"]][occupied], atol=1e-4
    )
    np.testing.assert_allclose(g[..., F["corr_wire_time"]], -f[..., F["corr_wire_time"]], atol=1e-4)


def test_real_events_give_finite_features(tiny_sample: CVNSample) -> None:
    assert tiny_sample.extra is not None
    assert np.isfinite(tiny_sample.extra).all()
    assert len(feature_names()) == tiny_sample.extra.shape[1] == 45
    charge = tiny_sample.extra.reshape(16, 3, -1)[..., F["total_charge"]]
    assert (charge > 0).all()


def test_rejects_wrong_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        hand_features(np.zeros((2, 2, 5, 5)))
