"""Row splitting across threads: how many threads a pass over n rows gets, which rows each
takes, and the shared pool that runs the slices.

The rows are cut into one contiguous slice per thread; each thread runs a compiled kernel
(which releases the GIL) on its slice with its own buffers (:mod:`fastmlp.full_data`). BLAS
is held to one thread inside the slices: two threads each calling a multi-threaded BLAS
oversubscribe the cores. Each thread gets at least ``MIN_ROWS_PER_THREAD`` rows, so that a
slice's work outweighs handing it to a thread. The measurements behind both choices are in
bench/README.md ("Threads: rows split across Python threads").
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .threads import blas_held_to_one_thread, get_num_threads

#: Each thread gets at least this many rows (8 chunks of the kernels).
MIN_ROWS_PER_THREAD = 2048

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0


def threads_for(n_rows: int) -> int:
    """How many threads to split a pass over ``n_rows`` rows across (1: don't)."""
    return max(1, min(get_num_threads(), n_rows // MIN_ROWS_PER_THREAD))


def row_bounds(n_rows: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous (start, stop) slices covering 0..n_rows, sizes differing by <= 1."""
    edges = np.linspace(0, n_rows, parts + 1).round().astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def run_parts(job, parts: int) -> list:
    """job(0..parts-1) on the shared pool, with BLAS held to one thread meanwhile
    (:func:`fastmlp.threads.blas_held_to_one_thread`).

    Safe to call from several threads at once (fits running in a thread pool): the pool only
    grows. A pool that is outgrown is not shut down -- another caller may be about to map
    onto it -- but dropped: its idle threads exit when the last caller holding it lets it go.
    """
    global _pool, _pool_workers
    with _lock:
        if _pool is None or _pool_workers < parts:
            _pool = ThreadPoolExecutor(max_workers=parts, thread_name_prefix="fastmlp")
            _pool_workers = parts
        pool = _pool
    with blas_held_to_one_thread():
        return list(pool.map(job, range(parts)))
