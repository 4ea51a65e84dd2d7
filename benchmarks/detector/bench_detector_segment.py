"""Benchmark of the LArTPC wire-plane segmentation: simulator and baseline speed, UNet training
time, and the held-out pixel accuracy, cosmic IoU and neutrino IoU of the UNet and the
Hough/timing baseline against the CosmicTagger figures (accuracy > 0.95, cosmic IoU > 0.90,
neutrino IoU > 0.70).

Usage: .venv/bin/python benchmarks/detector/bench_detector_segment.py [--n-train 1000 --n-test 200
--epochs 12 --threads 1 --image-size 128 ...]
Prints the measured figures and writes a Markdown report (default reports/detector-segment-bench).
Measured at the default size on the shared 2-core machine under load (one thread): UNet training
790 s, whole study 14.3 min (UNet 0.880 / 0.827 / 0.648 against the baseline's 0.753 / 0.693 /
0.471). Figures depend on the machine and its load; the sizes used are
printed with them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from nulearn.detector.lartpc.data.dataset import simulate_dataset
from nulearn.detector.lartpc.physics.config import LArTPCConfig
from nulearn.detector.lartpc.study.run import TrainSettings, run_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-train", type=int, default=1000)
    parser.add_argument("--n-test", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--base-channels", type=int, default=8)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("reports/detector-segment-bench"))
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    n_speed = 100
    if args.smoke:
        args.n_train, args.n_test, args.epochs, args.image_size = 8, 2, 1, 32
        args.base_channels, args.depth, n_speed = 2, 2, 4
        args.out = Path(tempfile.mkdtemp(prefix="bench_segment_")) / "report"
    torch.set_num_threads(args.threads)
    config = LArTPCConfig.for_image_size(args.image_size)
    print(f"torch threads {args.threads}; sizes: {vars(args)}")
    t0 = time.perf_counter()
    simulate_dataset(n_speed, config, seed=12345)
    print(
        f"simulator: {1e3 * (time.perf_counter() - t0) / n_speed:.1f} ms/image "
        f"({n_speed} images, {config.time_pixels}x{config.wire_pixels})"
    )
    settings = TrainSettings(
        base_channels=args.base_channels,
        depth=args.depth,
        max_epochs=args.epochs,
        patience=args.patience,
        seed=args.seed,
        num_threads=args.threads,
    )
    t0 = time.perf_counter()
    result = run_study(args.out, args.n_train, args.n_test, config, settings)
    print(result.summary())
    print(
        f"UNet training {result.extra['train_seconds']:.0f} s for {result.extra['epochs_run']} "
        f"epochs; baseline {result.extra['baseline_ms_per_image']:.1f} ms/image; whole study "
        f"{time.perf_counter() - t0:.0f} s"
    )
    print(f"report -> {result.report}")


if __name__ == "__main__":
    main()
