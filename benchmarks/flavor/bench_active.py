"""Active learning of the asymptotic flavor state: held-out error against solver runs, active
(bootstrap-ensemble variance) against random selection, mean and spread over seeds.

Prints Markdown tables: the error at every budget (mean, std, min, max over seeds; ratio active /
random) and the solver runs active selection needs to reach random selection's error at the full
budget. Solver results are remembered in ``--cache`` (default ``$TMPDIR/nulearn-active-cache``),
so a rerun (or a smaller budget) costs only the surrogate fits.

Run: ``.venv/bin/python benchmarks/flavor/bench_active.py [--smoke] [--budget 400] [--out DIR]``.
Timings depend on machine load (the figures in the report were taken on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from nulearn.flavor.studies.active.run import ActiveConfig, run_active_study
from nulearn.ml.report import markdown_table


def _log(description: str, total: int) -> Callable[[int], None]:
    """A progress callback printing a line to stderr at every tenth of the work."""
    done, start = [0], time.perf_counter()

    def advance(k: int) -> None:
        before, done[0] = done[0], done[0] + k
        if total and (10 * done[0]) // total > (10 * before) // total:
            seconds = time.perf_counter() - start
            print(
                f"{description}: {done[0]}/{total} ({seconds:.0f} s)", file=sys.stderr, flush=True
            )

    return advance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--budget", type=int, default=400, help="solver runs per strategy, seed")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--pool", type=int, default=20000)
    parser.add_argument("--test", type=int, default=200, help="held-out solver runs")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="solver processes")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.gettempdir()) / "nulearn-active-cache"
    if args.smoke:
        config, jobs = ActiveConfig.smoke(), 1
    else:
        config = replace(
            ActiveConfig(),
            budget=args.budget,
            batch=args.batch,
            initial=args.initial,
            pool=args.pool,
            test=args.test,
            seeds=tuple(range(args.seeds)),
        )
        jobs = args.jobs
    print(
        f"# bench_active ({'smoke' if args.smoke else 'full'}; {os.cpu_count()} CPUs, shared)\n\n"
        f"pool {config.pool}, held-out {config.test}, budget {config.budget} (initial "
        f"{config.initial}, batch {config.batch}), seeds {list(config.seeds)}, ensemble "
        f"{config.n_members}; solver {config.solver.to_dict()}\n"
    )
    res = run_active_study(config, args.out, cache_dir=cache, n_jobs=jobs, progress=_log)
    print("## Held-out MAE (mean over targets) against solver runs\n")
    print(markdown_table(res.summary), "\n")
    final = res.summary.iloc[-1]
    print(
        f"Active selection reaches random selection's error at {int(final['n_labels'])} runs "
        f"({final['random_mean']:.4g}) after {res.runs_to_match:g} runs.\n"
    )
    print(f"{res.n_solver_runs} solver runs made by this call (cache {cache}); {res.seconds:.0f} s")


if __name__ == "__main__":
    main()
