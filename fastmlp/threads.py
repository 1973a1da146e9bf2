"""How many cores fastmlp uses.

Large layers run through SciPy's BLAS (OpenBLAS), which multiplies on every core by default;
small layers and the per-sample loop run on one core, where threads would cost more than they
save (see bench/README.md). Callers that already run many fits at once -- cross-validation,
grid search, batch jobs -- should set one thread here and parallelize outside.
"""

from __future__ import annotations

import numbers

from threadpoolctl import threadpool_info, threadpool_limits

_limiter = None


def set_num_threads(n: int | None) -> None:
    """Limit the BLAS threads used by fastmlp's kernels (and any other BLAS in the process).

    Parameters
    ----------
    n : int >= 1, or None
        Thread count; None lifts the limit again (the libraries' own defaults).

    Results do not depend on the thread count beyond floating-point rounding.
    """
    global _limiter
    if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if _limiter is not None:
        _limiter.restore_original_limits()
        _limiter = None
    if n is not None:
        _load_blas()
        _limiter = threadpool_limits(limits=int(n), user_api="blas")


def get_num_threads() -> int:
    """The largest thread count among the BLAS libraries loaded in this process."""
    _load_blas()
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else 1


def _load_blas() -> None:
    # Numba binds SciPy's BLAS lazily; importing its Cython interface loads the library so
    # that a limit set before the first large product applies to it too.
    import scipy.linalg.cython_blas  # noqa: F401
