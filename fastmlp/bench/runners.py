"""Runners: ``prepare(case, X, Y)`` returns a callable that does the case's work once.

Preparation builds the model, compiles or warms up whatever needs it, and is not timed; every
call of the returned function starts from the same initial parameters and returns its result
(trained parameters or outputs; fastmlp's and reference.py's in the same flat layout, so
tests can check that the two runners do the same work). A runner returns None
when it cannot express the case (scikit-learn has no sigmoid output with squared error, for
example), and raises ImportError when its library is absent.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .. import MLP, reference
from .cases import Case


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


_TORCH_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                      "identity": "Identity"}


def prepare_torch(case: Case, X, Y):
    import torch

    if case.activation not in _TORCH_ACTIVATIONS or case.optimizer not in ("sgd", "adam"):
        return None  # torch's momentum and Nesterov are written in other forms
    dtype = getattr(torch, case.dtype)
    layers = []
    sizes = case.layer_sizes
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out, dtype=dtype))
        if l < len(sizes) - 2:
            layers.append(getattr(torch.nn, _TORCH_ACTIVATIONS[case.activation])())
    if case.loss == "mse" and case.output_activation == "sigmoid":
        layers.append(torch.nn.Sigmoid())
        # the notes' mse sums over outputs and averages over rows
        loss_fn = lambda out, target: ((out - target) ** 2).sum() / out.shape[0]  # noqa: E731
        target = torch.from_numpy(Y)
    elif case.loss == "cross_entropy":
        loss_fn = torch.nn.CrossEntropyLoss()  # softmax folded into the loss
        target = torch.from_numpy(Y.argmax(axis=1))
    else:
        return None
    model = torch.nn.Sequential(*layers)
    start = [p.detach().clone() for p in model.parameters()]
    Xt = torch.from_numpy(X)
    n = len(X)
    batch = case.batch_size or n
    if case.optimizer == "adam":  # Kingma & Ba with the same defaults as MLP.fit
        optimizer = torch.optim.Adam(model.parameters(), lr=case.learning_rate)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=case.learning_rate)
    generator = torch.Generator().manual_seed(0)

    if case.mode == "forward":
        def infer():
            with torch.no_grad():
                return torch.softmax(model(Xt), dim=1)
        return infer

    def work():
        with torch.no_grad():
            for p, p0 in zip(model.parameters(), start):
                p.copy_(p0)
        for _ in range(case.epochs):
            order = torch.randperm(n, generator=generator) if case.shuffle else torch.arange(n)
            for first in range(0, n, batch):
                rows = order[first : first + batch]
                optimizer.zero_grad()
                loss = loss_fn(model(Xt[rows]), target[rows])
                loss.backward()
                optimizer.step()
        return model
    return work


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


_JAX_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")


def prepare_jax(case: Case, X, Y):
    """The epoch as an expert writes it in JAX: one jit-compiled function that scans the
    (per-sample or mini-batch) steps with ``lax.scan``, gradients by ``jax.grad`` of the
    batch's mean loss, the rows gathered in the epoch's order; float64 cases run with JAX's
    x64 mode. Same network, initial parameters, loss and step as fastmlp's runner."""
    import jax

    if case.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    if case.optimizer != "sgd" or case.activation not in _JAX_ACTIVATIONS:
        return None
    net = MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
              dtype=case.dtype, seed=0)
    weights, biases = net.layout.unflatten(net.params)
    start = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(weights, biases)]
    hidden = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
              "identity": lambda z: z}[case.activation]

    def logits(params, x):
        for W, b in params[:-1]:
            x = hidden(x @ W + b)
        W, b = params[-1]
        return x @ W + b

    def outputs(params, x):
        z = logits(params, x)
        if case.output_activation == "softmax":
            return jax.nn.softmax(z, axis=-1)
        return jax.nn.sigmoid(z) if case.output_activation == "sigmoid" else z

    def batch_loss(params, x, y):
        z = logits(params, x)
        if case.loss == "cross_entropy":
            return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(z, axis=-1), axis=-1))
        o = jax.nn.sigmoid(z) if case.output_activation == "sigmoid" else z
        return jnp.mean(jnp.sum((o - y) ** 2, axis=-1))

    lr = case.learning_rate
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    n = X.shape[0]
    b = case.batch_size or n
    full, rest = divmod(n, b)

    def step(params, xy):
        g = jax.grad(batch_loss)(params, *xy)
        return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g), None

    @jax.jit
    def epoch(params, key):
        order = jax.random.permutation(key, n) if case.shuffle else jnp.arange(n)
        xs, ys = Xj[order], Yj[order]
        batches = (xs[:full * b].reshape(full, b, -1), ys[:full * b].reshape(full, b, -1))
        params, _ = lax.scan(step, params, batches)
        if rest:
            params, _ = step(params, (xs[full * b:], ys[full * b:]))
        return params

    if case.mode == "forward":
        forward = jax.jit(outputs)
        forward(start, Xj).block_until_ready()
        return lambda: np.asarray(forward(start, Xj).block_until_ready())
    keys = jax.random.split(jax.random.PRNGKey(0), case.epochs)

    def work():
        params = start
        for key in keys:
            params = epoch(params, key)
        jax.block_until_ready(params)
        return np.concatenate([np.concatenate([np.ravel(W), b]) for W, b in params])

    work()  # compiled here, not in the timed calls
    return work


RUNNERS = {
    "fastmlp": prepare_fastmlp,
    "reference": prepare_reference,
    "pytorch": prepare_torch,
    "sklearn": prepare_sklearn,
    "jax": prepare_jax,
}


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
