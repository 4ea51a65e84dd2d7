"""The main job end to end at a tiny size: tables, ceilings, figures, acceptance rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from nulearn.flavor.studies.reproduce import PUBLISHED, ReproduceConfig, reproduce, write_report


@pytest.fixture(scope="module")
def tiny_result():  # type: ignore[no-untyped-def]
    cfg = ReproduceConfig.sized(
        400,
        models=("lr2", "tree", "gbt_closure"),
        single_models=("lr2", "gbt_closure"),
        degrees=(1, 2, 3),
        n_jobs=1,
    )
    return reproduce(cfg)


def test_result_tables(tiny_result) -> None:  # type: ignore[no-untyped-def]
    acc = tiny_result.accuracy_table()
    # Table I set-up: trained on original, tested on hierarchical, with the paper's LR (n = 9).
    assert {("original", "hierarchical_test", "lr9"), ("xln", "xln_test", "gbt_closure")} <= set(
        zip(acc["train"], acc["test"], acc["model"], strict=True)
    )
    assert acc["accuracy"].between(0.5, 1.0).all()
    mixed = tiny_result.ceilings["xln_test"]
    assert 0.85 < mixed.accuracy < 1.0 and mixed.disagreement > 0
    assert tiny_result.ceilings["original_maxent_test"].accuracy == 1.0
    sweep = tiny_result.sweeps["hierarchical"]
    assert set(sweep["degree"]) == {1, 2, 3} and set(sweep["threshold"]) == {0.3, 0.5}
    best = tiny_result.best_model("xln")
    assert best in ("lr2", "tree", "gbt_closure")
    assert tiny_result.best_model("xln", closure_free=True) in ("lr2", "tree")


def test_report_is_self_contained(tiny_result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_report(tiny_result, tmp_path / "rep")
    text = path.read_text()
    for heading in (
        "Table I:",
        "Table II:",
        "Table III:",
        "Table IV:",
        "Acceptance checks",
        "Bayes ceiling",
    ):
        assert heading in text
    # Published numbers sit beside ours (Table IV: LR 88%, per class 87/89/88).
    assert f"{PUBLISHED['IV']['lr2'][0]:.0f}%" in text and "87/89/88" in text
    figures = sorted(p.name for p in (tmp_path / "rep" / "figures").glob("*.png"))
    assert {
        "fig1_degree_sweep.png",
        "fig3_subset_threshold.png",
        "example_angular_distribution.png",
    } <= set(figures)
    for name in figures:
        assert (
            f"figures/{name}" in text
            and (tmp_path / "rep" / "figures" / name).stat().st_size > 1000
        )


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="unknown model keys"):
        ReproduceConfig(models=("lr2", "xgboost"))
    with pytest.raises(ValueError, match="n_xln = 10"):
        ReproduceConfig(n_xln=10)
    assert ReproduceConfig.full().n_xln == 50_000
