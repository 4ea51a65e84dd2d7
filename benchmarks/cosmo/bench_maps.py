"""Map-generation speed: 512² convergence maps per second (Gaussian and lognormal, n_gal = 30).

Usage: python benchmarks/cosmo/bench_maps.py [--n-maps 256] [--workers 2] [--n-pix 512]
Target: >= 20 maps/s of 512² on 2 cores. Uses the CAMB spectra (cached on disk after the first run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nulearn.cosmo.data.maps import MapConfig, MapMaker, SpectrumTable
from nulearn.cosmo.theory.power import Cosmology


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n-maps", type=int, default=256)
    parser.add_argument("--n-pix", type=int, default=512)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.n_maps, args.n_pix, args.batch = 8, 64, 4
    table = SpectrumTable.from_theory(Cosmology(), (0.0, 0.1), 1.0)
    rng = np.random.default_rng(0)
    for field in ("gaussian", "lognormal"):
        config = MapConfig(n_pix=args.n_pix, field=field, n_gal=30.0)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        maker = MapMaker(table, config, workers=args.workers)
        setup = time.perf_counter() - t0
        maker(np.full(args.batch, 0.1), np.ones(args.batch), rng)  # warm-up (FFT plans)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.n_maps // args.batch):
            m = rng.choice([0.0, 0.1], args.batch)
            maker(m, 1 + 0.015 * rng.standard_normal(args.batch), rng)
        n_done = (args.n_maps // args.batch) * args.batch
        rate = n_done / (time.perf_counter() - t0)
        # CPU seconds per map do not depend on how busy the shared machine is
        cpu_per_map = (time.process_time() - c0) / n_done
        print(
            f"{field:9s} {args.n_pix}² maps: {rate:7.1f} maps/s wall on {args.workers} FFT workers; "
            f"{1e3 * cpu_per_map:.1f} CPU-ms per map → {args.workers / cpu_per_map:.1f} maps/s on "
            f"{args.workers} idle cores (set-up {setup:.2f} s once per configuration)"
        )


if __name__ == "__main__":
    main()
