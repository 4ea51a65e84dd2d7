"""``nulearn flavor growth``: growth rates of the fast instability from moments or from G(mu)
(:func:`nulearn.flavor.data.files.growth_file`)."""

from __future__ import annotations

from pathlib import Path

import typer

from nulearn.cli.options import Family

__all__ = ["app"]

app = typer.Typer()


@app.command("growth")
def growth_cmd(
    inp: Path = typer.Option(
        ...,
        "--in",
        help="Moments (.parquet/.h5: features or n_*, F_*) or distributions (.npz: eln, mu).",
    ),
    out: Path = typer.Option(
        ..., help="Output table (.parquet or .h5) with the growth-rate columns."
    ),
    family: Family = typer.Option(Family.maxent, help="Family closing the moments."),
    n_beams: int = typer.Option(24, min=2, help="Gauss-Legendre beams of the dispersion relation."),
    n_k: int = typer.Option(64, min=3, help="Coarse wavenumber grid points."),
    n_nue_cm3: float | None = typer.Option(
        None, "--n-nue-cm3", min=0.0, help="nu_e density in cm^-3 for rates in 1/s."
    ),
) -> None:
    """Fast-instability growth rates (max over k of Im omega, m = 0 and m = 1) from moments or G(mu)."""
    from nulearn.flavor.data.files import growth_file

    res = growth_file(
        inp, out, family.value, n_beams=n_beams, n_k=n_k, n_nue_cm3=n_nue_cm3, progress=True
    )
    frame = res.frame
    unstable = frame["growth_rate"] > 0
    median = float(frame.loc[unstable, "growth_rate"].median()) if unstable.any() else 0.0
    typer.echo(
        f"wrote growth rates of {len(frame):,} cells to {out} ({res.seconds:.2f} s, "
        f"{1e3 * res.seconds / max(len(frame), 1):.2f} ms/cell); unstable fraction {unstable.mean():.4f}, "
        f"median growth rate {median:.4g} sqrt(2) G_F n_nue"
    )
    if "growth_converged" in frame.columns and not frame["growth_converged"].all():
        n_open = int((~frame["growth_converged"].astype(bool)).sum())
        typer.echo(
            f"  {n_open:,} cells did not converge under refinement (growth_converged = False): "
            "their rates are unreliable, typically crossings shallower than 1e-7"
        )
