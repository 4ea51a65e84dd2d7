"""The conventional baseline for event position from light: a light-weighted centroid.

Channel amplitudes come from a least-squares fit of the known shaped pulse to each APD waveform
(a matched filter with a pre-trigger baseline subtracted). Then

* ``x, y``: the amplitude-weighted mean of the gang centres over both planes;
* ``z``: the top/bottom asymmetry ``(S_top - S_bottom) / (S_top + S_bottom)``.

Raw, both shrink towards the centre (every gang sees some light from everywhere), so a fair
baseline is calibrated on the training events: per axis, a cubic polynomial of its own raw
estimator fitted by least squares (:class:`CentroidPositionEstimator`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, RegressorMixin

from nulearn.detector.tpc.physics.light import pulse_template
from nulearn.detector.tpc.physics.light_config import GANGS_PER_PLANE, LightConfig, gang_centres

__all__ = ["CentroidPositionEstimator", "channel_amplitudes", "raw_centroid"]


def channel_amplitudes(waveforms: NDArray[np.floating], config: LightConfig) -> NDArray[np.float64]:
    """Least-squares pulse amplitude per channel, shape (n, n_channels), electrons.

    The baseline (mean of the samples before ``trigger_sample``) is subtracted first.

    >>> cfg = LightConfig()
    >>> w = 5.0 * pulse_template(cfg)[None, None, :].repeat(74, axis=1)
    >>> bool(np.allclose(channel_amplitudes(w, cfg), 5.0, rtol=1e-5))
    True
    """
    w = np.asarray(waveforms, dtype=np.float64)
    t0 = config.trigger_sample
    base = w[..., :t0].mean(axis=-1, keepdims=True) if t0 > 0 else 0.0
    tmpl = pulse_template(config).astype(np.float64)
    return ((w - base) @ tmpl) / float(tmpl @ tmpl)


def raw_centroid(amplitudes: NDArray[np.floating], config: LightConfig) -> NDArray[np.float64]:
    """Uncalibrated estimators per event, shape (n, 3): centroid x, y (mm) and the asymmetry.

    Negative amplitudes (noise) are clipped to zero before weighting.
    """
    a = np.clip(np.asarray(amplitudes, dtype=np.float64), 0.0, None)
    total = np.maximum(a.sum(axis=1), 1e-9)
    xy = a @ gang_centres(config)[:, :2] / total[:, None]
    bottom = a[:, :GANGS_PER_PLANE].sum(axis=1)
    top = a[:, GANGS_PER_PLANE:].sum(axis=1)
    return np.column_stack([xy, (top - bottom) / total])


class CentroidPositionEstimator(RegressorMixin, BaseEstimator):
    """Light-weighted centroid with a per-axis cubic calibration fitted on training events.

    Args:
        config: light readout (gang positions, pulse shape).
        degree: degree of the calibration polynomial per axis (1: linear).
    """

    def __init__(self, config: LightConfig | None = None, degree: int = 3) -> None:
        self.config = config
        self.degree = degree

    def _raw(self, X: Any) -> NDArray[np.float64]:
        cfg = self.config or LightConfig()
        return raw_centroid(channel_amplitudes(X, cfg), cfg)

    def fit(self, X: Any, y: Any) -> CentroidPositionEstimator:
        """Fit the calibration on waveforms X (n, 74, n_samples) and true positions y (n, 3), mm."""
        if self.degree < 1:
            raise ValueError(f"degree = {self.degree} must be >= 1")
        raw = self._raw(X)
        target = np.asarray(y, dtype=np.float64)
        if target.shape != raw.shape:
            raise ValueError(f"y must have shape {raw.shape} (positions in mm); got {target.shape}")
        self.scale_ = np.maximum(np.abs(raw).max(axis=0), 1e-9)
        self.coef_ = np.stack(
            [
                np.polynomial.polynomial.polyfit(
                    raw[:, i] / self.scale_[i], target[:, i], self.degree
                )
                for i in range(3)
            ]
        )
        return self

    def predict_raw(self, X: Any) -> NDArray[np.float64]:
        """The uncalibrated estimators (see :func:`raw_centroid`), shape (n, 3)."""
        return self._raw(X)

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Calibrated positions in mm, shape (n, 3)."""
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("CentroidPositionEstimator is not fitted yet; call fit first")
        raw = self._raw(X) / self.scale_
        return np.column_stack(
            [np.polynomial.polynomial.polyval(raw[:, i], self.coef_[i]) for i in range(3)]
        )
