"""The ready-made models shipped in the package: resolution, safe loading, listing, provenance,
and a rebuild of eln-lr2 from the commands its card records."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nulearn.flavor.models.builtin_models import (
    BUILTIN_CLOSURES,
    BUILTIN_DIR,
    BUILTIN_SPECS,
    builtin_catalog,
    builtin_names,
    describe_models,
    resolve_model_dir,
)
from nulearn.ml.model_card import load_model

#: The whole package data of the built-ins must stay small (issue: a few MB at most).
MAX_TOTAL_BYTES = 5 * 1024 * 1024


def test_every_builtin_is_shipped_small_and_loads_without_trust() -> None:
    infos = builtin_catalog()
    assert [i.spec.name for i in infos] == list(BUILTIN_SPECS)
    assert sum(i.size_bytes for i in infos) < MAX_TOTAL_BYTES
    for name in builtin_names():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a newer scikit-learn only warns
            carded = load_model(resolve_model_dir(name))  # restricted unpickler, checksums
        card = carded.card
        assert card.card_sha256 and card.domain is not None, name
        prov = card.extra["builtin"]
        spec = BUILTIN_SPECS[name.removeprefix("builtin:")]
        assert prov["data"]["n"] == spec.n and prov["data"]["seed"] == spec.seed
        assert len(prov["data"]["sha256"]) == 64 and len(card.training_data_sha256) == 64
        assert card.n_train == round(0.9 * spec.n)
        assert prov["commands"] == [" ".join(c) for c in spec.commands("data.parquet", "OUT")]
        assert prov["cells_per_s"] > 0 and prov["test"]["n_samples"] == spec.n_test
        val = card.metrics["validation"]["accuracy"]
        test = prov["test"]["scores"]["accuracy"]
        assert 0.85 < test <= 1.0 and 0.85 < val <= 1.0, name
        if spec.moments == "1d":  # a learned model never beats the Bayes ceiling by more than noise
            ceiling = prov["test"]["bayes_ceiling"]["accuracy"]
            assert test <= ceiling + 0.005, name


def test_unknown_builtin_is_refused_in_one_line_listing_the_known(nulearn) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="known: builtin:eln-lr2, builtin:xln-lr2"):
        resolve_model_dir("builtin:eln-lr9")
    assert resolve_model_dir(Path("some/dir")) == Path("some/dir")
    res = nulearn("flavor", "predict", "builtin:nope", "--in", "x.parquet", "--out", "y.parquet")
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "builtin:xln3d-mlp" in res.stderr


def test_edited_builtin_card_is_refused(tmp_path: Path) -> None:
    """A built-in passes the integrity check because nothing changed; a copy with an edited
    threshold does not."""
    src = BUILTIN_DIR / "eln-lr2"
    card = yaml.safe_load((src / "card.yaml").read_text())
    card["threshold"] = 0.3
    (tmp_path / "card.yaml").write_text(yaml.safe_dump(card, sort_keys=False))
    (tmp_path / "estimator.joblib").write_bytes((src / "estimator.joblib").read_bytes())
    with pytest.raises(ValueError, match="integrity checksum"):
        load_model(tmp_path)


def test_models_command_lists_builtins_and_registry(nulearn) -> None:  # type: ignore[no-untyped-def]
    res = nulearn("flavor", "models")
    assert res.exit_code == 0, res.output
    for name in builtin_names():
        assert name in res.stdout
    assert (
        "Registry keys" in res.stdout and "lr2_phys" in res.stdout and "gbt_forward" in res.stdout
    )
    only = nulearn("flavor", "models", "--builtin")
    assert "builtin:xln-gbt" in only.stdout and "Registry keys" not in only.stdout
    detail = nulearn("flavor", "models", "builtin:xln-gbt")
    assert detail.exit_code == 0, detail.output
    assert "nulearn flavor train --model gbt" in detail.stdout and "cells/s" in detail.stdout
    assert "Bayes ceiling" in detail.stdout and "num_leaves" in detail.stdout
    assert describe_models("eln-lr2").startswith("builtin:eln-lr2")
    bad = nulearn("flavor", "models", "builtin:nope")
    assert bad.exit_code == 2 and "known: builtin:eln-lr2" in bad.stderr


def test_eln_lr2_rebuilds_from_its_recorded_commands(nulearn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Running the card's own commands (generate, train) at its size and seed gives the same
    training data (hash) and the same model: probabilities to 1e-3 and the same flags away from
    the threshold. The data are bit-identical; the fit is not, across machines and thread counts:
    the L-BFGS solver stops at its tolerance along a path that floating-point summation order
    changes (seen: 9e-5 in probability between an idle and a loaded 2-core machine)."""
    shipped = load_model(resolve_model_dir("builtin:eln-lr2"))
    data, out = tmp_path / "data.parquet", tmp_path / "rebuilt"
    for command in shipped.card.extra["builtin"]["commands"]:
        argv = [
            str(data) if a == "data.parquet" else str(out) if a == "OUT" else a
            for a in command.split()
        ]
        res = nulearn(*argv, "--no-progress") if argv[1] == "generate" else nulearn(*argv)
        assert res.exit_code == 0, res.output
    rebuilt = load_model(out)
    assert rebuilt.card.training_data_sha256 == shipped.card.training_data_sha256
    assert rebuilt.card.feature_names == shipped.card.feature_names
    rng = np.random.default_rng(5)
    grid = pd.DataFrame(
        {
            "alpha": rng.uniform(0.03, 2.5, 5000),
            "F_nue": rng.uniform(0.0, 0.99, 5000),
            "F_nuebar": rng.uniform(0.0, 0.99, 5000),
        }
    )
    p_new, p_old = rebuilt.predict_proba(grid)[:, 1], shipped.predict_proba(grid)[:, 1]
    np.testing.assert_allclose(p_new, p_old, rtol=0, atol=1e-3)
    threshold = shipped.card.threshold
    clear = np.abs(p_old - threshold) > 2e-3
    assert clear.mean() > 0.99
    np.testing.assert_array_equal(p_new[clear] >= threshold, p_old[clear] >= threshold)


def test_builtin_files_are_not_git_ignored() -> None:
    """The wheel and sdist (hatch) take every file under src/nulearn that git does not ignore."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git not available")
    files = [str(p) for p in BUILTIN_DIR.glob("*/*") if p.is_file()]
    assert len(files) == 2 * len(BUILTIN_SPECS) + len(BUILTIN_CLOSURES)  # + closure.json
    res = subprocess.run(
        ["git", "check-ignore", *files], cwd=BUILTIN_DIR, capture_output=True, text=True
    )
    if res.returncode == 128:
        pytest.skip(f"not a git checkout: {res.stderr.strip()}")
    assert res.returncode == 1 and not res.stdout, f"git-ignored model files: {res.stdout}"
