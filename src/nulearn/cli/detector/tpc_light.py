"""``nulearn detector tpc light ...``: event position from the scintillation light (74 APDs).

A thin layer over :mod:`nulearn.detector.tpc.study.light`: ``simulate`` writes events uniform in
volume and energy (APD waveforms and truth, optionally the wire waveforms of the same events),
``train`` fits the waveform CNN and the calibrated centroid baseline, ``evaluate`` writes the
resolution report (per axis and 3D, against EXO-200, versus radius, z and energy). Refusals
(non-finite waveforms, energies outside the model's training range, wrong sizes) are one
``nulearn: error:`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nulearn.cli.options import MaxEpochs, NEvents, Progress, Seed, Threads, TPCConfigFile
from nulearn.cli.progress import reporter

if TYPE_CHECKING:
    from nulearn.detector.tpc.physics.light_config import LightConfig

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True, help="Event position from scintillation light (74 APDs).")

LightConfigFile = typer.Option(None, help="LightConfig YAML (default: the EXO-200-like readout).")


def _light(path: Path | None) -> LightConfig:
    from nulearn.detector.tpc.physics.light_config import LightConfig

    return LightConfig() if path is None else LightConfig.from_yaml(path)


@app.command("simulate")
def simulate_cmd(
    n: NEvents = 100,
    seed: Seed = 0,
    e_min: float = typer.Option(500.0, help="Lowest energy in keV (uniform spectrum)."),
    e_max: float = typer.Option(3000.0, help="Highest energy in keV."),
    charge: bool = typer.Option(False, help="Also store the wire waveforms (n, 76, 1024)."),
    out: Path = typer.Option(Path("tpc_light_events.npz"), help="Output .npz."),
    config: TPCConfigFile = None,
    light_config: Path | None = LightConfigFile,
) -> None:
    """Simulate single-site events: APD waveforms (n, 74, 128) in electrons and the truth."""
    from nulearn.detector.tpc.physics.config import TPCConfig
    from nulearn.detector.tpc.study.light import simulate_light_events

    tpc = TPCConfig() if config is None else TPCConfig.from_yaml(config)
    typer.echo(
        simulate_light_events(n, out, tpc, _light(light_config), seed, (e_min, e_max), charge)
    )


@app.command("train")
def train_cmd(
    data: Path = typer.Option(..., help="Training events written by `simulate`."),
    out: Path = typer.Option(Path("tpc_light_model.joblib"), help="Model file (.joblib)."),
    epochs: MaxEpochs = 20,
    threads: Threads = 1,
    seed: Seed = 0,
    light_config: Path | None = LightConfigFile,
    progress: Progress = True,
) -> None:
    """Train the waveform CNN and the calibrated centroid baseline on the same events."""
    from nulearn.detector.tpc.study.light import train_light
    from nulearn.ml.progress import epoch_log

    with reporter(progress), epoch_log(label="light CNN: "):
        typer.echo(train_light(data, out, _light(light_config), seed, epochs, threads))


@app.command("evaluate")
def evaluate_cmd(
    model: Path = typer.Option(..., help="Model file written by `train`."),
    data: Path = typer.Option(..., help="Held-out events written by `simulate`."),
    out: Path = typer.Option(Path("reports/detector-tpc-light"), help="Report folder."),
) -> None:
    """Resolution per axis and in 3D, CNN vs centroid vs EXO-200; writes report.md + figures."""
    from nulearn.detector.tpc.study.light import evaluate_light
    from nulearn.detector.tpc.study.light_report import verdict

    res = evaluate_light(model, data, out)
    typer.echo(res.summary())
    typer.echo(verdict(res))
    typer.echo(f"report -> {res.report}")
