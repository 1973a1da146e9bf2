"""Microbenchmarks behind choices recorded in bench/README.md.

    python bench/microbench.py

1. A loop over ``buf[start + i]`` against the same loop over a view ``buf[start:stop]``
   indexed from 0 (Numba's negative-index test blocks vectorization in the first).
2. The cost of launching a 2-thread ``prange`` region against the serial loop, by work size.
3. The vectorizable exp of fastmlp.kernels.fastexp against np.exp in compiled code.

Stand-alone measurement code, not part of the library (whose Numba code lives in
fastmlp/kernels): plain njit functions, compiled once before timing, best of repeats.
"""

import time

import numba
import numpy as np
from numba import njit, prange

from fastmlp.kernels.fastexp import fast_exp

OPTIONS = dict(error_model="numpy", fastmath={"reassoc", "contract"})


@njit(**OPTIONS)
def sigmoid_offset(buf, start, stop):
    for i in range(start, stop):
        buf[i] = 1 / (1 + fast_exp(-buf[i]))


@njit(**OPTIONS)
def sigmoid_view(buf, start, stop):
    z = buf[start:stop]
    for i in range(z.shape[0]):
        z[i] = 1 / (1 + fast_exp(-z[i]))


@njit(**OPTIONS)
def exp_libm(x, out):
    for i in range(x.shape[0]):
        out[i] = np.exp(x[i])


@njit(**OPTIONS)
def exp_fast(x, out):
    for i in range(x.shape[0]):
        out[i] = fast_exp(x[i])


@njit(parallel=True)
def sum_parallel(x, parts):
    partial = np.zeros(parts)
    for t in prange(parts):
        size = x.shape[0] // parts
        acc = 0.0
        for i in range(t * size, (t + 1) * size):
            acc += x[i]
        partial[t] = acc
    return partial.sum()


@njit
def sum_serial(x):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
    return acc


def best(work, repeats=20):
    work()
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main():
    x = np.random.default_rng(0).normal(size=1_000_000).astype(np.float32)
    for name, fn in (("offset indexing", sigmoid_offset), ("view from 0", sigmoid_view)):
        seconds = best(lambda: fn(x, 0, x.size))
        print(f"sigmoid float32, {name}: {seconds / x.size * 1e9:.2f} ns/element")
    for dtype in (np.float64, np.float32):
        y = x.astype(dtype)
        out = np.empty_like(y)
        for name, fn in (("np.exp", exp_libm), ("fast_exp", exp_fast)):
            seconds = best(lambda: fn(y, out))
            print(f"{name} {dtype.__name__}: {seconds / y.size * 1e9:.2f} ns/element")
    print(f"prange on {numba.get_num_threads()} threads:")
    for n in (32, 1024, 32_768, 1_048_576):
        v = np.random.default_rng(1).random(n)
        par = best(lambda: sum_parallel(v, 2))
        ser = best(lambda: sum_serial(v))
        print(f"  {n:>9} additions: parallel {par * 1e6:8.2f} us, serial {ser * 1e6:8.2f} us")
    print("threading layer:", numba.threading_layer())


if __name__ == "__main__":
    main()
