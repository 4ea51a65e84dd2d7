"""Moments as simulation codes store them: dataset selectors, energy groups, flux vectors.

A ``--map`` item names where one quantity lives::

    QUANTITY=/path/to/dataset[INDEX][;groups=AXIS][;energies=/path][;components=AXIS]

* ``INDEX``: NumPy basic indexing, parsed (never evaluated): integers, slices ``a:b:c`` (positive
  steps) and one ``...``; ``n_nue=/M1/N[...,0]`` takes species 0 of the last axis. Without an
  index the whole dataset is read.
* ``groups=AXIS``: an axis of the selection holds energy groups; the quantity is their sum
  (energy-integrated). With ``energies=/path`` (a 1D dataset of group energies) each group is
  divided by its energy first, turning energy densities and fluxes into number densities and
  fluxes: ``n = sum_g E_g / e_g``.
* ``components=AXIS``: for a flux vector, the axis of length 3 holding x, y, z (default: the last
  axis when the selection has one axis more than the grid).

Axes are counted in the selection (after indexing), negative from the end. What is left after
removing the group and component axes is the grid; every quantity must give the same grid.

Quantities: ``n_<s>``, ``F_<s>``, ``flux_x_<s>``/``_y_``/``_z_`` (the raw moments) and
``flux_<s>``, the number flux of species ``s`` in units of ``n c``: a vector (with a component
axis) or the radial component (no such axis). From it the flux factor ``F_<s> = |flux| / n_<s>``
of 1D models is computed, and the components of 3D models are taken. Unmapped quantities are
read from ``/<quantity>`` (the default layout of :mod:`nulearn.flavor.deploy.snapshot`).

>>> parse_selector("/M1/F[..., 0, 1:4];groups=-2")
Selector(path='/M1/F', index=(Ellipsis, 0, slice(1, 4, None)), groups=-2, energies=None, components=None)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.raw_moments import ALL_SPECIES

__all__ = ["MomentReader", "Selector", "mapping_keys", "parse_selector"]

_INT = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Selector:
    """One parsed ``--map`` value (see the module docstring)."""

    path: str
    index: tuple[Any, ...] = ()
    groups: int | None = None
    energies: str | None = None
    components: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.index:
            text += "[" + ", ".join(_item_text(i) for i in self.index) + "]"
        for key in ("groups", "energies", "components"):
            value = getattr(self, key)
            if value is not None:
                text += f";{key}={value}"
        return text


def _item_text(item: Any) -> str:
    if item is Ellipsis:
        return "..."
    if isinstance(item, slice):
        parts = ["" if v is None else str(v) for v in (item.start, item.stop, item.step)]
        return ":".join(parts[:2] if item.step is None else parts)
    return str(item)


def _parse_int(text: str, what: str) -> int:
    if not _INT.match(text.strip()):
        raise ValueError(f"{what}: {text.strip()!r} is not an integer")
    return int(text)


def _parse_index(text: str, where: str) -> tuple[Any, ...]:
    items: list[Any] = []
    for raw in text.split(","):
        part = raw.strip()
        if part == "...":
            if Ellipsis in items:
                raise ValueError(f"{where}: only one '...' is allowed")
            items.append(Ellipsis)
        elif ":" in part:
            fields = part.split(":")
            if len(fields) > 3:
                raise ValueError(f"{where}: slice {part!r} has more than two ':'")
            values = [None if not f.strip() else _parse_int(f, where) for f in fields]
            values += [None] * (3 - len(values))
            if values[2] is not None and values[2] <= 0:
                raise ValueError(f"{where}: slice step {values[2]} must be positive")
            items.append(slice(*values))
        elif part:
            items.append(_parse_int(part, where))
        else:
            raise ValueError(f"{where}: empty index item")
    return tuple(items)


def parse_selector(text: str) -> Selector:
    """``/path[INDEX][;option=value...]`` -> :class:`Selector` (no ``eval``).

    Raises:
        ValueError: for malformed brackets, index items or options.
    """
    where = f"--map value {text!r}"
    head, *options = [part.strip() for part in text.split(";")]
    path, index = head, ()
    if "[" in head:
        path, _, rest = head.partition("[")
        if not rest.endswith("]") or "[" in rest or "]" in rest[:-1]:
            raise ValueError(f"{where}: expected /path[index] with one pair of brackets")
        index = _parse_index(rest[:-1], where)
    path = path.strip()
    if not path or "]" in path:
        raise ValueError(f"{where}: no dataset path")
    fields: dict[str, Any] = {}
    for option in options:
        key, sep, value = (p.strip() for p in option.partition("="))
        if not sep or key not in ("groups", "energies", "components") or not value:
            raise ValueError(
                f"{where}: option {option!r} unknown; use groups=AXIS, energies=/path, components=AXIS"
            )
        if key == "energies":
            fields[key] = value if value.startswith("/") else f"/{value}"
        else:
            fields[key] = _parse_int(value, where)
    if "energies" in fields and "groups" not in fields:
        raise ValueError(f"{where}: energies= needs groups=AXIS (the axis of the energy groups)")
    return Selector(path if path.startswith("/") else f"/{path}", index, **fields)


def mapping_keys(species: Sequence[str] = ALL_SPECIES) -> tuple[str, ...]:
    """Every quantity a ``--map`` may name."""
    keys = [f"n_{s}" for s in species] + [f"F_{s}" for s in species]
    keys += [f"flux_{s}" for s in species]
    keys += [f"flux_{ax}_{s}" for s in species for ax in "xyz"]
    return tuple(keys)


def _datasets_line(h5: h5py.File, limit: int = 12) -> str:
    found: list[str] = []

    def visit(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset):
            found.append(f"/{name} {obj.shape}")

    h5.visititems(visit)
    more = f", ... ({len(found) - limit} more)" if len(found) > limit else ""
    return ", ".join(found[:limit]) + more if found else "(none)"


class _Source:
    """A selector bound to an open file: the dataset, its per-axis index and the grid axes.

    ``grid_ndim``: for a flux (``vector``) without ``components=``, the number of grid axes,
    which tells a vector (one axis more, the last non-group axis) from a radial component.
    """

    def __init__(
        self,
        h5: h5py.File,
        quantity: str,
        selector: Selector,
        vector: bool = False,
        grid_ndim: int | None = None,
    ) -> None:
        self.quantity, self.selector = quantity, selector
        where = f"{h5.filename}: {quantity}={selector}"
        obj = h5.get(selector.path)
        if not isinstance(obj, h5py.Dataset):
            raise ValueError(
                f"{h5.filename}: no dataset {selector.path!r} for {quantity} "
                f"(--map {quantity}={selector}); datasets: {_datasets_line(h5)}"
            )
        self.dataset = obj
        shape = tuple(obj.shape)
        self.items = _expand(selector.index, shape, where)
        self.kept = [i for i, item in enumerate(self.items) if isinstance(item, slice)]
        sizes = [len(range(*self.items[i].indices(shape[i]))) for i in self.kept]
        ndim = len(self.kept)
        self.groups = (
            None if selector.groups is None else _axis(selector.groups, ndim, where, "groups")
        )
        self.components = (
            None
            if selector.components is None
            else _axis(selector.components, ndim, where, "components")
        )
        if vector and self.components is None and grid_ndim is not None:
            free = [a for a in range(ndim) if a != self.groups]
            if len(free) == grid_ndim + 1:
                self.components = free[-1]
            elif len(free) != grid_ndim:
                raise ValueError(
                    f"{where}: selection of shape {tuple(sizes)} is neither a {grid_ndim}-axis grid "
                    f"nor a grid with a component axis; index it or give groups=/components="
                )
        if self.components is not None and self.components == self.groups:
            raise ValueError(f"{where}: groups and components name the same axis")
        if self.components is not None and sizes[self.components] != 3:
            raise ValueError(
                f"{where}: component axis {self.components} has length "
                f"{sizes[self.components]}, not 3 (x, y, z)"
            )
        special = {self.groups, self.components} - {None}
        self.grid_axes = [j for j in range(ndim) if j not in special]
        self.grid = tuple(sizes[j] for j in self.grid_axes)
        self.energies: NDArray[np.float64] | None = None
        if selector.energies is not None:
            assert self.groups is not None
            self.energies = _energies(h5, selector.energies, sizes[self.groups], where)

    def read(self, block: tuple[slice, ...]) -> NDArray[np.float64]:
        """The block of the grid: ``grid block shape`` (``+ (3,)`` for a flux vector)."""
        index: list[Any] = list(self.items)
        shape = self.dataset.shape
        for j, axis in enumerate(self.grid_axes):
            i = self.kept[axis]
            start, _, step = self.items[i].indices(shape[i])
            b = block[j]
            index[i] = slice(start + b.start * step, start + b.stop * step, step)
        values = np.asarray(self.dataset[tuple(index)], dtype=np.float64)
        remaining = list(range(values.ndim))
        if self.groups is not None:
            if self.energies is not None:  # energy -> number: divide each group by its energy
                view = [1] * values.ndim
                view[self.groups] = self.energies.size
                values = values / self.energies.reshape(view)
            values = values.sum(axis=self.groups)
            remaining.remove(self.groups)
        order = [remaining.index(a) for a in self.grid_axes]
        if self.components is not None:
            order.append(remaining.index(self.components))
        return np.transpose(values, order)


def _axis(axis: int, ndim: int, where: str, name: str) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{where}: {name}={axis} is outside the {ndim} axes of the selection")
    return axis % ndim


def _expand(index: tuple[Any, ...], shape: tuple[int, ...], where: str) -> list[Any]:
    """One item per dataset axis (ints checked against the shape, slices for the rest)."""
    n_items = len([i for i in index if i is not Ellipsis])
    if n_items > len(shape):
        raise ValueError(f"{where}: {n_items} indices for a dataset of shape {shape}")
    if Ellipsis in index:
        k = index.index(Ellipsis)
        full = [*index[:k], *[slice(None)] * (len(shape) - n_items), *index[k + 1 :]]
    else:
        full = [*index, *[slice(None)] * (len(shape) - n_items)]
    for axis, (item, size) in enumerate(zip(full, shape, strict=True)):
        if isinstance(item, int):
            if not -size <= item < size:
                raise ValueError(
                    f"{where}: index {item} is out of range for axis {axis} of length {size} "
                    f"(dataset shape {shape})"
                )
            full[axis] = item % size
    return full


def _energies(h5: h5py.File, path: str, n_groups: int, where: str) -> NDArray[np.float64]:
    obj = h5.get(path)
    if not isinstance(obj, h5py.Dataset):
        raise ValueError(
            f"{where}: no group-energy dataset {path!r}; datasets: {_datasets_line(h5)}"
        )
    energies = np.asarray(obj[...], dtype=np.float64).reshape(-1)
    if energies.size != n_groups:
        raise ValueError(
            f"{where}: {path} holds {energies.size} group energies for {n_groups} groups"
        )
    if not np.all(np.isfinite(energies) & (energies > 0)):
        raise ValueError(f"{where}: group energies in {path} must be finite and > 0")
    return energies


class MomentReader:
    """Raw moments of a model, block by block, from any layout (see the module docstring).

    Args:
        h5: the open snapshot.
        raw_names: the model's raw moments (``n_<s>``, ``F_<s>`` or ``flux_<a>_<s>``).
        mapping: quantity -> selector text (unmapped quantities: ``/<quantity>``).

    Raises:
        ValueError: one line naming the file, the quantity and the dataset, for a missing or
            mis-shaped dataset, a bad selector, or quantities whose grids differ.
    """

    def __init__(
        self, h5: h5py.File, raw_names: Sequence[str], mapping: Mapping[str, str] | None = None
    ) -> None:
        mapping = dict(mapping or {})
        bad = sorted(set(mapping) - set(mapping_keys()))
        if bad:
            raise ValueError(
                f"--map names unknown quantities {bad}; allowed: {', '.join(mapping_keys())}"
            )
        self.raw_names = tuple(raw_names)
        self._recipes: dict[str, tuple[str, Any]] = {}
        sources: dict[str, _Source] = {}

        def source(quantity: str, vector: bool = False) -> _Source:
            if quantity not in sources:
                selector = parse_selector(mapping.get(quantity, f"/{quantity}"))
                grid_ndim = len(next(iter(sources.values())).grid) if sources else None
                sources[quantity] = _Source(h5, quantity, selector, vector, grid_ndim)
            return sources[quantity]

        for name in self.raw_names:
            kind, _, rest = name.partition("_")
            species = rest if kind in ("n", "F") else rest[2:]
            vector_key = f"flux_{species}"
            if kind in ("F", "flux") and vector_key in mapping:
                if name in mapping:
                    raise ValueError(f"--map gives both {name} and {vector_key}; keep one")
                flux = source(vector_key, vector=True)
                if kind == "F":
                    self._recipes[name] = ("flux_factor", (flux, source(f"n_{species}")))
                    continue
                if flux.components is None:
                    raise ValueError(
                        f"{h5.filename}: {vector_key}={flux.selector} has no component axis of "
                        f"length 3 for {name}; give components=AXIS"
                    )
                self._recipes[name] = ("component", (flux, "xyz".index(rest[0])))
            else:
                self._recipes[name] = ("direct", source(name))
        grids = {q: s.grid for q, s in sources.items()}
        first = next(iter(grids))
        for quantity, grid in grids.items():
            if grid != grids[first]:
                raise ValueError(
                    f"{h5.filename}: {quantity} ({sources[quantity].selector}) has grid shape "
                    f"{grid} but {first} ({sources[first].selector}) has {grids[first]}"
                )
        self.shape: tuple[int, ...] = grids[first]
        if len(self.shape) == 0 or 0 in self.shape:
            raise ValueError(
                f"{h5.filename}: moment datasets have an empty grid shape {self.shape}"
            )

    def read(self, block: tuple[slice, ...]) -> dict[str, NDArray[np.float64]]:
        """Raw moments of one grid block, flattened to ``(n_cells,)`` float64."""
        cache: dict[int, NDArray[np.float64]] = {}

        def values(src: _Source) -> NDArray[np.float64]:
            if id(src) not in cache:
                cache[id(src)] = src.read(block)
            return cache[id(src)]

        out: dict[str, NDArray[np.float64]] = {}
        for name in self.raw_names:
            how, what = self._recipes[name]
            if how == "direct":
                out[name] = values(what).reshape(-1)
            elif how == "component":
                flux, k = what
                out[name] = values(flux)[..., k].reshape(-1)
            else:
                flux, density = what
                f = values(flux)
                magnitude = (
                    np.sqrt(f[..., 0] * f[..., 0] + f[..., 1] * f[..., 1] + f[..., 2] * f[..., 2])
                    if flux.components is not None
                    else np.abs(f)
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    out[name] = (magnitude / values(density)).reshape(-1)
        return out
