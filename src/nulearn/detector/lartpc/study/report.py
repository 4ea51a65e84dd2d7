"""Report of the segmentation study: scores against the CosmicTagger figures, confusion
matrices, example events with truth, UNet and baseline labels, and the detector parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.detector.lartpc.evaluation.metrics import TARGETS, score_table
from nulearn.detector.lartpc.physics.config import LABEL_NAMES, pixel_noise_sigma
from nulearn.ml.figures import confusion_figure
from nulearn.ml.report import Report, pyplot

if TYPE_CHECKING:
    from nulearn.detector.lartpc.data.dataset import SegmentationSet
    from nulearn.detector.lartpc.study.run import SegmentResult

__all__ = ["segment_report"]

_COLOURS = ("#101030", "#e8553d", "#3dd17a")  # background, cosmic, neutrino


def _verdicts(result: SegmentResult) -> list[str]:
    lines = []
    for name, s in result.scores.items():
        figs = s.figures()
        parts = []
        for key, target in TARGETS.items():
            v = figs[key]
            mark = "met" if v > target else f"gap {v - target:+.3f}"
            parts.append(f"{key} {v:.3f} (target > {target:.2f}: {mark})")
        lines.append(f"**{name}**: " + "; ".join(parts))
    return lines


def _examples(test: SegmentationSet, predictions: dict[str, NDArray[np.int8]], k: int) -> Any:
    from matplotlib.colors import ListedColormap

    plt = pyplot()
    cmap = ListedColormap(list(_COLOURS))
    # the events with the most neutrino pixels, so that the interaction is visible
    order = np.argsort(-(test.labels == 2).sum(axis=(1, 2)))[:k]
    cols = 2 + len(predictions)
    fig, axes = plt.subplots(
        len(order), cols, figsize=(3.0 * cols, 3.0 * len(order)), squeeze=False
    )
    sigma = pixel_noise_sigma(test.config)
    extent = (0, test.config.width_mm / 10, 0, test.config.window_drift_mm / 10)
    for row, i in enumerate(order):
        panels = [
            ("image (asinh ADC)", np.arcsinh(test.images[i] / (3 * sigma)), "viridis"),
            ("truth", test.labels[i], cmap),
        ]
        panels += [(name, pred[i], cmap) for name, pred in predictions.items()]
        for ax, (title, img, cm) in zip(axes[row], panels, strict=True):
            kw = {"vmin": 0, "vmax": 2} if cm is cmap else {}
            ax.imshow(
                img,
                origin="lower",
                cmap=cm,
                interpolation="nearest",
                extent=extent,
                aspect="auto",
                **kw,
            )
            ax.set_title(f"{title} (event {i})", fontsize=8)
            ax.tick_params(labelsize=6)
        axes[row][0].set_ylabel("apparent drift distance [cm]", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("wire coordinate z [cm]", fontsize=7)
    fig.tight_layout()
    return fig


def _parameters(test: SegmentationSet) -> pd.DataFrame:
    c = test.config
    rows = [
        (
            "image",
            f"{c.time_pixels} x {c.wire_pixels} pixels = {c.window_drift_mm / 10:.0f} cm drift x {c.width_mm / 10:.1f} cm",
        ),
        (
            "pixel",
            f"{c.wires_per_pixel} wires x {c.ticks_per_pixel} ticks = {c.pixel_wire_mm:.1f} mm x {c.pixel_drift_mm:.1f} mm",
        ),
        ("wire pitch / tick", f"{c.wire_pitch_mm} mm / {c.tick_us} us"),
        (
            "drift",
            f"{c.drift_length_mm / 1000:.1f} m at {1000 * c.field_kv_per_cm:.0f} V/cm, v = {c.drift_velocity_mm_per_us} mm/us ({c.drift_time_us / 1000:.2f} ms)",
        ),
        (
            "diffusion D_L / D_T",
            f"{c.diffusion_long_cm2_per_s} / {c.diffusion_trans_cm2_per_s} cm^2/s",
        ),
        ("electron lifetime", f"{c.electron_lifetime_us / 1000:.1f} ms"),
        ("recombination", f"modified Box, alpha {c.box_alpha}, beta {c.box_beta}"),
        (
            "response",
            f"collection field x CR-RC^4, {c.peaking_time_us} us peaking, {c.gain_mv_per_fc} mV/fC",
        ),
        (
            "noise",
            f"{c.noise_enc_electrons:.0f} e ENC per tick = {pixel_noise_sigma(c):.1f} ADC x ticks per pixel",
        ),
        (
            "cosmics",
            f"Poisson mean {c.mean_cosmics} per window, t0 within +-1 drift time, {c.stopping_cosmic_fraction:.0%} stop",
        ),
        ("labels", f"background below {c.label_threshold_sigma} pixel-noise sigmas of true charge"),
    ]
    return pd.DataFrame(rows, columns=["parameter", "value"])


def segment_report(
    result: SegmentResult,
    test: SegmentationSet,
    predictions: dict[str, NDArray[np.int8]],
    info: dict[str, Any],
) -> Report:
    """The report (not yet written): scores, verdicts, confusion, examples, parameters."""
    report = Report("LArTPC wire-plane segmentation: cosmic vs neutrino pixels")
    fr = test.class_fractions()
    settings = info.get("settings", {})
    report.text(
        f"Held-out test set: {len(test)} simulated SBND-like collection-plane images "
        f"({test.config.time_pixels}x{test.config.wire_pixels}; pixels: background {fr[0]:.3f}, "
        f"cosmic {fr[1]:.4f}, neutrino {fr[2]:.4f}). UNet trained on {info.get('n_train', '?')} "
        f"images of another seed for {info.get('epochs_run', '?')} epochs "
        f"(base channels {settings.get('base_channels', '?')}, depth {settings.get('depth', '?')}, "
        f"{info.get('train_seconds', '?')} s, class weights "
        f"{', '.join(f'{w:.2f}' for w in info.get('class_weights', []))}). The Hough/timing "
        "baseline tags long straight tracks that cross the window, or enter it and end without "
        "a vertex, as cosmic, and every other charge above threshold as neutrino."
    )
    report.heading("Scores against the CosmicTagger figures")
    report.text(
        "Pixel accuracy is CosmicTagger's accuracy on non-zero pixels: here the pixels whose true "
        "charge is above the labelling threshold (the images carry noise everywhere). IoU = "
        "TP / (TP + FP + FN) per class over all pixels. Counts pooled over the test set."
    )
    report.table(score_table(result.scores), caption="Held-out scores", floatfmt=".3f")
    report.bullets(_verdicts(result))
    names = list(LABEL_NAMES)
    fig = confusion_figure(
        test.labels.ravel(), {k: v.ravel() for k, v in predictions.items()}, names
    )
    report.figure(fig, "segment_confusion", "Pixel confusion, rows normalised to the true class.")
    report.heading("Example events")
    report.figure(
        _examples(test, predictions, min(3, len(test))),
        "segment_examples",
        "Image, truth and predicted labels (dark: background, red: cosmic, green: neutrino).",
    )
    report.heading("Detector and event parameters")
    report.table(_parameters(test))
    return report
