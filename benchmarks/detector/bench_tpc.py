"""Benchmark of the liquid-xenon TPC pillar: simulator and reconstruction speed,
CNN vs conventional energy resolution, the line-training pitfall (generic vs
structured CNN), site discrimination, WGAN-GP distances and speed-up.

Usage: .venv/bin/python benchmarks/detector/bench_tpc.py [--n-train 2000 --n-test 600 --epochs 4 ...]
Prints the measured figures and writes a Markdown report (default reports/detector-tpc-bench).
Figures depend on the machine and its load; the sizes used are printed with them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nulearn.detector.tpc.data.dataset import make_deposits
from nulearn.detector.tpc.evaluation.energy import pitfall_shown
from nulearn.detector.tpc.physics.config import TPCConfig
from nulearn.detector.tpc.physics.reconstruction import reconstruct
from nulearn.detector.tpc.physics.response import response_tables
from nulearn.detector.tpc.physics.simulator import simulate
from nulearn.detector.tpc.study.report import tpc_report
from nulearn.detector.tpc.study.run import discrimination_study, energy_study, generation_study


def _speed(config: TPCConfig, n: int) -> None:
    rng = np.random.default_rng(0)
    response_tables(config)
    for kind in ("bb", "gamma"):
        t0 = time.perf_counter()
        d = make_deposits(kind, n, config, rng)
        w = simulate(d, config, rng)
        t1 = time.perf_counter()
        reconstruct(w, config)
        t2 = time.perf_counter()
        print(
            f"simulator {kind:5s}: {1e3 * (t1 - t0) / n:6.2f} ms/event ({n} events, 76x1024); "
            f"conventional reconstruction {1e3 * (t2 - t1) / n:6.2f} ms/event"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument(
        "--pitfall-epochs",
        type=int,
        default=None,
        help="line-training pitfall CNNs (default --epochs)",
    )
    parser.add_argument("--gan-train", type=int, default=4000)
    parser.add_argument("--gan-epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip", nargs="*", default=[], choices=["energy", "sites", "gan"])
    parser.add_argument("--out", type=Path, default=Path("reports/detector-tpc-bench"))
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    n_speed = 200  # events timed through the simulator and the conventional reconstruction
    constrainer_epochs, warm_start_steps = 8, 1000  # of the WGAN-GP
    if args.smoke:
        args.n_train, args.n_test, args.epochs, args.members = 60, 30, 1, 1
        args.gan_train, args.gan_epochs, n_speed = 40, 1, 10
        constrainer_epochs, warm_start_steps = 1, 10
        args.out = Path(tempfile.mkdtemp(prefix="bench_tpc_"))
    torch.set_num_threads(args.threads)
    cfg = TPCConfig()
    print(f"torch threads {args.threads}; sizes: {vars(args)}")
    _speed(cfg, n_speed)
    energy = sites = gan = None
    if "energy" not in args.skip:
        t0 = time.perf_counter()
        energy = energy_study(
            args.n_train,
            args.n_test,
            cfg,
            0,
            args.epochs,
            args.members,
            args.threads,
            pitfall_epochs=args.pitfall_epochs,
        )
        print(energy.table.to_string(index=False, float_format="%.3f"))
        if energy.pitfall is not None:
            print(f"line-training pitfall ({energy.n_train_lines} line events):")
            print(energy.pitfall.to_string(index=False, float_format="%.3f"))
            print(f"pitfall shown: {pitfall_shown(energy.pitfall)}")
        print(
            f"CNN improvement in sigma/E at 2615 keV: {100 * energy.improvement_2615:.1f} "
            f"+- {100 * energy.improvement_2615_stderr:.1f} % "
            f"({energy.n_test_peak} full-absorption events; {time.perf_counter() - t0:.0f} s)"
        )
    if "sites" not in args.skip:
        t0 = time.perf_counter()
        sites = discrimination_study(args.n_train, args.n_test, cfg, 0, args.epochs, args.threads)
        print(sites.table.to_string(index=False, float_format="%.3f"))
        print(f"(site discrimination {time.perf_counter() - t0:.0f} s)")
    if "gan" not in args.skip:
        t0 = time.perf_counter()
        gan = generation_study(
            args.gan_train,
            min(args.n_test, 500),
            cfg,
            0,
            args.gan_epochs,
            constrainer_epochs,
            args.threads,
            warm_start_steps=warm_start_steps,
        )
        print(gan.distances.to_string(index=False, float_format="%.4g"))
        print(gan.speed.to_string(index=False, float_format="%.4g"))
        print(f"generator speed-up: {gan.speedup:.1f}x ({time.perf_counter() - t0:.0f} s)")
    path = tpc_report(energy, sites, gan).write(args.out)
    print(f"report -> {path}")


if __name__ == "__main__":
    main()
