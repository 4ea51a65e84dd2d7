"""Train a crossing classifier, export it as a C header and call it from a C program.

What it shows, with the ``nulearn`` command and ``make``:

1. ``nulearn flavor generate``: labelled ELN moments (original scheme, maximum-entropy closure);
2. ``nulearn flavor train --model lr --degree 2``: a model directory (``card.yaml`` + estimator);
3. ``nulearn flavor export --format c --name eln``: a dependency-free header defining
   ``nulearn_eln(n_nue, n_nuebar, F_nue, F_nuebar, n_cells, p_crossing, flag)``;
4. ``make``: compiles ``main.c``, which includes the header and reads cells from stdin;
5. the C program's probabilities and flags beside the Python reference
   (:meth:`nulearn.flavor.deploy.DeployableModel.predict_raw`) on the same cells, two of them
   invalid on purpose (a flux factor above 1, a negative density): they come back flagged -1.

Usage::

    python examples/export_c/run.py            # 100,000 training samples, 1,000 cells
    python examples/export_c/run.py --tiny     # 5,000 samples, 50 cells (what CI runs)

Needs a C compiler and ``make``. Files go to ``--out`` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from nulearn.flavor.deploy import load_deployable
from nulearn.flavor.deploy.snapshot import synthetic_moments

HERE = Path(__file__).resolve().parent
RAW = ("n_nue", "n_nuebar", "F_nue", "F_nuebar")  # the header's argument order


def nulearn(*args: str) -> None:
    """Run one ``nulearn`` command of this Python environment and echo its output."""
    exe = Path(sys.executable).parent / "nulearn"
    command = [str(exe) if exe.exists() else "nulearn", *args]
    print("$", " ".join(["nulearn", *args]))
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    print(done.stdout.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="small training set, 50 cells")
    parser.add_argument("--out", type=Path, default=None, help="folder for the files")
    args = parser.parse_args()
    if shutil.which("make") is None or shutil.which("cc") is None:
        sys.exit("this example needs `make` and a C compiler (`cc`)")
    build = (args.out or Path(tempfile.mkdtemp(prefix="nulearn_export_c_"))).resolve()
    build.mkdir(parents=True, exist_ok=True)
    n_train, n_cells = (5_000, 50) if args.tiny else (100_000, 1_000)

    nulearn("flavor", "generate", "--scheme", "original", "--family", "maxent", "--n",
            str(n_train), "--out", str(build / "train.parquet"), "--no-progress")  # fmt: skip
    nulearn("flavor", "train", "--model", "lr", "--degree", "2", "--data",
            str(build / "train.parquet"), "--out", str(build / "model"))  # fmt: skip
    nulearn("flavor", "export", str(build / "model"), "--format", "c", "--name", "eln",
            "--out", str(build / "nulearn_model.h"))  # fmt: skip
    subprocess.run(["make", "-s", "-C", str(HERE), f"BUILD={build}"], check=True)

    # Cells from smooth synthetic fields (both classes), then two invalid ones.
    fields = synthetic_moments((n_cells,), seed=3)
    cells = np.column_stack([fields[name] for name in RAW])
    cells[-2, 2] = 1.2  # F_nue > 1: not a physical flux factor
    cells[-1, 1] *= -1.0  # n_nuebar < 0
    stdin = "\n".join(" ".join(f"{v:.17g}" for v in row) for row in cells)
    done = subprocess.run(
        [str(build / "main")], input=stdin, check=True, capture_output=True, text=True
    )
    c_out = np.array([line.split() for line in done.stdout.split("\n") if line], dtype=float)
    c_p, c_flag = c_out[:, 0], c_out[:, 1].astype(np.int8)

    model = load_deployable(build / "model")
    p, flag, valid = model.predict_raw({name: cells[:, i] for i, name in enumerate(RAW)})
    print(
        f"\n{'cell':>4} {'n_nuebar/n_nue':>14} {'F_nue':>6} {'F_nuebar':>8}   C: p, flag   Python: p, flag"
    )
    for i in [0, 1, 2, n_cells - 2, n_cells - 1]:
        alpha = cells[i, 1] / cells[i, 0]
        print(
            f"{i:4d} {alpha:14.3f} {cells[i, 2]:6.3f} {cells[i, 3]:8.3f}   "
            f"{c_p[i]:.6f}, {c_flag[i]:2d}   {p[i]:.6f}, {flag[i]:2d}"
        )
    max_dp = float(np.max(np.abs(c_p[valid] - p[valid])))
    same_flags = bool(np.array_equal(c_flag, flag))
    print(
        f"\n{n_cells} cells ({int((~valid).sum())} invalid): max |p_C - p_Python| = {max_dp:.1e}, "
        f"flags identical: {same_flags}; unstable fraction {np.mean(flag[valid] == 1):.3f}"
    )
    if max_dp > 1e-6 or not same_flags:
        sys.exit("the C program and Python disagree")


if __name__ == "__main__":
    main()
