"""Fast-flavor solver: cost, throughput, resolution convergence and the prescriptions' errors.

Prints Markdown tables:

1. solver quality over the ELN-XLN configurations with a crossing (``xln`` scheme, maxent closure):
   growth rate fitted in the linear phase against the dispersion relation of the same box mode,
   lepton-number conservation, saturation;
2. cost: seconds per configuration at the default resolution (one core; median, 10th and 90th
   percentiles, mean, max) and configurations per hour with
   :func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many` on 2 worker processes
   (``--cost-only`` stops here);
3. resolution convergence: the asymptotic state at the default resolution against doubled n_mu,
   n_z, box length and halved dt, beside the seed-to-seed scatter of one box (the noise floor);
4. the analytic prescriptions scored against the solver (solver = ground truth; every row is held
   out, the prescriptions have no fitted parameters).

Run: ``.venv/bin/python benchmarks/flavor/bench_fast_flavor.py [--smoke] [--n 200] [--cost-only] [--out DIR]``.
Timings depend on machine load (the figures in the report were taken on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.evaluation.asymptotic import score_prescriptions
from nulearn.flavor.evaluation.fast_flavor_figures import save_evolution_figures
from nulearn.flavor.physics.fast_flavor import EvolveConfig, evolve
from nulearn.flavor.physics.fast_flavor_batch import evolve_many
from nulearn.flavor.physics.fast_flavor_beams import beams_from_moments
from nulearn.flavor.physics.species import XLN_FEATURES
from nulearn.ml.report import markdown_table


def crossing_cells(n: int, seed: int) -> pd.DataFrame:
    """``n`` ELN-XLN configurations with a crossing (maxent closure)."""
    frame = generate("xln", "maxent", 4 * n + 40, seed)
    return frame[frame["crossing"] == 1].iloc[:n][list(XLN_FEATURES)].reset_index(drop=True)


def quality_table(results: pd.DataFrame) -> pd.DataFrame:
    """Growth-rate agreement, conservation and saturation over the solved configurations."""
    fitted = results["growth_rate"].notna() & (results["growth_rate_predicted"] > 0)
    rel = (
        results.loc[fitted, "growth_rate"] / results.loc[fitted, "growth_rate_predicted"] - 1
    ).abs()
    return pd.DataFrame(
        [
            {
                "configurations": len(results),
                "evolved": int(results["evolved"].sum()),
                "growth_fitted": int(fitted.sum()),
                "growth_median_rel_err_%": 100 * float(rel.median()),
                "growth_p90_rel_err_%": 100 * float(rel.quantile(0.9)),
                "growth_max_rel_err_%": 100 * float(rel.max()),
                "within_5%": float((rel < 0.05).mean()),
                "max_conservation_error": float(results["conservation_error"].max()),
                "saturated": int(results["saturated"].sum()),
                "median_drift": float(results.loc[results["evolved"], "drift"].median()),
            }
        ]
    )


def cost_table(results: pd.DataFrame, wall: float, config: EvolveConfig) -> pd.DataFrame:
    evolved = results[results["evolved"]]
    steps = evolved["t_end"] * np.abs(np.stack(evolved["eln"])).sum(axis=1) / config.dt
    points = config.n_z * config.n_mu
    return pd.DataFrame(
        [
            {
                "n_mu": config.n_mu,
                "n_z": config.n_z,
                "s_per_config_median": float(evolved["seconds"].median()),
                "s_per_config_p10": float(evolved["seconds"].quantile(0.1)),
                "s_per_config_p90": float(evolved["seconds"].quantile(0.9)),
                "s_per_config_mean": float(evolved["seconds"].mean()),
                "s_per_config_max": float(evolved["seconds"].max()),
                "ns_per_point_step": float(1e9 * (evolved["seconds"] / (steps * points)).median()),
                "wall_s_2_workers": wall,
                "configs_per_hour_2_cores": 3600.0 * len(results) / wall,
            }
        ]
    )


def _side_means(survival: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    pos, neg = np.clip(g, 0, None).sum(), np.clip(-g, 0, None).sum()
    minority = g < 0 if neg <= pos else g > 0
    w = np.abs(g)
    return (
        float(w[minority] @ survival[minority] / w[minority].sum()),
        float(w[~minority] @ survival[~minority] / w[~minority].sum()),
    )


def convergence_table(cells: pd.DataFrame, base: EvolveConfig, seeds: int) -> pd.DataFrame:
    """Each variant against the default resolution, averaged over cells and seeds."""
    variants = {
        "default": base,
        "seed + 100 (noise floor)": base,
        "2 n_mu": replace(base, n_mu=2 * base.n_mu),
        "2 n_z": replace(base, n_z=2 * base.n_z),
        "dt / 2": replace(base, dt=0.5 * base.dt),
        "2 L, 2 n_z": replace(base, box_length=2 * base.box_length, n_z=2 * base.n_z),
    }
    grid = np.linspace(-1.0, 1.0, 401)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    curves: dict[str, list[np.ndarray]] = {name: [] for name in variants}
    for name, cfg in variants.items():
        for seed in range(seeds):
            cfg_seed = replace(cfg, seed=seed + (100 if name.startswith("seed") else 0))
            beams = beams_from_moments(cells, "maxent", cfg_seed.n_mu)
            for i in range(len(cells)):
                t0 = time.perf_counter()
                res = evolve(beams.cell(i), cfg_seed)
                minority, majority = _side_means(res.survival, res.eln)
                curves[name].append(np.interp(grid, res.mu, res.survival))
                runs[name].append(
                    {
                        "minority": minority,
                        "majority": majority,
                        "n_nue": res.moments_after["n_nue"],
                        "F_nue": res.moments_after["F_nue"],
                        "seconds": time.perf_counter() - t0,
                    }
                )
    rows = []
    for name, cfg in variants.items():
        var = pd.DataFrame(runs[name])
        diff = (var - pd.DataFrame(runs["default"])).abs().mean()
        dp = [np.abs(a - b).mean() for a, b in zip(curves[name], curves["default"], strict=True)]
        rows.append(
            {
                "variant": name,
                "n_mu": cfg.n_mu,
                "n_z": cfg.n_z,
                "L": cfg.box_length,
                "dt": cfg.dt,
                "mean|dP(mu)|": float(np.mean(dp)),
                "mean|d<P>_minority|": float(diff["minority"]),
                "mean|d<P>_majority|": float(diff["majority"]),
                "mean|dn_nue|": float(diff["n_nue"]),
                "mean|dF_nue|": float(diff["F_nue"]),
                "s_per_run": float(var["seconds"].mean()),
            }
        )
    return pd.DataFrame(rows)


def peaking_table(done: pd.DataFrame, n_mu: int, split: float = 0.95) -> pd.DataFrame:
    """MAE of n_nue and F_nue per prescription, for nearly beam-like configurations and the rest."""
    peak = done[[f"F_{s}" for s in ("nue", "nuebar", "nux", "nuxbar")]].max(axis=1)
    rows = []
    for label, subset in (
        (f"max F < {split}", done[peak < split]),
        (f"max F >= {split}", done[peak >= split]),
    ):
        if subset.empty:
            continue
        err = score_prescriptions(subset, "maxent", n_mu=n_mu).set_index(
            ["prescription", "quantity"]
        )
        for name in err.index.get_level_values(0).unique():
            rows.append(
                {
                    "configurations": label,
                    "n": len(subset),
                    "prescription": name,
                    "mae_n_nue": float(err.loc[(name, "n_nue"), "mae"]),
                    "mae_F_nue": float(err.loc[(name, "F_nue"), "mae"]),
                    "mae_n_nuebar": float(err.loc[(name, "n_nuebar"), "mae"]),
                }
            )
    return pd.DataFrame(rows)


def score_pivot(table: pd.DataFrame, value: str) -> pd.DataFrame:
    return table.pivot(index="prescription", columns="quantity", values=value).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--n", type=int, default=200, help="configurations solved and scored")
    parser.add_argument("--convergence-cells", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=2, help="seeds per convergence variant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write tables and figures here")
    parser.add_argument(
        "--cost-only", action="store_true", help="only the cost table (solver speed on 2 cores)"
    )
    args = parser.parse_args()
    config = EvolveConfig()
    n, conv_cells, seeds = args.n, args.convergence_cells, args.seeds
    if args.smoke:
        config = EvolveConfig(
            n_mu=8,
            n_z=32,
            box_length=40.0,
            t_relax=60.0,
            relax_growth_times=15.0,
            t_max=400.0,
            dt=0.2,
        )
        n, conv_cells, seeds = 4, 1, 1
    print(
        f"# bench_fast_flavor ({'smoke' if args.smoke else 'full'}; {os.cpu_count()} CPUs, shared)\n"
    )
    print(f"Solver configuration: {config.to_dict()}\n")

    cells = crossing_cells(n, args.seed)
    t0 = time.perf_counter()
    results = evolve_many(
        cells, "maxent", config, n_jobs=2, chunk_size=4, out=args.out and args.out / "solver"
    )
    wall = time.perf_counter() - t0

    print(f"## Solver quality ({n} xln configurations with a crossing, maxent)\n")
    print(markdown_table(quality_table(results)), "\n")
    print("## Cost at the default resolution (evolve_many, 2 worker processes)\n")
    print(markdown_table(cost_table(results, wall, config)), "\n")
    if args.cost_only:
        return

    print(f"## Resolution convergence ({conv_cells} configurations x {seeds} seeds)\n")
    conv = convergence_table(cells.iloc[:conv_cells], config, seeds)
    print(markdown_table(conv), "\n")

    done = results[results["saturated"] | ~results["evolved"]]
    print(
        f"## Prescriptions vs the solver ({len(done)} of {n} configurations saturated; "
        f"maxent closure, {config.n_mu} beams as the solver)\n"
    )
    table = score_prescriptions(done, "maxent", n_mu=config.n_mu)
    print("Mean absolute error (densities in units of n_nue):\n")
    print(markdown_table(score_pivot(table, "mae")), "\n")
    print("Relative error (sum |error| / sum |solver|):\n")
    print(markdown_table(score_pivot(table, "relative_error")), "\n")
    print("Mean absolute error by forward peaking (largest flux factor of the four species):\n")
    print(markdown_table(peaking_table(done, config.n_mu)), "\n")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "prescription_errors.csv", index=False)
        conv.to_csv(args.out / "convergence.csv", index=False)
        for i in range(min(3, len(results))):
            save_evolution_figures(results.iloc[i], args.out / "figures", f"config{i}")


if __name__ == "__main__":
    main()
