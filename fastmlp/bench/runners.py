"""Runners: ``prepare(case, X, Y)`` returns a callable that does the case's work once.

Preparation builds the model, compiles or warms up whatever needs it, and is not timed; every
call of the returned function starts from the same initial parameters and returns its result
(trained parameters or outputs, in fastmlp's flat layout, so that tests can check that every
runner does fastmlp's work; scikit-learn's returns its fitted estimator). A runner returns
None when it cannot express the case (scikit-learn has no sigmoid output with squared error,
for example), and raises ImportError when its library is absent.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .. import MLP, reference
from .cases import Case
from .cpeers import prepare_c_fast_math, prepare_c_strict
from .jax_peers import prepare_jax_scan, prepare_jax_step
from .torch_peers import prepare_torch_compile, prepare_torch_eager


def prepare_fastmlp(case: Case, X, Y):
    net = MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
              dtype=case.dtype, seed=0)
    # warm-ups run on all of X: fewer rows can take other code paths (one thread instead of
    # a row split), whose compilation would then land in the timed calls
    if case.mode == "forward":
        net.forward(X)
        return lambda: net.forward(X)
    start = net.params.copy()
    options: dict[str, Any] = dict(optimizer=case.optimizer, learning_rate=case.learning_rate,
                   batch_size=case.batch_size, epochs=case.epochs, shuffle=case.shuffle,
                   seed=0)
    net.fit(X, Y, **{**options, "epochs": 1})

    def work():
        net.params = start
        net.fit(X, Y, **options)
        return net.params
    return work


def prepare_reference(case: Case, X, Y):
    net = MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
              dtype=case.dtype, seed=0)
    sizes, acts = list(case.layer_sizes), list(net.activations)
    params = list(net.activation_params)
    if case.mode == "forward":
        return lambda: reference.forward(net.params, sizes, acts, params, X)[1][-1]
    return lambda: reference.train(net.params, sizes, acts, params, case.loss, X, Y,
                                   optimizer=case.optimizer, learning_rate=case.learning_rate,
                                   batch_size=case.batch_size, epochs=case.epochs,
                                   shuffle=case.shuffle, rng=0)[0]


def prepare_sklearn(case: Case, X, Y):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    if (case.loss != "cross_entropy" or case.activation not in ("sigmoid", "tanh", "relu")
            or case.optimizer != "sgd"):
        return None
    activation = {"sigmoid": "logistic"}.get(case.activation, case.activation)
    y = Y.argmax(axis=1)

    def make(epochs):
        return MLPClassifier(hidden_layer_sizes=case.layer_sizes[1:-1], activation=activation,
                             solver="sgd", batch_size=case.batch_size or len(X),
                             learning_rate_init=case.learning_rate, momentum=0.0,
                             nesterovs_momentum=False, alpha=0.0, max_iter=epochs,
                             shuffle=case.shuffle, tol=0.0, n_iter_no_change=10**9,
                             random_state=0)

    def fit(epochs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return make(epochs).fit(X, y)

    if case.mode == "forward":
        clf = fit(1)
        return lambda: clf.predict_proba(X)
    return lambda: fit(case.epochs)


#: Every runner by name. The peers as experts write them live in their own modules: JAX
#: (:mod:`.jax_peers`: "jax", the fit as one scanned call; "jax_step", a jitted step in a
#: Python loop), PyTorch (:mod:`.torch_peers`: "pytorch", eager; "torch_compile") and the C
#: floors (:mod:`.cpeers`).
RUNNERS = {
    "fastmlp": prepare_fastmlp,
    "reference": prepare_reference,
    "sklearn": prepare_sklearn,
    "jax": prepare_jax_scan,
    "jax_step": prepare_jax_step,
    "pytorch": prepare_torch_eager,
    "torch_compile": prepare_torch_compile,
    "c_strict": prepare_c_strict,
    "c_fast_math": prepare_c_fast_math,
}

#: The module each peer needs (a peer whose module is absent is skipped).
PEER_MODULES = {"sklearn": "sklearn", "jax": "jax", "jax_step": "jax", "pytorch": "torch",
                "torch_compile": "torch", "c_strict": None, "c_fast_math": None}


def best_time(work, min_total: float = 0.3, max_repeats: int = 5) -> float:
    """Best wall time of repeated calls: at least one, and more while the total stays below
    ``min_total`` seconds (up to ``max_repeats``)."""
    times = []
    while True:
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
        if len(times) >= max_repeats or sum(times) >= min_total:
            return min(times)


def best_of(work, repeats: int) -> float:
    """Best wall time of ``repeats`` calls after one untimed warm-up call (the bench/
    scripts' timing)."""
    work()
    return best_time(work, min_total=float("inf"), max_repeats=repeats)


def gemm_gflops(n: int = 2048, dtype="float32", repeats: int = 5) -> float:
    """This machine's large-matrix multiply rate, in GFLOP/s, through the BLAS that the
    kernels call (SciPy's, via Numba)."""
    from ..kernels.blas import matmul_into

    rng = np.random.default_rng(0)
    a = rng.normal(size=(n, n)).astype(dtype)
    b = rng.normal(size=(n, n)).astype(dtype)
    out = np.empty((n, n), dtype)
    matmul_into(a, b, out)
    best = min(_timed(lambda: matmul_into(a, b, out)) for _ in range(repeats))
    return 2.0 * n**3 / best / 1e9


def _timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
