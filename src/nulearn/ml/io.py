"""Files at the boundary: outputs that are either complete or absent, inputs that fail in one line.

Every command that writes checks its destination before it starts working
(:func:`check_output`), so an unwritable path fails in a second rather than after an hour of
computation, and writes through :func:`atomic_output`, so an interrupted or failed command never
leaves a partial file under the name the user asked for. Readers (:func:`open_hdf5`,
:func:`read_yaml`, :func:`load_npz`) turn a missing, empty, truncated or foreign file into one
:class:`ValueError` that names the file.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "sub" / "table.csv"
>>> check_output(out, suffixes=(".csv",)) == out
True
>>> with atomic_output(out) as tmp:
...     _ = tmp.write_text("a,b\\n1,2\\n")
>>> out.read_text()
'a,b\\n1,2\\n'
>>> check_output(out / "x.csv")
Traceback (most recent call last):
...
ValueError: cannot write .../table.csv/x.csv: .../table.csv is a file, not a folder
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_output",
    "check_input_file",
    "check_output",
    "check_scheduler",
    "load_npz",
    "open_hdf5",
    "read_yaml",
]


def _first_existing(path: Path) -> Path:
    """The nearest ancestor of ``path`` (or ``path`` itself) that exists."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def check_output(
    path: str | Path,
    *,
    directory: bool = False,
    suffixes: Sequence[str] | None = None,
    what: str = "output",
    replaceable: Sequence[str] | None = None,
) -> Path:
    """Refuse, before any work, an output that cannot be written.

    Checks that no ancestor is a regular file, that a file is not expected where a folder exists
    (or the reverse), that the suffix is one the writer produces, and that the folder that will
    hold it accepts a new file (by creating and removing a probe, which also catches read-only
    file systems and, unlike ``os.access``, behaves the same for root).

    Args:
        path: the file (or, with ``directory``, the folder) a command will write.
        directory: the output is a folder.
        suffixes: allowed lower-case suffixes (``None``: any).
        what: the option's name for messages, e.g. ``"--out"``.
        replaceable: with ``directory``, the entries an existing folder may hold to be replaced
            (:func:`atomic_output`); ``None`` allows an existing folder to gain files.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: one line naming the path and the reason.
    """
    p = Path(path)
    if str(p) in ("", "."):
        raise ValueError(f"{what}: an output path is required")
    if suffixes is not None and not directory and p.suffix.lower() not in suffixes:
        shown = ", ".join(suffixes)
        raise ValueError(
            f"cannot write {p}: {what} must end in {shown} (got {p.suffix or 'no suffix'!r})"
        )
    if p.exists():
        if directory and not p.is_dir():
            raise ValueError(f"cannot write {p}: it is a file, and {what} is a folder")
        if not directory and p.is_dir():
            raise ValueError(f"cannot write {p}: it is a folder, and {what} is a file")
        if directory and replaceable is not None and p.is_dir():
            foreign = sorted(c.name for c in p.iterdir() if c.name not in set(replaceable))
            if foreign:
                raise ValueError(
                    f"cannot write {p}: the folder exists and holds other files "
                    f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                    "choose a new or empty folder"
                )
    anchor = _first_existing(p.parent if not directory else p)
    if not anchor.is_dir():
        raise ValueError(f"cannot write {p}: {anchor} is a file, not a folder")
    probe = anchor / f".nulearn-probe-{uuid.uuid4().hex}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise ValueError(f"cannot write {p}: {anchor} is not writable ({err.strerror})") from None
    return p


@contextlib.contextmanager
def atomic_output(
    path: str | Path, *, directory: bool = False, replaceable: Sequence[str] = ()
) -> Iterator[Path]:
    """Write to a temporary sibling, then rename it onto ``path`` only if the block succeeds.

    A file replaces an existing file atomically (``os.replace``). A folder replaces an existing
    folder of the same name only if that folder holds nothing but entries named in
    ``replaceable`` (e.g. a previous model's two files): a folder with anything else in it is
    refused before any work, never deleted. On an exception or an interrupt the temporary is
    removed and ``path`` is untouched.

    Yields:
        The temporary path to write (a file path, or an existing empty folder with ``directory``).

    Raises:
        ValueError: ``directory`` and ``path`` is a folder holding other files.
    """
    final = Path(path)
    if directory and final.is_dir():
        foreign = sorted(c.name for c in final.iterdir() if c.name not in set(replaceable))
        if foreign:
            raise ValueError(
                f"cannot write {final}: the folder exists and holds other files "
                f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                "choose a new or empty folder"
            )
    final.parent.mkdir(parents=True, exist_ok=True)
    tag = f".{final.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=tag, dir=final.parent))
    else:
        tmp = final.with_name(tag + final.suffix)
    try:
        yield tmp
        if directory:
            if final.is_dir():
                shutil.rmtree(final)
            os.replace(tmp, final)
        else:
            os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def check_scheduler(address: str, timeout_s: float = 5.0) -> None:
    """Fail within seconds, in one line, when a Dask scheduler cannot be reached.

    Args:
        address: scheduler address, ``tcp://host:8786``.
        timeout_s: seconds to wait for the connection.

    Raises:
        ValueError: the scheduler cannot be reached (the message names it and the reason).
    """
    from distributed import Client

    try:
        client = Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as err:
        raise ValueError(f"cannot reach the Dask scheduler {address} ({err})") from None
    client.close()


def check_input_file(path: str | Path, what: str = "input") -> Path:
    """A readable, non-empty regular file, else one error naming it (FileNotFoundError when it
    does not exist, ValueError otherwise)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {p}: no such file")
    if p.is_dir():
        raise ValueError(f"{what} {p}: is a folder, expected a file")
    if p.stat().st_size == 0:
        raise ValueError(f"{what} {p}: the file is empty")
    return p


def open_hdf5(path: str | Path, mode: str = "r", what: str = "HDF5 file") -> Any:
    """``h5py.File(path, mode)``; a missing, empty, truncated or non-HDF5 file is one ValueError."""
    import h5py

    p = Path(path)
    if "r" in mode:
        check_input_file(p, what)
    try:
        return h5py.File(p, mode)
    except OSError as err:
        reason = str(err).split("(", 1)[-1].rstrip(")") if "(" in str(err) else str(err)
        raise ValueError(f"{what} {p}: not a readable HDF5 file ({reason})") from None


def read_yaml(path: str | Path, what: str = "YAML file") -> dict[str, Any]:
    """A YAML mapping from ``path``; unparsable or non-mapping content is one ValueError."""
    import yaml

    p = check_input_file(path, what)
    try:
        data = yaml.safe_load(p.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ValueError(f"{what} {p}: not valid YAML{line}") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{what} {p}: expected a mapping of keys to values, got {type(data).__name__}"
        )
    return data


def load_npz(path: str | Path, keys: Sequence[str] = (), what: str = ".npz file") -> dict[str, Any]:
    """Arrays of a NumPy ``.npz`` archive as a dict (no pickled objects are loaded).

    Args:
        path: the archive.
        keys: arrays that must be present.

    Raises:
        ValueError: missing/empty/truncated/foreign file, or a required array absent.
    """
    import numpy as np

    p = check_input_file(path, what)
    try:
        with np.load(p, allow_pickle=False) as archive:
            data = {k: archive[k] for k in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"{what} {p}: not a readable .npz archive ({err})") from None
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{what} {p}: lacks arrays {missing}; present: {sorted(data)}")
    return data
