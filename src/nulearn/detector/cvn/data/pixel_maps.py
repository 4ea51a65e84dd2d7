"""DUNE CVN pixel maps: reading, downsampling around the activity, 8-bit storage, augmentation.

The open DUNE CVN sample (Abi et al., PRD 102, 092003 (2020)) stores one neutrino interaction per
``eventN.gz`` (zlib-compressed ``uint8`` array of shape ``(3, 500, 500)``: the U, V and Z wire-plane
views, each ``500 wires x 500 time ticks``, pixel value = deposited charge in ADC-like 8-bit units)
and its truth in ``eventN.info`` (one number per line). The interaction code on line 0 encodes both
labels used by DUNE's CVN: ``code // 4`` is the flavour (0 ν_μ CC, 1 ν_e CC, 2 ν_τ CC, 3 NC) and
``code % 4`` the interaction type (0 QE, 1 RES, 2 DIS, 3 other).

Pixel maps are kept as ``uint8`` in memory, as NOvA's CVN does (an 8-fold saving over float64,
4-fold over float32); they become float in ``[0, 1]`` only batch by batch, inside the network.
Training-time augmentation is in :mod:`nulearn.detector.cvn.data.augmentation`.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from nulearn.ml.config import YAMLConfig

__all__ = [
    "FLAVOUR_NAMES",
    "FLAVOUR_SUBDIRS",
    "INTERACTION_NAMES",
    "N_TICKS",
    "N_VIEWS",
    "N_WIRES",
    "VIEW_NAMES",
    "CVNSample",
    "PixelMapConfig",
    "check_pixel_maps",
    "default_data_dir",
    "downsample_pixel_maps",
    "list_events",
    "load_cvn_sample",
    "read_pixel_map",
    "read_truth",
]

N_VIEWS = 3
N_WIRES = 500
N_TICKS = 500
VIEW_NAMES: tuple[str, ...] = ("U", "V", "Z")
#: Flavour classes in the order of ``interaction_code // 4`` (DUNE CVN convention).
FLAVOUR_NAMES: tuple[str, ...] = ("numu_cc", "nue_cc", "nutau_cc", "nc")
#: Sample folder holding each flavour class.
FLAVOUR_SUBDIRS: tuple[str, ...] = ("numu", "nue", "nutau", "nc")
INTERACTION_NAMES: tuple[str, ...] = ("QE", "RES", "DIS", "other")

# Documented lines of ``eventN.info`` (0-based) -> truth column.
_INFO_LINES: dict[str, int] = {
    "interaction_code": 0,
    "nu_energy": 1,
    "lepton_energy": 2,
    "nu_pdg": 7,
    "n_protons": 8,
    "n_charged_pions": 9,
    "n_neutral_pions": 10,
    "n_neutrons": 11,
}


def default_data_dir() -> Path:
    """Where the open sample lives: ``$NULEARN_DUNE_CVN``, else ``<repo>/../shared/data/dune-cvn``.

    The relative location is resolved from this file, so it works in a fresh clone that has the
    ``shared/`` folder beside it (as in CI) as well as from the working tree.
    """
    env = os.environ.get("NULEARN_DUNE_CVN")
    if env:
        return Path(env)
    rel = Path("shared") / "data" / "dune-cvn"
    repo_root = Path(__file__).resolve().parents[5]  # src/nulearn/detector/cvn/data/<this>
    candidates = [repo_root.parent / rel, Path.cwd().parent / rel]
    # An installed (non-editable) package is not inside the repository; fall back to the cwd.
    return next((c for c in candidates if c.is_dir()), candidates[0])


def list_events(root: str | Path | None = None, per_class: int | None = None) -> list[Path]:
    """Paths (without suffix) of the events, class by class, sorted by event number.

    Args:
        root: sample folder with ``numu/ nue/ nutau/ nc/`` (default :func:`default_data_dir`).
        per_class: keep only the first this many events of each class (``None``: all); a class
            with fewer is refused, naming what each class holds, rather than silently trained on
            fewer events than asked.

    Returns:
        ``[root/<class>/eventN, ...]``, numu first, then nue, nutau, nc.
    """
    base = Path(root) if root is not None else default_data_dir()
    if not base.is_dir():
        raise FileNotFoundError(f"DUNE CVN sample folder not found: {base}")
    if per_class is not None and per_class < 1:
        raise ValueError(f"events per class = {per_class}; allowed range [1, inf)")
    by_class: dict[str, list[Path]] = {}
    for sub in FLAVOUR_SUBDIRS:
        by_class[sub] = sorted(
            (p.with_suffix("") for p in (base / sub).glob("event*.gz")),
            key=_event_number,
        )
    held = ", ".join(f"{sub} {len(stems)}" for sub, stems in by_class.items())
    if not any(by_class.values()):
        raise FileNotFoundError(f"no event*.gz files under {base}/{{{','.join(FLAVOUR_SUBDIRS)}}}")
    if per_class is not None and any(len(stems) < per_class for stems in by_class.values()):
        raise ValueError(
            f"events per class = {per_class}, but the sample {base} holds {held} events per "
            f"class; ask for at most {min(len(s) for s in by_class.values())} (or all)"
        )
    out: list[Path] = []
    for stems in by_class.values():
        out.extend(stems[:per_class] if per_class is not None else stems)
    return out


def _event_number(stem: Path) -> int:
    number = stem.name.removeprefix("event")
    if not number.isdigit():
        raise ValueError(f"event file {stem}.gz: name is not event<N>.gz")
    return int(number)


def read_pixel_map(stem: str | Path) -> np.ndarray:
    """One event's pixel map, ``uint8`` of shape ``(3, 500, 500)`` = (view U/V/Z, wire, tick).

    Raises:
        ValueError: naming the file, when it is empty, truncated or not zlib data, or holds
            another number of pixels.
    """
    path = Path(f"{stem}.gz")
    try:
        raw = zlib.decompress(path.read_bytes())
    except zlib.error as err:
        raise ValueError(f"pixel map {path}: not a readable zlib-compressed map ({err})") from None
    if len(raw) != N_VIEWS * N_WIRES * N_TICKS:
        raise ValueError(
            f"pixel map {path} holds {len(raw)} bytes, expected {N_VIEWS * N_WIRES * N_TICKS}"
        )
    return np.frombuffer(raw, dtype=np.uint8).reshape(N_VIEWS, N_WIRES, N_TICKS)


def read_truth(stem: str | Path) -> dict[str, Any]:
    """One event's truth: flavour and interaction labels, energies (GeV), particle counts.

    Raises:
        ValueError: naming the file and its line (1-based), when a number is missing or is not
            a finite number, or the interaction code is outside [0, 15].
    """
    path = Path(f"{stem}.info")
    if not path.is_file():
        raise ValueError(f"event {stem}: no truth file {path}")
    try:
        lines = path.read_text().split()
    except UnicodeDecodeError:
        raise ValueError(f"truth file {path}: not text") from None
    if len(lines) <= max(_INFO_LINES.values()):
        raise ValueError(f"truth file {path} has {len(lines)} lines, expected at least 12")
    vals = {}
    for k, i in _INFO_LINES.items():
        try:
            vals[k] = float(lines[i])
        except ValueError:
            vals[k] = float("nan")
        if not np.isfinite(vals[k]):
            raise ValueError(f"truth file {path} line {i + 1} ({k}) = {lines[i]!r}; not a number")
    code = int(vals["interaction_code"])
    flavour = code // 4
    if not 0 <= flavour < len(FLAVOUR_NAMES):
        raise ValueError(f"truth file {path} line 1: interaction code {code} outside [0, 15]")
    truth: dict[str, Any] = {
        "event": Path(stem).parent.name + "/" + Path(stem).name,
        "flavour": flavour,
        "flavour_name": FLAVOUR_NAMES[flavour],
        "interaction": code % 4,
        "interaction_name": INTERACTION_NAMES[code % 4],
    }
    for k, v in vals.items():
        truth[k] = v if k in ("nu_energy", "lepton_energy") else int(v)
    return truth


@dataclass(frozen=True)
class PixelMapConfig(YAMLConfig):
    """How full pixel maps are reduced before they are kept in memory (a :class:`YAMLConfig`).

    A window of ``crop_wires x crop_ticks`` is cut around the activity (centred on the
    charge-weighted centroid: per view along the wires, common to the three views along time,
    because the drift time is shared by all planes), then ``pool x pool`` blocks are reduced by
    ``pool_mode``. Max pooling keeps one-pixel-wide tracks visible (a mean would dilute a muon
    track by ``1/pool``); the result stays ``uint8``.

    Attributes:
        crop_wires: window size along the wires (pixels of the full map, ``<= 500``).
        crop_ticks: window size along time (``<= 500``).
        pool: block size of the pooling (both axes); ``crop_*`` are trimmed to multiples of it.
        pool_mode: ``"max"`` or ``"mean"``.
    """

    crop_wires: int = 480
    crop_ticks: int = 480
    pool: int = 10
    pool_mode: Literal["max", "mean"] = "max"

    def __post_init__(self) -> None:
        for name, size, limit in (
            ("crop_wires", self.crop_wires, N_WIRES),
            ("crop_ticks", self.crop_ticks, N_TICKS),
        ):
            if not 1 <= size <= limit:
                raise ValueError(f"{name} must be in [1, {limit}], got {size}")
        if not 1 <= self.pool <= min(self.crop_wires, self.crop_ticks):
            raise ValueError(
                f"pool must be in [1, {min(self.crop_wires, self.crop_ticks)}], got {self.pool}"
            )
        if self.pool_mode not in ("max", "mean"):
            raise ValueError(f"pool_mode must be 'max' or 'mean', got {self.pool_mode!r}")

    @classmethod
    def for_image_size(cls, image_size: int) -> PixelMapConfig:
        """The largest window of at most 480 pixels that max-pools to ``image_size`` pixels per side.

        >>> PixelMapConfig.for_image_size(48).shape
        (3, 48, 48)
        """
        if not 1 <= image_size <= min(N_WIRES, N_TICKS):
            raise ValueError(
                f"image_size = {image_size}; allowed range [1, {min(N_WIRES, N_TICKS)}]"
            )
        pool = max(1, 480 // image_size)
        return cls(crop_wires=pool * image_size, crop_ticks=pool * image_size, pool=pool)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Stored shape per event ``(3, wires, ticks)``."""
        return (N_VIEWS, self.crop_wires // self.pool, self.crop_ticks // self.pool)


def _window_starts(profile: np.ndarray, size: int) -> np.ndarray:
    """Start index of a ``size`` window centred on the weighted centroid of ``profile (..., L)``."""
    length = profile.shape[-1]
    weight = profile.sum(-1)
    pos = np.arange(length, dtype=np.float64)
    centre = np.where(
        weight > 0, (profile * pos).sum(-1) / np.maximum(weight, 1e-12), (length - 1) / 2
    )
    start = np.rint(centre - size / 2).astype(np.int64)
    return np.clip(start, 0, length - size)


def downsample_pixel_maps(maps: np.ndarray, config: PixelMapConfig) -> np.ndarray:
    """Crop around the activity and pool, vectorized over events.

    Args:
        maps: ``uint8`` pixel maps of shape ``(n_events, 3, 500, 500)``.
        config: crop and pooling.

    Returns:
        ``uint8`` array of shape ``(n_events, *config.shape)``.
    """
    if maps.ndim != 4 or maps.shape[1:] != (N_VIEWS, N_WIRES, N_TICKS):
        raise ValueError(f"pixel maps must have shape (n, 3, 500, 500), got {maps.shape}")
    n = maps.shape[0]
    cw = config.crop_wires - config.crop_wires % config.pool
    ct = config.crop_ticks - config.crop_ticks % config.pool
    charge = maps.astype(np.float32)
    w0 = _window_starts(charge.sum(3), cw)  # (n, 3): per view
    t0 = _window_starts(charge.sum((1, 2)), ct)  # (n,): common drift time
    w_idx = w0[:, :, None] + np.arange(cw)  # (n, 3, cw)
    t_idx = t0[:, None] + np.arange(ct)  # (n, ct)
    crop = maps[
        np.arange(n)[:, None, None, None],
        np.arange(N_VIEWS)[None, :, None, None],
        w_idx[:, :, :, None],
        t_idx[:, None, None, :],
    ]
    p = config.pool
    blocks = crop.reshape(n, N_VIEWS, cw // p, p, ct // p, p)
    if config.pool_mode == "max":
        return blocks.max(axis=(3, 5))
    return np.rint(blocks.mean(axis=(3, 5), dtype=np.float32)).astype(np.uint8)


@dataclass
class CVNSample:
    """Events in memory.

    Attributes:
        pixel_maps: ``uint8`` of shape ``(n_events, 3, wires, ticks)``.
        truth: one row per event (columns of :func:`read_truth`).
        extra: per-event values computed from the full-resolution maps at load time,
            shape ``(n_events, n_extra)`` (e.g. hand-made features), or ``None``.
        config: the reduction applied to ``pixel_maps``.
    """

    pixel_maps: np.ndarray
    truth: pd.DataFrame
    extra: np.ndarray | None
    config: PixelMapConfig

    def __len__(self) -> int:
        return int(self.pixel_maps.shape[0])

    @property
    def flavour(self) -> np.ndarray:
        """Flavour labels ``(n_events,)``, indices into :data:`FLAVOUR_NAMES`."""
        return self.truth["flavour"].to_numpy(np.int64)

    @property
    def interaction(self) -> np.ndarray:
        """Interaction-type labels ``(n_events,)``, indices into :data:`INTERACTION_NAMES`."""
        return self.truth["interaction"].to_numpy(np.int64)

    def subset(self, index: np.ndarray | Sequence[int]) -> CVNSample:
        """The events at ``index``, in that order."""
        idx = np.asarray(index, dtype=np.int64)
        return CVNSample(
            pixel_maps=self.pixel_maps[idx],
            truth=self.truth.iloc[idx].reset_index(drop=True),
            extra=None if self.extra is None else self.extra[idx],
            config=self.config,
        )


def load_cvn_sample(
    root: str | Path | None = None,
    per_class: int | None = None,
    config: PixelMapConfig | None = None,
    full_resolution_fn: Callable[[np.ndarray], np.ndarray] | None = None,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> CVNSample:
    """Read the sample, reduce each pixel map by ``config`` and keep it as ``uint8``.

    Full-resolution maps are only held ``batch_size`` at a time (64 events = 48 MB).

    Args:
        root: sample folder (default :func:`default_data_dir`).
        per_class: events per flavour class (``None``: all 200).
        config: reduction (default :class:`PixelMapConfig`: 480x480 window max-pooled to 48x48).
        full_resolution_fn: optional map ``(batch, 3, 500, 500) uint8 -> (batch, k)`` applied to the
            full-resolution maps before reduction (e.g. :func:`nulearn.detector.cvn.data.features.hand_features`).
        batch_size: events decompressed at once.
        progress: called with the number of events read after each batch.
    """
    cfg = config or PixelMapConfig()
    stems = list_events(root, per_class)
    truth = pd.DataFrame([read_truth(s) for s in stems])
    folder_flavour = np.array([FLAVOUR_SUBDIRS.index(s.parent.name) for s in stems])
    bad = np.nonzero(folder_flavour != truth["flavour"].to_numpy())[0]
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"truth file {stems[i]}.info line 1: interaction code "
            f"{truth['interaction_code'].iloc[i]} is flavour {truth['flavour_name'].iloc[i]}, "
            f"but the event is in the {stems[i].parent.name}/ folder"
        )
    maps = np.empty((len(stems), *cfg.shape), dtype=np.uint8)
    extras: list[np.ndarray] = []
    for lo in range(0, len(stems), batch_size):
        full = np.stack([read_pixel_map(s) for s in stems[lo : lo + batch_size]])
        maps[lo : lo + len(full)] = downsample_pixel_maps(full, cfg)
        if full_resolution_fn is not None:
            extras.append(np.asarray(full_resolution_fn(full)))
        if progress is not None:
            progress(len(full))
    extra = np.concatenate(extras) if extras else None
    return CVNSample(pixel_maps=maps, truth=truth, extra=extra, config=cfg)


def check_pixel_maps(
    pixel_maps: np.ndarray, flavour: Any, interaction: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``uint8`` pixel maps ``(n, 3, W, T)`` and their labels; returns the flavour labels
    ``(n,)`` in ``[0, 4)`` and the interaction labels ``(n,)`` in ``[0, 4)`` (``-1``: unknown,
    the default when ``interaction`` is ``None``), both ``int64``."""
    if pixel_maps.dtype != np.uint8 or pixel_maps.ndim != 4 or pixel_maps.shape[1] != N_VIEWS:
        raise ValueError(
            f"pixel_maps must be uint8 of shape (n, 3, W, T), got {pixel_maps.dtype} {pixel_maps.shape}"
        )
    n = pixel_maps.shape[0]
    inter = np.full(n, -1) if interaction is None else np.asarray(interaction)
    labels = {"flavour": np.asarray(flavour), "interaction": inter}
    for name, lab in labels.items():
        if lab.shape != (n,):
            raise ValueError(f"{name} labels must have shape ({n},), got {lab.shape}")
        if lab.size and (lab.min() < -1 or lab.max() >= 4):
            raise ValueError(
                f"{name} labels must lie in [0, 4) (or -1), got [{lab.min()}, {lab.max()}]"
            )
    return labels["flavour"].astype(np.int64), inter.astype(np.int64)
