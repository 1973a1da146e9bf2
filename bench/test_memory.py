"""Nothing inside an epoch allocates: Numba's runtime counts its allocations, and a kernel
call allocates exactly one wrapper per array it is given (each array field of a named-tuple
argument counts) however many rows or steps it runs."""

import numpy as np
import pytest
from numba.core.runtime import _nrt_python, rtsys

import fastmlp


@pytest.fixture(autouse=True)
def nrt_stats():
    was_enabled = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()
    yield
    if not was_enabled:
        _nrt_python.memsys_disable_stats()


def allocations(work):
    work()  # compile first
    before = rtsys.get_allocation_stats()
    work()
    after = rtsys.get_allocation_stats()
    assert after.alloc - before.alloc == after.free - before.free  # nothing leaked
    return after.alloc - before.alloc


@pytest.fixture
def one_thread():
    fastmlp.set_num_threads(1)
    yield
    fastmlp.set_num_threads(None)


@pytest.mark.parametrize("batch_size,extra", [(1, {}), (7, {}), (None, {}),
                                              (1, dict(l2=0.01)),
                                              (16, dict(optimizer="nesterov", clip_norm=1.0)),
                                              (1, dict(optimizer="adam")),
                                              (7, dict(optimizer="adam", clip_value=0.5)),
                                              (1, dict(sample_weight="ones"))])
@pytest.mark.filterwarnings(  # Adam per sample on uniform noise saturates units: expected
    "ignore:fastmlp. after training, .* units are saturated:UserWarning")
def test_epoch_allocations_do_not_grow_with_rows_or_steps(batch_size, extra, one_thread):
    rng = np.random.default_rng(0)
    counts = []
    for n in (50, 5_000):
        X, Y = rng.normal(size=(n, 8)), rng.uniform(size=(n, 3))
        net = fastmlp.MLP((8, 16, 3), seed=0)
        options = {**extra, **({"sample_weight": np.ones(n)} if "sample_weight" in extra
                               else {})}
        counts.append(allocations(
            lambda: net.fit(X, Y, batch_size=batch_size, epochs=1, **options)))
    # one Numba wrapper per array the epoch kernel is given, whatever N and the step count:
    # Data 3, params, slots, order, Network 6, norm sums, and the engine's buffers (chunked:
    # 4 in its Chunk, so 17; per-sample: 6 in its PerSampleBlock, so 19, and 20 with sample
    # weights, which it takes as an argument of their own)
    assert counts[0] == counts[1] <= 20


def test_row_parallel_full_batch_allocations_do_not_grow_with_rows():
    rng = np.random.default_rng(0)
    counts = []
    fastmlp.set_num_threads(2)
    try:
        for n in (5_000, 20_000):  # both split across 2 threads (fastmlp.parallel)
            X, Y = rng.normal(size=(n, 8)), rng.uniform(size=(n, 3))
            net = fastmlp.MLP((8, 16, 3), seed=0)
            counts.append(allocations(lambda: net.fit(X, Y, batch_size=None, epochs=1)))
    finally:
        fastmlp.set_num_threads(None)
    # the wrappers of 2 slice-gradient calls (14 arrays each: params, Data 3, Network 6,
    # Chunk 4; plus the row order each builds), the penalty (8 arrays) and the update (10),
    # called from Python: 48
    assert counts[0] == counts[1] <= 48


def test_more_epochs_allocate_per_epoch_not_per_step(one_thread):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(500, 8)), rng.uniform(size=(500, 3))
    net = fastmlp.MLP((8, 16, 3), seed=0)
    one = allocations(lambda: net.fit(X, Y, batch_size=4, epochs=1))
    five = allocations(lambda: net.fit(X, Y, batch_size=4, epochs=5))
    assert five == 5 * one


@pytest.mark.parametrize("threads", [1, 2])
def test_inference_and_gradient_allocate_independently_of_rows(threads):
    fastmlp.set_num_threads(threads)
    rng = np.random.default_rng(0)
    counts = []
    try:
        for n in (5_000, 30_000):  # split across the threads in both cases when threads=2
            X, Y = rng.normal(size=(n, 8)), rng.uniform(size=(n, 3))
            net = fastmlp.MLP((8, 300, 3), seed=0)  # wide enough for the BLAS branch
            counts.append((allocations(lambda: net.forward(X)),
                           allocations(lambda: net.gradient(X, Y))))
    finally:
        fastmlp.set_num_threads(None)
    assert counts[0] == counts[1]
