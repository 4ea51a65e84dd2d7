"""CNN against the optimal power-spectrum likelihood ratio (and peak counts) on the same test maps.

Default: Gaussian maps, n_gal = 30/arcmin², ℓ ≤ 5000, 3.5° at 128² (the 128² grid reaches
ℓ_Nyquist = 6583 > 5000, so it holds every mode of the ℓ ≤ 5000 map). The CNN trains on fresh
maps every epoch. ``--sweep`` adds the table over noise levels (n_gal 10, 30, 50, none) and source
redshifts with the baselines (and the CNN with ``--sweep-cnn``).

Usage: python benchmarks/cosmo/bench_cnn.py [--n-pix 128 --side-deg 3.5] [--field lognormal]
       [--epochs 20 --maps-per-epoch 8192] [--n-test 4000] [--sweep] [--out reports/cosmo_bench]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from nulearn.cosmo.data.maps import MapConfig, MapSet, SpectrumTable
from nulearn.cosmo.data.maps import simulate_maps as simulate
from nulearn.cosmo.data.streaming import StreamingMaps
from nulearn.cosmo.evaluation.comparison import (
    accuracy_with_error,
    compare_paired,
    run_baselines,
    verdict,
)
from nulearn.cosmo.models.classifier import CNNClassifier
from nulearn.cosmo.models.network import LensingCNNConfig as CNNConfig
from nulearn.cosmo.models.network import map_loader
from nulearn.cosmo.study.report import classification_section
from nulearn.cosmo.theory.power import Cosmology
from nulearn.ml.report import Report
from nulearn.ml.training import TrainerConfig


def _balanced(table: SpectrumTable, config: MapConfig, n: int, seed: int) -> MapSet:
    labels = np.tile([0, 1], n // 2)
    return simulate(table, config, 0.1 * labels, seed=seed, labels=labels)


def run_one(
    table: SpectrumTable, config: MapConfig, args: argparse.Namespace, with_cnn: bool
) -> dict[str, object]:
    """Baselines (and optionally the CNN) for one map configuration."""
    t0 = time.perf_counter()
    train = _balanced(table, config, args.n_train, 100)
    test = _balanced(table, config, args.n_test, 200)
    base = run_baselines(train, test, table)
    row: dict[str, object] = {
        "field": config.field,
        "n_gal": config.n_gal or "none",
        "z_s": config.z_source,
        "n_pix": config.n_pix,
        "side_deg": config.side_deg,
        "ell_max": config.ell_max,
        "n_test": args.n_test,
    }
    for _, r in base.table.iterrows():
        row[f"{r['method']}"] = round(float(r["accuracy"]), 4)
        row[f"{r['method']} err"] = round(float(r["stderr"]), 4)
    if with_cnn:
        torch.set_num_threads(args.threads)
        val = _balanced(table, config, args.n_val, 300)
        scale = float(train.maps.std())
        stream = StreamingMaps(table, config, scale, args.maps_per_epoch, 64, seed=1)
        cfg = CNNConfig(learning_rate=args.lr, lr_decay=args.lr_decay)
        tcfg = TrainerConfig(
            accelerator="auto",
            max_epochs=args.epochs,
            patience=args.patience,
            num_threads=args.threads,
            progress_bar=args.progress,
        )
        clf = CNNClassifier(cfg, tcfg).fit_loaders(
            DataLoader(stream, batch_size=None), map_loader(val.maps, val.labels, scale, 256), scale
        )
        pred = clf.predict(test.maps)
        acc, err = accuracy_with_error(test.labels, pred)
        cmp = compare_paired(test.labels, pred, base.predictions["power-spectrum likelihood ratio"])
        row.update(
            {
                "CNN": round(acc, 4),
                "CNN err": round(err, 4),
                "CNN - LR": round(cmp.difference, 4),
                "CNN - LR err": round(cmp.stderr, 4),
                "verdict": verdict(cmp) if config.field == "gaussian" else "n/a (lognormal)",
            }
        )
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n-pix", type=int, default=128)
    p.add_argument("--side-deg", type=float, default=3.5)
    p.add_argument("--ell-max", type=float, default=5000.0)
    p.add_argument("--field", default="gaussian", choices=["gaussian", "lognormal"])
    p.add_argument("--n-gal", type=float, default=30.0, help="0: no noise")
    p.add_argument("--z-source", type=float, default=1.0)
    p.add_argument("--n-train", type=int, default=4000, help="maps the baselines are fitted on")
    p.add_argument("--n-val", type=int, default=1000)
    p.add_argument("--n-test", type=int, default=4000)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--maps-per-epoch", type=int, default=8192)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--lr-decay", type=float, default=0.85)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-cnn", action="store_true")
    p.add_argument("--sweep", action="store_true", help="table over n_gal and z_s (baselines)")
    p.add_argument(
        "--sweep-cnn", action="store_true", help="also train the CNN for every sweep row"
    )
    p.add_argument(
        "--sweep-set",
        choices=["full", "core"],
        default="full",
        help="full: every z_s in (0.5, 1, 1.5) x n_gal in (10, 30, 50, none) x field; core: Gaussian "
        "maps, n_gal 10/50/none at z_s = 1 and n_gal 30 at z_s = 0.5/1.5 (with --sweep-cnn, the "
        "CNN rows that fit a CPU budget)",
    )
    p.add_argument("--progress", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="write report.md and results.json here")
    p.add_argument("--smoke", action="store_true", help="tiny sizes: a few seconds, writes nothing")
    args = p.parse_args()
    if args.smoke:
        args.n_pix, args.side_deg, args.n_train, args.n_val, args.n_test = 32, 1.75, 64, 32, 64
        args.epochs, args.patience, args.maps_per_epoch, args.sweep = 1, 1, 128, False

    def config(n_gal: float | None, z_s: float, field: str) -> MapConfig:
        return MapConfig(
            n_pix=args.n_pix,
            side_deg=args.side_deg,
            field=field,
            z_source=z_s,  # type: ignore[arg-type]
            n_gal=n_gal,
            ell_max=args.ell_max or None,
        )

    tables: dict[float, SpectrumTable] = {}

    def table_for(z_s: float) -> SpectrumTable:
        if z_s not in tables:
            tables[z_s] = SpectrumTable.from_theory(Cosmology(), (0.0, 0.1), z_s)
        return tables[z_s]

    main_cfg = config(args.n_gal or None, args.z_source, args.field)
    rows = [run_one(table_for(args.z_source), main_cfg, args, not args.no_cnn)]
    print(json.dumps(rows[0], indent=1), flush=True)
    if args.sweep:
        if args.sweep_set == "core":
            grid = [(1.0, g, "gaussian") for g in (10.0, 50.0, None)]
            grid += [(z, 30.0, "gaussian") for z in (0.5, 1.5)]
        else:
            grid = [
                (z, g, f)
                for z in (0.5, 1.0, 1.5)
                for g in (10.0, 30.0, 50.0, None)
                for f in ("gaussian", "lognormal")
            ]
        for z_s, n_gal, field in grid:
            if (z_s, n_gal or 0.0, field) == (args.z_source, args.n_gal, args.field):
                continue
            rows.append(run_one(table_for(z_s), config(n_gal, z_s, field), args, args.sweep_cnn))
            print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    if args.out is not None:
        report = Report("nulearn cosmo benchmark: CNN vs baselines")
        classification_section(
            report,
            main_cfg,
            frame.iloc[:1].T.reset_index().rename(columns={"index": "quantity", 0: "value"}),
        )
        if len(rows) > 1:
            report.table(
                frame,
                caption="Accuracy over noise levels and source redshifts (same test maps per row)",
            )
        report.write(args.out)
        (args.out / "results.json").write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
