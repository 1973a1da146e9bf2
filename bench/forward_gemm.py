"""Where inference time goes: fastmlp's forward against JAX's and against the matrix product
alone, on the sweep's "forward 784-128-10" case (float32, 20,000 rows).

    python bench/forward_gemm.py [--rounds 3]

Prints, alternating in every round (best of 15 calls each, ns per row):

* fastmlp ``net.forward(X)`` (validation included) and JAX's jit-compiled forward of the
  same network;
* the first layer's product X @ W1 alone: through JAX, through NumPy's OpenBLAS as one
  product, and as fastmlp's chunks of 256 rows on one and on two BLAS threads.

The product is 98% of the forward's arithmetic, so the gap between the BLAS rows and JAX's
product is the part of fastmlp's distance to JAX that is the BLAS library's.
"""

import argparse

import numpy as np
from threadpoolctl import threadpool_limits

import fastmlp
from fastmlp.bench.runners import best_of


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    n = 20_000
    X = rng.normal(size=(n, 784)).astype(np.float32)
    net = fastmlp.MLP((784, 128, 10), "sigmoid", "softmax", "cross_entropy", dtype="float32",
                      seed=0)
    W1, W2 = (np.asarray(w) for w in net.weights)
    b1, b2 = (np.asarray(b) for b in net.biases)
    Xj = jnp.asarray(X)
    jax_forward = jax.jit(lambda X: jax.nn.softmax(jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2))
    jax_product = jax.jit(lambda X: X @ W1)
    out = np.empty((n, 128), np.float32)

    def chunked_product(rows=256):
        for i in range(0, n, rows):
            np.matmul(X[i:i + rows], W1, out=out[i:i + rows])

    np.testing.assert_allclose(net.forward(X), np.asarray(jax_forward(Xj)), atol=1e-5)
    for _ in range(args.rounds):
        row = {
            "fastmlp forward": best_of(lambda: net.forward(X), 15),
            "JAX forward": best_of(lambda: jax_forward(Xj).block_until_ready(), 15),
            "JAX X@W1": best_of(lambda: jax_product(Xj).block_until_ready(), 15),
            "OpenBLAS X@W1": best_of(lambda: np.matmul(X, W1, out=out), 15),
        }
        for threads in (1, 2):
            with threadpool_limits(threads):
                row[f"OpenBLAS 256-row chunks, {threads} thread(s)"] = best_of(chunked_product, 15)
        print(", ".join(f"{k} {v / n * 1e9:.0f}" for k, v in row.items()), flush=True)


if __name__ == "__main__":
    main()
