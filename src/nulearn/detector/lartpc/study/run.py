"""The segmentation study: simulate, train the UNet, score it and the Hough tagger, report.

Three steps a user runs separately (``nulearn detector segment simulate | train | evaluate``) or
at once (``study``): a training set and a held-out test set are simulated with different seeds,
the UNet is trained on the training set only (its early stopping on a split of it), the Hough
tagger's parameters were set by hand on a separate tuning sample (60 images, simulator seed 1),
and both are scored on the test set against the CosmicTagger figures.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nulearn.detector.lartpc.data.dataset import (
    SegmentationSet,
    load_dataset,
    save_dataset,
    simulate_dataset,
)
from nulearn.detector.lartpc.evaluation.metrics import (
    TARGETS,
    SegmentationScores,
    segmentation_scores,
)
from nulearn.detector.lartpc.models.baseline import HoughCosmicTagger
from nulearn.detector.lartpc.models.unet import load_unet, predict_labels, save_unet, train_unet
from nulearn.detector.lartpc.physics.config import LArTPCConfig, pixel_noise_sigma
from nulearn.ml.io import atomic_output, check_input_file, check_output
from nulearn.ml.progress import Progress, no_progress

__all__ = [
    "MODEL_FILE",
    "RUN_FILE",
    "SegmentResult",
    "TrainSettings",
    "evaluate_run",
    "run_study",
    "simulate_file",
    "train_run",
]

MODEL_FILE, RUN_FILE = "model.pt", "run.yaml"
#: Offset of the test set's simulation seed from the training seed.
TEST_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class TrainSettings:
    """How the UNet is trained (see :func:`~nulearn.detector.lartpc.models.unet.train_unet`)."""

    base_channels: int = 8
    depth: int = 4
    max_epochs: int = 10
    patience: int = 4
    batch_size: int = 16
    learning_rate: float = 3e-3
    seed: int = 0
    num_threads: int = 1

    def __post_init__(self) -> None:
        for name in (
            "base_channels",
            "depth",
            "max_epochs",
            "patience",
            "batch_size",
            "num_threads",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} = {getattr(self, name)} must be >= 1")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate = {self.learning_rate} must be > 0")


@dataclass
class SegmentResult:
    """Scores of the UNet and the baseline on a test set, and where the report went."""

    scores: dict[str, SegmentationScores]
    n_test: int
    report: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per method with the three CosmicTagger figures."""
        lines = []
        for name, s in self.scores.items():
            f = s.figures()
            lines.append(
                f"{name}: pixel accuracy {f['pixel accuracy (non-zero)']:.3f}, cosmic IoU "
                f"{f['cosmic IoU']:.3f}, neutrino IoU {f['neutrino IoU']:.3f} ({self.n_test} test images)"
            )
        t = TARGETS
        lines.append(
            f"CosmicTagger targets: accuracy > {t['pixel accuracy (non-zero)']}, cosmic IoU > "
            f"{t['cosmic IoU']}, neutrino IoU > {t['neutrino IoU']}"
        )
        return "\n".join(lines)


def simulate_file(
    n: int, config: LArTPCConfig, seed: int, out: str | Path, progress: Progress = no_progress
) -> str:
    """Simulate ``n`` images to ``out`` (.npz); returns a one-line summary."""
    path = check_output(out, suffixes=(".npz",), what="--out")
    data = simulate_dataset(n, config, seed, progress)
    save_dataset(data, path)
    f = data.class_fractions()
    return (
        f"{n} images {config.time_pixels}x{config.wire_pixels} -> {path} (pixels: background "
        f"{f[0]:.3f}, cosmic {f[1]:.4f}, neutrino {f[2]:.4f})"
    )


def _train(data: SegmentationSet, settings: TrainSettings) -> tuple[Any, dict[str, Any]]:
    t0 = time.perf_counter()
    module, epochs = train_unet(
        data.images,
        data.labels,
        pixel_noise_sigma(data.config),
        base_channels=settings.base_channels,
        depth=settings.depth,
        max_epochs=settings.max_epochs,
        patience=settings.patience,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        seed=settings.seed,
        num_threads=settings.num_threads,
    )
    info = {
        "settings": asdict(settings),
        "n_train": len(data),
        "epochs_run": epochs,
        "train_seconds": round(time.perf_counter() - t0, 1),
        "class_weights": [float(w) for w in module.weights],
        "detector": data.config.to_dict(),
    }
    return module, info


def _check_size(data: SegmentationSet, depth: int) -> None:
    h, w = data.images.shape[1:]
    if h % 2**depth or w % 2**depth:
        raise ValueError(f"images of {h}x{w} pixels do not halve {depth} times; lower --depth")


def train_run(data_path: str | Path, out: str | Path, settings: TrainSettings) -> str:
    """Train the UNet on a simulated set and write ``out/model.pt`` and ``out/run.yaml``."""
    out_dir = check_output(out, directory=True, what="--out", replaceable=(MODEL_FILE, RUN_FILE))
    data = load_dataset(data_path)
    _check_size(data, settings.depth)
    module, info = _train(data, settings)
    info["data"] = str(data_path)
    with atomic_output(out_dir, directory=True, replaceable=(MODEL_FILE, RUN_FILE)) as tmp:
        save_unet(module, tmp / MODEL_FILE)
        (tmp / RUN_FILE).write_text(yaml.safe_dump(info, sort_keys=False))
    return f"UNet trained {info['epochs_run']} epochs on {len(data)} images in {info['train_seconds']} s -> {out_dir}"


def _score(
    module: Any, test: SegmentationSet, progress: Progress
) -> tuple[SegmentResult, dict[str, np.ndarray]]:
    pred, _ = predict_labels(module, test.images)
    t0 = time.perf_counter()
    base = HoughCosmicTagger.for_image_size(test.config.wire_pixels).predict(
        test.images, pixel_noise_sigma(test.config), progress
    )
    seconds = time.perf_counter() - t0
    scores = {
        "UNet": segmentation_scores(test.labels, pred),
        "Hough/timing baseline": segmentation_scores(test.labels, base),
    }
    return SegmentResult(
        scores, len(test), extra={"baseline_ms_per_image": 1e3 * seconds / len(test)}
    ), {
        "UNet": pred,
        "Hough/timing baseline": base,
    }


def evaluate_run(
    run: str | Path, data_path: str | Path, out: str | Path, progress: Progress = no_progress
) -> SegmentResult:
    """Score a trained run and the baseline on a test set; write ``out/report.md`` and figures."""
    from nulearn.detector.lartpc.study.report import segment_report

    out_dir = check_output(out, directory=True, what="--out")
    model = check_input_file(Path(run) / MODEL_FILE, "model")
    module = load_unet(model)
    test = load_dataset(data_path)
    trained = module.hparams
    _check_size(test, int(trained["depth"]))
    info = _read_run(Path(run))
    if info.get("detector") and info["detector"] != test.config.to_dict():
        raise ValueError(
            f"test data {data_path}: simulated with another detector configuration than the "
            f"training data of {run}"
        )
    result, predictions = _score(module, test, progress)
    result.report = segment_report(result, test, predictions, info).write(out_dir)
    return result


def _read_run(run: Path) -> dict[str, Any]:
    path = run / RUN_FILE
    if not path.is_file():
        return {}
    from nulearn.ml.io import read_yaml

    return read_yaml(path, "run file")


def run_study(
    out: str | Path,
    n_train: int,
    n_test: int,
    config: LArTPCConfig,
    settings: TrainSettings,
    progress: Progress = no_progress,
    log: Any = None,
) -> SegmentResult:
    """Simulate training and test sets (seeds ``seed`` and ``seed + 1000003``), train, score and
    write the report (and the model) to ``out``."""
    from nulearn.detector.lartpc.study.report import segment_report

    out_dir = check_output(out, directory=True, what="--out")
    if n_train < 4 or n_test < 1:
        raise ValueError(f"need --n-train >= 4 and --n-test >= 1; got {n_train}, {n_test}")
    train = simulate_dataset(n_train, config, settings.seed, progress)
    test = simulate_dataset(n_test, config, settings.seed + TEST_SEED_OFFSET, progress)
    _check_size(train, settings.depth)
    if log is not None:
        log(f"training UNet on {n_train} images ({config.time_pixels}x{config.wire_pixels})")
    module, info = _train(train, settings)
    info["train_class_fractions"] = [float(f) for f in train.class_fractions()]
    result, predictions = _score(module, test, progress)
    report = segment_report(result, test, predictions, info)
    result.report = report.write(out_dir)
    save_unet(module, out_dir / MODEL_FILE)
    with atomic_output(out_dir / RUN_FILE) as tmp:
        tmp.write_text(yaml.safe_dump(info, sort_keys=False))
    result.extra.update(info)
    return result
