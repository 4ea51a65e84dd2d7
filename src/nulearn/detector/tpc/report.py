"""Report sections for the TPC studies, written with the shared :class:`nulearn.ml.report.Report`."""

from __future__ import annotations

import numpy as np

from nulearn.detector.tpc.study import DiscriminationResult, EnergyResult, GenerationResult
from nulearn.ml.report import Report

__all__ = ["tpc_report"]


def _energy_section(report: Report, res: EnergyResult) -> None:
    import matplotlib.pyplot as plt

    report.heading("TPC energy reconstruction: CNN vs conventional")
    report.text(
        f"Trained on {res.n_train} simulated events with a flat energy spectrum (single-site and "
        f"gamma topologies, 0.5-3.5 MeV); tested on the same simulated events for every method "
        f"({res.n_test_peak} full-absorption 208Tl events, double-beta events at Q). "
        f"CNN improvement in sigma/E at 2615 keV over conventional: **{100 * res.improvement_2615:.1f} %** "
        "(target >= 10 %)."
    )
    report.table(
        res.table,
        caption="Resolution (Gaussian core) and the line-training pitfall",
        floatfmt=".3f",
    )
    if len(res.table) > 2:
        flat, lines = res.table.iloc[1], res.table.iloc[2]
        col, off = "sigma/E at 2615 keV [%]", "off-line RMS rel. error, flat test [%]"
        report.text(
            "Pitfall check (EXO-200, Delaquis et al. 2018): a CNN trained only on the Q and "
            "2615 keV lines can learn the line values themselves, so its resolution on those lines "
            "overstates its real resolution. Observed here: line-trained sigma/E at 2615 keV "
            f"{lines[col]:.3f} % against {flat[col]:.3f} % for flat training; off-line RMS error "
            f"{lines[off]:.2f} % against {flat[off]:.2f} %. The network's output is linear in the "
            "signal amplitude for a fixed gate, which limits how much it can memorise the lines; "
            "the comparison is reported as measured."
        )
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


def _discrimination_section(report: Report, res: DiscriminationResult) -> None:
    import matplotlib.pyplot as plt

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
    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (x, y) in res.roc.items():
        ax.plot(1 - x, y, label=name)
    ax.set_xlabel("single-site efficiency")
    ax.set_ylabel("gamma rejection")
    ax.legend(fontsize=7)
    report.figure(fig, "tpc_roc", "ROC curves of the site discriminators.")


def _generation_section(report: Report, res: GenerationResult) -> None:
    import matplotlib.pyplot as plt

    report.heading("TPC waveform generation: conditional WGAN-GP vs simulator")
    report.text(
        f"Generator {res.speedup:.1f}x faster than the simulator (target >= 10x), same process and "
        "threads. Wasserstein-1 distances per quantity; the simulator floor compares two simulations "
        "of the same deposits with independent noise and charge fluctuations."
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
