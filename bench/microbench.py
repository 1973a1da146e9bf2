"""Microbenchmarks behind choices recorded in bench/README.md.

    python bench/microbench.py

1. A loop over ``buf[start + i]`` against the same loop over a view ``buf[start:stop]``
   indexed from 0 (Numba's negative-index test blocks vectorization in the first).
2. The cost of launching a 2-thread ``prange`` region against the serial loop, by work size.
3. The vectorizable exp of fastmlp.kernels.fastexp against np.exp in compiled code.
4. 4K aliasing in per-sample SGD (3-4-2 network): the per-sample kernel with its gradient-norm
   sums placed at each offset modulo 4096 bytes from its work buffer (colliding with the
   parameters and activations for offsets below the buffer's ~800 bytes), then the same kernel
   called from different C-stack depths (the residual effect: see bench/README.md).
5. The epoch shuffle against Fisher-Yates with Numba's np.random.randint.
6. A full-batch gradient over 20,000 rows on one thread (BLAS on its default threads) against
   the rows split across two threads (fastmlp.parallel), by network size.

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


@njit
def shuffle_randint(order, seed):
    np.random.seed(seed)
    for i in range(order.shape[0] - 1, 0, -1):
        j = np.random.randint(0, i + 1)
        order[i], order[j] = order[j], order[i]


def per_sample_placement():
    """ns/sample of per-sample SGD on 4000 rows of the 3-4-2 network, by placement."""
    import fastmlp
    from fastmlp.kernels import per_sample

    n_rows = 4000
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(n_rows, 3)), rng.uniform(size=(n_rows, 2))
    net = fastmlp.MLP((3, 4, 2), activation="sigmoid", output_activation="sigmoid", seed=0)
    n_params, n_units = net.n_params, int(net.layout.u_off[-1])
    work, _ = per_sample.workspace(n_params, n_units, 2, np.float64)
    arena = np.zeros(4 * 4096, np.uint8)  # room to put the norm sums anywhere in a page

    def run(norm_sums):
        args = (X, Y, net.params, np.zeros(n_params), np.arange(n_rows), 5,
                *net._layout_args(), 0, 0, 0, 0.1, 1.0, 0.9, 0.0, 0, 1 << 62, norm_sums,
                np.empty((n_rows, 3)), np.empty((n_rows, 2)), np.arange(n_rows), work)
        return best(lambda: per_sample.train_epoch_per_sample(*args), 40) / n_rows * 1e9

    base = (work.ctypes.data - arena.ctypes.data) % 4096
    cells = []
    for offset in range(0, 4096, 256):
        start = 4096 + base + offset
        cells.append(f"{offset}:{run(arena[start : start + 16].view(np.float64)):.0f}")
    print("per-sample 3-4-2, norm sums at offset (bytes, mod 4096) from the work buffer -> "
          "ns/sample:\n  " + " ".join(cells))
    _, norm_sums = per_sample.workspace(n_params, n_units, 2, np.float64)
    work[:] = 0.0

    def nested(depth):  # each level adds C frames (map -> lambda) under the kernel call
        if depth == 0:
            return run(norm_sums)
        return list(map(lambda _: nested(depth - 1), [0]))[0]

    print("per-sample 3-4-2 (contiguous work buffer) called at C-stack depths 0..15 -> "
          "ns/sample:\n  " + " ".join(f"{nested(d):.0f}" for d in range(16)))


def row_parallel_gradient():
    """Full-batch gradient, 20,000 rows: serial kernel against the 2-thread split."""
    import fastmlp
    from fastmlp import parallel
    from fastmlp.kernels import epochs
    from fastmlp.layout import LOSSES

    rng = np.random.default_rng(0)
    n = 20_000
    for sizes in ((3, 4, 2), (64, 32, 10), (256, 64, 10), (784, 128, 10), (64, 256, 256, 10)):
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        Y = fastmlp.one_hot(rng.integers(0, sizes[-1], n), sizes[-1]).astype(np.float32)
        net = fastmlp.MLP(sizes, output_activation="softmax", loss="cross_entropy",
                          dtype="float32", seed=0)
        chunk, acts, deltas, scratch, grad = net._chunk_buffers(n)
        serial = best(lambda: epochs.loss_and_gradient(
            net.params, X, Y, *net._layout_args(), LOSSES[net.loss_name], acts, deltas, grad,
            scratch, chunk, 0.0, 0.0, True), 10)
        split = parallel.buffers(net, n, 2)
        two = best(lambda: parallel.loss_and_gradient(net, net.params, X, Y, 0.0, 0.0, True,
                                                      split, grad), 10)
        macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        print(f"full-batch gradient {'-'.join(map(str, sizes))} ({macs} MACs/row): "
              f"1 thread {serial / n * 1e9:.0f} ns/row, 2 threads {two / n * 1e9:.0f} ns/row "
              f"({serial / two:.2f}x)")


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
    per_sample_placement()
    from fastmlp.kernels.dense import shuffle_rows

    order = np.arange(20_000)
    for name, fn in (("np.random.randint", shuffle_randint), ("SplitMix64 + Lemire", shuffle_rows)):
        seconds = best(lambda: fn(order, 3))
        print(f"shuffle of 20,000 rows, {name}: {seconds / order.size * 1e9:.1f} ns/row")
    row_parallel_gradient()


if __name__ == "__main__":
    main()
