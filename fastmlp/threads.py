"""How many cores fastmlp uses.

Two kinds of parallel work, both switched by :func:`set_num_threads`:

* Full-batch gradients and inference on many rows split the rows across threads, each
  running the compiled (GIL-free) kernels on its own slice with its own buffers; the
  per-thread results are summed afterwards (:mod:`fastmlp.parallel`, which has the
  measurements). BLAS is held to one thread inside the slices.
* Large products run through SciPy's BLAS (OpenBLAS), which uses every core by default.

Mini-batch and per-sample training run on one thread: a batch of a few dozen rows is too
little work to share (see bench/README.md). Callers that already run many fits at once --
cross-validation, grid search, batch jobs -- should set one thread here and parallelize
outside.
"""

from __future__ import annotations

import numbers
import os
import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController, threadpool_info

_lock = threading.Lock()
_threads = None  # None: every core this process may run on
_limiter = None  # the BLAS limit set_num_threads configured
_held = 0  # callers inside blas_held_to_one_thread()
_one_thread = None  # their shared one-thread limit
_controller = None  # made once: a fresh scan of the loaded libraries is slow


def set_num_threads(n: int | None) -> None:
    """Set the threads fastmlp uses: its own row-parallel threads and the BLAS threads (the
    BLAS limit applies to any other BLAS user in the process too).

    Parameters
    ----------
    n : int >= 1, or None
        Thread count; None goes back to the defaults (every available core, and the BLAS
        libraries' own settings).

    Notes
    -----
    Results do not depend on the thread count beyond floating-point rounding. Safe to call
    while other threads run fastmlp: a row-parallel pass in progress keeps BLAS at one
    thread, and the new limit applies when the last such pass ends. The BLAS limit changes
    only when this is called from the main thread: OpenBLAS ignores thread-count changes
    made from other threads (tests/test_reliability.py), so from another thread only
    fastmlp's own thread count changes.
    """
    global _threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    with _lock:
        _threads = None if n is None else int(n)
        if _held == 0 and threading.current_thread() is threading.main_thread():
            _apply_configured_limit()


def _blas_controller():
    global _controller
    if _controller is None:
        _load_blas()
        _controller = ThreadpoolController()
    return _controller


def _apply_configured_limit() -> None:
    """(Under _lock.) Replace the BLAS limit by the configured one."""
    global _limiter
    if _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None
    if _threads is not None:
        _limiter = _blas_controller().limit(limits=_threads, user_api="blas")


@contextmanager
def blas_held_to_one_thread():
    """Hold BLAS to one thread while the block runs (row-parallel passes: two threads each
    calling a multi-threaded BLAS oversubscribe the cores). Nested and concurrent uses
    share one limit; the last one out puts back the configured limit -- whatever
    set_num_threads was told meanwhile."""
    global _held, _one_thread, _limiter
    if threading.current_thread() is not threading.main_thread():
        # OpenBLAS (0.3.30, pthreads) ignores thread-count changes made from other threads
        # (tests/test_reliability.py); a limit set and "restored" from here would record the
        # wrong originals, so only the main thread changes it
        yield
        return
    with _lock:
        if _held == 0:
            if _limiter is not None:  # back to the libraries' own settings first, so that
                _limiter.restore_original_limits()  # the one-thread limit restores to them
                _limiter = None
            _one_thread = _blas_controller().limit(limits=1, user_api="blas")
        _held += 1
    try:
        yield
    finally:
        with _lock:
            _held -= 1
            if _held == 0:
                _one_thread.restore_original_limits()
                _one_thread = None
                _apply_configured_limit()


def get_num_threads() -> int:
    """The number of threads fastmlp's row-parallel work uses (see :func:`set_num_threads`)."""
    if _threads is not None:
        return _threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_blas_threads() -> int:
    """The largest thread count among the BLAS libraries loaded in this process."""
    _load_blas()
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else 1


def _load_blas() -> None:
    # Numba binds SciPy's BLAS lazily; importing its Cython interface loads the library so
    # that a limit set before the first large product applies to it too.
    import scipy.linalg.cython_blas  # noqa: F401
