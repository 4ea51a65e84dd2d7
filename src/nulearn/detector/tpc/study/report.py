"""Report sections for the TPC studies, written with the shared :class:`nulearn.ml.report.Report`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nulearn.detector.tpc.evaluation.energy import pitfall_shown
from nulearn.detector.tpc.physics.config import Q_BB_KEV, TL208_GAMMA_KEV
from nulearn.ml.figures import rejection_figure
from nulearn.ml.report import Report, pyplot

if TYPE_CHECKING:
    # Annotations only: the study runner imports this module to write its report.
    from nulearn.detector.tpc.study.run import (
        DiscriminationResult,
        EnergyResult,
        GenerationResult,
    )

__all__ = ["tpc_report"]


def _energy_section(report: Report, res: EnergyResult) -> None:
    plt = pyplot()

    report.heading("TPC energy reconstruction: CNN vs conventional")
    report.text(
        f"Trained on {res.n_train} simulated events with a flat energy spectrum (single-site and "
        f"gamma topologies, 0.5-3.5 MeV); tested on the same simulated events for every method "
        f"({res.n_test_peak} full-absorption 208Tl events, double-beta events at Q). "
        f"CNN improvement in sigma/E at 2615 keV over conventional: **{100 * res.improvement_2615:.1f} "
        f"+- {100 * res.improvement_2615_stderr:.1f} %** (paired bootstrap; target >= 10 %)."
    )
    report.table(res.table, caption="Resolution (Gaussian core)", floatfmt=".3f")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, r in res.residuals.items():
        if name.endswith("(flat)"):
            true, pred = r
            axes[1].plot(
                true, (pred - true) / true * 100, ".", ms=2, label=name.replace(" (flat)", "")
            )
        else:
            axes[0].hist(100 * r, bins=60, range=(-6, 6), histtype="step", label=name)
    axes[0].set_xlabel("(E_reco - E_true)/E_true at 2615 keV [%]")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("true energy [keV]")
    axes[1].set_ylabel("relative error [%]")
    axes[1].set_ylim(-15, 15)
    axes[1].legend(fontsize=7, markerscale=4)
    report.figure(
        fig, "tpc_energy", "Residuals at the 208Tl line and versus energy on the flat test set."
    )
    if res.pitfall is not None:
        _pitfall_section(report, res)


def _pitfall_section(report: Report, res: EnergyResult) -> None:
    plt = pyplot()

    assert res.pitfall is not None
    table = res.pitfall
    report.heading("The line-training pitfall (EXO-200 lesson)", level=3)
    report.text(
        "Delaquis et al. (JINST 13, P08023, 2018) warn that a network trained on sharp "
        "calibration lines learns the line values, so its resolution on those lines looks better "
        f"than it is. Here the generic CNN (conv/pool trunk, MLP head) is trained on {res.n_train} "
        f"flat-spectrum events and, separately, on {res.n_train_lines} events of the two lines only "
        f"(double-beta at Q = {Q_BB_KEV:.1f} keV and full-absorption 208Tl at "
        f"{TL208_GAMMA_KEV:.1f} keV); the physics-structured CNN (output linear in the charge) "
        f"is trained on the same lines. Single networks, {res.pitfall_epochs} epochs each; the "
        "first row is the flat-trained structured ensemble above, for reference. Off-line metrics use flat-spectrum test events with "
        "0.5-3.5 MeV true energy more than 5 % away from both lines; 'collapse' is the fraction "
        "of them predicted within +-1 % of a line value."
    )
    report.table(
        table, caption="Apparent resolution on the lines vs error off the lines", floatfmt=".3f"
    )
    rows = {(r["network"], r["training spectrum"]): r for r in table.to_dict("records")}
    sig, rms, pull = "sigma/E at 2615 keV [%]", "off-line RMS [%]", "collapse onto lines [%]"
    gf, gl = rows[("generic", "flat")], rows[("generic", "lines only")]
    sl = rows[("structured", "lines only")]
    verdict = "**The pitfall shows.**" if pitfall_shown(table) else "**The pitfall does not show.**"
    report.text(
        f"{verdict} Generic CNN trained on the lines: apparent sigma/E at 2615 keV "
        f"{gl[sig]:.2f} % (flat training: {gf[sig]:.2f} %), but off the lines an RMS error of "
        f"{gl[rms]:.1f} % (flat: {gf[rms]:.1f} %), {gl[pull]:.0f} % of off-line events pulled onto a "
        f"line value (flat: {gf[pull]:.0f} %), slope of reconstructed against true energy "
        f"{gl['slope reco/true (flat)']:.2f} (flat: {gf['slope reco/true (flat)']:.2f}). "
        "The structured CNN trained on the same lines stays calibrated off them (off-line RMS "
        f"{sl[rms]:.1f} %, collapse {sl[pull]:.0f} %, slope {sl['slope reco/true (flat)']:.2f}): "
        "its output is linear in the signal amplitude for a fixed gate, so two lines fix its "
        "calibration instead of being memorised. Criterion for 'shows': line-trained apparent "
        "sigma/E at most 1.25x that of flat training, off-line RMS and collapse at least 3x."
    )
    names = list(res.pitfall_flat)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), sharey=True)
    for ax, name in zip(np.atleast_1d(axes), names, strict=True):
        true, pred = res.pitfall_flat[name]
        ax.plot(true, pred, ".", ms=2)
        ax.plot([0, 3600], [0, 3600], "k-", lw=0.5)
        for line in (Q_BB_KEV, TL208_GAMMA_KEV):
            ax.axhline(line, color="r", lw=0.5, ls=":")
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("true energy [keV]")
        ax.set_xlim(0, 3600)
        ax.set_ylim(0, 3600)
    np.atleast_1d(axes)[0].set_ylabel("reconstructed energy [keV]")
    report.figure(
        fig,
        "tpc_energy_pitfall",
        "Reconstructed vs true energy on the flat test set; dotted: the two training lines.",
    )


def _discrimination_section(report: Report, res: DiscriminationResult) -> None:
    report.heading("TPC single- versus multi-site discrimination")
    report.text(
        f"{res.n_train} training and {res.n_test} test events, single-site and gamma events with the "
        "same flat energy spectrum around Q (2.2-2.8 MeV)."
    )
    report.table(
        res.table,
        caption="Single-site (signal) efficiency at fixed gamma rejection",
        floatfmt=".3f",
    )
    v = res.deep_vs_bdt
    if v is not None:
        verdict = (
            "better than"
            if v.difference > 0 and v.p_value < 0.05
            else "worse than"
            if v.difference < 0 and v.p_value < 0.05
            else "not significantly different from"
        )
        report.text(
            f"Deep network vs BDT on the same test events (DeLong's paired test): AUC "
            f"{v.auc_a:.3f} +- {v.stderr_a:.3f} vs {v.auc_b:.3f} +- {v.stderr_b:.3f}, difference "
            f"{v.difference:+.3f} +- {v.stderr_difference:.3f} (p = {v.p_value:.2g}): the deep "
            f"network is {verdict} the BDT."
        )
    fig = rejection_figure(res.roc, signal="single-site", background="gamma")
    report.figure(fig, "tpc_roc", "ROC curves of the site discriminators.")


def _generation_section(report: Report, res: GenerationResult) -> None:
    plt = pyplot()

    report.heading("TPC waveform generation: conditional WGAN-GP vs simulator")
    report.text(
        f"Generator {res.speedup:.1f}x faster than the simulator (target >= 10x), same process and "
        "threads. Wasserstein-1 distances per quantity; the simulator floor compares two simulations "
        "of the same deposits with independent noise and charge fluctuations."
    )
    d = res.distances
    to_spread = d["w_generator"] / d["simulated_std"]
    to_floor = d["w_generator"] / d["w_simulator_floor"]
    worst = int(np.argmax(to_spread.to_numpy()))
    report.text(
        f"Largest distance relative to the quantity's spread in the simulation: "
        f"{to_spread.iloc[worst]:.3f} ({d['quantity'].iloc[worst]}); distances are "
        f"{to_floor.min():.1f}-{to_floor.max():.1f}x the simulator's own floor."
    )
    report.table(res.distances, caption="Wasserstein distance per quantity", floatfmt=".4g")
    report.table(res.speed, caption="Generation speed", floatfmt=".4g")
    sim, gen = res.examples["simulated"], res.examples["generated"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6))
    for col, (name, imgs) in enumerate((("simulated", sim), ("generated", gen))):
        axes[0, col].imshow(imgs[0], aspect="auto", cmap="RdBu_r", vmin=-5, vmax=5)
        axes[0, col].set_title(
            f"{name} (label {np.round(res.examples['labels'][0], 2)})", fontsize=8
        )
        ch = int(np.argmax(imgs[0].max(axis=1)))
        axes[1, 0 if name == "simulated" else 1].plot(imgs[0][ch], label=f"channel {ch}")
        axes[1, col].set_xlabel("time bin (2 us)")
        axes[1, col].legend(fontsize=7)
    report.figure(
        fig, "tpc_gan_examples", "One event: image and collecting channel, simulator vs generator."
    )


def tpc_report(
    energy: EnergyResult | None = None,
    discrimination: DiscriminationResult | None = None,
    generation: GenerationResult | None = None,
    title: str = "nulearn detector: liquid-xenon TPC waveforms",
) -> Report:
    """A report with a section per study given."""
    report = Report(title)
    if energy is not None:
        _energy_section(report, energy)
    if discrimination is not None:
        _discrimination_section(report, discrimination)
    if generation is not None:
        _generation_section(report, generation)
    return report
