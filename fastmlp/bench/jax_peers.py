"""JAX peers written the way an expert writes them, doing fastmlp's work.

Two forms, each starting from fastmlp's initial parameters (``MLP(..., seed=0)``) and taking
the same plain SGD steps on the same loss:

* :func:`prepare_jax_scan` -- the whole fit in one ``jax.jit``: each epoch's steps run by
  ``lax.scan`` with the scan unrolled 8 steps, the parameters donated to the call
  (``donate_argnums``) so that XLA updates them in place, and layers with few weights
  written as a broadcast multiply and a sum (XLA fuses those; a ``dot`` of a 3x4 matrix is
  a library call that costs more than its arithmetic). Per-sample steps work on a row
  vector, not on a 1-row matrix. Full-batch fits scan over the epochs.
* :func:`prepare_jax_step` -- a jitted, donated step called from a Python loop, the form most
  JAX training loops take; the step gathers its rows from the device-resident data by index.

``python -m fastmlp.bench`` times both; the strongest of them is the JAX figure.
"""

from __future__ import annotations

import numpy as np

from .. import MLP
from .cases import Case

_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")

#: Layers with at most this many weights are written as broadcast-multiply-and-sum.
TINY_LAYER = 256

#: Steps of a ``lax.scan`` unrolled into one loop body.
UNROLL = 8


def _setup(case: Case):
    """(jax, jnp, lax, start parameters, loss function, outputs function), or None when the
    case is not one that these peers express alike (other optimizers, activations)."""
    import jax

    if case.optimizer != "sgd" or case.activation not in _ACTIVATIONS:
        return None
    if case.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    net = MLP(case.layer_sizes, case.activation, case.output_activation, case.loss,
              dtype=case.dtype, seed=0)
    weights, biases = net.layout.unflatten(net.params)
    start = tuple((np.array(W), np.array(b)) for W, b in zip(weights, biases))
    hidden = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
              "identity": lambda z: z}[case.activation]

    def affine(x, W, b):
        if W.size <= TINY_LAYER:  # x (..., n_in) times W (n_in, n_out), fused by XLA
            return jnp.sum(x[..., :, None] * W, axis=-2) + b
        return x @ W + b

    def logits(params, x):
        for W, b in params[:-1]:
            x = hidden(affine(x, W, b))
        return affine(x, *params[-1])

    def outputs(params, x):
        z = logits(params, x)
        if case.output_activation == "softmax":
            return jax.nn.softmax(z, axis=-1)
        return jax.nn.sigmoid(z) if case.output_activation == "sigmoid" else z

    def loss(params, x, y):
        """The batch's mean loss (a row vector is a batch of one)."""
        z = logits(params, x)
        if case.loss == "cross_entropy":
            per_row = -jnp.sum(y * jax.nn.log_softmax(z, axis=-1), axis=-1)
        else:
            o = jax.nn.sigmoid(z) if case.output_activation == "sigmoid" else z
            per_row = jnp.sum((o - y) ** 2, axis=-1)
        return jnp.mean(per_row)

    return jax, jnp, lax, start, loss, outputs


def _flat(params) -> np.ndarray:
    """Parameters in fastmlp's flat layout (W^(1), b^(1), W^(2), ...)."""
    return np.concatenate([np.concatenate([np.ravel(W), np.ravel(b)]) for W, b in params])


def _sgd(jax, loss, lr):
    def step(params, x, y):
        g = jax.grad(loss)(params, x, y)
        return jax.tree_util.tree_map(lambda p, d: p - lr * d, params, g)
    return step


def prepare_jax_scan(case: Case, X, Y):
    """The fit as one jitted, donated call of ``lax.scan`` (see the module's notes); a
    forward case is one jitted call of the outputs."""
    setup = _setup(case)
    if setup is None:
        return None
    jax, jnp, lax, start, loss, outputs = setup
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    if case.mode == "forward":
        forward = jax.jit(outputs)
        device_start = jax.device_put(start)
        forward(device_start, Xj).block_until_ready()
        return lambda: np.asarray(forward(device_start, Xj).block_until_ready())

    step = _sgd(jax, loss, case.learning_rate)
    n = X.shape[0]
    b = case.batch_size or n
    full, rest = divmod(n, b)

    if b == n:  # full batch: the epochs are the scan
        def fit(params, keys):
            def one(params, _):
                return step(params, Xj, Yj), None
            return lax.scan(one, params, keys, unroll=UNROLL)[0]
    else:
        def epoch(params, key):
            order = jax.random.permutation(key, n) if case.shuffle else jnp.arange(n)
            xs, ys = Xj[order], Yj[order]
            if b == 1:  # a step per row vector
                batches = (xs, ys)
            else:
                batches = (xs[:full * b].reshape(full, b, -1),
                           ys[:full * b].reshape(full, b, -1))

            def one(params, xy):
                return step(params, *xy), None
            params = lax.scan(one, params, batches, unroll=UNROLL)[0]
            if rest:
                params = step(params, xs[full * b:], ys[full * b:])
            return params, None

        def fit(params, keys):
            return lax.scan(epoch, params, keys)[0]

    fit = jax.jit(fit, donate_argnums=0)
    keys = jax.random.split(jax.random.PRNGKey(0), case.epochs)

    def work():
        params = fit(jax.device_put(start), keys)  # a fresh copy: the call donates it
        return _flat(jax.block_until_ready(params))

    work()  # compiled here, not in the timed calls
    return work


def prepare_jax_step(case: Case, X, Y):
    """A jitted, donated SGD step called from a Python loop over the batches; each call
    gathers its rows by index from the device-resident data. None for forward cases (the
    scan peer's forward is the same one call)."""
    setup = _setup(case)
    if setup is None or case.mode == "forward":
        return None
    jax, jnp, lax, start, loss, outputs = setup
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    sgd = _sgd(jax, loss, case.learning_rate)
    n = X.shape[0]
    b = case.batch_size or n

    full, rest = divmod(n, b)

    def batch_step(size):
        def step(params, order, first):  # the rows order[first:first + size]
            rows = lax.dynamic_slice(order, (first,), (size,))
            return sgd(params, Xj[rows], Yj[rows])
        return jax.jit(step, donate_argnums=0)

    if b == n:
        step = jax.jit(lambda params: sgd(params, Xj, Yj), donate_argnums=0)
    elif b == 1:
        step = jax.jit(lambda params, i: sgd(params, Xj[i], Yj[i]), donate_argnums=0)
    else:
        step, last = batch_step(b), batch_step(rest) if rest else None
    rng = np.random.default_rng(0)

    def work():
        params = jax.device_put(start)
        for _ in range(case.epochs):
            if b == n:
                params = step(params)
                continue
            order = rng.permutation(n) if case.shuffle else np.arange(n)
            if b == 1:
                for i in order:
                    params = step(params, i)
                continue
            order_j = jnp.asarray(order)
            for first in range(0, full * b, b):
                params = step(params, order_j, first)
            if rest:
                params = last(params, order_j, full * b)
        return _flat(jax.block_until_ready(params))

    work()
    return work
