"""Where the compiled kernels are cached, and what a cached kernel is keyed on.

Numba's own cache sits beside each source file (``__pycache__`` in site-packages) or, with
``NUMBA_CACHE_DIR``, in a folder named after the source file's absolute path, and checks only
the content of the file that defines a kernel. So a second installation of the same fastmlp --
a new virtual environment, a CI job, a container or a Dask worker with the package elsewhere --
compiles everything again, and a kernel whose helpers in another file changed could be loaded
stale.

:class:`PackageCacheLocator` keys fastmlp's kernels on the package instead:

* the folder is ``<root>/fastmlp-<version>-<digest>/<module folder>``, where ``digest`` hashes
  the content of every ``.py`` file of the package. Every installation whose sources are the
  same shares one set of cached kernels, wherever it is installed; any change to any source
  file (a callee, a constant) gives a new folder, so nothing is loaded stale;
* ``root`` is ``FASTMLP_CACHE_DIR`` when set, else ``NUMBA_CACHE_DIR`` when set, else the
  user's cache folder (``$XDG_CACHE_HOME/fastmlp``, by default ``~/.cache/fastmlp``);
* Numba still keys each entry on the kernel's argument types, the CPU model and its features,
  and the Numba and Python versions, so one folder can hold kernels for several machines.

If that folder cannot be written, Numba's own locations are tried next, as before.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from numba.core import caching

from .._version import __version__

PACKAGE_DIR = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=None)
def package_digest() -> str:
    """A hex digest of every ``.py`` file of the installed package (relative path and
    content), in a stable order."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def cache_root() -> Path:
    """The folder under which the kernels of every fastmlp version are cached (see the
    module docstring for how it is chosen)."""
    for variable in ("FASTMLP_CACHE_DIR", "NUMBA_CACHE_DIR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join("~", ".cache")
    return Path(base).expanduser() / "fastmlp"


def cache_dir() -> Path:
    """The folder holding this installation's kernels: :func:`cache_root` /
    ``fastmlp-<version>-<digest of the sources>``."""
    return cache_root() / f"fastmlp-{__version__}-{package_digest()}"


class PackageCacheLocator(caching._CacheLocator):
    """Numba cache locator for the functions defined in fastmlp's own files (see the module
    docstring); for any other file it declines, and Numba's locators are asked."""

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        relative = Path(py_file).resolve().parent.relative_to(PACKAGE_DIR)
        self._cache_path = str(cache_dir().joinpath(*relative.parts))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        # the folder already names the package's sources; the stamp says the same, so an
        # index written by other sources (a folder copied by hand) is not trusted
        return package_digest()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            Path(py_file).resolve().relative_to(PACKAGE_DIR)
        except (ValueError, OSError):
            return None
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:  # not writable: Numba's own locations are tried next
            return None
        return self


@contextmanager
def exclusive(folder: str):
    """Hold an exclusive lock on ``folder`` (a lock file in it) against other processes.

    Numba writes a cache entry by reading the folder's index, adding the entry, writing the
    index and then the entry's data file, with no lock: two processes that finish compiling
    the same kernel for different argument types at the same moment (``fastmlp warmup``'s
    parallel compiles, a background compile beside a fit) could each write an index naming
    the same data file, and one entry would then load the other's code. Where ``fcntl`` is
    missing (Windows) this does nothing.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        handle = open(os.path.join(folder, ".lock"), "a")
    except OSError:  # an unwritable folder: Numba's own write fails and says so
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def install() -> None:
    """Put :class:`PackageCacheLocator` first among Numba's cache locators (once). Must run
    before the first kernel is defined: a kernel's locator is chosen when it is decorated."""
    classes = caching.CacheImpl._locator_classes
    if PackageCacheLocator not in classes:
        classes.insert(0, PackageCacheLocator)
