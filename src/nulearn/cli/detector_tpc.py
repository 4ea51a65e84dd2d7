"""``nulearn detector tpc ...``: liquid-xenon TPC simulation, reconstruction, training, generation.

A thin layer over :mod:`nulearn.detector.tpc`: each command parses options, calls the library and
prints a short summary. Event files are ``.npz`` archives with the raw waveforms and the truth.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

from nulearn.cli.options import MaxEpochs, NEvents, Seed, Threads, TPCConfigFile

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Liquid-xenon TPC (EXO-200-like) waveforms.")


class EventKind(StrEnum):
    """Simulated event kinds (keys of :data:`nulearn.detector.tpc.dataset.EVENT_KINDS`)."""

    bb = "bb"
    uniform = "uniform"
    gamma = "gamma"
    uniform_gamma = "uniform_gamma"


class Task(StrEnum):
    """Studies of ``train``."""

    energy = "energy"
    sites = "sites"
    gan = "gan"
    all = "all"


def _config(path: Path | None):  # type: ignore[no-untyped-def]
    from nulearn.detector.tpc.config import TPCConfig

    return TPCConfig() if path is None else TPCConfig.from_yaml(path)


@app.command("simulate")
def simulate_cmd(
    kind: EventKind = typer.Option(EventKind.bb, help="Event kind."),
    n: NEvents = 100,
    seed: Seed = 0,
    out: Path = typer.Option(
        Path("tpc_events.npz"), help="Output .npz (waveforms, deposits truth)."
    ),
    config: TPCConfigFile = None,
) -> None:
    """Simulate raw U-wire waveforms (n, 76, 1024) in electrons."""
    import numpy as np

    from nulearn.detector.tpc.dataset import make_deposits
    from nulearn.detector.tpc.simulator import simulate

    cfg = _config(config)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    deposits = make_deposits(kind.value, n, cfg, rng)
    waves = simulate(deposits, cfg, rng)
    dt = time.perf_counter() - t0
    np.savez_compressed(
        out,
        waveforms=waves,
        energy_kev=deposits.total_energy_kev,
        is_gamma=deposits.is_gamma,
        centroid_mm=deposits.charge_centroid_mm(),
        site_count=deposits.site_count(),
    )
    typer.echo(
        f"simulated {n} {kind} events {waves.shape[1:]} in {dt:.2f} s ({1e3 * dt / n:.1f} ms/event) -> {out}"
    )


@app.command("reconstruct")
def reconstruct_cmd(
    data: Path = typer.Option(..., help="Events written by `simulate`."),
    out: Path = typer.Option(Path("tpc_reco.csv"), help="Per-event CSV of conventional features."),
    config: TPCConfigFile = None,
    threshold: float = typer.Option(5.0, min=0.0, help="Matched-filter threshold in noise sigmas."),
) -> None:
    """Conventional reconstruction: matched filter, template fit, lifetime correction, site count."""
    import numpy as np

    from nulearn.detector.tpc.reconstruction import energy_resolution, reconstruct

    archive = np.load(data)
    reco = reconstruct(archive["waveforms"], _config(config), threshold_sigma=threshold)
    frame = reco.features()
    frame.insert(0, "true_energy_kev", archive["energy_kev"])
    frame.to_csv(out, index=False)
    true = archive["energy_kev"]
    msg = f"reconstructed {len(frame)} events -> {out}; mean site count {reco.n_sites.mean():.2f}"
    line = np.abs(true - np.median(true)) < 1.0
    if line.sum() >= 5:
        mu, res = energy_resolution(reco.energy_kev[line], true[line])
        msg += f"; line at {np.median(true):.1f} keV: peak {mu:.4f}, sigma/E {100 * res:.2f} % ({line.sum()} events)"
    typer.echo(msg)


@app.command("train")
def train_cmd(
    task: Task = typer.Option(Task.energy, help="Study (all: the three)."),
    n_train: int = typer.Option(2000, min=8, help="Training events."),
    n_test: int = typer.Option(600, min=8, help="Test events."),
    epochs: MaxEpochs = 6,
    members: int = typer.Option(3, min=1, help="Energy-CNN ensemble members."),
    pitfall_epochs: int | None = typer.Option(
        None, min=1, help="Epochs of the line-training pitfall networks (default: --epochs)."
    ),
    warm_start_steps: int = typer.Option(
        1000, min=0, help="WGAN-GP: generator steps fitting the conditional mean before the game."
    ),
    threads: Threads = 1,
    seed: Seed = 0,
    out: Path = typer.Option(
        Path("reports/detector-tpc"), help="Report folder (and gan.pt for task gan)."
    ),
    config: TPCConfigFile = None,
) -> None:
    """Train and evaluate: energy CNN, site discriminator, or WGAN-GP; writes a report section."""
    import torch

    from nulearn.detector.tpc.report import tpc_report
    from nulearn.detector.tpc.study import discrimination_study, energy_study, generation_study

    torch.set_num_threads(threads)
    cfg = _config(config)
    energy = discrimination = generation = None
    if task in ("energy", "all"):
        energy = energy_study(
            n_train, n_test, cfg, seed, epochs, members, threads, pitfall_epochs=pitfall_epochs
        )
        typer.echo(energy.table.to_string(index=False))
        if energy.pitfall is not None:
            typer.echo("line-training pitfall:")
            typer.echo(energy.pitfall.to_string(index=False))
    if task in ("sites", "all"):
        discrimination = discrimination_study(n_train, n_test, cfg, seed, epochs, threads)
        typer.echo(discrimination.table.to_string(index=False))
    if task in ("gan", "all"):
        generation = generation_study(
            n_train,
            n_test,
            cfg,
            seed,
            epochs,
            max(1, epochs // 2),
            threads,
            warm_start_steps=warm_start_steps,
        )
        typer.echo(generation.distances.to_string(index=False))
        typer.echo(f"generator speed-up over simulator: {generation.speedup:.1f}x")
        out.mkdir(parents=True, exist_ok=True)
        torch.save(generation.model, out / "gan.pt")
    path = tpc_report(energy, discrimination, generation).write(out)
    typer.echo(f"report -> {path}")


@app.command("generate")
def generate_cmd(
    model: Path = typer.Option(..., help="gan.pt written by `train --task gan`."),
    n: NEvents = 100,
    energy: float | None = typer.Option(
        None, min=0.0, help="Fixed energy in keV (default uniform 0.5-3.5 MeV)."
    ),
    seed: int = typer.Option(0, help="Random seed for the labels and latents."),
    out: Path = typer.Option(Path("tpc_generated.npz"), help="Output .npz with images and labels."),
    config: TPCConfigFile = None,
) -> None:
    """Generate waveform images (n, 76, 128) with the conditional WGAN-GP."""
    import numpy as np
    import torch

    cfg = _config(config)
    torch.manual_seed(seed)
    gan = torch.load(model, weights_only=False)
    rng = np.random.default_rng(seed)
    r = np.sqrt(rng.uniform(0, 1, n)) * (cfg.half_width_mm - 15)
    x = r * np.cos(rng.uniform(0, 2 * np.pi, n))
    drift = rng.uniform(15, cfg.drift_length_mm - 15, n)
    e = np.full(n, energy) if energy is not None else rng.uniform(500, 3500, n)
    labels = np.stack([x / cfg.half_width_mm, drift / cfg.drift_length_mm, e / 3000.0], 1).astype(
        np.float32
    )
    t0 = time.perf_counter()
    images = gan.generate(labels)
    dt = time.perf_counter() - t0
    np.savez_compressed(out, images=images, labels=labels)
    typer.echo(
        f"generated {n} events {images.shape[1:]} in {dt:.3f} s ({1e3 * dt / n:.2f} ms/event) -> {out}"
    )
