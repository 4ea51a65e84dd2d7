"""Predictive uncertainty of image classifiers: MC dropout, deep ensembles, calibration, OOD probes.

* Monte-Carlo dropout (Gal & Ghahramani, ICML 2016, arXiv:1506.02142): dropout stays on at test
  time and T stochastic forward passes approximate the posterior predictive.
* Deep ensembles (Lakshminarayanan et al., NeurIPS 2017, arXiv:1612.01474): independently
  initialised networks averaged.

From the stack of probabilities ``p_s`` (s = pass or member) the predictive entropy
H[mean_s p_s] splits into the expected entropy mean_s H[p_s] (aleatoric) and the mutual
information (epistemic, "BALD", Houlsby et al. 2011) = H[mean p] - mean H[p].

Calibration of the top-label confidence (Guo et al. 2017, arXiv:1706.04599 Sec. 2): the event
is "positive" when the predicted class is right, its probability is the top softmax value; the
binary ECE and reliability curve of :mod:`nulearn.ml.calibration` then apply unchanged.

Any ``torch.nn.Module`` mapping ``(batch, C, H, W)`` to logits works; a module returning a tuple
has its first element taken as the classification logits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from nulearn.ml.calibration import expected_calibration_error, plot_reliability
from nulearn.ml.report import pyplot

__all__ = [
    "blank_channel",
    "confidence_ece",
    "ensemble_proba",
    "mc_dropout_proba",
    "predictive_summary",
    "reliability_figure",
]


def _logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = model(x)
    return out[0] if isinstance(out, tuple | list) else out


@torch.no_grad()
def _proba(model: nn.Module, x: np.ndarray | torch.Tensor, batch_size: int) -> np.ndarray:
    xt = torch.as_tensor(x)
    return np.concatenate(
        [
            torch.softmax(_logits(model, xt[lo : lo + batch_size]), 1).numpy()
            for lo in range(0, len(xt), batch_size)
        ]
    )


def mc_dropout_proba(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    n_samples: int = 20,
    seed: int = 0,
    batch_size: int = 256,
) -> np.ndarray:
    """Class probabilities from ``n_samples`` passes with dropout on (batch norm stays in eval mode).

    Args:
        model: classifier with at least one ``nn.Dropout``.
        x: inputs ``(n_events, C, H, W)``.
        n_samples: stochastic passes T.
        seed: seeds the dropout masks.

    Returns:
        ``(n_samples, n_events, n_classes)``.
    """
    dropouts = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    if not dropouts:
        raise ValueError("MC dropout needs a model with at least one nn.Dropout layer")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    was_training = model.training
    model.eval()
    for m in dropouts:
        m.train()
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            out = np.stack([_proba(model, x, batch_size) for _ in range(n_samples)])
    finally:
        model.train(was_training)
    return out


def ensemble_proba(
    models: Sequence[nn.Module], x: np.ndarray | torch.Tensor, batch_size: int = 256
) -> np.ndarray:
    """Class probabilities of each ensemble member in eval mode: ``(n_models, n_events, n_classes)``."""
    if not models:
        raise ValueError("an ensemble needs at least one model")
    out = []
    for m in models:
        m.eval()
        out.append(_proba(m, x, batch_size))
    return np.stack(out)


def _entropy(p: np.ndarray) -> np.ndarray:
    return -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(-1)


def predictive_summary(samples: np.ndarray) -> pd.DataFrame:
    """Per-event mean probabilities and uncertainty from ``(n_samples, n_events, n_classes)``.

    Returns:
        One row per event: ``predicted, confidence`` (top mean probability), ``entropy``
        (predictive, nats), ``expected_entropy``, ``mutual_information`` (nats) and
        ``std_confidence`` (spread of the predicted class's probability over samples).
    """
    if samples.ndim != 3:
        raise ValueError(
            f"samples must have shape (n_samples, n_events, n_classes), got {samples.shape}"
        )
    mean = samples.mean(0)
    pred = mean.argmax(1)
    h = _entropy(mean)
    eh = _entropy(samples).mean(0)
    return pd.DataFrame(
        {
            "predicted": pred,
            "confidence": mean.max(1),
            "entropy": h,
            "expected_entropy": eh,
            "mutual_information": np.maximum(h - eh, 0.0),
            "std_confidence": samples[:, np.arange(samples.shape[1]), pred].std(0),
        }
    )


def confidence_ece(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Top-label expected calibration error of probabilities ``(n_events, n_classes)``."""
    proba = np.asarray(proba)
    correct = (proba.argmax(1) == np.asarray(y_true)).astype(int)
    return expected_calibration_error(correct, np.clip(proba.max(1), 0.0, 1.0), n_bins=n_bins)


def reliability_figure(
    y_true: np.ndarray, probas: Mapping[str, np.ndarray], n_bins: int = 10
) -> Any:
    """Reliability diagram of the top-label confidence, one curve per model, ECE in the legend."""
    fig, ax = pyplot().subplots(figsize=(4.5, 4.2))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfect")
    for name, p in probas.items():
        correct = (p.argmax(1) == y_true).astype(int)
        conf = np.clip(p.max(1), 0.0, 1.0)
        plot_reliability(ax, correct, conf, name, n_bins=n_bins, ece_format=".3f")
    ax.set_xlabel("confidence (top class probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def blank_channel(x: np.ndarray, channel: int) -> np.ndarray:
    """A copy of images ``(n, C, H, W)`` with ``channel`` set to zero (e.g. a dead wire plane)."""
    if not 0 <= channel < x.shape[1]:
        raise ValueError(f"channel {channel} outside [0, {x.shape[1]})")
    out = np.array(x, copy=True)
    out[:, channel] = 0
    return out
