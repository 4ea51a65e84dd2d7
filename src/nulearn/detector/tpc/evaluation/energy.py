"""Scoring the energy reconstruction: the line-training pitfall and the paired resolution gain.

A regressor trained on sharp calibration lines can learn the line values themselves (Delaquis et
al., JINST 13, P08023 (2018)): its resolution *on* the lines looks good while events between the
lines are pulled onto them. :func:`line_pull_metrics` measures that pull on a flat-spectrum test
set and :func:`pitfall_shown` states whether a comparison table shows it.
:func:`paired_improvement_stderr` is the bootstrap error of the gain of one reconstruction over
another on the same events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.tpc.physics.config import Q_BB_KEV, TL208_GAMMA_KEV
from nulearn.detector.tpc.physics.reconstruction import energy_resolution

__all__ = ["LINES_KEV", "line_pull_metrics", "paired_improvement_stderr", "pitfall_shown"]

LINES_KEV = (Q_BB_KEV, TL208_GAMMA_KEV)
"""The sharp lines of a calibration-style training set: Q of 136Xe and the 208Tl gamma (keV)."""


def line_pull_metrics(
    predicted_kev: NDArray[np.floating],
    true_kev: NDArray[np.floating],
    lines_kev: tuple[float, ...] = LINES_KEV,
    window: float = 0.01,
    away: float = 0.05,
    e_min_kev: float = 500.0,
    e_max_kev: float = 3500.0,
) -> dict[str, float]:
    """How far a regressor is pulled onto training lines, measured on a flat-spectrum test set.

    Off-line events have a true energy in ``[e_min_kev, e_max_kev]`` (the flat spectrum's range;
    gammas below it lost most of their energy) and more than ``away`` (relative) from every
    line. On them:

    * bias and RMS of (E_reco - E_true)/E_true;
    * collapse fraction: the fraction predicted within ``window`` (relative) of a line value --
      for a faithful regressor about the fraction of the spectrum in those windows (a few %),
      for one that memorised the lines close to 1;
    * slope of E_reco against E_true (least squares over all events in the range): 1 for a
      calibrated regressor, 0 for one that outputs line values only.

    Args:
        predicted_kev: reconstructed energies, shape (n,).
        true_kev: true deposited energies, shape (n,).
        lines_kev: the line energies of the suspicious training set.
        window: relative half width of the window around a line counted as collapsed.
        away: relative distance from every line beyond which an event is off-line.
        e_min_kev, e_max_kev: energy range of the flat spectrum.

    Returns:
        ``{"bias", "rms", "collapse", "slope", "n_off"}`` (fractions, not %; nan if no event).
    """
    pred = np.asarray(predicted_kev, np.float64)
    true = np.asarray(true_kev, np.float64)
    if pred.shape != true.shape or pred.ndim != 1:
        raise ValueError(
            f"predicted_kev {pred.shape} and true_kev {true.shape} must be equal 1-d shapes"
        )
    if not 0 < window < away:
        raise ValueError(f"window = {window} and away = {away} must satisfy 0 < window < away")
    lines = np.asarray(lines_kev, np.float64)
    in_range = (true >= e_min_kev) & (true <= e_max_kev)
    off: NDArray[np.bool_] = in_range & np.all(np.abs(true[:, None] - lines) / lines > away, axis=1)
    near: NDArray[np.bool_] = np.any(np.abs(pred[:, None] - lines) / lines < window, axis=1)
    rel = (pred - true) / np.where(true > 0, true, 1.0)
    nan = float("nan")
    slope = float(np.polyfit(true[in_range], pred[in_range], 1)[0]) if in_range.sum() > 2 else nan
    return {
        "bias": float(rel[off].mean()) if off.any() else nan,
        "rms": float(np.sqrt(np.mean(rel[off] ** 2))) if off.any() else nan,
        "collapse": float(near[off].mean()) if off.any() else nan,
        "slope": slope,
        "n_off": float(off.sum()),
    }


def pitfall_shown(table: pd.DataFrame) -> bool:
    """Whether a pitfall table (:attr:`EnergyResult.pitfall`) shows the line-training pitfall.

    Criterion: the line-trained generic CNN has an apparent sigma/E at 2615 keV no worse than
    1.25x that of the flat-trained one (better or comparable on the lines), yet an off-line RMS
    error and a collapse fraction both at least 3x those of flat training (the collapse
    compared with at least 1 %, so that a zero does not make any value pass).
    """
    rows = {(r["network"], r["training spectrum"]): r for r in table.to_dict("records")}

    def value(spectrum: str, column: str) -> float:
        return float(rows[("generic", spectrum)][column])

    sigma, rms, pull = "sigma/E at 2615 keV [%]", "off-line RMS [%]", "collapse onto lines [%]"
    return (
        value("lines only", sigma) <= 1.25 * value("flat", sigma)
        and value("lines only", rms) >= 3 * value("flat", rms)
        and value("lines only", pull) >= 3 * max(value("flat", pull), 1.0)
    )


def paired_improvement_stderr(
    conventional_kev: NDArray[np.float64],
    cnn_kev: NDArray[np.float64],
    true_kev: NDArray[np.float64],
    seed: int,
    n_boot: int = 300,
) -> float:
    """Bootstrap standard error of 1 - sigma_cnn / sigma_conventional on the same events."""
    rng = np.random.default_rng(seed + 99)
    values = []
    for _ in range(n_boot):  # resamples, not events: each resolution fit is vectorized
        i = rng.integers(0, true_kev.size, true_kev.size)
        _, conv = energy_resolution(conventional_kev[i], true_kev[i])
        _, cnn = energy_resolution(cnn_kev[i], true_kev[i])
        values.append(1.0 - cnn / conv)
    return float(np.std(values))
