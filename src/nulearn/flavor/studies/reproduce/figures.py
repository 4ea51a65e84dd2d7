"""Figures of the reproduction (arXiv:2310.03807 Figs. 1-3 analogues, ROC/PR curves, an example).

Each function returns a matplotlib figure for :meth:`nulearn.ml.report.Report.figure`; the caller
selects the non-interactive backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nulearn.flavor.studies.reproduce.config import SUBSET, ReproduceResult

__all__ = ["curves_figure", "degree_figure", "example_figure", "scores_figure", "subset_figure"]


def degree_figure(result: ReproduceResult) -> Any:
    """Fig. 1 analogue: LR accuracy against degree for each training / test pair."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    styles = {
        ("original", "hierarchical_test"): (
            "C3",
            "-",
            "trained on original, tested on hierarchical",
        ),
        ("hierarchical", "hierarchical_test"): (
            "C3",
            ":",
            "trained on hierarchical (improved), tested on hierarchical",
        ),
        ("original", "original_test"): ("k", "--", "trained on original, tested on original"),
        ("hierarchical", "original_test"): (
            "C0",
            "-.",
            "trained on hierarchical, tested on original",
        ),
    }
    for (train, test), (color, ls, label) in styles.items():
        tab = result.sweeps.get(train)
        if tab is None:
            continue
        sel = tab[(tab["test"] == test) & np.isclose(tab["threshold"], 0.5)]
        ax.plot(
            sel["degree"], 100 * sel["accuracy"], color=color, ls=ls, marker="o", ms=3, label=label
        )
    ceil = result.ceilings.get("hierarchical_test")
    if ceil is not None:
        ax.axhline(
            100 * ceil.accuracy, color="grey", lw=0.8, label="Bayes ceiling (hierarchical test)"
        )
    ax.set_xlabel("polynomial degree n")
    ax.set_ylabel("LR accuracy [%]")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return fig


def scores_figure(result: ReproduceResult, train: str, test: str, title: str) -> Any:
    """Fig. 2 analogue: LR accuracy, precision, recall and F1 (crossing class) against degree."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 1, figsize=(6, 4))
    tab = result.sweeps[train]
    sel = tab[(tab["test"] == test) & np.isclose(tab["threshold"], 0.5)]
    for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3"), ("f1", "C2")):
        axes.plot(sel["degree"], 100 * sel[col], color=c, marker="o", ms=3, label=col)
    axes.set_xlabel("polynomial degree n")
    axes.set_ylabel("score (crossing class) [%]")
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    return fig


def subset_figure(result: ReproduceResult) -> Any:
    """Fig. 3 analogue: LR on the sub-population against degree, and the p_c sweep of LR (n = 2)."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7))
    tab = result.sweeps["hierarchical"]
    sub = tab[tab["test"] == SUBSET]
    for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3")):
        for thr, ls in ((0.5, "-"), (0.3, "--")):
            s = sub[np.isclose(sub["threshold"], thr)]
            top.plot(
                s["degree"],
                100 * s[col],
                color=c,
                ls=ls,
                marker="o",
                ms=3,
                label=f"{col}, p_c = {thr}",
            )
    top.set_xlabel("polynomial degree n")
    top.set_ylabel("score [%]")
    top.legend(fontsize=7, ncol=2)
    top.grid(alpha=0.3)
    ev = result.evaluations.get(("hierarchical", "lr2"), {}).get(SUBSET)
    if ev is not None:
        sw = ev.sweep
        for col, c in (("accuracy", "k"), ("precision", "C0"), ("recall", "C3"), ("f1", "C2")):
            bottom.plot(sw["threshold"], 100 * sw[col], color=c, marker="o", ms=3, label=col)
    bottom.set_xlabel("threshold probability p_c (LR, n = 2)")
    bottom.set_ylabel("score (crossing class) [%]")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    return fig


def curves_figure(result: ReproduceResult, train: str, test: str) -> Any:
    """ROC and precision-recall curves of every model trained on ``train``, scored on ``test``."""
    from nulearn.ml.figures import roc_pr_figure

    curves = {
        evs[test].label: (evs[test].roc, evs[test].pr)
        for (t, _key), evs in result.evaluations.items()
        if t == train and test in evs
    }
    return roc_pr_figure(curves)


def example_figure(example: Mapping[str, Any]) -> tuple[Any, str]:
    """The four species' f(mu) and G(mu) of one sample with its crossings, and a caption."""
    import matplotlib.pyplot as plt

    from nulearn.flavor.physics.crossings import eln_from_distributions, find_crossings, mu_grid
    from nulearn.flavor.physics.families import get_family

    fam = get_family(str(example["family"]))
    mu = mu_grid(801)
    dens = {
        "nue": 1.0,
        "nuebar": example["alpha"],
        "nux": example["alpha_x"],
        "nuxbar": example["alpha_xbar"],
    }
    f: dict[str, Any] = {
        s: fam.distribution(np.array([dens[s]]), np.array([example[f"F_{s}"]]), mu, species=s)
        for s in ("nue", "nuebar", "nux", "nuxbar")
    }
    g = eln_from_distributions(f)
    res = find_crossings(g, mu)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    names = {"nue": "ν_e", "nuebar": "ν̄_e", "nux": "ν_x", "nuxbar": "ν̄_x"}
    for s, arr in f.items():
        top.plot(mu, arr[0], label=f"{names[s]} (F = {example[f'F_{s}']:.2f})")
    top.set_ylabel("f(μ) / n_νe")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.plot(mu, g[0], color="k", label="G(μ) = (f_νe − f_νx) − (f_ν̄e − f_ν̄x)")
    bottom.axhline(0, color="grey", lw=0.7)
    angles = [a for a in res.angles[0] if np.isfinite(a)]
    for a in angles:
        bottom.axvline(a, color="C3", ls="--", lw=1)
    bottom.scatter(angles, np.zeros(len(angles)), color="C3", zorder=3, label="crossing")
    bottom.set_xlabel("μ = cos θ")
    bottom.set_ylabel("G(μ) / n_νe")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    text = (
        f"{example['family']} family; crossing at μ = {', '.join(f'{a:.3f}' for a in angles) or 'none'}; "
        f"depth {res.depth[0]:.3f}"
    )
    return fig, text
