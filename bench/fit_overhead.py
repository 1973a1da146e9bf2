"""A fit's fixed cost: ``python bench/fit_overhead.py`` times 2000 fits of one epoch over 64
rows of a 3-4-2 network for batch sizes 1, 8 and None (microseconds per fit, the Python work
around the compiled epoch), and 50 forward passes over 20,000 rows of a 64-32-10 network.
Run it with ``PYTHONPATH=<tree>`` per tree to compare commits."""

import time

import numpy as np

import fastmlp

X = np.random.default_rng(0).normal(size=(64, 3))
Y = (X[:, :2] > 0).astype(float)
net = fastmlp.MLP((3, 4, 2), seed=0)
for batch_size in (1, 8, None):
    net.fit(X, Y, epochs=1, batch_size=batch_size)  # compiled first
    began = time.perf_counter()
    for _ in range(2000):
        net.fit(X, Y, epochs=1, batch_size=batch_size)
    print(f"batch_size={batch_size}: {(time.perf_counter() - began) / 2000 * 1e6:.1f} us/fit")
rows = np.random.default_rng(0).normal(size=(20000, 64)).astype(np.float32)
wide = fastmlp.MLP((64, 32, 10), "sigmoid", "softmax", "cross_entropy", dtype="float32")
wide.forward(rows)
began = time.perf_counter()
for _ in range(50):
    wide.forward(rows)
print(f"forward 20000 x 64: {(time.perf_counter() - began) / 50 * 1e3:.2f} ms")
