"""Compile generated kernels with gcc/gfortran and call them from Python through ctypes.

Used by the tests (golden comparisons of generated code against the Python model) and by the
snapshot flagger, which compiles the C kernel of a polynomial LR or small MLP once per plan and
host and caches the shared library (``$NULEARN_CACHE_DIR`` or ``~/.cache/nulearn/kernels``).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nulearn.flavor.deploy.codegen_c import c_function_name, generate_c_header
from nulearn.flavor.deploy.codegen_fortran import generate_fortran_module
from nulearn.flavor.deploy.plan import DeployPlan

__all__ = [
    "C_FLAGS",
    "CompiledKernel",
    "build_kernel",
    "compile_shared",
    "compiler_available",
    "kernel_cache_dir",
]

#: flags for speed: vectorize for this CPU; no -ffast-math (it would break the NaN checks);
#: -fno-math-errno lets GCC vectorize sqrt (3D models) and changes no value
C_FLAGS: tuple[str, ...] = ("-O3", "-march=native", "-fno-math-errno", "-fPIC", "-shared")
FORTRAN_FLAGS: tuple[str, ...] = ("-O3", "-march=native", "-fPIC", "-shared")


def compiler_available(language: str) -> bool:
    """Whether ``gcc`` (``language="c"``), ``g++`` (``"cxx"``: the C header compiled as C++) or
    ``gfortran`` (``"fortran"``) is on PATH."""
    return shutil.which(_compiler(language)) is not None


def _compiler(language: str) -> str:
    if language == "c":
        return os.environ.get("CC", "gcc")
    if language == "cxx":
        return os.environ.get("CXX", "g++")
    if language == "fortran":
        return os.environ.get("FC", "gfortran")
    raise ValueError(f"language must be 'c', 'cxx' or 'fortran', got {language!r}")


def compile_shared(
    source: Path, output: Path, language: str, extra_flags: Sequence[str] = ()
) -> Path:
    """Compile one C header (as C or C++, exporting its functions) or Fortran module into a
    shared library.

    Raises:
        RuntimeError: when the compiler is missing or fails (its stderr is in the message).
    """
    compiler = _compiler(language)
    if shutil.which(compiler) is None:
        raise RuntimeError(f"{compiler} not found on PATH; install it (make system-deps)")
    if language in ("c", "cxx"):
        cmd = [
            compiler,
            *C_FLAGS,
            "-DNULEARN_API=",
            "-x",
            "c" if language == "c" else "c++",
            str(source),
            "-o",
            str(output),
            *extra_flags,
            "-lm",  # log, atanh of physical coordinates
        ]
    else:
        with tempfile.TemporaryDirectory() as mod_dir:
            cmd = [
                compiler,
                *FORTRAN_FLAGS,
                "-J",
                mod_dir,
                str(source),
                "-o",
                str(output),
                *extra_flags,
            ]
            _run(cmd)
        return output
    _run(cmd)
    return output


def _run(cmd: list[str]) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"compilation failed: {' '.join(cmd)}\n{result.stderr}")


class CompiledKernel:
    """A generated model function loaded from a shared library.

    Calling it with raw moments of shape ``(n_cells,)`` (float64, C-contiguous; converted if
    not) returns ``(p_crossing, flag)``. The call releases the GIL, so threads run in parallel.
    """

    def __init__(self, library: Path, plan: DeployPlan) -> None:
        self.library_path = Path(library)
        self.plan = plan
        self._lib = ctypes.CDLL(str(self.library_path))
        self._fn = getattr(self._lib, c_function_name(plan))
        dptr = ctypes.POINTER(ctypes.c_double)
        self._fn.argtypes = [
            *([dptr] * len(plan.raw_names)),
            ctypes.c_int64,
            dptr,
            ctypes.POINTER(ctypes.c_int8),
        ]
        self._fn.restype = None

    def __call__(
        self,
        moments: Mapping[str, NDArray[np.floating]],
        out: tuple[NDArray[np.float64], NDArray[np.int8]] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
        """Run the kernel; ``out`` may supply preallocated ``(p_crossing, flag)`` arrays."""
        arrays = [
            np.ascontiguousarray(moments[name], dtype=np.float64).reshape(-1)
            for name in self.plan.raw_names
        ]
        n = arrays[0].size
        if any(a.size != n for a in arrays):
            raise ValueError(f"raw moments must all have {n} cells")
        if out is None:
            p = np.empty(n, dtype=np.float64)
            flag = np.empty(n, dtype=np.int8)
        else:
            p, flag = out
            if p.size != n or flag.size != n or p.dtype != np.float64 or flag.dtype != np.int8:
                raise ValueError("out arrays must be float64 and int8 with one entry per cell")
        dptr = ctypes.POINTER(ctypes.c_double)
        self._fn(
            *(a.ctypes.data_as(dptr) for a in arrays),
            ctypes.c_int64(n),
            p.ctypes.data_as(dptr),
            flag.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
        )
        return p, flag


def kernel_cache_dir() -> Path:
    """Directory for compiled kernels (``$NULEARN_CACHE_DIR`` or ``~/.cache/nulearn/kernels``)."""
    root = os.environ.get("NULEARN_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "nulearn"
    return base / "kernels"


def build_kernel(
    plan: DeployPlan, language: str = "c", directory: Path | None = None
) -> CompiledKernel:
    """Generate, compile (once per plan, language and host; cached) and load a kernel."""
    directory = Path(directory) if directory is not None else kernel_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    code = generate_fortran_module(plan) if language == "fortran" else generate_c_header(plan)
    # keyed by the generated source itself: a new code generator never reuses a stale kernel
    digest = hashlib.sha256(code.encode()).hexdigest()[:16]
    stem = f"{plan.name}-{digest}-{language}-{platform.node() or 'host'}"
    library = directory / f"{stem}.so"
    if not library.exists():
        source = directory / f"{stem}.{'f90' if language == 'fortran' else 'h'}"
        source.write_text(code)
        # compile to a temporary name and rename: concurrent workers never load a half-written file
        tmp = directory / f"{stem}.{os.getpid()}.tmp.so"
        compile_shared(source, tmp, language)
        os.replace(tmp, library)
    return CompiledKernel(library, plan)
