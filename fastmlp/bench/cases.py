"""The benchmark table, shared by ``python -m fastmlp.bench`` and the pytest-benchmark files."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Case:
    """One unit of training work: ``epochs`` passes over ``n_samples`` random rows."""

    name: str
    layer_sizes: tuple
    activation: str
    output_activation: str
    loss: str
    batch_size: int | None
    dtype: str
    n_samples: int
    epochs: int = 1
    learning_rate: float = 0.1
    mode: str = "train"  # or "forward": inference throughput
    shuffle: bool = True  # False: every runner visits rows in order (tests compare results)
    optimizer: str = "sgd"  # any of MLP.fit's; peers run only the ones they implement alike

    @property
    def flops_per_sample(self) -> float:
        """Floating-point operations per row: 2 per multiply-add in the forward pass; training
        adds the delta and weight-gradient products (2x the forward) and the update."""
        macs = sum(a * b for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        if self.mode == "forward":
            return 2.0 * macs
        updates_per_sample = 1.0 / (self.batch_size or self.n_samples)
        n_params = macs + sum(self.layer_sizes[1:])
        return 6.0 * macs + 2.0 * n_params * updates_per_sample

    def data(self, seed: int = 0):
        """Inputs ~ N(0, 1) and targets that suit the loss (one-hot rows for cross-entropy)."""
        rng = np.random.default_rng(seed)
        n_in, n_out = self.layer_sizes[0], self.layer_sizes[-1]
        X = rng.normal(size=(self.n_samples, n_in)).astype(self.dtype)
        if self.loss == "cross_entropy":
            Y = np.eye(n_out, dtype=self.dtype)[rng.integers(0, n_out, self.n_samples)]
        else:
            Y = rng.uniform(size=(self.n_samples, n_out)).astype(self.dtype)
        return X, Y

    def with_optimizer(self, optimizer: str) -> "Case":
        """The same case trained by ``optimizer``, at its customary step size."""
        return replace(self, optimizer=optimizer,
                       learning_rate=STEP_SIZES.get(optimizer, self.learning_rate))

    def smaller(self, n_samples: int) -> "Case":
        """The same case on fewer rows (quick smoke runs)."""
        return replace(self, n_samples=min(n_samples, self.n_samples))


#: Step sizes of the optimizers whose scale differs from SGD's 0.1: Adam's default. At 0.1,
#: Adam's steps saturate the wide sigmoid networks within an epoch, and their deltas underflow
#: into subnormal floats, which every implementation computes many times slower.
STEP_SIZES = {"adam": 1e-3}

CASES = [
    # the lecture's network f: R^3 -> R^2, per-sample SGD, sigmoid units, squared error
    Case("per-sample SGD 3-4-2", (3, 4, 2), "sigmoid", "sigmoid", "mse", 1, "float64", 20_000),
    Case("mini-batch 64-32-10 /32", (64, 32, 10), "sigmoid", "softmax", "cross_entropy", 32,
         "float32", 20_000),
    Case("mini-batch 784-128-10 /64", (784, 128, 10), "sigmoid", "softmax", "cross_entropy",
         64, "float32", 10_000),
    Case("mini-batch 784-512-512-10 /256", (784, 512, 512, 10), "sigmoid", "softmax",
         "cross_entropy", 256, "float32", 5_120),
    Case("full-batch GD 64-32-10", (64, 32, 10), "sigmoid", "softmax", "cross_entropy", None,
         "float32", 20_000, epochs=5),
    Case("forward 784-128-10", (784, 128, 10), "sigmoid", "softmax", "cross_entropy", None,
         "float32", 20_000, mode="forward"),
]
CASES_BY_NAME = {case.name: case for case in CASES}
