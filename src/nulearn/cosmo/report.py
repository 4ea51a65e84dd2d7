"""Cosmology sections for :class:`nulearn.ml.report.Report`: accuracies, theory checks, regression, saliency."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from nulearn.cosmo.evaluation import PairedComparison
from nulearn.cosmo.maps import MapConfig
from nulearn.cosmo.saliency import DensitySplit, saliency_figure
from nulearn.ml.report import Report

__all__ = ["classification_section", "regression_section", "saliency_section", "theory_section"]


def _describe(config: MapConfig) -> str:
    noise = (
        f"n_gal = {config.n_gal:g}/arcmin², σ_e = {config.sigma_e}"
        if config.n_gal
        else "no shape noise"
    )
    ell = f"ℓ ≤ {config.ell_max:g}" if config.ell_max else "all ℓ to Nyquist"
    return (
        f"{config.field} maps, {config.side_deg:g}° × {config.side_deg:g}° at {config.n_pix}², z_s = {config.z_source:g}, "
        f"{noise}, {ell}, A_s jitter {100 * config.amplitude_jitter:g}%"
    )


def classification_section(
    report: Report,
    config: MapConfig,
    table: pd.DataFrame,
    comparison: tuple[PairedComparison, str] | None = None,
) -> None:
    """Accuracy table (CNN and baselines, with binomial errors) and the CNN-vs-optimal verdict."""
    report.heading("Massless vs M_ν = 0.1 eV classification")
    report.text(_describe(config))
    report.table(
        table, caption="Test accuracy ± binomial standard error (same test maps for every method)"
    )
    if comparison is not None:
        cmp, status = comparison
        report.text(
            f"CNN − power-spectrum likelihood ratio (paired, same maps): "
            f"**{cmp.difference:+.4f} ± {cmp.stderr:.4f}** → **{status}**. "
            "On Gaussian maps the likelihood ratio is optimal: the CNN must lie within 2 points below it "
            "and never above it beyond statistical noise (above would mean a leak)."
        )


def theory_section(
    report: Report, ell: ArrayLike, ours: ArrayLike, camb: ArrayLike, maps_ratio: pd.DataFrame
) -> None:
    """C_ℓ against CAMB's source-window spectrum and the measured power of generated maps against theory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ell_a, ours_a, camb_a = (np.asarray(v, dtype=float) for v in (ell, ours, camb))
    report.heading("Theory checks")
    ratio = ours_a / camb_a - 1
    hi = ell_a >= 300
    report.text(
        f"Limber C_ℓ vs CAMB lensing source window (z_s = 1): max |Δ| = {100 * np.abs(ratio[hi]).max():.2f}% "
        f"for ℓ ≥ 300 (target 1%)."
    )
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(ell_a, 100 * ratio, "k.-")
    ax.axhspan(-1, 1, color="0.9")
    ax.set_xlabel("ℓ")
    ax.set_ylabel("Limber / CAMB − 1 [%]")
    report.figure(fig, "cl_vs_camb", "Limber convergence spectrum against CAMB's own")
    report.table(maps_ratio, caption="Mean band power of generated maps / theory − 1")


def regression_section(
    report: Report,
    y_true: ArrayLike,
    mean: ArrayLike,
    std: ArrayLike,
    coverage: dict[float, float],
    fisher_sigma: float,
) -> None:
    """Regression scatter, RMSE, mean stated σ, Fisher bound and interval coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, mu, sd = (np.asarray(v, dtype=float) for v in (y_true, mean, std))
    report.heading("M_ν regression")
    rmse = float(np.sqrt(np.mean((mu - y) ** 2)))
    rows = [
        {"quantity": "RMSE [eV]", "value": rmse},
        {"quantity": "mean stated σ [eV]", "value": float(sd.mean())},
        {"quantity": "Fisher σ(M_ν) per map [eV]", "value": fisher_sigma},
    ]
    rows += [
        {"quantity": f"coverage of {100 * k:.1f}% interval", "value": v}
        for k, v in coverage.items()
    ]
    report.table(pd.DataFrame(rows))
    report.text(
        "The prior is uniform on [0, 0.3] eV (standard deviation 0.087 eV), so where the Fisher σ is "
        "comparable to it the network's error is prior-limited and can lie below the Fisher bound."
    )
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.errorbar(y, mu, yerr=sd, fmt=".", alpha=0.4)
    ax.plot([0, 0.3], [0, 0.3], "k-")
    ax.set_xlabel("true M_ν [eV]")
    ax.set_ylabel("predicted M_ν [eV]")
    report.figure(fig, "regression", "Predicted M_ν with its stated 1σ against the truth")


def saliency_section(
    report: Report,
    maps: ArrayLike,
    ig: ArrayLike,
    occ: ArrayLike,
    split: DensitySplit,
    rank_corr: float,
    completeness: float,
    n_figures: int = 2,
) -> None:
    """Density split of integrated gradients, the occlusion cross-check and example figures."""
    report.heading("Saliency: over-dense pixels vs voids")
    report.table(
        pd.DataFrame([split.to_dict()])
        .T.reset_index()
        .rename(columns={"index": "quantity", 0: "value"})
    )
    report.text(
        f"Spearman correlation of |integrated gradients| with |occlusion|: {rank_corr:.3f}. "
        f"Integrated-gradients completeness error (max over maps): {completeness:.2e}."
    )
    k, g, o = np.asarray(maps), np.asarray(ig), np.asarray(occ)
    for i in range(min(n_figures, k.shape[0])):
        fig: Any = saliency_figure(k[i], g[i], o[i], title=f"map {i}")
        report.figure(
            fig, f"saliency_{i}", f"Map {i}: κ, integrated gradients, occlusion, |IG| vs κ"
        )
