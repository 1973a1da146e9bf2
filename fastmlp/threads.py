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

from threadpoolctl import threadpool_info, threadpool_limits

_limiter = None
_threads = None  # None: every core this process may run on


def set_num_threads(n: int | None) -> None:
    """Set the threads fastmlp uses: its own row-parallel threads and the BLAS threads (the
    BLAS limit applies to any other BLAS user in the process too).

    Parameters
    ----------
    n : int >= 1, or None
        Thread count; None goes back to the defaults (every available core, and the BLAS
        libraries' own settings).

    Results do not depend on the thread count beyond floating-point rounding.
    """
    global _limiter, _threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None
    _threads = None if n is None else int(n)
    if n is not None:
        _load_blas()
        _limiter = threadpool_limits(limits=int(n), user_api="blas")


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
