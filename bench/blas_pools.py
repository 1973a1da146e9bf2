"""Does NumPy's own BLAS, used just before, slow fastmlp's products down?

fastmlp's kernels call the BLAS that Numba binds to (SciPy's OpenBLAS); NumPy's ``@`` calls
NumPy's own OpenBLAS, a second library with its own thread pool. OpenBLAS threads spin for a
while after a product before they sleep, so on a machine with few cores a NumPy product right
before a fastmlp fit could leave two pools competing for the same cores. This times a
784-512-512-10 fit of 4,096 rows at batch 256 (best of 5, ns/sample) alone and with a NumPy
product of the same size just before each fit, alternating::

    FASTMLP_SPECIALIZE=0 python bench/blas_pools.py
"""

import time

import numpy as np

import fastmlp


def main(rounds: int = 5) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4096, 784))
    Y = np.eye(10)[rng.integers(0, 10, 4096)]
    A, B = rng.normal(size=(256, 784)), rng.normal(size=(784, 512))
    net = fastmlp.MLP((784, 512, 512, 10), "relu", "softmax", "cross_entropy", seed=0)

    def fit():
        began = time.perf_counter()
        net.fit(X, Y, batch_size=256, epochs=1, seed=0)
        return (time.perf_counter() - began) / len(X) * 1e9

    fit()
    alone, after_numpy = [], []
    for _ in range(rounds):
        alone.append(fit())
        for _ in range(20):
            A @ B
        after_numpy.append(fit())
    print(f"alone: best {min(alone):,.0f} ns/sample, median {np.median(alone):,.0f}")
    print(f"after NumPy's BLAS: best {min(after_numpy):,.0f} ns/sample, "
          f"median {np.median(after_numpy):,.0f}")


if __name__ == "__main__":
    main()
