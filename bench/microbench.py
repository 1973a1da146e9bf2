"""Microbenchmarks behind choices recorded in bench/README.md.

    python bench/microbench.py

1. A loop over ``buf[start + i]`` against the same loop over a view ``buf[start:stop]``
   indexed from 0 (Numba's negative-index test blocks vectorization in the first).
2. The cost of launching a 2-thread ``prange`` region against the serial loop, by work size.
3. The vectorizable exp of fastmlp.kernels.fastexp against np.exp in compiled code.
4. Per-sample SGD (3-4-2 network) over time: the per-sample engine's kernel and a
   hand-written loop, interleaved in rounds (the host's time-varying slow state: see
   bench/README.md).
5. The epoch shuffle against Fisher-Yates with Numba's np.random.randint.
6. A full-batch gradient over 20,000 rows on one thread (BLAS on its default threads) against
   the rows split across two threads (fastmlp.parallel), by network size.
7. Shuffled against in-order mini-batch epochs by N (the next chunk's rows are prefetched).

Stand-alone measurement code, not part of the library (whose Numba code lives in
fastmlp/kernels): plain njit functions, compiled once before timing; best of repeats,
or medians of rounds where variants are interleaved call by call (sections 4 and 7).
"""

import time

import numba
import numpy as np
from numba import njit, prange

from fastmlp.kernels.fastexp import fast_exp
from fastmlp.kernels.rng import shuffle_rows

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


@njit(**OPTIONS)
def hand_written_3_4_2(X, Y, W1, b1, W2, b2, lr):
    """Per-sample SGD of the 3-4-2 sigmoid network with half squared error, every size a
    constant: the floor the general kernel is compared with (no norms, no checks)."""
    h = np.empty(4)
    d2 = np.empty(2)
    loss = 0.0
    for s in range(X.shape[0]):
        for j in range(4):
            z = b1[j]
            for i in range(3):
                z += X[s, i] * W1[i, j]
            h[j] = 1.0 / (1.0 + fast_exp(-z))
        for k in range(2):
            z = b2[k]
            for j in range(4):
                z += h[j] * W2[j, k]
            o = 1.0 / (1.0 + fast_exp(-z))
            e = o - Y[s, k]
            loss += 0.5 * e * e
            d2[k] = e * o * (1.0 - o)
        for j in range(4):
            d1 = (W2[j, 0] * d2[0] + W2[j, 1] * d2[1]) * h[j] * (1.0 - h[j])
            for k in range(2):
                W2[j, k] -= lr * h[j] * d2[k]
            for i in range(3):
                W1[i, j] -= lr * X[s, i] * d1
            b1[j] -= lr * d1
        for k in range(2):
            b2[k] -= lr * d2[k]
    return loss


def per_sample_over_time(rounds=30):
    """Per-sample SGD, 3-4-2 network, 4000 rows: the engine's compiled epoch against the
    hand-written loop, interleaved call by call; one line per round of 20 calls each."""
    import fastmlp
    from fastmlp.config import FitConfig
    from fastmlp.engines.per_sample import PerSampleEngine
    from fastmlp.kernels.structs import Data
    from fastmlp.state import OptimizerState
    from fastmlp.workspace import Workspace

    n_rows = 4000
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(n_rows, 3)), rng.uniform(size=(n_rows, 2))
    net = fastmlp.MLP((3, 4, 2), activation="sigmoid", output_activation="sigmoid", seed=0)
    engine = PerSampleEngine(Workspace(net.network, net.dtype), Data(X, Y, np.empty(0)),
                             FitConfig(learning_rate=0.1))
    params = net.params.copy()
    state = OptimizerState.fresh("sgd", net.n_params, net.dtype)
    norm_sums = np.zeros(2)

    hand_params = [rng.normal(size=shape) * 0.5 for shape in ((3, 4), (4,), (4, 2), (2,))]
    runners = {
        "kernel": lambda: engine.run_epoch(params, state, 5, norm_sums),
        "hand-written": lambda: hand_written_3_4_2(X, Y, *hand_params, 0.1),
    }
    for run in runners.values():
        run()
    print("per-sample 3-4-2, ns/sample, median of each round of 20 interleaved calls "
          "(the engine's kernel / hand-written):")
    medians = []
    for _ in range(rounds):
        times = {name: [] for name in runners}
        for _ in range(20):
            for name, run in runners.items():
                began = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - began) / n_rows * 1e9)
        medians.append([np.median(t) for t in times.values()])
        time.sleep(0.2)
    medians = np.array(medians)
    print("  " + " ".join("/".join(f"{v:.0f}" for v in row) for row in medians))
    fastest = medians.min(axis=0)
    slow = medians[:, 0] > 1.3 * fastest[0]
    print(f"  rounds with the kernel over 1.3x its best: {slow.sum()} of {rounds}")
    for label, rows in (("slow", slow), ("fast", ~slow)):
        if rows.any():
            print(f"  {label} rounds, mean ns/sample: kernel {medians[rows, 0].mean():.0f}, "
                  f"hand-written {medians[rows, 1].mean():.0f}")
    return medians


def row_parallel_gradient():
    """Full-batch gradient, 20,000 rows: serial kernel against the 2-thread split."""
    import fastmlp
    from fastmlp.full_data import FullDataPass
    from fastmlp.kernels.structs import Data
    from fastmlp.workspace import Workspace

    rng = np.random.default_rng(0)
    n = 20_000
    for sizes in ((3, 4, 2), (64, 32, 10), (256, 64, 10), (784, 128, 10), (64, 256, 256, 10)):
        X = rng.normal(size=(n, sizes[0])).astype(np.float32)
        Y = fastmlp.one_hot(rng.integers(0, sizes[-1], n), sizes[-1]).astype(np.float32)
        net = fastmlp.MLP(sizes, output_activation="softmax", loss="cross_entropy",
                          dtype="float32", seed=0)
        data = Data(X, Y, np.empty(0, np.float32))
        passes = {}
        for threads in (1, 2):
            fastmlp.set_num_threads(threads)
            passes[threads] = FullDataPass(Workspace(net.network, net.dtype), data)
        fastmlp.set_num_threads(None)  # BLAS on its default threads for the serial pass
        serial = best(lambda: passes[1].loss_and_gradient(net.params), 10)
        two = best(lambda: passes[2].loss_and_gradient(net.params), 10)
        macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        print(f"full-batch gradient {'-'.join(map(str, sizes))} ({macs} MACs/row): "
              f"1 thread {serial / n * 1e9:.0f} ns/row, 2 threads {two / n * 1e9:.0f} ns/row "
              f"({serial / two:.2f}x)")


def shuffled_epochs_by_size():
    """Mini-batch 64-32-10 / 32 epochs, float32, shuffled and in order, by N (interleaved)."""
    from dataclasses import replace

    import fastmlp
    from fastmlp.bench.cases import CASES_BY_NAME

    case = CASES_BY_NAME["mini-batch 64-32-10 /32"]
    data = {n: replace(case, n_samples=n).data() for n in (5_000, 20_000, 80_000)}
    net = fastmlp.MLP((64, 32, 10), "sigmoid", "softmax", "cross_entropy", dtype="float32",
                      seed=0)
    start = net.params.copy()
    times = {(n, shuffle): [] for n in data for shuffle in (True, False)}
    for _ in range(9):
        for n, (X, Y) in data.items():
            for shuffle in (True, False):
                net.params = start
                began = time.perf_counter()
                net.fit(X, Y, batch_size=32, epochs=1, learning_rate=0.1, shuffle=shuffle,
                        seed=0)
                times[n, shuffle].append((time.perf_counter() - began) / n * 1e9)
    for (n, shuffle), t in times.items():
        print(f"mini-batch 64-32-10 / 32, N={n}, {'shuffled' if shuffle else 'in order'}: "
              f"min {np.min(t[1:]):.0f}, median {np.median(t[1:]):.0f} ns/sample")


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
    per_sample_over_time()
    order = np.arange(20_000)
    for name, fn in (("np.random.randint", shuffle_randint), ("SplitMix64 + Lemire", shuffle_rows)):
        seconds = best(lambda: fn(order, 3))
        print(f"shuffle of 20,000 rows, {name}: {seconds / order.size * 1e9:.1f} ns/row")
    row_parallel_gradient()
    shuffled_epochs_by_size()


if __name__ == "__main__":
    main()
