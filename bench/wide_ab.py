"""The wide cases timed outside the sweep's harness: a 784-512-512-10 fit of 4,096 rows at batch
256 (best of 5 epochs) and a 784-128-10 predict of 4,096 rows (best of 20), ns/sample.

    PYTHONPATH=<tree> FASTMLP_SPECIALIZE=0 python bench/wide_ab.py <label>
"""

import sys
import time

import numpy as np

import fastmlp


def best_of(repeats, call) -> float:
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4096, 784))
    Y = np.eye(10)[rng.integers(0, 10, 4096)]
    wide = fastmlp.MLP((784, 512, 512, 10), "relu", "softmax", "cross_entropy", seed=0)
    fit = lambda: wide.fit(X, Y, batch_size=256, epochs=1, seed=0)  # noqa: E731
    fit()
    narrow = fastmlp.MLP((784, 128, 10), "relu", "softmax", "cross_entropy", seed=0)
    narrow.predict(X)
    per_row = 1e9 / len(X)
    print(sys.argv[1] if len(sys.argv) > 1 else "", f"wide fit {best_of(5, fit) * per_row:.0f} "
          f"ns/sample, forward {best_of(20, lambda: narrow.predict(X)) * per_row:.0f} ns/sample")


if __name__ == "__main__":
    main()
