"""The curated public names of nulearn.ml: pinned, resolvable, and imported lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nulearn.ml

EXPECTED = [
    "BinaryScores",
    "Calibrator",
    "Curve",
    "FloatConfig",
    "Holdout",
    "ModelCard",
    "PruningCallback",
    "Report",
    "STANDARDIZATIONS",
    "TorchBinaryClassifier",
    "TorchEstimator",
    "TrainerConfig",
    "YAMLConfig",
    "array_loader",
    "best_f1_threshold",
    "binary_scores",
    "brier_score",
    "check_choice",
    "check_range",
    "compare_aucs",
    "confidence_ece",
    "confusion_figure",
    "create_study",
    "dump_estimator",
    "embed_2d",
    "embedding_figure",
    "ensemble_proba",
    "expected_calibration_error",
    "fit",
    "gaussian_mixture",
    "group_holdout",
    "holdout_count",
    "holdout_loaders",
    "integrated_gradients",
    "learned_features",
    "load_estimator",
    "load_model",
    "load_weights",
    "make_calibrator",
    "mc_dropout_proba",
    "occlusion",
    "pr_curve",
    "pr_figure",
    "predict_batches",
    "predictive_summary",
    "rejection_figure",
    "reliability_diagram",
    "roc_curve",
    "roc_figure",
    "roc_pr_figure",
    "run_trials",
    "saliency",
    "save_model",
    "seed_everything",
    "shuffled_holdout",
    "stratified_folds",
    "stratified_holdout",
    "threshold_sweep",
]


def test_all_is_pinned_and_every_name_resolves() -> None:
    assert sorted(nulearn.ml.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(nulearn.ml, name) is not None, name
    assert set(EXPECTED) <= set(dir(nulearn.ml))


def test_import_is_light() -> None:
    code = "import sys, nulearn.ml; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_ml_imports_no_pillar() -> None:
    """Every import statement of nulearn.ml (top level or inside functions) stays out of the pillars."""
    root = Path(nulearn.ml.__file__).parent
    pillars = ("nulearn.flavor", "nulearn.cosmo", "nulearn.detector", "nulearn.cli")
    offending = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offending += [f"{path.name}: {n}" for n in names if n.startswith(pillars)]
    assert offending == []
