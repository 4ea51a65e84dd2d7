"""Map files: a :class:`~nulearn.cosmo.data.maps.MapSet` in HDF5, written atomically and read
back checked, so a study never trains on, scores or explains maps it should not.

Layout: datasets ``maps`` ``(n, n_pix, n_pix)`` float32 (κ), ``m_nu`` ``(n,)`` eV, ``amplitude``
``(n,)`` (A_s / A_s,fid), ``labels`` ``(n,)`` (1 massive, 0 massless, −1 throughout for a
regression set); attributes ``map_config`` and ``fiducial_cosmology`` (JSON); an optional group
``spectra`` with the C_ℓ table the maps were drawn from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from nulearn.cosmo.data.maps import MapConfig, MapSet, SpectrumTable
from nulearn.cosmo.theory.power import Cosmology
from nulearn.ml.io import atomic_output, open_hdf5

__all__ = ["MAP_SUFFIXES", "check_map_set", "load_maps", "save_maps"]

#: Suffixes of map files (HDF5).
MAP_SUFFIXES: tuple[str, ...] = (".h5", ".hdf5")


def save_maps(mapset: MapSet, path: str | Path) -> Path:
    """Write a map set to HDF5 with its configuration and cosmology as attributes (through a
    temporary file renamed into place, so a failed write leaves nothing under ``path``)."""
    out = Path(path)
    with atomic_output(out) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset(
            "maps", data=mapset.maps, compression="lzf", chunks=(1, *mapset.maps.shape[1:])
        )
        f.create_dataset("m_nu", data=mapset.m_nu)
        f.create_dataset("amplitude", data=mapset.amplitude)
        f.create_dataset("labels", data=mapset.labels)
        f.attrs["map_config"] = json.dumps(mapset.config.to_dict())
        f.attrs["fiducial_cosmology"] = json.dumps(mapset.fiducial.to_dict())
        f.attrs["units"] = (
            "convergence kappa (dimensionless); m_nu in eV; amplitude = A_s / A_s_fid"
        )
        if mapset.spectra is not None:
            g = f.create_group("spectra")
            t = mapset.spectra
            for name in ("ell", "m_nu", "amplitude_factors", "cl"):
                g.create_dataset(name, data=getattr(t, name))
            g.attrs["lognormal_shift"] = t.lognormal_shift
            if t.z_source is not None:
                g.attrs["z_source"] = t.z_source
    return out


def load_maps(path: str | Path) -> MapSet:
    """Read a map set written by :func:`save_maps` and check it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: one line naming the file: empty, truncated or not HDF5; a dataset or
            attribute missing or unreadable; shapes that disagree; a map pixel, M_ν or A_s that is
            not finite (``maps[i, row, col]`` as HDF5 indexes it); labels other than 0/1 (or all
            −1 for a regression set).
    """
    with open_hdf5(path, what="map file") as f:
        try:
            mapset = _read_map_file(f)
        except (KeyError, OSError, TypeError, json.JSONDecodeError) as err:
            raise ValueError(f"map file {path}: not a nulearn map file ({_reason(err)})") from None
        except ValueError as err:
            raise ValueError(f"map file {path}: {err}") from None
    check_map_set(mapset, f"map file {path}")
    return mapset


def _reason(err: BaseException) -> str:
    if isinstance(err, KeyError):
        return f"no {err.args[0]!r}" if err.args else "a dataset is missing"
    return str(err).split("(", 1)[0].strip() or type(err).__name__


def _read_map_file(f: Any) -> MapSet:
    for name in ("maps", "m_nu", "amplitude", "labels"):
        if name not in f:
            raise KeyError(f"dataset {name}")
    for name in ("map_config", "fiducial_cosmology"):
        if name not in f.attrs:
            raise KeyError(f"attribute {name}")
    spectra = None
    if "spectra" in f:
        g = f["spectra"]
        spectra = SpectrumTable(
            ell=np.asarray(g["ell"][...], dtype=np.float64),
            m_nu=np.asarray(g["m_nu"][...], dtype=np.float64),
            amplitude_factors=np.asarray(g["amplitude_factors"][...], dtype=np.float64),
            cl=np.asarray(g["cl"][...], dtype=np.float64),
            lognormal_shift=float(g.attrs["lognormal_shift"]),
            z_source=float(g.attrs["z_source"]) if "z_source" in g.attrs else None,
        )
    return MapSet(
        maps=np.asarray(f["maps"][...], dtype=np.float32),
        m_nu=np.asarray(f["m_nu"][...], dtype=np.float64),
        amplitude=np.asarray(f["amplitude"][...], dtype=np.float64),
        config=MapConfig.from_dict(json.loads(f.attrs["map_config"])),
        fiducial=Cosmology.from_dict(json.loads(f.attrs["fiducial_cosmology"])),
        labels=np.asarray(f["labels"][...], dtype=np.int64),
        spectra=spectra,
    )


def check_map_set(mapset: MapSet, source: str = "maps") -> None:
    """Refuse a map set a study cannot use, in one line naming ``source``: shapes that disagree
    with each other or with the configuration, an empty set, a non-finite pixel (its index
    ``maps[i, row, col]``), M_ν or A_s, labels other than 0/1 (or −1 throughout)."""
    maps = mapset.maps
    n_pix = mapset.config.n_pix
    if maps.ndim != 3 or maps.shape[1:] != (n_pix, n_pix):
        raise ValueError(f"{source}: maps have shape {maps.shape}, expected (n, {n_pix}, {n_pix})")
    n = maps.shape[0]
    if n == 0:
        raise ValueError(f"{source}: holds no maps")
    for name in ("m_nu", "amplitude", "labels"):
        shape = np.shape(getattr(mapset, name))
        if shape != (n,):
            raise ValueError(f"{source}: {name} has shape {shape}, expected ({n},)")
    finite = np.isfinite(maps)
    if not finite.all():
        i, r, c = (int(k) for k in np.argwhere(~finite)[0])
        count = int((~finite).sum())
        raise ValueError(
            f"{source}: maps[{i}, {r}, {c}] = {maps[i, r, c]} ({count} non-finite pixels in "
            f"{int((~finite).any(axis=(1, 2)).sum())} maps); κ maps must be finite"
        )
    for name, lo in (("m_nu", 0.0), ("amplitude", None)):
        values = getattr(mapset, name)
        bad = ~np.isfinite(values) | ((values < lo) if lo is not None else (values <= 0))
        if bad.any():
            i = int(np.argmax(bad))
            allowed = ">= 0 eV" if lo is not None else "> 0"
            raise ValueError(f"{source}: {name}[{i}] = {values[i]}; must be finite and {allowed}")
    labels = mapset.labels
    regression = bool(np.all(labels == -1))
    if not regression and not np.isin(labels, (0, 1)).all():
        i = int(np.argmax(~np.isin(labels, (0, 1))))
        raise ValueError(
            f"{source}: labels[{i}] = {labels[i]}; labels must be 0 (massless) or 1 (massive), "
            "or -1 for every map of a regression set"
        )
