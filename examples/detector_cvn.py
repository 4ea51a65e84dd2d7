"""Classify neutrino events of the open DUNE CVN sample by flavour (ν_μ CC, ν_e CC, ν_τ CC, NC).

What it shows:

1. :func:`nulearn.detector.cvn.load_cvn_sample`: events of the open DUNE far-detector sample
   (three wire-plane views of 500 wires x 500 ticks each), cropped around the activity and
   max-pooled to 48 x 48 per view, kept as 8-bit images; hand-made features (charge, hits,
   extent, charge-weighted shape per view) computed on the full-resolution maps while loading;
2. the boosted-tree baseline (:func:`nulearn.detector.cvn.make_baseline`) on those features,
   trained on three quarters of the events and scored on the rest (chance: 25%);
3. with ``--cnn``, the multi-view CNN (:class:`nulearn.detector.cvn.CVNClassifier`) on the images.

The sample is read from ``$NULEARN_DUNE_CVN``, else ``../shared/data/dune-cvn`` beside the
repository; without it the example says so and exits cleanly. Nothing is downloaded.

Usage::

    python examples/detector_cvn.py              # all 800 events
    python examples/detector_cvn.py --tiny       # 20 events per class (what CI runs)
    python examples/detector_cvn.py --cnn        # also train the CNN (minutes on a CPU)
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.model_selection import train_test_split

from nulearn.detector.cvn import (
    FLAVOUR_NAMES,
    CVNClassifier,
    default_data_dir,
    hand_features,
    load_cvn_sample,
    make_baseline,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="20 events per flavour class")
    parser.add_argument("--cnn", action="store_true", help="also train the multi-view CNN")
    args = parser.parse_args()
    data_dir = default_data_dir()
    if not data_dir.is_dir():
        print(f"DUNE CVN sample not found at {data_dir}; set NULEARN_DUNE_CVN to its folder")
        return

    sample = load_cvn_sample(
        data_dir, per_class=20 if args.tiny else None, full_resolution_fn=hand_features
    )
    assert sample.extra is not None  # the hand features
    flavour = sample.flavour
    counts = ", ".join(f"{name} {np.sum(flavour == i)}" for i, name in enumerate(FLAVOUR_NAMES))
    print(
        f"loaded {len(sample)} events from {data_dir} ({counts}); images {sample.pixel_maps.shape[1:]}"
    )

    train, test = train_test_split(
        np.arange(len(sample)), test_size=0.25, stratify=flavour, random_state=0
    )
    bdt = make_baseline().fit(sample.extra[train], flavour[train])
    accuracy = float(np.mean(bdt.predict(sample.extra[test]) == flavour[test]))
    print(
        f"boosted trees on hand features: accuracy {accuracy:.3f} on {len(test)} events (chance 0.25)"
    )

    if args.cnn:
        cnn = CVNClassifier(max_epochs=25, patience=5, num_threads=2, seed=0)
        cnn.fit(sample.pixel_maps[train], flavour[train], interaction=sample.interaction[train])
        accuracy = float(np.mean(cnn.predict(sample.pixel_maps[test]) == flavour[test]))
        print(f"multi-view CNN on the images:   accuracy {accuracy:.3f} on {len(test)} events")


if __name__ == "__main__":
    main()
