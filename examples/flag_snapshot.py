"""Flag every cell of an HDF5 simulation snapshot for fast flavor instability, from Python.

What it shows:

1. a synthetic snapshot in nulearn's default layout (one dataset per raw moment at the file
   root, ``/n_nue /n_nuebar /n_nux /n_nuxbar /F_nue ... /F_nuxbar``, all of the grid's shape);
2. a degree-2 logistic regression in physical coordinates (log density ratio, artanh F),
   trained on labelled artificial moments of all four species (the ELN-XLN scheme of
   arXiv:2310.03807, maximum-entropy closure: the snapshot carries nu_x and nu_xbar, which an
   ELN model would ignore) and saved as a model directory (``card.yaml`` + ``estimator.joblib``);
   or a model directory of yours (``--model``);
3. :func:`nulearn.flavor.deploy.flag_snapshot`, which reads the snapshot in bounded-memory
   blocks, evaluates the model (generated C when a compiler is present) and writes
   ``/p_crossing``, ``/flag`` (1 crossing, 0 none, -1 invalid input, 2 outside the model's
   training domain) and ``/valid``;
4. the unstable fraction, and the agreement of the flags with the analytic maximum-entropy
   ELN-XLN crossing test on a sample of cells.

Usage::

    python examples/flag_snapshot.py                  # 64^3 cells
    python examples/flag_snapshot.py --tiny           # 16^3 cells (what CI runs)
    python examples/flag_snapshot.py --model MODEL_DIR --out flags/

Files go to ``--out`` (default: a temporary folder).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from nulearn.flavor.data.generate import generate
from nulearn.flavor.data.labelling import label_moments
from nulearn.flavor.deploy import flag_snapshot
from nulearn.flavor.deploy.snapshot import write_synthetic_snapshot
from nulearn.flavor.evaluation.fit import train_carded_model
from nulearn.flavor.physics.species import XLN_FEATURES, features_from_moments
from nulearn.ml.model_card import save_model


def train_lr(model_dir: Path, n_samples: int) -> Path:
    """Train LR (n = 2) on ``n_samples`` labelled ELN-XLN moments and save it with its card."""
    frame = generate("xln", "maxent", n_samples, seed=0)
    carded = train_carded_model(
        "lr", frame, XLN_FEATURES, degree=2, config={"coordinates": "physical"}, scheme="xln"
    )
    save_model(carded.estimator, carded.card, model_dir)
    accuracy = carded.card.metrics["validation"]["accuracy"]
    print(
        f"trained LR (n = 2) on {carded.card.n_train:,} samples: validation accuracy {accuracy:.3f}"
    )
    return model_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="16^3 cells, small training set")
    parser.add_argument("--model", type=Path, default=None, help="a model directory to use")
    parser.add_argument("--out", type=Path, default=None, help="folder for the files")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="nulearn_flag_"))
    out.mkdir(parents=True, exist_ok=True)
    side = 16 if args.tiny else 64

    snapshot = write_synthetic_snapshot(out / "snapshot.h5", (side, side, side), seed=0)
    print(f"wrote {snapshot}: {side}^3 cells in the default layout")
    model_dir = args.model or train_lr(out / "model_lr2", 20_000 if args.tiny else 100_000)

    result = flag_snapshot(snapshot, model_dir, out / "flags.h5", overwrite=True)
    print(
        f"flagged {result.n_cells:,} cells in {result.seconds:.2f} s with the {result.backend} "
        f"backend: {result.n_crossing:,} unstable ({result.n_crossing / result.n_cells:.1%}), "
        f"{result.n_invalid} invalid, {result.n_outside} outside the training domain"
    )

    # The analytic test the model stands in for, on every 7th cell: reconstruct each species'
    # angular distribution under the maximum-entropy closure and look for an ELN-XLN crossing.
    names = [f"{q}_{s}" for q in ("n", "F") for s in ("nue", "nuebar", "nux", "nuxbar")]
    with h5py.File(snapshot) as h5, h5py.File(result.out) as flags:
        raw = pd.DataFrame({name: h5[name][()].ravel()[::7] for name in names})
        flag = flags["flag"][()].ravel()[::7]
    analytic = label_moments(features_from_moments(raw), "maxent")["crossing"].to_numpy()
    decided = (flag == 0) | (flag == 1)
    agreement = float(np.mean(flag[decided] == analytic[decided]))
    print(
        f"agreement with the analytic maxent test on {decided.sum():,} cells inside the "
        f"training domain: {agreement:.3f}"
    )


if __name__ == "__main__":
    main()
