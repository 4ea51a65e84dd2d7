"""Exact 3D crossing labels and adaptive growth rates on narrow beams and shallow crossings.

Prints Markdown tables:

1. 3D labels on a stress set (near-beams with F up to 0.99999 off-axis, pairs straddling the
   crossing boundary by bisection on n_nuebar): accuracy and detected fraction of the former
   2000-direction Fibonacci scan, of the exact search (``label_moments3d``) and of the 1D grid
   search on the same cells with parallel fluxes, against a 200,000-direction brute-force search
   with polishing;
2. speed of the labels (cells/s, one thread, CPU time) on random ELN-XLN cells: former scan vs
   exact search;
3. growth rates: crossing cells (exact 1D zeros) with zero growth rate, before (24 beams, fixed k
   grid) and after (adaptive refinement), on random cells and on shallow pairs; ms/cell; error of
   near-beams (F = 0.9999, alpha >= 100 or <= 0.01) against a resolved reference.

The stress cells and the brute-force reference are the test fixtures of
``tests/flavor/physics/stress_cells.py``, so the benchmark measures what the tests check.

Run: ``.venv/bin/python benchmarks/flavor/bench_exact_labels.py [--smoke]``. Timings depend on
machine load.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from pathlib import Path
from types import ModuleType

import numba
import numpy as np
import pandas as pd

from nulearn.flavor.data.generate3d import generate3d
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.physics.lobes import exact_crossings, moment_arrays
from nulearn.flavor.physics.moments3d import (
    canonical_flux_vectors,
    fibonacci_sphere,
    label_moments3d,
    maxent3d_log_distribution,
    species_in,
)
from nulearn.flavor.physics.species import ELN_SIGN, species_signs
from nulearn.flavor.physics.stability import StabilityConfig, growth_rate_from_moments
from nulearn.ml.report import markdown_table


def _stress_module() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tests" / "flavor" / "physics" / "stress_cells.py"
    spec = importlib.util.spec_from_file_location("stress_cells", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stress_cells"] = module
    spec.loader.exec_module(module)
    return module


sc = _stress_module()


def former_scan(frame: pd.DataFrame, n_directions: int = 2000, rtol: float = 1e-10) -> np.ndarray:
    """The former ``label_moments3d``: sign change of G on a fixed Fibonacci sphere in the canonical
    frame, zero threshold rtol * max_Omega sum_s f_s, with its depth and extremes (same work)."""
    species = species_in(frame)
    dens = {s: frame[f"n_{s}"].to_numpy() for s in species}
    vec = {
        s: frame[[f"flux_{a}_{s}" for a in "xyz"]].to_numpy() / dens[s][:, None] for s in species
    }
    canon = canonical_flux_vectors(vec)
    dirs = fibonacci_sphere(n_directions)
    n = len(frame)
    out = {k: np.zeros(n) for k in ("depth", "eln_min", "eln_max")}
    crossing = np.zeros(n, dtype=np.int8)
    step = max(1, (1 << 22) // n_directions)
    for lo in range(0, n, step):
        sl = slice(lo, min(n, lo + step))
        g = np.zeros((sl.stop - sl.start, n_directions))
        total = np.zeros_like(g)
        for s in species:
            f = np.exp(maxent3d_log_distribution(dens[s][sl] / dens["nue"][sl], canon[s][sl], dirs))
            g += ELN_SIGN[s] * f
            total += f
        zero = rtol * total.max(axis=1, keepdims=True)
        pos = np.where(g > zero, g, 0.0).sum(axis=1)
        neg = np.where(g < -zero, -g, 0.0).sum(axis=1)
        crossing[sl] = (pos > 0) & (neg > 0)
        absolute = np.abs(g).sum(axis=1)
        out["depth"][sl] = np.minimum(pos, neg) / np.where(absolute > 0, absolute, 1.0)
        out["eln_min"][sl] = g.min(axis=1)
        out["eln_max"][sl] = g.max(axis=1)
    return crossing


def _one_d_label(frame: pd.DataFrame) -> np.ndarray:
    """The 1D grid search (401 points) on the same cells with every flux along one axis."""
    species = species_in(frame)
    feats = {}
    for s in species:
        flux = frame[[f"flux_{a}_{s}" for a in "xyz"]].to_numpy()
        feats[f"F_{s}"] = np.linalg.norm(flux, axis=1) / frame[f"n_{s}"].to_numpy()
    ratio = {"nuebar": "alpha", "nux": "alpha_x", "nuxbar": "alpha_xbar"}
    for s, col in ratio.items():
        if s in species:
            feats[col] = frame[f"n_{s}"].to_numpy() / frame["n_nue"].to_numpy()
    table = pd.DataFrame(feats)
    return label_moments(table, "maxent")["crossing"].to_numpy()


def label_table(n_beam: int, n_pairs: int, seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """Stress-set accuracy of the three 3D labels and of the 1D search against brute force."""
    rows = []
    timings = {}

    def exact(f: pd.DataFrame) -> np.ndarray:
        return label_moments3d(f)["crossing"].to_numpy()

    for scheme in ("eln", "xln"):
        sets = {
            "near-beams": sc.near_beam_moments(n_beam, seed, scheme),
            "F = 0.99999 beams": _extreme_beams(n_beam, seed + 1, scheme),
            "shallow pairs": sc.shallow_moments(n_pairs, seed + 2, exact, scheme),
            "shallow pairs, parallel fluxes": sc.parallel(
                sc.shallow_moments(n_pairs, seed + 3, exact, scheme, spread=0.0)
            ),
        }
        for name, cells in sets.items():
            t0 = time.perf_counter()
            ref = sc.reference_crossing(sc.brute_force_extrema(cells, with_eln=False))
            timings["brute force s/cell"] = (time.perf_counter() - t0) / len(cells)
            labels = {
                "former 2000-direction scan": former_scan(cells),
                "exact search": exact(cells),
            }
            if "parallel" in name:
                labels["1D grid search (401 points)"] = _one_d_label(cells)
            for method, lab in labels.items():
                crossing = ref == 1
                rows.append(
                    {
                        "scheme": scheme,
                        "stress set": name,
                        "cells": len(cells),
                        "method": method,
                        "accuracy": float((lab == ref).mean()),
                        "detected fraction": float(lab[crossing].mean())
                        if crossing.any()
                        else np.nan,
                    }
                )
    return pd.DataFrame(rows), timings


def _extreme_beams(n: int, seed: int, scheme: str) -> pd.DataFrame:
    """nuebar beams with F = 0.99999 off the axis of the other species."""
    cells = sc.near_beam_moments(4 * n, seed, scheme)
    flux = cells[[f"flux_{a}_nuebar" for a in "xyz"]].to_numpy() / cells[["n_nuebar"]].to_numpy()
    pick = np.flatnonzero(np.linalg.norm(flux, axis=1) > 0.999985)[:n]
    return cells.iloc[pick].reset_index(drop=True)


def speed_table(n: int, seed: int) -> pd.DataFrame:
    """CPU seconds of the former scan and the exact search on random ELN-XLN cells, one thread."""
    cells = generate3d(n, seed, scheme="xln", direction_spread=0.3, n_directions=2)
    raw = cells[[c for c in cells.columns if c.startswith(("n_", "flux_"))]]
    rows = []
    for name, fn in (
        ("former 2000-direction scan", lambda: former_scan(raw)),
        ("exact search (2000-direction seed scan)", lambda: label_moments3d(raw)),
        ("exact search (500-direction seed scan)", lambda: label_moments3d(raw, n_directions=500)),
    ):
        fn()  # warm-up (compilation)
        best = math.inf
        for _ in range(3):
            t0 = time.process_time()
            fn()
            best = min(best, time.process_time() - t0)
        rows.append({"method": name, "cells": n, "cells_per_s": n / best})
    return pd.DataFrame(rows)


def growth_tables(
    n_random: int, n_pairs: int, n_beam: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Zero-growth crossing cells and ms/cell before/after; near-beam errors before/after."""
    before_cfg = StabilityConfig(adaptive=False)
    rows = []
    for family in ("maxent", "gaussian"):
        for scheme in ("eln", "xln"):
            signs = species_signs(sc.SPECIES_XLN if scheme == "xln" else sc.SPECIES_ELN)

            def crossing(
                f: pd.DataFrame, family: str = family, signs: np.ndarray = signs
            ) -> np.ndarray:
                _, d, fl = moment_arrays(f)
                return exact_crossings(d, fl, signs, family).has_crossing.astype(np.int8)

            for name, cells in (
                ("random", sc.random_features(n_random, seed, scheme, max_flux=0.99)),
                ("shallow pairs", sc.shallow_features(n_pairs, seed + 1, crossing, scheme)),
            ):
                cross = crossing(cells) == 1
                depth = label_moments(cells, family, n_mu=4001)["depth"].to_numpy()
                for label, cfg in (
                    ("before (24 beams, fixed k grid)", before_cfg),
                    ("after (adaptive)", None),
                ):
                    t0 = time.process_time()
                    rates = growth_rate_from_moments(cells, family, cfg)
                    ms = 1e3 * (time.process_time() - t0) / len(cells)
                    growth = rates["growth_rate"].to_numpy()
                    rows.append(
                        {
                            "family": family,
                            "scheme": scheme,
                            "cells": name,
                            "n": len(cells),
                            "crossing": int(cross.sum()),
                            "solver": label,
                            "zero growth, crossing": int((cross & (growth == 0)).sum()),
                            "of which depth >= 1e-7": int(
                                (cross & (growth == 0) & (depth >= 1e-7)).sum()
                            ),
                            "growth > 0, no crossing": int((~cross & (growth > 0)).sum()),
                            "not converged": int((~rates["growth_converged"]).sum()),
                            "ms_per_cell": ms,
                        }
                    )
    beams = sc.near_beam_features(n_beam, seed + 2)
    reference = _resolved_reference(beams)
    near = []
    for label, cfg in (("before (24 beams, fixed k grid)", before_cfg), ("after (adaptive)", None)):
        rel = (
            growth_rate_from_moments(beams, "maxent", cfg)["growth_rate"].to_numpy() / reference - 1
        )
        near.append(
            {
                "solver": label,
                "near-beams": len(beams),
                "median |rel err|": float(np.median(np.abs(rel))),
                "max |rel err|": float(np.max(np.abs(rel))),
                "min rel err": float(np.min(rel)),
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(near)


def _resolved_reference(cells: pd.DataFrame) -> np.ndarray:
    """16-node panels graded to 1e-6 at mu = 1 and split at the exact crossings; n_k = 301, 6 refinements."""
    from nulearn.flavor.physics.families import get_family
    from nulearn.flavor.physics.stability import growth_rate_beams

    fam = get_family("maxent")
    _, density, flux = moment_arrays(cells)
    zeros = exact_crossings(density, flux, species_signs(sc.SPECIES_ELN), "maxent").zeros
    x, w = np.polynomial.legendre.leggauss(16)
    out = []
    for i in range(len(cells)):
        fixed = {-1.0, 0.0, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 1.0}
        ends = sorted(fixed | set(zeros[i][np.isfinite(zeros[i])]))
        lo, hi = np.array(ends[:-1])[:, None], np.array(ends[1:])[:, None]
        mu, wt = (0.5 * (hi - lo) * x + 0.5 * (hi + lo)).ravel(), (0.5 * (hi - lo) * w).ravel()
        g = wt * (species_signs(sc.SPECIES_ELN) @ fam.distribution(density[i], flux[i], mu))
        cfg = StabilityConfig(n_k=301, n_refine=6, adaptive=False)
        out.append(growth_rate_beams(mu, g[None, :], cfg).growth_rate[0])
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    numba.set_num_threads(1)
    if args.smoke:
        sizes = {"beam": 2, "pairs": 1, "speed": 100, "random": 8, "growth_pairs": 1, "near": 1}
    else:
        sizes = {
            "beam": 60,
            "pairs": 30,
            "speed": 4000,
            "random": 600,
            "growth_pairs": 20,
            "near": 12,
        }
    labels, timings = label_table(sizes["beam"], sizes["pairs"], args.seed)
    print("## 3D crossing labels on the stress set (reference: 200,000 directions + polishing)\n")
    print(markdown_table(labels))
    print(f"\nbrute force: {timings['brute force s/cell']:.2f} s/cell\n")
    print("## Label speed (random ELN-XLN cells, one thread, CPU time)\n")
    print(markdown_table(speed_table(sizes["speed"], args.seed)))
    growth, near = growth_tables(sizes["random"], sizes["growth_pairs"], sizes["near"], args.seed)
    print("\n## Growth rates: crossing cells left at zero growth, cost\n")
    print(markdown_table(growth))
    print("\n## Near-beams against a resolved reference\n")
    print(markdown_table(near))


if __name__ == "__main__":
    main()
