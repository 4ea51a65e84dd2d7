"""The deep-MLP studies' outputs: Markdown (or CSV) tables and the calibration report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nulearn.flavor.studies.deep.inputs import DeepInputs
from nulearn.flavor.studies.deep.run import CalibrationStudy
from nulearn.ml.report import Report, markdown_table

__all__ = ["calibration_report", "write_table"]


def write_table(frame: pd.DataFrame, out: Path | None, title: str) -> str:
    """The table as Markdown; written to ``out`` as CSV (``.csv``) or Markdown under ``# title``.

    Returns:
        The Markdown table (what a command prints).
    """
    text = markdown_table(frame, floatfmt=".4g")
    if out is not None:
        from nulearn.ml.io import atomic_output

        with atomic_output(out) as tmp:
            if out.suffix == ".csv":
                frame.to_csv(tmp, index=False)
            else:
                tmp.write_text(f"# {title}\n\n{text}\n")
    return text


def calibration_report(study: CalibrationStudy, inputs: DeepInputs) -> Report:
    """Raw, temperature-scaled and isotonic probabilities: table, reliability diagram, p_c sweep."""
    rep = Report("MLP calibration and operating point")
    rep.text(
        f"Training rows {len(inputs.y_train):,} (of which {inputs.config.val_fraction:.0%} validation: "
        f"early stopping, calibrators, thresholds), test rows {len(inputs.y_test):,}. Scores of the "
        "crossing class on the test split."
    )
    rep.table(study.table, caption="Calibration methods (threshold = best F1 on validation)")
    rep.figure(study.figure, "reliability", "Reliability diagram on the test split")
    rep.table(study.sweep, caption="Threshold sweep of the isotonic probabilities (test split)")
    return rep
