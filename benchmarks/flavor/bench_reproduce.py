"""Benchmark of the main job: the acceptance figures of `nulearn flavor reproduce`.

Runs the default reproduction (or ``--full``, the papers' sizes) and prints the acceptance table
(accuracy against the Bayes ceiling and the published numbers) and the wall time, the figures of
the README's performance table. The report itself is written with ``--out``.

Usage: .venv/bin/python benchmarks/flavor/bench_reproduce.py [--full] [--out reports/flavor-bench]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from nulearn.flavor.studies.reproduce import (
    ReproduceConfig,
    acceptance_table,
    reproduce,
    write_report,
)
from nulearn.ml.report import markdown_table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--full", action="store_true", help="the papers' data sizes")
    p.add_argument("--out", type=Path, default=None, help="also write the report here")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing")
    args = p.parse_args()
    config = ReproduceConfig.full() if args.full else ReproduceConfig()
    if args.smoke:
        config = ReproduceConfig.sized(
            400,
            models=("lr2", "tree"),
            single_models=("lr2",),
            degrees=(1, 2),
            n_jobs=1,
        )
    t0 = time.perf_counter()
    result = reproduce(config)
    wall = time.perf_counter() - t0
    print(markdown_table(acceptance_table(result)))
    print(f"\nwall time {wall:.1f} s on {os.cpu_count()} CPUs (target: default run < 300 s)")
    if args.out is not None:
        print(f"report: {write_report(result, args.out)}")


if __name__ == "__main__":
    main()
