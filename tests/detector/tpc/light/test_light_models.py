"""Position models from light: CNN shapes, centroid calibration, metrics, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nulearn.detector.tpc.evaluation.position import core_sigma, resolution_by, resolution_table
from nulearn.detector.tpc.models.light_centroid import CentroidPositionEstimator
from nulearn.detector.tpc.models.light_position import LightPositionNet, LightPositionRegressor
from nulearn.detector.tpc.physics.light_config import LightConfig
from nulearn.detector.tpc.study.light import check_light_events


def test_cnn_shapes_and_scale_invariance() -> None:
    net = LightPositionNet(74, 4, 32).eval()
    x = torch.rand(3, 74, 128) * 1e4
    out = net(x)
    assert out.shape == (3, 3)
    # The pattern path is invariant to the overall light; only the log-total input changes.
    with torch.no_grad():
        a = net.temporal(
            (x / x.clamp(min=0).amax(2).sum(1)[:, None, None] * 74).reshape(-1, 1, 128)
        )
        b = net.temporal(
            (2 * x / (2 * x).clamp(min=0).amax(2).sum(1)[:, None, None] * 74).reshape(-1, 1, 128)
        )
    assert torch.allclose(a, b, atol=1e-5)


def test_regressor_fits_and_predicts_mm() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (24, 74, 32)).astype(np.float32)
    y = rng.uniform(-100, 100, (24, 3))
    m = LightPositionRegressor(max_epochs=1, batch_size=8, num_threads=1).fit(x, y)
    pred = m.predict(x)
    assert pred.shape == (24, 3) and np.isfinite(pred).all()
    with pytest.raises(ValueError, match="shape"):
        LightPositionRegressor(max_epochs=1).fit(x, y[:, :2])
    with pytest.raises(ValueError, match="channels"):
        m.predict(x[:, :70])


def test_centroid_calibration_is_fitted_on_training_events() -> None:
    cfg = LightConfig()
    from nulearn.detector.tpc.physics.light import pulse_template
    from nulearn.detector.tpc.physics.light_config import gang_centres

    rng = np.random.default_rng(2)
    pos = np.column_stack([rng.uniform(-100, 100, 60), rng.uniform(-100, 100, 60), np.zeros(60)])
    pos[:, 2] = rng.uniform(-150, 150, 60)
    centres = gang_centres(cfg)
    # A toy light map: amplitude falls with the distance to each gang.
    d = np.linalg.norm(pos[:, None, :] - centres[None], axis=-1)
    amp = 1e5 / d**2
    w = amp[..., None] * pulse_template(cfg)[None, None, :]
    est = CentroidPositionEstimator(cfg).fit(w, pos)
    raw_err = np.abs(est.predict_raw(w)[:, 0] - pos[:, 0]).mean()
    cal_err = np.abs(est.predict(w)[:, 0] - pos[:, 0]).mean()
    assert cal_err < raw_err


def test_metrics() -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(0, 3.0, (5000, 3))
    r[:50, 0] += 200.0  # 1 % tails: inflate the RMS, not the core
    t = resolution_table(r).set_index("axis")
    assert t.loc["x", "core sigma [mm]"] == pytest.approx(3.0, rel=0.05)
    assert t.loc["x", "RMS [mm]"] > 15
    assert t.loc["3D", "core sigma [mm]"] == pytest.approx(3.0 * np.sqrt(3), rel=0.05)
    binned = resolution_by(rng.uniform(0, 1, 5000), r, np.linspace(0, 1, 5))
    assert len(binned) == 4 and binned["n"].sum() == 5000
    with pytest.raises(ValueError, match="non-finite"):
        core_sigma(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="shape"):
        resolution_table(r[:, :2])


def test_event_checks_name_the_problem() -> None:
    cfg = LightConfig()
    good = {
        "light": np.zeros((4, 74, 128), np.float32),
        "position_mm": np.zeros((4, 3)),
        "energy_kev": np.full(4, 1000.0),
    }
    check_light_events(good, cfg, "f.npz")
    bad = dict(good, light=good["light"].copy())
    bad["light"][2, 5, 7] = np.nan
    with pytest.raises(ValueError, match=r"event 2, channel 5, sample 7"):
        check_light_events(bad, cfg, "f.npz")
    with pytest.raises(ValueError, match="expected"):
        check_light_events(dict(good, light=np.zeros((4, 70, 128))), cfg, "f.npz")
    with pytest.raises(ValueError, match=r"energy_kev\[0\] = 1000.0 keV is outside"):
        check_light_events(good, cfg, "f.npz", (1500.0, 3000.0))
