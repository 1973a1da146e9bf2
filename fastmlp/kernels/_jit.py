"""The one place where compilation options are set.

Every compiled function uses ``kernel``: cached on disk, releasing the GIL (so threads can
train several networks at once), with NumPy's error model (division by zero gives inf or NaN,
which divergence detection then sees, instead of raising inside compiled code).

fastmath is limited to ``reassoc`` and ``contract``: reassociation lets LLVM vectorize the
sums over rows and units (dot products, bias gradients), contraction lets it fuse multiply-adds.
The ``nnan``/``ninf`` flags stay off: they would let LLVM assume away the NaN and inf that
divergence detection looks for (see bench/README.md for what was measured).
"""

import os
import pickle
import warnings

from numba import njit
from numba.core.runtime import rtsys

from . import cache, prebuilt, target

# before Numba compiles or loads anything: the CPU every kernel is compiled for (an ISA level,
# so the kernels shipped for that level are this machine's own code)
LEVEL = target.apply()
# before the first kernel is defined: a kernel's cache location is chosen when it is decorated
cache.install()
# the kernels shipped with the package for this level, looked up after this installation's own
SHIPPED = prebuilt.shipped_folder(LEVEL)

FASTMATH = {"reassoc", "contract"}
OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=FASTMATH)

_warned: set[str] = set()


def _warn_once(kind: str, message: str) -> None:
    if kind not in _warned:
        _warned.add(kind)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


def _compiler(**options):
    """``njit`` with :data:`OPTIONS` and ``options``, made safe for locked-down systems:

    * no writable cache location (a read-only install, an unwritable HOME and
      NUMBA_CACHE_DIR): Numba refuses ``cache=True`` at definition time, which would make
      ``import fastmlp`` fail; the kernels are then compiled without the disk cache (in every
      new process), with one warning saying so;
    * a corrupted cache file (truncated, overwritten): Numba's unpickling error would break
      every call; the file is treated as a cache miss -- deleted, recompiled and rewritten --
      with one warning naming it.
    """
    def decorate(function):
        try:
            dispatcher = njit(**{**OPTIONS, **options})(function)
        except RuntimeError as error:
            if "cannot cache" not in str(error):
                raise
            _warn_once("no cache", (
                f"fastmlp: no writable location for Numba's kernel cache ({error}); kernels "
                "are compiled in every new process. Set NUMBA_CACHE_DIR to a writable "
                "directory to keep them."))
            dispatcher = njit(**{**OPTIONS, **options, "cache": False})(function)
        _tolerate_corrupt_cache(dispatcher)
        _load_without_refresh(dispatcher)
        return dispatcher
    return decorate


def _tolerate_corrupt_cache(dispatcher) -> None:
    """Make the dispatcher's cache file object treat an unreadable index or data file as a
    miss (see :func:`_compiler`), and write its entries under an inter-process lock
    (:func:`fastmlp.kernels.cache.exclusive`). Uses Numba's cache internals where they are
    as expected (``tests/test_reliability.py`` checks the behaviour); otherwise leaves
    Numba's own."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None or not all(hasattr(cache_file, name)
                                     for name in ("_load_index", "_load_data", "_data_path")):
        return
    load_index, load_data = cache_file._load_index, cache_file._load_data
    save = cache_file.save
    unreadable = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                  ImportError, IndexError, KeyError)

    def _discard(path, error):
        _warn_once("corrupt " + str(path), (
            f"fastmlp: the kernel cache file {path} is unreadable ({type(error).__name__}: "
            f"{error}); it was deleted and the kernel is compiled again"))
        try:
            os.remove(path)
        except OSError:
            pass

    def safe_load_index():
        try:
            return load_index()
        except unreadable as error:
            _discard(cache_file._index_path, error)
            return {}

    def safe_load_data(name):
        try:
            return load_data(name)
        except unreadable as error:
            _discard(cache_file._data_path(name), error)
            return None

    def locked_save(key, data):
        with cache.exclusive(cache_file._cache_path):
            return save(key, data)

    cache_file._load_index = safe_load_index
    cache_file._load_data = safe_load_data
    if hasattr(cache_file, "_cache_path"):
        cache_file.save = locked_save


def _load_without_refresh(dispatcher) -> None:
    """Load the dispatcher's cached kernels without Numba's target-context refresh.

    Before every cache load Numba refreshes its target context: it imports and installs every
    registry of implementations it could need to *compile* (NumPy's, SciPy's BLAS check,
    random, typed containers...), about 0.35 s in a new process -- most of a warm first fit
    (bench/README.md, "Warm start"). A cached kernel is already compiled: loading it needs
    only the runtime its code calls into (NRT, initialized here). Every compile still goes
    through Numba's compiler, which refreshes the context itself. A kernel this installation's
    cache misses is looked up next in the set shipped with the package
    (:mod:`fastmlp.kernels.prebuilt`). Left as Numba's own when
    its cache object is not as expected (``tests/test_kernel_cache.py`` checks the loads).
    """
    cache = getattr(dispatcher, "_cache", None)
    if cache is None or not all(hasattr(cache, name) for name in (
            "load_overload", "_load_overload", "_guard_against_spurious_io_errors")):
        return

    def load_overload(sig, target_context):
        rtsys.initialize(target_context)
        with cache._guard_against_spurious_io_errors():
            found = cache._load_overload(sig, target_context)
            if found is None and SHIPPED is not None:
                found = prebuilt.load(cache, sig, target_context, SHIPPED)
            return found
        return None  # the guard swallowed a spurious I/O error: a miss, as in Numba

    cache.load_overload = load_overload
    # Numba imports every installed package that registers a Numba extension (pydata/sparse,
    # awkward...) before a dispatcher's first call, even one the cache serves; fastmlp's
    # kernels take only NumPy arrays and scalars, and a compile loads the extensions anyway
    # (the compiler's context refresh does)
    if hasattr(dispatcher, "_compilation_chain_init_hook"):
        dispatcher._compilation_chain_init_hook = _no_extensions_needed


def _no_extensions_needed() -> None:
    """Stands in for Numba's extension loading before a fastmlp kernel's first call."""


kernel = _compiler()
#: For a kernel that only other kernels call: no CPython wrapper (the code that converts
#: Python arguments) is generated for it, which shortens its compile.
internal = _compiler(no_cpython_wrapper=True)
#: For a helper that two drivers share: copied into each at the IR level, which compiles
#: faster than linking (and re-optimizing) one more layer of compiled functions. Not nested
#: more than one level deep: Numba copies a callee's IR block by block with its whole scope,
#: so a copy of a helper that has helpers copied into it costs far more (bench/README.md,
#: "Cold start: three cuts"; tests/test_compile_rules.py holds each driver to its depth).
inlined = _compiler(inline="always")
#: For a kernel whose results must be the same bits however it is compiled: no fastmath, so
#: LLVM keeps every operation's IEEE rounding and order whatever it knows about the values
#: (the per-sample kernel, compiled both for any network and for one network's constant
#: sizes; :mod:`fastmlp.engines.per_sample`). Helpers copied into it take its flags;
#: multiply-adds that should fuse are written as :func:`fastmlp.kernels.fma.fma`.
exact = _compiler(fastmath=False)
#: :data:`internal` compiled like :data:`exact`.
exact_internal = _compiler(no_cpython_wrapper=True, fastmath=False)
