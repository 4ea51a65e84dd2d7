"""Predictive uncertainty of networks: Monte-Carlo dropout, deep ensembles, and their summaries.

* Monte-Carlo dropout (Gal & Ghahramani, ICML 2016, arXiv:1506.02142): dropout stays on at test
  time and T stochastic forward passes approximate the posterior predictive.
* Deep ensembles (Lakshminarayanan, Pritzel & Blundell, NeurIPS 2017, arXiv:1612.01474):
  independently initialised networks averaged; for regressors that predict a Gaussian each, the
  ensemble is their mixture (:func:`gaussian_mixture`).

From the stack of class probabilities ``p_s`` (s = pass or member) the predictive entropy
H[mean_s p_s] splits into the expected entropy mean_s H[p_s] (aleatoric) and the mutual
information (epistemic, "BALD", Houlsby et al. 2011, arXiv:1112.5745) = H[mean p] − mean H[p]
(:func:`predictive_summary`).

Calibration of the top-label confidence (Guo et al. 2017, arXiv:1706.04599 Sec. 2): an event is
"positive" when the predicted class is right and its probability is the top one
(:func:`top_label`); the binary ECE of :mod:`nulearn.ml.calibration` then applies unchanged.

Examples:
    >>> samples = np.array([[[0.9, 0.1]], [[0.5, 0.5]]])  # 2 passes, 1 event, 2 classes
    >>> s = predictive_summary(samples)
    >>> int(s["predicted"][0]), round(float(s["confidence"][0]), 2)
    (0, 0.7)
    >>> m, sd = gaussian_mixture(np.array([[1.0], [3.0]]), np.array([[1.0], [1.0]]))
    >>> float(m[0]), round(float(sd[0] ** 2), 12)
    (2.0, 2.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "confidence_ece",
    "ensemble_proba",
    "gaussian_mixture",
    "mc_dropout_proba",
    "predictive_summary",
    "softmax_proba",
    "top_label",
]


def softmax_proba(model: Any, inputs: Any, batch_size: int = 256) -> NDArray[Any]:
    """Softmax of the class logits of ``model`` ``(n, n_classes)``, batch by batch, no gradients.

    A model returning a tuple has its first element taken as the logits. The model's train/eval
    mode is left as it is (MC dropout keeps its dropout layers in training mode).
    """
    import torch

    x = torch.as_tensor(inputs)
    out = []
    with torch.no_grad():
        for lo in range(0, len(x), batch_size):
            logits = model(x[lo : lo + batch_size])
            logits = logits[0] if isinstance(logits, tuple | list) else logits
            out.append(torch.softmax(logits, 1).numpy())
    return np.concatenate(out)


def mc_dropout_proba(
    model: Any, inputs: Any, n_samples: int = 20, seed: int = 0, batch_size: int = 256
) -> NDArray[Any]:
    """Class probabilities from ``n_samples`` passes with dropout on (batch norm stays in eval mode).

    Args:
        model: classifier with at least one ``torch.nn.Dropout``.
        inputs: ``(n_events, ...)``.
        n_samples: stochastic passes T.
        seed: seeds the dropout masks (torch's global generator is restored afterwards).
        batch_size: events per forward pass.

    Returns:
        ``(n_samples, n_events, n_classes)``.
    """
    import torch

    dropouts = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
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
            out = np.stack([softmax_proba(model, inputs, batch_size) for _ in range(n_samples)])
    finally:
        model.train(was_training)
    return out


def ensemble_proba(models: Sequence[Any], inputs: Any, batch_size: int = 256) -> NDArray[Any]:
    """Class probabilities of each ensemble member in eval mode: ``(n_models, n_events, n_classes)``."""
    if not models:
        raise ValueError("an ensemble needs at least one model")
    out = []
    for m in models:
        m.eval()
        out.append(softmax_proba(m, inputs, batch_size))
    return np.stack(out)


def _entropy(p: NDArray[Any]) -> NDArray[Any]:
    """Shannon entropy in nats over the last axis, in the dtype of ``p``."""
    out: NDArray[Any] = -(p * np.log(np.clip(p, 1e-12, 1.0))).sum(-1)
    return out


def predictive_summary(samples: NDArray[Any]) -> pd.DataFrame:
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


def top_label(y_true: ArrayLike, proba: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Whether the top class is right (0/1) and its probability, each ``(n_events,)``, from labels
    ``(n_events,)`` and probabilities ``(n_events, n_classes)``: the binary problem whose
    calibration is the top-label calibration of a multi-class classifier."""
    p = np.asarray(proba)
    correct = (p.argmax(1) == np.asarray(y_true)).astype(np.int64)
    return correct, np.clip(p.max(1), 0.0, 1.0).astype(np.float64)


def confidence_ece(y_true: ArrayLike, proba: ArrayLike, n_bins: int = 10) -> float:
    """Top-label expected calibration error of probabilities ``(n_events, n_classes)``."""
    from nulearn.ml.calibration import expected_calibration_error

    correct, confidence = top_label(y_true, proba)
    return expected_calibration_error(correct, confidence, n_bins=n_bins)


def gaussian_mixture(
    means: ArrayLike, variances: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and standard deviation of an equal-weight mixture of Gaussians, one per member.

    Args:
        means: member means, shape ``(n_members, n)``.
        variances: member variances, shape ``(n_members, n)``.

    Returns:
        ``⟨μ⟩`` and ``sqrt(⟨σ²⟩ + Var(μ))``, each shape ``(n,)``: the aleatoric part the members
        predict plus the epistemic part their disagreement shows.
    """
    mu = np.asarray(means, dtype=np.float64)
    var = np.asarray(variances, dtype=np.float64)
    if mu.shape != var.shape or mu.ndim != 2:
        raise ValueError(f"means {mu.shape} and variances {var.shape} must be equal (n_members, n)")
    return mu.mean(axis=0), np.sqrt(var.mean(axis=0) + mu.var(axis=0))
