"""``nulearn flavor closure train|evaluate|export``: the learned asymptotic closure
(:mod:`nulearn.flavor.models.closure`, :mod:`nulearn.flavor.evaluation.closure`)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Learned asymptotic-state closure of fast conversion.")


def _print_table(table: object) -> None:
    import pandas as pd

    from nulearn.flavor.evaluation.closure import headline

    assert isinstance(table, pd.DataFrame)
    pivot = table.pivot(index="prescription", columns="quantity", values="mae")
    cols = ["n_nue", "n_nuebar", "F_nue", "F_nuebar", "F_nux", "eln_xln_flux"]
    typer.echo("mean absolute error on held-out configurations (densities in n_nue):")
    typer.echo(pivot[[c for c in cols if c in pivot.columns]].to_string(float_format="%.4f"))
    h = headline(table)
    typer.echo(
        f"n_nue: closure {h['closure_mae']:.4f} vs best prescription {h['best_prescription']} "
        f"{h['best_mae']:.4f} (ratio {h['ratio']:.2f}; target <= 0.5)"
    )


@app.command("train")
def train_cmd(
    solver: list[Path] = typer.Option(
        ..., help="evolve_many output directories or Parquet files (repeat the option)."
    ),
    out: Path = typer.Option(..., help="Closure directory to write (closure.json)."),
    test_fraction: float = typer.Option(0.25, help="Held-out share of configurations/profiles."),
    seed: int = typer.Option(0, help="Seed of the split, the weights and the pretraining cells."),
    hidden: str = typer.Option("32,32", help="Hidden layer widths, comma separated."),
    pretrain_rows: int = typer.Option(10000, min=0, help="box_power-labelled pretraining cells."),
    pretrain_epochs: int = typer.Option(2500, min=0, help="Adam steps of the pretraining."),
    finetune_epochs: int = typer.Option(400, min=0, help="Adam steps on the solver rows."),
    n_mu: int = typer.Option(32, min=2, help="Beams of the prescriptions scored beside it."),
) -> None:
    """Train the closure on solver rows (split by configuration/profile) and score the held-out rows."""
    from nulearn.flavor.evaluation.closure import train_closure

    try:
        widths = tuple(int(w) for w in hidden.split(","))
    except ValueError:
        raise ValueError(f"--hidden {hidden!r}: give comma-separated integers") from None
    model, table = train_closure(
        solver,
        out,
        test_fraction=test_fraction,
        seed=seed,
        hidden=widths,
        pretrain_rows=pretrain_rows,
        pretrain_epochs=pretrain_epochs,
        finetune_epochs=finetune_epochs,
        n_mu=n_mu,
    )
    meta = model.metadata or {}
    typer.echo(
        f"wrote {out}: closure {model.hidden} ({model.n_multiply_adds} multiply-adds/cell), "
        f"{meta['heldout']['train_rows']} training and {meta['heldout']['rows']} held-out rows; "
        f"conservation error {meta['heldout']['conservation_error']:.1e}"
    )
    _print_table(table)


@app.command("evaluate")
def evaluate_cmd(
    closure: Path = typer.Argument(..., help="Closure directory, or builtin:xln-closure."),
    solver: list[Path] = typer.Option(..., help="Solver rows to score (held out from training)."),
    n_mu: int = typer.Option(32, min=2, help="Beams of the prescriptions scored beside it."),
    out: Path | None = typer.Option(None, help="Also write the error table (.csv)."),
) -> None:
    """Score a closure and every prescription on solver rows."""
    from nulearn.flavor.evaluation.closure import evaluate_closure

    table = evaluate_closure(closure, solver, n_mu=n_mu, out=out)
    _print_table(table)


@app.command("export")
def export_cmd(
    closure: Path = typer.Argument(..., help="Closure directory, or builtin:xln-closure."),
    out: Path = typer.Option(..., help="Folder for the exported files."),
    fmt: list[str] = typer.Option(
        ["c", "onnx", "torchscript"],
        "--format",
        help="c, fortran, onnx or torchscript (repeatable).",
    ),
) -> None:
    """Export a closure to generated C or Fortran, ONNX, TorchScript (raw moments in, asymptotic out)."""
    from nulearn.flavor.deploy.closure_torch import export_closure

    for path in export_closure(closure, out, tuple(fmt)):
        typer.echo(f"wrote {path}")
