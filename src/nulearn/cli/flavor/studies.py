"""``nulearn flavor reproduce | study``: the reproduction of arXiv:2310.03807 and the
artificial-to-realistic study, each written as a report (:mod:`nulearn.flavor.studies`)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

__all__ = ["app"]

app = typer.Typer()


@app.command("reproduce")
def reproduce_cmd(
    out: Path = typer.Option(Path("reports/flavor"), help="Report folder (report.md + figures/)."),
    full: bool = typer.Option(
        False, "--full", help="The papers' data sizes (much longer than the default)."
    ),
    size: int | None = typer.Option(
        None, min=100, help="Samples per dataset (overrides the default sizes; for quick looks)."
    ),
    seed: int = typer.Option(0, help="Master seed."),
    jobs: int = typer.Option(2, min=1, help="Parallel training processes."),
    models: str | None = typer.Option(
        None,
        help="Comma-separated model keys of nulearn.flavor.models.registry for the tables "
        "(default: lr2,lr2_phys,knn,svm,tree,gbt,gbt_closure,mlp_phys).",
    ),
) -> None:
    """Regenerate Tables I-IV and Figs. 1-3 of arXiv:2310.03807 with Bayes ceilings, in one report."""
    from nulearn.flavor.studies.reproduce import ReproduceConfig, reproduce_to_folder

    keys = tuple(m.strip() for m in (models or "").split(",") if m.strip())
    try:
        cfg = ReproduceConfig.from_options(
            full=full, size=size, seed=seed, n_jobs=jobs, models=keys or None
        )
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--models") from err
    t0 = time.perf_counter()
    result, path = reproduce_to_folder(cfg, out, progress=True)
    acc = result.accuracy_table()
    sel = acc[(acc["train"] == "xln") & (acc["test"] == "xln_test")]
    typer.echo(f"ELN-XLN test accuracy ({result.ceilings['xln_test'].describe()}):")
    for model_key, accuracy in zip(sel["model"].tolist(), sel["accuracy"].tolist(), strict=True):
        typer.echo(f"  {model_key:6s} {100 * float(accuracy):6.2f}%")
    typer.echo(f"wrote {path} ({time.perf_counter() - t0:.1f} s)")


@app.command("study")
def study_cmd(
    out: Path = typer.Option(..., help="Report folder (report.md, figures/, tables as CSV)."),
    realistic: Path | None = typer.Option(
        None,
        help="Realistic table from `nulearn flavor transport` (default: solve --profiles now).",
    ),
    profiles: int = typer.Option(
        200, "--profiles", min=2, help="Profiles to solve when --realistic is not given."
    ),
    n_artificial: int = typer.Option(60_000, min=100, help="Rows per artificial training set."),
    seed: int = typer.Option(0, help="Master seed (artificial data, profile split, models)."),
    config: Path | None = typer.Option(
        None, help="StudyConfig YAML (overrides the options above)."
    ),
) -> None:
    """Artificial-to-realistic study (arXiv:2310.03807 Tables I-III, analytic tests, DANN, I2/I3)."""
    from nulearn.flavor.studies.realistic import StudyConfig, study_to_folder

    if config is not None:
        cfg = StudyConfig.from_yaml(config.read_text())
    else:
        cfg = StudyConfig(
            n_artificial=n_artificial,
            n_profiles=profiles,
            realistic_path=None if realistic is None else str(realistic),
            seed=seed,
        )
    result, path = study_to_folder(cfg, out, progress=True)
    typer.echo(f"wrote {path} ({result.notes['study_seconds']:.0f} s)")
    for key, value in result.notes.get("targets", {}).items():
        typer.echo(f"  {key}: {value}")
