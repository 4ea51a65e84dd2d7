"""The in-situ example (examples/insitu): an M1 transport code that calls the generated flagger.

Built with ``make`` at a tiny size, run as C and as Fortran; the flags it writes for its final
state must equal the Python model's and those of ``nulearn flavor flag`` on that state stored as
an M1 code would store it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.deploy import export_model, load_deployable
from nulearn.flavor.deploy.raw_moments import ALL_SPECIES
from nulearn.flavor.deploy.toolchain import compiler_available

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "insitu"
pytestmark = pytest.mark.skipif(
    not (compiler_available("c") and compiler_available("fortran") and shutil.which("make")),
    reason="the example needs gcc, gfortran and make",
)


@pytest.fixture(scope="module")
def runs(lr_xln_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    build = tmp_path_factory.mktemp("insitu")
    export_model(lr_xln_dir, "c", build / "flagger.h", name="flagger")
    export_model(lr_xln_dir, "fortran", build / "flagger.f90", name="flagger")
    subprocess.run(
        ["make", "-C", str(EXAMPLE), f"BUILD={build}", "all"], check=True, capture_output=True
    )
    out: dict[str, pd.DataFrame] = {}
    for lang in ("c", "f"):
        outdir = build / lang
        outdir.mkdir()
        res = subprocess.run(
            [str(build / f"m1_{lang}"), "48", "600", "50", str(outdir)],
            check=True,
            capture_output=True,
            text=True,
        )
        assert "flag_calls" in res.stdout and "step_ns_per_cell" in res.stdout
        out[lang] = pd.read_csv(outdir / "state.csv")
    return out


def test_c_and_fortran_drivers_agree(runs: dict[str, pd.DataFrame]) -> None:
    c, f = runs["c"], runs["f"]
    assert len(c) == 48
    np.testing.assert_array_equal(c.filter(like="n_").to_numpy(), f.filter(like="n_").to_numpy())
    np.testing.assert_array_equal(c["flag"], f["flag"])
    np.testing.assert_allclose(c["p_crossing"], f["p_crossing"], rtol=0, atol=1e-12)


def test_transport_profile_is_physical(runs: dict[str, pd.DataFrame]) -> None:
    """Isotropic inside, forward peaked outside; anti-nu_e decouple deeper (more forward peaked
    in the decoupling region), which with n_nuebar ~ n_nue makes ELN crossings outside."""
    state = runs["c"]
    assert (state.filter(like="n_") > 0).all().all()
    assert state["F_nue"].iloc[0] < 0.05 and state["F_nue"].iloc[-1] > 0.9
    assert np.all(np.diff(state["F_nue"]) > -1e-3)  # the flux factor grows outwards
    decoupling = state[(state["F_nue"] > 0.05) & (state["F_nue"] < 0.8)]
    assert (decoupling["F_nuebar"] > decoupling["F_nue"]).all()
    assert not np.allclose(state["n_nux"], state["n_nuxbar"])  # nu_x and anti-nu_x differ


def test_flags_match_python_and_nulearn_flag(
    runs: dict[str, pd.DataFrame], lr_xln_dir: Path, tmp_path: Path
) -> None:
    state = runs["c"]
    flags = state["flag"].to_numpy()
    assert 0 < (flags == 1).sum() < len(flags) and (flags != -1).all()
    assert state["r"][flags == 1].mean() > state["r"][flags == 0].mean()  # crossings outside
    model = load_deployable(lr_xln_dir)
    moments = {name: state[name].to_numpy() for name in model.raw_names}
    p_ref, flag_ref, _ = model.predict_raw(moments)
    np.testing.assert_array_equal(flags, flag_ref)
    np.testing.assert_allclose(state["p_crossing"], p_ref, rtol=0, atol=1e-6)
    # the final state as an M1 code stores it: densities and radial fluxes, species on an axis
    snap = tmp_path / "state.h5"
    with h5py.File(snap, "w") as h5:
        h5["M1/N"] = state[[f"n_{s}" for s in ALL_SPECIES]].to_numpy()
        h5["M1/F"] = state[[f"flux_{s}" for s in ALL_SPECIES]].to_numpy()
    maps = []
    for k, s in enumerate(ALL_SPECIES):
        maps += ["--map", f"n_{s}=/M1/N[:,{k}]", "--map", f"flux_{s}=/M1/F[:,{k}]"]
    out = tmp_path / "flags.h5"
    r = CliRunner().invoke(
        app,
        [
            "flavor",
            "flag",
            str(snap),
            "--model",
            str(lr_xln_dir),
            "--out",
            str(out),
            "--no-progress",
            *maps,
        ],
    )
    assert r.exit_code == 0, r.output
    with h5py.File(out) as h5:
        np.testing.assert_array_equal(h5["flag"][...], flags)
        np.testing.assert_allclose(h5["p_crossing"][...], state["p_crossing"], rtol=0, atol=1e-6)


def test_c_and_fortran_drivers_call_the_closure(lr_xln_dir: Path, tmp_path: Path) -> None:
    """``make CLOSURE=...``: both drivers compute the asymptotic moments of the cells flagged
    unstable with the generated closure (C header, Fortran module) as NumPy does; others keep theirs."""
    from nulearn.flavor.deploy.closure_codegen import closure_reference
    from nulearn.flavor.deploy.closure_torch import export_closure
    from nulearn.flavor.models.closure import ClosureModel

    export_model(lr_xln_dir, "c", tmp_path / "flagger.h", name="flagger")
    export_model(lr_xln_dir, "fortran", tmp_path / "flagger.f90", name="flagger")
    model = ClosureModel.untrained((6,), seed=2)
    model.save(tmp_path / "cl")
    # exported beforehand, as the flaggers are, so that make need not find the nulearn command
    export_closure(tmp_path / "cl", tmp_path / "closure", ("c", "fortran"))
    make = ["make", "-C", str(EXAMPLE), f"BUILD={tmp_path}", f"CLOSURE={tmp_path / 'cl'}", "all"]
    subprocess.run(make, check=True, capture_output=True)
    states = {}
    for lang in ("c", "f"):
        (tmp_path / lang).mkdir()
        res = subprocess.run(
            [str(tmp_path / f"m1_{lang}"), "48", "600", "50", str(tmp_path / lang)],
            check=True,
            capture_output=True,
            text=True,
        )
        assert "closure_ns_per_cell" in res.stdout
        states[lang] = pd.read_csv(tmp_path / lang / "state.csv")
    c, f = states["c"], states["f"]
    flags = c["flag"].to_numpy()
    assert 0 < (flags == 1).sum() < len(flags)
    ref = closure_reference(
        model,
        {
            k: c[k].to_numpy()
            for k in (*(f"n_{s}" for s in ALL_SPECIES), *(f"F_{s}" for s in ALL_SPECIES))
        },
    )
    for state in (c, f):
        np.testing.assert_array_equal(state["flag"], flags)
        for name in (*(f"n_{s}" for s in ALL_SPECIES), *(f"F_{s}" for s in ALL_SPECIES)):
            got = state[f"{name}_asymptotic"].to_numpy()
            np.testing.assert_array_equal(got[flags != 1], c[name].to_numpy()[flags != 1])
            np.testing.assert_allclose(
                got[flags == 1], ref[f"{name}_out"][flags == 1], rtol=1e-9, atol=1e-12
            )
