"""Snapshots as M1 codes write them: selectors, energy groups, flux vectors, one-line errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.flavor.deploy import flag_snapshot
from nulearn.flavor.deploy.flagging import parse_dataset_mapping
from nulearn.flavor.deploy.raw_moments import ALL_SPECIES
from nulearn.flavor.deploy.snapshot import grid_blocks, synthetic_moments
from nulearn.flavor.deploy.snapshot_layout import MomentReader, Selector, parse_selector

GRID = (9, 7)
ENERGIES = np.array([3.0, 8.0, 15.0, 30.0])  # MeV, group centres


def _code_snapshot(path: Path) -> dict[str, np.ndarray]:
    """An M1-code snapshot: energy densities /M1/E (x, y, species, group), flux vectors
    /M1/F (x, y, species, group, component), number densities /M1/N (x, y, species), group
    energies /M1/egroup; returns the equivalent flat moments (number densities, flux vectors,
    flux factors) computed from the same arrays."""
    rng = np.random.default_rng(3)
    flat = synthetic_moments(GRID, seed=2)
    weights = rng.dirichlet(np.ones(ENERGIES.size), size=GRID)  # spectrum per cell
    direction = rng.normal(size=(*GRID, 4, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    n = np.stack([flat[f"n_{s}"] for s in ALL_SPECIES], axis=-1)  # (x, y, species)
    f = np.stack([flat[f"F_{s}"] for s in ALL_SPECIES], axis=-1)
    energy = n[..., None] * weights[:, :, None, :] * ENERGIES  # (x, y, species, group)
    flux = (f[..., None, None] * direction[:, :, :, None, :]) * energy[..., None]
    with h5py.File(path, "w") as h5:
        h5["M1/E"] = energy
        h5["M1/F"] = flux
        h5["M1/N"] = n
        h5["M1/egroup"] = ENERGIES
    number = (energy / ENERGIES).sum(axis=-1)
    number_flux = (flux / ENERGIES[:, None]).sum(axis=-2)  # (x, y, species, 3)
    out: dict[str, np.ndarray] = {}
    for k, s in enumerate(ALL_SPECIES):
        out[f"n_{s}"] = number[..., k]
        v = number_flux[..., k, :]
        for j, ax in enumerate("xyz"):
            out[f"flux_{ax}_{s}"] = v[..., j]
        norm = np.sqrt(v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1] + v[..., 2] * v[..., 2])
        out[f"F_{s}"] = norm / out[f"n_{s}"]
    return out


def _code_map(vector_species: bool = True) -> list[str]:
    items = []
    for k, s in enumerate(ALL_SPECIES):
        items.append(f"n_{s}=/M1/E[..., {k}, :];groups=-1;energies=/M1/egroup")
        if vector_species:
            items.append(f"flux_{s}=/M1/F[:, :, {k}];groups=2;energies=/M1/egroup")
    return items


def _write_flat(path: Path, moments: dict[str, np.ndarray]) -> None:
    with h5py.File(path, "w") as h5:
        for name, values in moments.items():
            h5[name] = values


@pytest.mark.parametrize("fixture", ["lr_xln_dir", "lr3d_xln_dir"])
def test_code_layout_flags_like_the_flat_layout(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Energy-integrated densities and fluxes, flux factors |flux| / n (1D model) or flux
    components (3D model), all through --map, give the flags of the equivalent flat file."""
    model_dir = request.getfixturevalue(fixture)
    code = tmp_path / "code.h5"
    flat_moments = _code_snapshot(code)
    flat = tmp_path / "flat.h5"
    _write_flat(flat, flat_moments)
    runner = CliRunner()
    args = ["flavor", "flag", "--model", str(model_dir), "--no-progress"]
    r = runner.invoke(app, [*args, str(flat), "--out", str(tmp_path / "flat_flags.h5")])
    assert r.exit_code == 0, r.output
    mapped = [item for m in _code_map() for item in ("--map", m)]
    r = runner.invoke(app, [*args, str(code), "--out", str(tmp_path / "code_flags.h5"), *mapped])
    assert r.exit_code == 0, r.output
    with h5py.File(tmp_path / "flat_flags.h5") as a, h5py.File(tmp_path / "code_flags.h5") as b:
        assert a["flag"].shape == GRID
        np.testing.assert_array_equal(a["flag"][...], b["flag"][...])
        np.testing.assert_allclose(a["p_crossing"][...], b["p_crossing"][...], rtol=0, atol=1e-12)
        assert 0 < (b["flag"][...] == 1).sum() < b["flag"].size


def test_species_axis_without_groups(lr_xln_dir: Path, tmp_path: Path) -> None:
    """n_<s>=/M1/N[..., k] picks a species from one dataset; flux factors from vectors."""
    code = tmp_path / "code.h5"
    flat_moments = _code_snapshot(code)
    mapping = parse_dataset_mapping(
        [f"n_{s}=/M1/N[...,{k}]" for k, s in enumerate(ALL_SPECIES)]
        + [
            f"flux_{s}=/M1/F[:,:,{k}];groups=-2;energies=/M1/egroup"
            for k, s in enumerate(ALL_SPECIES)
        ]
    )
    with h5py.File(code) as h5:
        reader = MomentReader(h5, ("n_nue", "F_nue", "F_nuxbar"), mapping)
        assert reader.shape == GRID
        got = {
            k: np.concatenate([reader.read(b)[k] for b in grid_blocks(GRID, 10)])
            for k in ("n_nue",)
        }
        whole = reader.read(tuple(slice(0, s) for s in GRID))
    np.testing.assert_allclose(got["n_nue"], flat_moments["n_nue"].ravel(), rtol=1e-13)
    np.testing.assert_allclose(whole["F_nuxbar"], flat_moments["F_nuxbar"].ravel(), rtol=1e-13)
    res = flag_snapshot(code, lr_xln_dir, tmp_path / "f.h5", mapping=mapping, chunk_cells=11)
    assert res.shape == GRID and res.n_invalid == 0


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("n_nue=/M1/X[...,0]", "no dataset '/M1/X' for n_nue"),
        ("n_nue=/M1/N[...,9]", "index 9 is out of range for axis 2 of length 4"),
        ("n_nue=/M1/N[0,0,0,0]", "4 indices for a dataset of shape (9, 7, 4)"),
        ("n_nue=/M1/E[...,0,:];groups=-1;energies=/M1/N", "holds 252 group energies for 4 groups"),
        ("flux_nue=/M1/F[:,:,0,:,0:2];groups=2", "component axis 3 has length 2, not 3"),
        ("n_nue=/M1/N[1:,...,0]", "has grid shape (9, 7) but n_nue"),
    ],
)
def test_layout_errors_name_the_dataset(
    item: str, message: str, lr_xln_dir: Path, tmp_path: Path
) -> None:
    code = tmp_path / "code.h5"
    _code_snapshot(code)
    mapping = {f"n_{s}": f"/M1/N[...,{k}]" for k, s in enumerate(ALL_SPECIES)}
    mapping |= {f"F_{s}": f"/M1/N[...,{k}]" for k, s in enumerate(ALL_SPECIES)}
    mapping |= parse_dataset_mapping([item])
    if item.startswith("flux_nue"):
        mapping.pop("F_nue")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        flag_snapshot(code, lr_xln_dir, tmp_path / "f.h5", mapping=mapping)
    assert "\n" not in str(err.value) and str(code) in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        "/M1/N[...,0",
        "/M1/N[__import__('os')]",
        "/M1/N[0;groups=1",
        "/M1/N[..., ...]",
        "/M1/N[::0]",
        "/M1/N;groups=x",
        "/M1/N;energies=/e",
        "/M1/N;color=red",
        "[0]",
    ],
)
def test_malformed_selectors_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--map value"):
        parse_selector(text)


def test_selector_round_trip() -> None:
    sel = parse_selector(" M1/F[ ..., -1 , 1:4:2, :];groups=-2;energies=M1/e;components=1")
    assert sel == Selector("/M1/F", (Ellipsis, -1, slice(1, 4, 2), slice(None)), -2, "/M1/e", 1)
    assert parse_selector(str(sel)) == sel
    with pytest.raises(ValueError, match="unknown quantity 'flux_nu'"):
        parse_dataset_mapping(["flux_nu=/M1/F"])


@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    data=st.data(),
)
def test_selection_equals_numpy_indexing(
    shape: list[int], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever the index, the reader gives NumPy's basic indexing of the dataset, block by block."""
    items: list[object] = []
    for size in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            items.append(data.draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start = data.draw(st.integers(0, size - 1))
            items.append(
                slice(start, data.draw(st.integers(start + 1, size)), data.draw(st.integers(1, 2)))
            )
        else:
            items.append(slice(None))
    if all(isinstance(i, int) for i in items):
        items[-1] = slice(None)
    values = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    expected = values[tuple(items)]
    text = (
        "/d["
        + ", ".join(
            str(i)
            if isinstance(i, int)
            else f"{i.start if i.start is not None else ''}:"
            f"{i.stop if i.stop is not None else ''}:{i.step or 1}"
            for i in items
        )
        + "]"
    )
    path = tmp_path_factory.mktemp("sel") / "s.h5"
    with h5py.File(path, "w") as h5:
        h5["d"] = values
    with h5py.File(path) as h5:
        reader = MomentReader(h5, ("n_nue",), {"n_nue": text})
        assert reader.shape == expected.shape
        got = np.empty(expected.shape)
        for block in grid_blocks(expected.shape, 3):
            got[block] = reader.read(block)["n_nue"].reshape(tuple(b.stop - b.start for b in block))
    np.testing.assert_array_equal(got, expected)
