"""Labelled samples per second of `nulearn.flavor.data.generate` for each scheme (target: xln >= 500,000/s on 2 cores).

Run: .venv/bin/python benchmarks/flavor/bench_generate.py [--n 1000000] [--repeats 3]
Prints one line per scheme and family with the best of ``repeats`` timings, plus the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numba

from nulearn.flavor.data.generate import generate
from nulearn.flavor.physics.families import get_family


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.n, args.repeats = 2_000, 1
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cores={os.cpu_count()} numba threads={numba.get_num_threads()}"
    )
    generate("xln", "mix", min(args.n, 10_000), seed=0)  # compile / load the kernels once
    for scheme in ("original", "hierarchical", "xln"):
        for family in ("maxent", "gaussian", "mix"):
            best = float("inf")
            for r in range(args.repeats):
                t0 = time.perf_counter()
                frame = generate(scheme, family, args.n, seed=r)
                best = min(best, time.perf_counter() - t0)
            print(
                f"generate scheme={scheme:<12} family={family:<8} n={args.n:,}: {args.n / best:>12,.0f} samples/s "
                f"(unstable fraction {frame['crossing'].mean():.3f})"
            )
    import numpy as np

    flux = np.random.default_rng(0).uniform(0, 0.999, args.n)
    for name in ("maxent", "gaussian"):
        fam = get_family(name)
        fam.shape_parameter(flux[:100])
        t0 = time.perf_counter()
        fam.shape_parameter(flux)
        dt = time.perf_counter() - t0
        print(f"inversion family={name:<8}: {args.n / dt:>12,.0f} cells/s")


if __name__ == "__main__":
    main()
