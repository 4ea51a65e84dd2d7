"""Figures of fast-flavor solutions: G(mu) before and after, the survival probability P(mu), and the
time series of a run, with the analytic prescriptions beside the solver.

>>> import numpy as np
>>> from nulearn.flavor.physics.stability import beams
>>> mu, w = beams(8)
>>> fig = angular_figure(mu, w * np.sin(2 * mu), np.full(8, 0.75))
>>> len(fig.axes)
2
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from nulearn.flavor.physics.asymptotic import survival_probability
from nulearn.flavor.physics.fast_flavor import EvolveResult
from nulearn.flavor.physics.stability import beams
from nulearn.ml.report import pyplot

__all__ = ["angular_figure", "history_figure", "save_evolution_figures"]

#: Prescriptions drawn beside the solver's P(mu) by default.
_OVERLAY = ("box", "box_power", "box_smooth")


def angular_figure(
    mu: ArrayLike,
    eln: ArrayLike,
    survival: ArrayLike,
    prescriptions: Mapping[str, ArrayLike] | None = None,
    title: str = "",
) -> Any:
    """Two panels: G(mu) before and after conversion, and P_ee(mu) (solver and prescriptions).

    Args:
        mu: beam directions, shape (n_mu,).
        eln: lepton number per beam g_j = w_j G(mu_j), shape (n_mu,).
        survival: P_ee per beam, shape (n_mu,).
        prescriptions: name -> P_ee per beam of analytic prescriptions to overlay.
        title: figure title.

    Returns:
        A matplotlib Figure (G in units of the input density per unit mu).
    """
    plt = pyplot()
    m = np.asarray(mu, dtype=np.float64)
    _, w = beams(m.size)
    g_point = np.asarray(eln, dtype=np.float64) / w
    p = np.asarray(survival, dtype=np.float64)
    fig, (ax_g, ax_p) = plt.subplots(1, 2, figsize=(9.0, 3.6), constrained_layout=True)
    ax_g.axhline(0.0, color="0.6", lw=0.8)
    ax_g.plot(m, g_point, "-o", ms=3, label="before")
    ax_g.plot(m, (2.0 * p - 1.0) * g_point, "-s", ms=3, label="after (box average)")
    ax_g.set_xlabel(r"$\mu = \cos\theta$")
    ax_g.set_ylabel(r"$G(\mu)$")
    ax_g.legend(frameon=False)
    ax_p.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax_p.plot(m, p, "-o", ms=3, color="k", label="solver")
    for name, values in (prescriptions or {}).items():
        ax_p.plot(m, np.asarray(values, dtype=np.float64), "--", label=name)
    ax_p.set_ylim(-0.02, 1.02)
    ax_p.set_xlabel(r"$\mu = \cos\theta$")
    ax_p.set_ylabel(r"$P_{ee}(\mu)$")
    ax_p.legend(frameon=False, fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


def history_figure(history: pd.DataFrame, title: str = "") -> Any:
    """Transverse amplitude (log scale) and side-averaged survival against time (1/mu0)."""
    plt = pyplot()
    fig, (ax_a, ax_s) = plt.subplots(1, 2, figsize=(9.0, 3.4), constrained_layout=True)
    ax_a.semilogy(history["t"], np.maximum(history["transverse_rms"], 1e-300), label="rms |S|")
    if history["dominant_mode"].notna().any():
        ax_a.semilogy(history["t"], history["dominant_mode"], "--", label="fitted mode")
    ax_a.set_xlabel(r"$t\ [1/\mu_0]$")
    ax_a.set_ylabel("transverse amplitude")
    ax_a.legend(frameon=False)
    ax_s.plot(history["t"], history["survival_minority"], label="minority side")
    ax_s.plot(history["t"], history["survival_majority"], label="majority side")
    ax_s.axhline(0.5, color="0.6", lw=0.8, ls=":")
    ax_s.set_xlabel(r"$t\ [1/\mu_0]$")
    ax_s.set_ylabel(r"$\langle P_{ee}\rangle$")
    ax_s.legend(frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def save_evolution_figures(
    result: EvolveResult | Mapping[str, Any] | pd.Series, out_dir: str | Path, name: str
) -> list[Path]:
    """Write ``<name>_angular.png`` (and ``<name>_history.png`` for a full result) to ``out_dir``.

    Args:
        result: an :class:`EvolveResult`, or one row of
            :func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many`'s table (lists ``mu``,
            ``eln``, ``survival``).
        out_dir: folder (created).
        name: file stem.

    Returns:
        The paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(result, EvolveResult):
        mu, eln, survival = result.mu, result.eln, result.survival
        history: pd.DataFrame | None = result.history
    else:
        mu = np.asarray(result["mu"], dtype=np.float64)
        eln = np.asarray(result["eln"], dtype=np.float64)
        survival = np.asarray(result["survival"], dtype=np.float64)
        history = None
    _, w = beams(mu.size)
    overlay = {p: survival_probability(eln[None, :], mu, w, p)[0] for p in _OVERLAY}
    plt = pyplot()
    paths = [out / f"{name}_angular.png"]
    fig = angular_figure(mu, eln, survival, overlay, title=name)
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)
    if history is not None and len(history):
        paths.append(out / f"{name}_history.png")
        fig = history_figure(history, title=name)
        fig.savefig(paths[1], dpi=120)
        plt.close(fig)
    return paths
