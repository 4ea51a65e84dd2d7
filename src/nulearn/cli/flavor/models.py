"""``nulearn flavor models | train | predict | evaluate``: crossing classifiers from the model
registry, saved with model cards (:mod:`nulearn.flavor.evaluation.files`), and the ready-made
built-ins (:mod:`nulearn.flavor.models.builtin_models`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import IgnoreHeavyLeptons, ModelDir, ModelKeyOption, Threshold, TrustModel

__all__ = ["app"]

app = typer.Typer()


def _columns(features: str | None) -> tuple[str, ...] | None:
    """``a,b,c`` -> ``("a", "b", "c")``; ``None`` or nothing -> ``None``."""
    names = tuple(f.strip() for f in (features or "").split(",") if f.strip())
    return names or None


@app.command("train")
def train_cmd(
    model: ModelKeyOption,
    data: Path = typer.Option(..., help="Labelled training table (.parquet or .h5)."),
    out: Path = typer.Option(..., help="Model directory to write (estimator + card.yaml)."),
    degree: int | None = typer.Option(
        None, min=1, help="Polynomial degree n of lr (default 2; lr2, lr9 carry their own)."
    ),
    config: Path | None = typer.Option(
        None, help="YAML hyperparameter overrides (MLPConfig YAML for mlp)."
    ),
    features: str | None = typer.Option(
        None, help="Comma-separated feature columns (default: the dataset's)."
    ),
    label: str = typer.Option("crossing", help="Label column (0/1)."),
    val_fraction: float = typer.Option(
        0.1, min=0.0, max=0.9, help="Held-out share for the card's validation scores."
    ),
    seed: int = typer.Option(0, help="Seed of the split and the model."),
) -> None:
    """Train a crossing classifier and save it with a model card."""
    from nulearn.flavor.evaluation.files import train_from_table

    carded = train_from_table(
        model.value,
        data,
        out,
        degree=degree,
        config=config,
        features=_columns(features),
        label=label,
        val_fraction=val_fraction,
        seed=seed,
    )
    card = carded.card
    m = card.metrics
    typer.echo(
        f"trained {model.value} on {card.n_train:,} samples, features {list(card.feature_names)} "
        f"({m['train_seconds']:.2f} s)"
    )
    if "validation" in m:
        typer.echo(
            f"  validation accuracy {m['validation']['accuracy']:.4f} on {m['validation']['n_samples']:,} samples"
        )
    if "validation_bayes_ceiling" in m:
        c = m["validation_bayes_ceiling"]
        typer.echo(
            f"  Bayes ceiling: accuracy {c['accuracy']:.4f}, F1(crossing) {c['f1_crossing']:.4f}"
        )
    typer.echo(f"wrote {out}")


@app.command("predict")
def predict_cmd(
    model_dir: ModelDir,
    inp: Path = typer.Option(
        ..., "--in", help="Table with the model's feature columns, in the card's order."
    ),
    out: Path = typer.Option(
        ..., help="Output table: the input plus p_crossing and crossing_pred."
    ),
    threshold: Threshold = None,
    mask_invalid: bool = typer.Option(
        False,
        help="Give rows with unphysical moments p_crossing=NaN, crossing_pred=-1 instead of stopping.",
    ),
    ignore_heavy_leptons: IgnoreHeavyLeptons = False,
    trust_model: TrustModel = False,
) -> None:
    """Predict P(crossing) for every row; refuses tables with missing or reordered features.

    Flux factors must lie in [0, 1) and density ratios be > 0: an unphysical row stops the command
    with an error naming it (or, with --mask-invalid, gets crossing_pred = -1, never a label).
    """
    from nulearn.flavor.evaluation.files import predict_table

    res = predict_table(
        model_dir,
        inp,
        out,
        threshold=threshold,
        mask_invalid=mask_invalid,
        ignore_heavy_leptons=ignore_heavy_leptons,
        trust_model=trust_model,
    )
    n, invalid = len(res.frame), int((~res.valid).sum())
    fraction = res.frame.loc[res.valid, "crossing_pred"].mean()
    typer.echo(
        f"predicted {n:,} rows with {res.model} in {res.seconds:.3f} s "
        f"({1e6 * res.seconds / max(n, 1):.2f} µs/row); predicted crossing fraction {fraction:.4f}"
        + (f"; {invalid:,} invalid rows marked -1" if invalid else "")
    )
    if res.fraction_outside:
        typer.echo(
            f"  {100 * res.fraction_outside:.2f}% of valid rows lie outside the training domain "
            "(column in_domain = False): their predictions are extrapolations"
        )


@app.command("evaluate")
def evaluate_cmd(
    model_dir: ModelDir,
    data: Path = typer.Option(..., help="Labelled test table (never the training data)."),
    where: list[str] = typer.Option(
        [], help="Feature range COL=LOW:HIGH (repeatable), e.g. F_nuebar=:0.3."
    ),
    threshold: Threshold = None,
    out: Path | None = typer.Option(
        None, help="Folder for a Markdown report with ROC/PR curves and the p_c sweep."
    ),
    ignore_heavy_leptons: IgnoreHeavyLeptons = False,
    trust_model: TrustModel = False,
) -> None:
    """Score a saved model on labelled data, beside the data's Bayes ceiling."""
    from nulearn.flavor.evaluation.files import evaluate_saved_model

    res = evaluate_saved_model(
        model_dir,
        data,
        where=where,
        threshold=threshold,
        report_dir=out,
        ignore_heavy_leptons=ignore_heavy_leptons,
        trust_model=trust_model,
    )
    ev, ceiling = res.evaluation, res.ceiling
    typer.echo(
        f"{res.model} on {ev.n_test:,} samples (p_c = {ev.threshold}): accuracy {ev.accuracy:.4f}, ROC AUC {ev.roc.area:.4f}"
    )
    typer.echo(ceiling.describe() if ceiling else "Bayes ceiling: unknown (no 'family' column)")
    typer.echo(ev.scores.per_class.round(4).to_string())
    typer.echo(f"confusion (rows true, columns predicted): {ev.scores.confusion.tolist()}")
    typer.echo(f"inference {1e6 * (ev.infer_seconds or 0.0) / max(ev.n_test, 1):.2f} µs/sample")
    if res.fraction_outside:
        typer.echo(
            f"{100 * res.fraction_outside:.2f}% of rows lie outside the model's training domain"
        )
    if res.report is not None:
        typer.echo(f"wrote {res.report}")


@app.command("models")
def models_cmd(
    name: str | None = typer.Argument(
        None,
        help="A built-in (builtin:NAME) to show in full: how it was trained, data hash, scores.",
    ),
    builtin: bool = typer.Option(False, "--builtin", help="List only the ready-made models."),
) -> None:
    """List the ready-made models (scores beside the Bayes ceiling, speed) and the registry keys."""
    from nulearn.flavor.models.builtin_models import describe_models

    typer.echo(describe_models(name, builtin_only=builtin))
