"""Figures of the artificial-to-realistic study (matplotlib, non-interactive backend)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["degree_curve_figure", "radial_figure"]


def degree_curve_figure(curve: pd.DataFrame) -> Any:
    """LR accuracy on held-out profiles against polynomial degree, one line per training set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, grp in curve.groupby("train"):
        ax.plot(grp["degree"], grp["accuracy"], marker="o", label=str(name))
    ax.set_xlabel("polynomial degree n")
    ax.set_ylabel("LR accuracy on held-out realistic profiles")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def radial_figure(frame: pd.DataFrame) -> Any:
    """Fraction of cells with an ELN and an ELN-XLN crossing against radius (log bins)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.geomspace(max(frame["radius_km"].min(), 1.0), frame["radius_km"].max() * 1.001, 25)
    cut = pd.cut(frame["radius_km"], list(edges))
    grouped = frame.groupby(cut, observed=True)
    centers = np.array([iv.mid for iv in grouped.size().index])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(centers, grouped["crossing"].mean().to_numpy(), marker="o", label="ELN")
    ax.semilogx(centers, grouped["crossing_xln"].mean().to_numpy(), marker="s", label="ELN-XLN")
    ax.set_xlabel("radius [km]")
    ax.set_ylabel("fraction of cells with a crossing")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig
