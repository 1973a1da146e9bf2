"""Shared test helpers: finite differences and network/data factories."""

import numpy as np

import fastmlp
from fastmlp import reference

HIDDEN = ("identity", "sigmoid", "tanh", "arctan", "softsign", "relu", "leaky_relu", "elu")
# (output activation, loss) pairs that the library accepts for training
OUTPUT_LOSS = [(out, loss) for out in HIDDEN + ("softmax",) for loss in ("mse", "half_mse")]
OUTPUT_LOSS += [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
                ("exp", "poisson")]
DEPTH_SIZES = {1: (3, 4), 2: (3, 5, 4), 3: (3, 5, 4, 3)}


def make_net(sizes, hidden="tanh", output="sigmoid", loss="mse", dtype="float64", seed=0,
             **kw):
    return fastmlp.MLP(sizes, activation=hidden, output_activation=output, loss=loss,
                       dtype=dtype, init="normal", init_scale=0.7, seed=seed, **kw)


def make_data(net, n=7, seed=1, margin=1e-2):
    """Inputs and targets that suit the network's loss (probability rows for cross-entropy,
    values in (0, 1) for binary cross-entropy).

    Inputs are redrawn until every pre-activation is at least ``margin`` away from 0, where
    relu, leaky_relu, softsign and elu have kinks in f or its derivatives: finite differences
    across a kink measure the kink, not the gradient.
    """
    rng = np.random.default_rng(seed)
    n_in, n_out = net.layer_sizes[0], net.layer_sizes[-1]
    sizes, acts, params = ref_spec(net)
    for _ in range(1000):
        X = rng.normal(size=(n, n_in))
        if not margin:
            break
        zs, _ = reference.forward(net.params.astype(np.float64), sizes, acts, params, X)
        if min(np.abs(z).min() for z in zs) >= margin:
            break
    else:
        raise RuntimeError("could not draw inputs away from the kinks")
    if net.loss_name == "cross_entropy":
        Y = rng.dirichlet(np.ones(n_out), size=n)
    else:
        Y = rng.uniform(0.05, 0.95, size=(n, n_out))
    return X, Y


def ref_spec(net):
    """(sizes, activations, params) of a network, as reference.py takes them."""
    params = list(net.activation_params)
    return list(net.layer_sizes), list(net.activations), params


def ref_loss_grad(net, X, Y, theta=None, l1=0.0, l2=0.0):
    sizes, acts, params = ref_spec(net)
    theta = net.params if theta is None else theta
    return reference.loss_and_gradient(theta, sizes, acts, params, net.loss_name, X, Y, l1, l2)


def finite_difference_gradient(loss_of, theta, h=1e-4):
    """Five-point central differences (error O(h^4)) of a scalar function of a flat vector."""
    theta = np.array(theta, dtype=np.float64)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        def at(delta):
            shifted = theta.copy()
            shifted[i] += delta
            return loss_of(shifted)
        grad[i] = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h)
    return grad


def max_rel_err(actual, expected):
    """max |actual - expected| relative to max |expected| (a norm-wise relative error)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = np.max(np.abs(expected))
    return float(np.max(np.abs(actual - expected)) / (scale if scale > 0 else 1.0))


def feed_dataset(n=500, seed=0):
    """Rows of 6 inputs and 2 binary targets, for the streamed-feed tests."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    Y = np.column_stack([X[:, 0] > X[:, 1], X[:, 2] > 0]).astype(float)
    return X, Y
