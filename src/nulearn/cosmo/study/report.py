"""Cosmology sections for :class:`nulearn.ml.report.Report`: accuracies, theory checks, regression,
saliency, and the saliency figure of one map."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from nulearn.cosmo.data.maps import MapConfig
from nulearn.cosmo.evaluation.comparison import PairedComparison
from nulearn.cosmo.evaluation.regression import RegressionScores
from nulearn.cosmo.evaluation.saliency import DensitySplit
from nulearn.cosmo.evaluation.theory_check import TheoryCheck
from nulearn.ml.report import Report, pyplot

__all__ = [
    "classification_section",
    "regression_section",
    "saliency_figure",
    "saliency_section",
    "theory_section",
]


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


def theory_section(report: Report, check: TheoryCheck) -> None:
    """C_ℓ against CAMB's source-window spectrum and the measured power of generated maps against theory."""
    ell_a, ours_a, camb_a = (
        np.asarray(v, dtype=float) for v in (check.ell, check.limber, check.camb)
    )
    report.heading("Theory checks")
    ratio = ours_a / camb_a - 1
    hi = ell_a >= 300
    report.text(
        f"Limber C_ℓ vs CAMB lensing source window (z_s = 1): max |Δ| = {100 * np.abs(ratio[hi]).max():.2f}% "
        f"for ℓ ≥ 300 (target 1%)."
    )
    fig, ax = pyplot().subplots(figsize=(6, 3.5))
    ax.semilogx(ell_a, 100 * ratio, "k.-")
    ax.axhspan(-1, 1, color="0.9")
    ax.set_xlabel("ℓ")
    ax.set_ylabel("Limber / CAMB − 1 [%]")
    report.figure(fig, "cl_vs_camb", "Limber convergence spectrum against CAMB's own")
    report.table(check.maps_ratio, caption="Mean band power of generated maps / theory − 1")


def regression_section(report: Report, scores: RegressionScores) -> None:
    """Regression scatter, RMSE, mean stated σ, Fisher bound and interval coverage."""
    y, mu, sd = scores.truth, scores.mean, scores.std
    report.heading("M_ν regression")
    rows = [
        {"quantity": "RMSE [eV]", "value": scores.rmse},
        {"quantity": "mean stated σ [eV]", "value": float(sd.mean())},
        {"quantity": "Fisher σ(M_ν) per map [eV]", "value": scores.fisher_sigma},
    ]
    rows += [
        {"quantity": f"coverage of {100 * k:.1f}% interval", "value": v}
        for k, v in scores.coverage.items()
    ]
    report.table(pd.DataFrame(rows))
    report.text(
        "The prior is uniform on [0, 0.3] eV (standard deviation 0.087 eV), so where the Fisher σ is "
        "comparable to it the network's error is prior-limited and can lie below the Fisher bound."
    )
    fig, ax = pyplot().subplots(figsize=(4.5, 4.5))
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


def saliency_figure(kappa: ArrayLike, ig: ArrayLike, occ: ArrayLike, title: str = "") -> Any:
    """Figure: map, integrated gradients, occlusion, and |IG| against κ (over- vs under-dense)."""
    k = np.asarray(kappa)
    g = np.asarray(ig)
    o = np.asarray(occ)
    fig, axes = pyplot().subplots(1, 4, figsize=(16, 4))
    im = axes[0].imshow(k, cmap="RdBu_r", vmin=-3 * k.std(), vmax=3 * k.std())
    axes[0].set_title("convergence κ")
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    lim = np.abs(g).max() or 1.0
    im = axes[1].imshow(g, cmap="PiYG", vmin=-lim, vmax=lim)
    axes[1].set_title("integrated gradients")
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    lim = np.abs(o).max() or 1.0
    im = axes[2].imshow(o, cmap="PiYG", vmin=-lim, vmax=lim)
    axes[2].set_title("occlusion")
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    bins = np.linspace(-4, 4, 33) * k.std()
    idx = np.digitize(k.ravel(), bins)
    mean_abs = np.array(
        [
            np.abs(g.ravel()[idx == i]).mean() if np.any(idx == i) else np.nan
            for i in range(1, bins.size)
        ]
    )
    centres = 0.5 * (bins[1:] + bins[:-1])
    axes[3].plot(centres, mean_abs, "k.-")
    axes[3].axvline(0, color="grey", lw=0.5)
    axes[3].set_xlabel("κ")
    axes[3].set_ylabel("mean |IG| per pixel")
    axes[3].set_title("voids (κ<0) vs over-dense (κ>0)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
