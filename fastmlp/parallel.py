"""Row-parallel full-data work: loss, gradient and forward pass over many rows.

The rows are cut into one contiguous slice per thread; each thread runs the compiled kernel
(which releases the GIL) on its slice with its own buffers, and the slices' means are then
combined, weighted by their row counts. Only the summation order changes, so results agree
with one thread to rounding (``tests/test_threads.py``).

The split pays on this project's 2-core machine for every network measured, as long as BLAS
is held to one thread inside the slices (``python bench/microbench.py``, section 6; a
full-batch gradient over 20,000 float32 rows, one thread against two, over three runs):
3-4-2 0.8-1.3x, 64-32-10 1.2-1.5x, 256-64-10 1.4-1.6x, 784-128-10 1.1-1.2x, 64-256-256-10
1.1-1.3x. Without that limit, two threads each calling a two-thread BLAS oversubscribe the
cores: 64-256-256-10 then ran at 0.4x. Each thread gets at least ``MIN_ROWS_PER_THREAD`` rows,
so that a slice's work outweighs handing it to a thread (tens of microseconds).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from .kernels import epochs
from .kernels.updates import inplace_add_penalty
from .layout import LOSSES
from .threads import get_num_threads

#: Each thread gets at least this many rows (8 chunks of the kernels; 3-4-2, the cheapest
#: network per row, takes about 60 us for them).
MIN_ROWS_PER_THREAD = 2048

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_workers = 0
_blas_controller = None  # made once: a fresh scan of the loaded libraries costs ~0.8 ms
_blas_limit = None  # the active one-thread BLAS limit, shared by concurrent callers
_blas_users = 0


def threads_for(net, n_rows: int) -> int:
    """How many threads to split ``n_rows`` rows of ``net``'s work across (1: don't)."""
    return max(1, min(get_num_threads(), n_rows // MIN_ROWS_PER_THREAD))


def row_bounds(n_rows: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous (start, stop) slices covering 0..n_rows, sizes differing by <= 1."""
    edges = np.linspace(0, n_rows, parts + 1).round().astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def _run(job, parts: int) -> list:
    """job(0..parts-1) on the shared pool, with BLAS held to one thread meanwhile.

    Safe to call from several threads at once (fits running in a thread pool): the pool only
    grows, and the BLAS limit is set by the first caller in and lifted by the last one out.
    """
    global _pool, _pool_workers, _blas_controller, _blas_limit, _blas_users
    with _lock:
        if _pool is None or _pool_workers < parts:
            if _pool is not None:
                _pool.shutdown(wait=False)  # its running jobs finish; new ones go here
            _pool = ThreadPoolExecutor(max_workers=parts, thread_name_prefix="fastmlp")
            _pool_workers = parts
        pool = _pool
        if _blas_controller is None:
            import scipy.linalg.cython_blas  # noqa: F401  (load SciPy's BLAS to limit it too)

            _blas_controller = ThreadpoolController()
        if _blas_users == 0:
            _blas_limit = _blas_controller.limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        return list(pool.map(job, range(parts)))
    finally:
        with _lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def buffers(net, n_rows: int, parts: int) -> list[tuple]:
    """Per-thread chunk buffers (see ``MLP._chunk_buffers``) for ``n_rows`` split ``parts``
    ways."""
    return [net._chunk_buffers(stop - start) for start, stop in row_bounds(n_rows, parts)]


def loss_and_gradient(net, theta, X, Y, l1, l2, need_grad, thread_buffers, grad):
    """Mean loss plus penalty over the rows of (X, Y) at ``theta``, and, if ``need_grad``,
    its gradient written into ``grad``; the rows split across ``len(thread_buffers)``
    threads. Same value as :func:`fastmlp.kernels.epochs.loss_and_gradient`."""
    layout = net._layout_args()
    loss_code = LOSSES[net.loss_name]
    n = X.shape[0]
    bounds = row_bounds(n, len(thread_buffers))

    def job(k):
        start, stop = bounds[k]
        chunk, acts, deltas, scratch, part_grad = thread_buffers[k]
        value = epochs.loss_and_gradient(theta, X[start:stop], Y[start:stop], *layout,
                                         loss_code, acts, deltas, part_grad, scratch, chunk,
                                         0.0, 0.0, need_grad)
        return value, part_grad

    results = _run(job, len(thread_buffers))
    loss = 0.0
    for (start, stop), (value, part_grad) in zip(bounds, results):
        weight = (stop - start) / n
        loss += weight * value
        if need_grad:
            if start == 0:
                np.multiply(part_grad, weight, out=grad, casting="same_kind")
            else:
                grad += part_grad * grad.dtype.type(weight)
    if need_grad:
        loss += inplace_add_penalty(theta, grad, *layout[:2], l1, l2)
    elif l1 != 0.0 or l2 != 0.0:
        scratch = thread_buffers[0][3]
        loss += inplace_add_penalty(theta, scratch[: theta.shape[0]], *layout[:2], l1, l2)
    return loss


def forward(net, theta, X, out, thread_buffers):
    """Network outputs for every row of X into ``out``, the rows split across threads."""
    layout = net._layout_args()
    bounds = row_bounds(X.shape[0], len(thread_buffers))

    def job(k):
        start, stop = bounds[k]
        chunk, acts = thread_buffers[k][0], thread_buffers[k][1]
        epochs.forward(theta, X[start:stop], *layout, acts, chunk, out[start:stop])

    _run(job, len(thread_buffers))
    return out
