"""The line-training pitfall (EXO-200 lesson): a generic CNN trained on two lines collapses onto
them; the physics-structured EnergyNet trained on the same lines stays linear.

The networks are the library's, trained through the estimator; the images are collection pulses
of the detector's own template at a reduced size (8 channels x 64 bins of 2 us) so that three
trainings fit in a few seconds on one core.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from nulearn.detector.tpc.data.dataset import image_template
from nulearn.detector.tpc.evaluation.energy import LINES_KEV, line_pull_metrics, pitfall_shown
from nulearn.detector.tpc.models.energy import WaveformEnergyRegressor
from nulearn.detector.tpc.physics.config import TPCConfig

# No attachment: the structured network's lifetime correction starts at exp(0 * t) = 1.
CONFIG = replace(TPCConfig(), electron_lifetime_us=1e9)
N_CHANNELS, N_TIME = 8, 64
NOISE = 0.6  # per-bin noise of the pooled image in 1000 e (about 800 e per wire before pooling)


def pulse_images(energy_kev: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Collection pulses (one channel, random arrival) plus white noise, shape (n, 8, 64)."""
    n = energy_kev.size
    template = image_template(CONFIG, n_taps=N_TIME)
    start = rng.integers(0, 24, n)
    idx = np.arange(N_TIME)[None, :] - start[:, None]
    shifted = np.where(idx >= 0, template[np.clip(idx, 0, N_TIME - 1)], 0.0)
    images = rng.normal(0.0, NOISE, (n, N_CHANNELS, N_TIME))
    channel = rng.integers(0, N_CHANNELS, n)
    # 35.3 e/keV (W = 15.6 eV, charge fraction 0.55), in units of 1000 e.
    images[np.arange(n), channel] += energy_kev[:, None] * CONFIG.electrons_per_kev / 1000 * shifted
    return images.astype(np.float32)


@pytest.fixture(scope="module")
def data() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    flat_e = rng.uniform(500.0, 3500.0, 400)
    line_e = rng.choice(np.asarray(LINES_KEV), 400)
    test_e = rng.uniform(500.0, 3500.0, 400)
    return {
        "flat": (pulse_images(flat_e, rng), flat_e),
        "lines": (pulse_images(line_e, rng), line_e),
        "test": (pulse_images(test_e, rng), test_e),
    }


def fit(architecture: str, images: np.ndarray, energy: np.ndarray) -> WaveformEnergyRegressor:
    model = WaveformEnergyRegressor(
        n_members=1,
        architecture=architecture,
        config=CONFIG,
        max_epochs=12,
        patience=12,
        batch_size=32,
        learning_rate=3e-3,
        num_threads=1,
        seed=0,
    )
    return model.fit(images, energy)


def test_generic_cnn_collapses_onto_training_lines_structured_stays_linear(data) -> None:
    x_test, e_test = data["test"]
    pulls = {
        (arch, spectrum): line_pull_metrics(fit(arch, *data[spectrum]).predict(x_test), e_test)
        for arch, spectrum in (("generic", "flat"), ("generic", "lines"), ("structured", "lines"))
    }
    flat, lines, structured = pulls.values()
    # The flat-trained generic CNN regresses: slope near 1, few off-line events on a line.
    assert flat["slope"] == pytest.approx(1.0, abs=0.15)
    assert flat["collapse"] < 0.1
    # Trained on the two lines only it memorises them: many off-line events are predicted
    # within 1 % of a line value and the response is flat in the true energy.
    assert lines["collapse"] > 0.25 and lines["collapse"] > 5 * max(flat["collapse"], 0.01)
    assert abs(lines["slope"]) < 0.3
    assert lines["rms"] > 3 * flat["rms"]
    # The structured network trained on the same lines stays linear off them.
    assert structured["slope"] == pytest.approx(1.0, abs=0.05)
    assert structured["collapse"] < 0.1 and structured["rms"] < 0.05


def test_line_pull_metrics_limits() -> None:
    true = np.linspace(500.0, 3500.0, 3001)
    exact = line_pull_metrics(true, true)
    assert exact["bias"] == exact["rms"] == exact["collapse"] == 0.0
    assert exact["slope"] == pytest.approx(1.0)
    # Off-line: more than 5 % from both lines.
    lines = np.asarray(LINES_KEV)
    assert exact["n_off"] == np.sum(np.all(np.abs(true[:, None] - lines) / lines > 0.05, axis=1))
    stuck = line_pull_metrics(np.full_like(true, LINES_KEV[0]), true)
    assert stuck["collapse"] == 1.0 and stuck["slope"] == pytest.approx(0.0, abs=1e-12)
    scaled = line_pull_metrics(1.1 * true, true)
    assert scaled["bias"] == pytest.approx(0.1) and scaled["rms"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="window"):
        line_pull_metrics(true, true, window=0.1)
    with pytest.raises(ValueError, match="shapes"):
        line_pull_metrics(true[:5], true)


def test_pitfall_shown_criterion() -> None:
    cols = ["sigma/E at 2615 keV [%]", "off-line RMS [%]", "collapse onto lines [%]"]
    rows = [("generic", "flat", 2.0, 5.0, 3.0), ("generic", "lines only", 1.0, 40.0, 80.0)]
    table = pd.DataFrame(rows, columns=["network", "training spectrum", *cols])
    assert pitfall_shown(table)
    table.loc[1, "collapse onto lines [%]"] = 5.0  # pulled no more than flat training
    assert not pitfall_shown(table)
    table.loc[1, ["collapse onto lines [%]", "sigma/E at 2615 keV [%]"]] = [80.0, 3.0]
    assert not pitfall_shown(table)  # worse on the lines too: nothing looks better than it is


def test_architecture_parameter() -> None:
    model = WaveformEnergyRegressor(architecture="generic")
    assert clone(model).get_params()["architecture"] == "generic"
    assert WaveformEnergyRegressor().architecture == "structured"
    with pytest.raises(ValueError, match="architecture"):
        WaveformEnergyRegressor(architecture="resnet").fit(np.zeros((8, 8, 64)), np.ones(8))
