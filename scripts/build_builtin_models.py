#!/usr/bin/env python
"""Rebuild the built-in crossing classifiers shipped in ``nulearn/flavor/models/builtin/``.

Each model is trained as its spec in :data:`nulearn.flavor.models.builtin_models.BUILTIN_SPECS`
says (data size, seed, hyperparameters); the card records the equivalent ``nulearn`` commands,
the data hash, validation and hold-out test scores beside the Bayes ceiling, and cells/s.
Models that share a data set (the ELN-XLN ones) generate it once.

    python scripts/build_builtin_models.py              # all of them (a few minutes on one core)
    python scripts/build_builtin_models.py eln-lr2      # one
    python scripts/build_builtin_models.py --out /tmp/builtins   # elsewhere, e.g. to compare
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # reproducible, and polite on shared machines


def main(argv: list[str] | None = None) -> int:
    from nulearn.flavor.evaluation.builtin_build import build_builtin, builtin_data
    from nulearn.flavor.models.builtin_models import BUILTIN_SPECS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"built-ins to build (default all: {', '.join(BUILTIN_SPECS)})"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the model directories (default: the package)",
    )
    args = parser.parse_args(argv)
    names = args.names or list(BUILTIN_SPECS)
    unknown = [n for n in names if n.removeprefix("builtin:") not in BUILTIN_SPECS]
    if unknown:
        parser.error(f"unknown built-in(s) {unknown}; known: {', '.join(BUILTIN_SPECS)}")
    cache: dict[tuple[object, ...], object] = {}
    for name in names:
        spec = BUILTIN_SPECS[name.removeprefix("builtin:")]
        t0 = time.perf_counter()
        tables = []
        for n, seed in ((spec.n, spec.seed), (spec.n_test, spec.test_seed)):
            key = (spec.moments, spec.scheme, spec.family, spec.spread, spec.n_directions, n, seed)
            if key not in cache:
                cache[key] = builtin_data(spec, n, seed)
            tables.append(cache[key])
        out = None if args.out is None else args.out / spec.name
        carded = build_builtin(spec.name, out, data=tables[0], test=tables[1])
        prov = carded.card.extra["builtin"]
        val = carded.card.metrics.get("validation", {}).get("accuracy", float("nan"))
        test = prov["test"]["scores"]["accuracy"]
        ceiling = (prov["test"]["bayes_ceiling"] or {}).get("accuracy", 1.0)
        print(
            f"builtin:{spec.name}: validation accuracy {val:.4f}, test {test:.4f} "
            f"(Bayes ceiling {ceiling:.4f}), {prov['cells_per_s']:,.0f} cells/s, "
            f"built in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
