"""Benchmark of event position from scintillation light in the liquid-xenon TPC: light simulator
speed, then the waveform CNN against the calibrated light-weighted centroid on held-out events,
per axis and in 3D, against EXO-200's published 22.5 mm (13.6, 11.3, 8.1 mm per axis).

Usage: .venv/bin/python benchmarks/detector/bench_detector_tpc_light.py [--n-train 4000 --n-test 1500 --epochs 6 --threads 2]
Prints the measured figures and writes a Markdown report (default reports/detector-tpc-light-bench).
Training and test events come from independent seeds; the test events are used for nothing else.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nulearn.detector.tpc.physics.deposits import uniform_energy_events
from nulearn.detector.tpc.physics.light import light_acceptance, simulate_light
from nulearn.detector.tpc.physics.light_config import LightConfig
from nulearn.detector.tpc.study.light import light_study
from nulearn.detector.tpc.study.light_report import light_report, verdict


def _speed(light: LightConfig, n: int) -> None:
    rng = np.random.default_rng(0)
    light_acceptance(np.zeros((1, 3)), light)  # build the cached reflection tables first
    d = uniform_energy_events(n, rng=rng, e_max_kev=3000.0)
    t0 = time.perf_counter()
    ev = simulate_light(d, light=light, rng=rng)
    dt = time.perf_counter() - t0
    r = np.corrcoef(ev.photons / ev.energy_kev, ev.electrons / ev.energy_kev)[0, 1]
    print(
        f"light simulator: {1e3 * dt / n:.2f} ms/event ({n} events, 74x{light.n_samples}); "
        f"{(ev.photoelectrons.sum(1) / ev.energy_kev).mean():.2f} photoelectrons/keV; "
        f"corr(light/E, charge/E) = {r:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("reports/detector-tpc-light-bench"))
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    n_speed = 500
    if args.smoke:
        args.n_train, args.n_test, args.epochs, n_speed = 48, 24, 1, 20
        args.out = Path(tempfile.mkdtemp(prefix="bench_tpc_light_"))
    torch.set_num_threads(args.threads)
    light = LightConfig()
    print(f"torch threads {args.threads}; sizes: {vars(args)}")
    _speed(light, n_speed)
    t0 = time.perf_counter()
    res = light_study(
        args.n_train,
        args.n_test,
        light=light,
        seed=args.seed,
        max_epochs=args.epochs,
        num_threads=args.threads,
        log=print,
    )
    print(res.summary())
    print("EXO-200 published: sigma x 13.6, y 11.3, z 8.1 mm; 3D 22.5 mm")
    print(verdict(res))
    for name, frame in res.by_radius.items():
        print(f"{name}, 3D RMS by radius [mm]:")
        print(frame.to_string(index=False, float_format="%.1f"))
    for name, frame in res.by_energy.items():
        print(f"{name}, 3D RMS by energy [keV]:")
        print(frame.to_string(index=False, float_format="%.1f"))
    print(f"(CNN training {res.train_seconds:.0f} s; total {time.perf_counter() - t0:.0f} s)")
    path = light_report(res).write(args.out)
    print(f"report -> {path}")


if __name__ == "__main__":
    main()
