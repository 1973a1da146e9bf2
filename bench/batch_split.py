"""Would splitting a mini-batch's rows across threads beat the BLAS's own threads?

    python bench/batch_split.py

A NumPy model of one 256-row batch of the 784-512-512-10 case (float32, tanh, forward and
backward products): BLAS on two threads, BLAS on one, and two Python threads of 128 rows
with one BLAS thread each; best of 30, us per sample, three rounds.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from fastmlp.bench.runners import best_of

SIZES = (784, 512, 512, 10)


def batch(X, W):
    """Forward and backward products of the rows X: the per-layer weight gradients."""
    acts = [X]
    for w in W:
        acts.append(np.tanh(acts[-1] @ w))
    delta = acts[-1].copy()
    grads = []
    for layer in range(len(W) - 1, -1, -1):
        grads.append(acts[layer].T @ delta)
        if layer:
            delta = (delta @ W[layer].T) * (1 - acts[layer] ** 2)
    return grads



def main():
    rng = np.random.default_rng(0)
    W = [rng.normal(size=(a, b)).astype(np.float32) * 0.05
         for a, b in zip(SIZES[:-1], SIZES[1:])]
    X = rng.normal(size=(256, SIZES[0])).astype(np.float32)
    pool = ThreadPoolExecutor(2)
    for _ in range(3):
        with threadpool_limits(2):
            two_blas = best_of(lambda: batch(X, W), 30)
        with threadpool_limits(1):
            one_blas = best_of(lambda: batch(X, W), 30)
            split = best_of(lambda: list(pool.map(lambda rows: batch(rows, W),
                                                  (X[:128], X[128:]))), 30)
        print(f"BLAS on 2 threads {two_blas / 256 * 1e6:.1f}, on 1 thread "
              f"{one_blas / 256 * 1e6:.1f}, 2 Python threads of 128 rows "
              f"{split / 256 * 1e6:.1f} us/sample")


if __name__ == "__main__":
    main()
