"""The low-level helpers of fastmlp.kernels.indexing, in compiled code."""

import numpy as np
from numba import njit

from fastmlp.kernels.indexing import borrowed, prefetch, unsigned


@njit
def _double_through_borrowed(a):
    alias = borrowed(a)
    view = alias[1:]  # a view of a borrowed array is not reference-counted either
    for i in range(view.shape[0]):
        view[unsigned(i)] *= 2.0
    return alias[unsigned(0)]


def test_borrowed_alias_reads_and_writes_the_original():
    a = np.arange(5.0)
    first = _double_through_borrowed(a)
    assert first == 0.0
    np.testing.assert_array_equal(a, [0.0, 2.0, 4.0, 6.0, 8.0])


@njit
def _sum_with_prefetch(X, rows):
    total = 0.0
    for r in rows:
        prefetch(X, r, 0)
        prefetch(X, r, X.shape[1] - 1)
    for r in rows:
        total += X[r].sum()
    return total


def test_prefetch_changes_nothing():
    X = np.random.default_rng(0).normal(size=(100, 37)).astype(np.float32)
    before = X.copy()
    rows = np.array([99, 3, 50, 0])
    assert np.isclose(_sum_with_prefetch(X, rows), X[rows].sum(dtype=np.float64), rtol=1e-6)
    np.testing.assert_array_equal(X, before)
