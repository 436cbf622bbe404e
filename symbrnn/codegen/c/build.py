"""Build generated C with the system's compiler and load it with ctypes; built libraries are cached on disk.

The compiler is ``$CC`` if set, else ``cc`` or ``gcc`` on the PATH. A
library is keyed by a hash of its source, the compiler and the flags, so a
cell is compiled once per machine, not once per process; the cache is
``$SYMBRNN_CACHE`` if set, else ``$XDG_CACHE_HOME/symbrnn`` (``~/.cache/symbrnn``).
The flags keep IEEE arithmetic (no ``-ffast-math``), so the C program gives
the Python program's numbers to rounding.

Examples
--------
>>> lib = build_library("double twice(double x) { return 2.0 * x; }", what="an example")
>>> lib.twice.restype, lib.twice.argtypes = ctypes.c_double, [ctypes.c_double]
>>> lib.twice(1.5)
3.0
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from ...core import errors

__all__ = ["FLAGS", "build_library", "cache_dir", "find_compiler"]

FLAGS = ("-O2", "-std=c99", "-shared", "-fPIC")
_LOADED: dict[Path, ctypes.CDLL] = {}
_LOCK = threading.Lock()  # one build at a time in this process
_PRIVATE: Path | None = None


def find_compiler() -> list[str] | None:
    """The C compiler's command (``$CC``, ``cc`` or ``gcc``), or None if there is none."""
    cc = os.environ.get("CC")
    if cc:
        return shlex.split(cc)
    found = shutil.which("cc") or shutil.which("gcc")
    return [found] if found else None


def cache_dir() -> Path:
    """Where built libraries are kept (created if missing)."""
    root = os.environ.get("SYMBRNN_CACHE")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "symbrnn"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: a new private folder (a predictable shared one could be planted)
        global _PRIVATE
        if _PRIVATE is None:
            _PRIVATE = Path(tempfile.mkdtemp(prefix="symbrnn-"))
        path = _PRIVATE
    return path


def build_library(source: str, *, what: str) -> ctypes.CDLL:
    """Compile ``source`` to a shared library (or reuse the cached one) and load it.

    Parameters
    ----------
    source : str
        C99 source.
    what : str
        What the source is, for error messages (``"the BPTT program of cell 'elman'"``).

    Raises
    ------
    BackendError
        If there is no C compiler or it fails.
    """
    cc = find_compiler()
    if cc is None:
        raise errors.BackendError(
            f"backend='c' needs a C compiler for {what}: none found (install gcc, or set CC);"
            " or use backend='python' or 'numpy'"
        )
    key = hashlib.sha256("\0".join([*cc, *FLAGS, source]).encode()).hexdigest()[:24]
    lib = cache_dir() / f"bptt_{key}.so"
    with _LOCK:
        if lib in _LOADED:
            return _LOADED[lib]
        if not lib.exists():
            _compile(cc, source, lib, what)
        try:
            loaded = ctypes.CDLL(str(lib))
        except OSError:  # a damaged file in the cache: build it again, once
            lib.unlink(missing_ok=True)
            _compile(cc, source, lib, what)
            try:
                loaded = ctypes.CDLL(str(lib))
            except OSError as exc:
                raise errors.BackendError(f"backend='c': the library built for {what} does not load ({exc})") from None
        _LOADED[lib] = loaded
        return loaded


def _compile(cc: list[str], source: str, lib: Path, what: str) -> None:
    # the source and the library are written under names of their own, so that builds in other
    # processes never share a file; the finished library is then moved into place atomically
    fd, src = tempfile.mkstemp(prefix=f"{lib.stem}.", suffix=".c", dir=lib.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(source)
    fd, tmp = tempfile.mkstemp(prefix=f"{lib.stem}.", suffix=".so.tmp", dir=lib.parent)
    os.close(fd)
    try:
        done = subprocess.run([*cc, *FLAGS, "-o", tmp, src, "-lm"], capture_output=True, text=True,
                              timeout=600, check=False)
        if done.returncode != 0:
            first = next((line for line in done.stderr.splitlines() if "error" in line), done.stderr.strip()[:200])
            raise errors.BackendError(f"backend='c': the C compiler {cc[0]!r} failed on {what}: {first}")
        os.replace(tmp, lib)  # atomic: nobody loads a half-written library
        os.replace(src, lib.with_suffix(".c"))  # the source beside it, to read
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise errors.BackendError(f"backend='c': the C compiler {cc[0]!r} did not run for {what} ({exc})") from None
    finally:
        for leftover in (tmp, src):
            if os.path.exists(leftover):
                os.unlink(leftover)
