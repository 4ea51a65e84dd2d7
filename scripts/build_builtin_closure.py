#!/usr/bin/env python
"""Rebuild the shipped learned closure ``builtin:xln-closure`` from fast-flavor solver runs.

The same ``nulearn`` commands a user would run, with fixed seeds, in a work folder (every solve
resumes, so an interrupted build picks up where it stopped):

1. two pools of ELN-XLN cells with a crossing (``flavor generate --unstable-fraction 1``, 1,600
   and 2,400 configurations) and transport-profile cells (``flavor transport``, 40 profiles; at
   most 6 cells with an ELN-XLN crossing per profile, keeping ``profile`` for the split);
2. ``flavor evolve`` on each (default solver resolution; about 25 minutes on 2 cores);
3. ``flavor closure train`` on all three, split 75/25 by configuration/profile, with the network
   chosen on a validation split of the training side only (see the closure guide).

    python scripts/build_builtin_closure.py --work /tmp/closure-build
    python scripts/build_builtin_closure.py --work /tmp/closure-build --out /tmp/xln-closure
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

POOLS = (("pool-a", 1600, 101), ("pool-b", 2400, 202))
PROFILES, PROFILE_SEED, PER_PROFILE = 40, 11, 6
HIDDEN = "64,64"
TRAIN = ["--hidden", HIDDEN, "--pretrain-rows", "10000", "--pretrain-epochs", "2500"]
TRAIN += ["--finetune-epochs", "400", "--seed", "0"]


def _nulearn(args: list[str], log: list[list[str]], done: bool = False) -> None:
    """Run ``nulearn ARGS`` (or, with ``done``, only record it: its output is already there)."""
    log.append(["nulearn", *args])
    if done:
        return
    print("$ nulearn " + " ".join(args), flush=True)
    entry = "from nulearn.cli import main; main()"
    subprocess.run([sys.executable, "-c", entry, *args], check=True)


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    from nulearn.flavor.models.builtin_models import BUILTIN_DIR
    from nulearn.flavor.models.closure import ClosureModel

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="work folder (resumable)")
    parser.add_argument("--out", type=Path, default=BUILTIN_DIR / "xln-closure")
    args = parser.parse_args(argv)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    log: list[list[str]] = []
    solved = []
    for name, n, seed in POOLS:
        pool = work / f"{name}.parquet"
        _nulearn(["flavor", "generate", "--scheme", "xln", "--n", str(n), "--seed", str(seed),
                  "--unstable-fraction", "1.0", "--out", str(pool), "--no-progress"], log,
                 done=pool.exists())  # fmt: skip
        _nulearn(["flavor", "evolve", str(pool), "--out", str(work / f"solved-{name}"),
                  "--no-progress"], log)  # fmt: skip
        solved.append(work / f"solved-{name}")
    transport = work / "transport.parquet"
    _nulearn(["flavor", "transport", "--profiles", str(PROFILES), "--seed", str(PROFILE_SEED),
              "--out", str(transport), "--no-progress"], log, done=transport.exists())  # fmt: skip
    cells = work / "transport-cells.parquet"
    table = pd.read_parquet(transport)
    crossing = table[table["crossing_xln"] == 1]
    picked = crossing.groupby("profile", group_keys=False)[list(crossing.columns)].apply(
        lambda g: g.sample(min(len(g), PER_PROFILE), random_state=0)
    )
    keep = ["profile", "n_nue", "n_nuebar", "n_nux", "n_nuxbar"]
    keep += ["F_nue", "F_nuebar", "F_nux", "F_nuxbar"]
    picked[keep].reset_index(drop=True).to_parquet(cells)
    log.append([f"(at most {PER_PROFILE} cells with crossing_xln = 1 per profile, random_state 0)"])
    _nulearn(["flavor", "evolve", str(cells), "--out", str(work / "solved-transport"),
              "--no-progress"], log)  # fmt: skip
    solved.append(work / "solved-transport")
    train = ["flavor", "closure", "train", *(a for p in solved for a in ("--solver", str(p)))]
    _nulearn([*train, "--out", str(args.out), *TRAIN], log)
    model = ClosureModel.load(args.out)
    meta = dict(model.metadata or {})
    commands = [" ".join(c).replace(str(args.out), "OUT").replace(str(work), "WORK") for c in log]
    meta["builtin"] = {"name": "xln-closure", "commands": commands}
    ClosureModel(model.mean, model.scale, model.weights, model.biases, model.domain, meta).save(
        args.out
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
