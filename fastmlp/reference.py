"""Pure-NumPy implementation of everything the kernels do: the test oracle and the
benchmark baseline.

It is written from the formulas, independently of the kernels: derivatives are taken from the
pre-activations z (the kernels use the outputs a), losses from their textbook definitions, and
parameters are flattened by concatenation. Work is vectorized within a batch, with a Python
loop over batches or samples -- the way one would write it in plain NumPy.

Parameters travel as the flat vector ``theta`` plus ``sizes`` (units per layer, input first);
layer l's weights (shape (n_in, n_out), row-major) come first, then its biases.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "unflatten", "flatten", "activation", "activation_derivative", "forward", "loss_terms",
    "loss", "loss_and_gradient", "train", "dropout_masks",
]


def unflatten(theta: np.ndarray, sizes) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Split ``theta`` into lists of weights (n_in, n_out) and biases (n_out,) (views)."""
    weights, biases, pos = [], [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weights.append(theta[pos : pos + n_in * n_out].reshape(n_in, n_out))
        pos += n_in * n_out
        biases.append(theta[pos : pos + n_out])
        pos += n_out
    return weights, biases


def flatten(weights, biases) -> np.ndarray:
    """Inverse of :func:`unflatten`: concatenate W^(1), b^(1), W^(2), b^(2), ..."""
    return np.concatenate([p.ravel() for pair in zip(weights, biases) for p in pair])


def activation(name: str, z: np.ndarray, param: float = 0.0) -> np.ndarray:
    """f(z) for an activation name; ``param`` is the leaky slope or the ELU alpha."""
    if name == "identity":
        return z.copy()
    if name in ("sigmoid", "logistic"):
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "arctan":
        return np.arctan(z)
    if name == "softsign":
        return z / (1 + np.abs(z))
    if name == "relu":
        return np.maximum(z, 0)
    if name == "leaky_relu":
        return np.where(z > 0, z, param * z)
    if name == "elu":
        return np.where(z > 0, z, param * np.expm1(np.minimum(z, 0)))
    if name == "step":
        return (z >= 0).astype(z.dtype)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "exp":
        return np.exp(z)
    raise ValueError(f"unknown activation {name!r}")


def activation_derivative(name: str, z: np.ndarray, param: float = 0.0) -> np.ndarray:
    """f'(z) for an element-wise activation, from the pre-activations."""
    if name == "identity":
        return np.ones_like(z)
    if name in ("sigmoid", "logistic"):
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(z) ** 2
    if name == "arctan":
        return 1 / (1 + z * z)
    if name == "softsign":
        return 1 / (1 + np.abs(z)) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1, param).astype(z.dtype)
    if name == "elu":
        return np.where(z > 0, 1, param * np.exp(np.minimum(z, 0))).astype(z.dtype)
    if name == "exp":
        return np.exp(z)
    raise ValueError(f"activation {name!r} has no usable derivative")


_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64_output(state: np.ndarray) -> np.ndarray:
    """SplitMix64's output for each state (uint64 arrays; arithmetic wraps)."""
    z = state.copy()
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def dropout_masks(seed: int, rows, sizes, rates) -> list[np.ndarray]:
    """The inverted-dropout masks of the hidden layers for data rows ``rows`` under a pass's
    ``seed``, as the kernels draw them (:mod:`fastmlp.kernels.dropout`): per hidden layer l
    (1..L-1) an array (len(rows), sizes[l]) of 0 (dropped) and 1 / (1 - p_l) (kept).

    Unit j of layer l in row n is dropped when the (key + 1)-th output of the SplitMix64
    stream seeded by ``seed``, key = n * sum(sizes) + sum(sizes[:l]) + j, is below
    floor(p_l 2^64).
    """
    rows = np.asarray(rows, dtype=np.uint64)
    units = int(sum(sizes))
    masks = []
    for l in range(1, len(sizes) - 1):
        p = float(rates[l - 1])
        first = int(sum(sizes[:l]))
        keys = (rows[:, None] * np.uint64(units) + np.uint64(first)
                + np.arange(sizes[l], dtype=np.uint64)[None, :])
        with np.errstate(over="ignore"):
            bits = _splitmix64_output(np.uint64(seed) + (keys + np.uint64(1)) * _GAMMA)
        kept = bits >= np.uint64(int(p * 2.0**64))
        masks.append(np.where(kept, 1.0 / (1.0 - p), 0.0))
    return masks


def forward(theta, sizes, activations, params, X, masks=None):
    """Forward pass. Returns (zs, outs): pre-activations and activations of layers 1..L.

    ``masks`` (one array (n, n_l) per hidden layer, e.g. :func:`dropout_masks`) multiplies
    each hidden layer's activations: training with dropout. The zs are unmasked."""
    weights, biases = unflatten(theta, sizes)
    a = X
    zs, outs = [], []
    for l, (W, b, name, p) in enumerate(zip(weights, biases, activations, params)):
        z = a @ W + b
        a = activation(name, z, p)
        if masks is not None and l < len(weights) - 1:
            a = a * masks[l]
        zs.append(z)
        outs.append(a)
    return zs, outs


def loss_terms(output: np.ndarray, Y: np.ndarray, name: str) -> np.ndarray:
    """The loss terms of each row and output, as the design notes define them from the
    network output (a row's loss E_n is the sum of its row)."""
    if name == "mse":
        terms = (output - Y) ** 2
    elif name == "half_mse":
        terms = (output - Y) ** 2 / 2
    elif name == "cross_entropy":
        terms = -Y * np.log(output)
    elif name == "binary_cross_entropy":
        terms = -(Y * np.log(output) + (1 - Y) * np.log(1 - output))
    elif name == "poisson":
        # half the Poisson deviance; y log(y / o) is 0 at y = 0
        positive = Y > 0
        ratio = np.where(positive, Y, 1.0) / output
        terms = np.where(positive, Y * np.log(ratio), 0.0) - Y + output
    else:
        raise ValueError(f"unknown loss {name!r}")
    return terms


def loss(output: np.ndarray, Y: np.ndarray, name: str, sample_weight=None) -> float:
    """Mean loss over rows, sum_n w_n E_n / sum_n w_n with ``sample_weight`` (every w_n = 1
    without)."""
    terms = loss_terms(output, Y, name)
    if sample_weight is None:
        return float(np.sum(terms) / output.shape[0])
    return float(np.sum(sample_weight * terms.sum(axis=1)) / np.sum(sample_weight))


def penalty(theta, sizes, l1=0.0, l2=0.0) -> float:
    """l1 * sum|W| + (l2 / 2) * sum W^2 over weights (biases excluded)."""
    weights, _ = unflatten(theta, sizes)
    return float(sum(l1 * np.abs(W).sum() + 0.5 * l2 * (W * W).sum() for W in weights))


def loss_and_gradient(theta, sizes, activations, params, loss_name, X, Y, l1=0.0, l2=0.0,
                      sample_weight=None, masks=None):
    """Mean loss (plus penalty) over the rows of X and its gradient, flat like ``theta``;
    with ``sample_weight`` the mean is sum_n w_n E_n / sum_n w_n, so each row's output delta
    carries w_n / sum_n w_n instead of 1/N. With ``masks`` (see :func:`forward`), those of
    the network whose hidden activations are multiplied by them (dropout with the masks
    held fixed): delta^(l) = (delta^(l+1) @ W^(l+1).T) * (mask^(l) * f'_l(z^(l))).

    Backpropagation by the delta rule:
    delta^(L) = dE/da^(L) * f'_L(z^(L))  ((o - d)/N for softmax+CE, sigmoid+BCE and
    exp+Poisson),
    delta^(l) = (delta^(l+1) @ W^(l+1).T) * f'_l(z^(l)),
    dE/dW^(l) = a^(l-1).T @ delta^(l),  dE/db^(l) = sum over rows of delta^(l).
    """
    weights, _ = unflatten(theta, sizes)
    zs, outs = forward(theta, sizes, activations, params, X, masks)
    o, z_out = outs[-1], zs[-1]
    n = X.shape[0]
    share = (None if sample_weight is None
             else (np.asarray(sample_weight) / np.sum(sample_weight))[:, None])

    def in_the_mean(a):  # each row's term times its weight in the mean: 1/N without weights
        return a / n if share is None else a * share

    value = loss(o, Y, loss_name, sample_weight) + penalty(theta, sizes, l1, l2)
    if loss_name in ("mse", "half_mse"):
        dE_do = in_the_mean((2.0 if loss_name == "mse" else 1.0) * (o - Y))
        if activations[-1] == "softmax":
            # Jacobian of softmax: dp_k/dz_j = p_k (delta_kj - p_j)
            delta = o * (dE_do - np.sum(dE_do * o, axis=1, keepdims=True))
        else:
            delta = dE_do * activation_derivative(activations[-1], z_out, params[-1])
    elif loss_name == "cross_entropy":
        delta = in_the_mean(o * Y.sum(axis=1, keepdims=True) - Y)
    elif loss_name in ("binary_cross_entropy", "poisson"):
        # canonical links: d/dz of the loss through sigmoid, exp is o - d
        delta = in_the_mean(o - Y)
    else:
        raise ValueError(f"unknown loss {loss_name!r}")
    dWs, dbs = [None] * len(weights), [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):
        a_prev = X if l == 0 else outs[l - 1]
        dWs[l] = a_prev.T @ delta + l2 * weights[l] + l1 * np.sign(weights[l])
        dbs[l] = delta.sum(axis=0)
        if l > 0:
            factor = activation_derivative(activations[l - 1], zs[l - 1], params[l - 1])
            if masks is not None:
                factor = masks[l - 1] * factor
            delta = (delta @ weights[l].T) * factor
    return value, flatten(dWs, dbs).astype(theta.dtype, copy=False)


def step_size(schedule: str, a: float, b: float, t: int, warmup_steps: int = 0,
              decay_steps: int | None = None, min_learning_rate: float = 0.0) -> float:
    """alpha_t for update t (1-based): constant, a/(b+t), a/sqrt(t), or cosine (linear
    warmup over warmup_steps, then cosine decay to min_learning_rate at decay_steps)."""
    if schedule in ("constant", "plateau"):
        return a
    if schedule == "inverse":
        return a / (b + t)
    if schedule == "inverse_sqrt":
        return a / math.sqrt(t)
    if schedule == "cosine":
        if decay_steps is None:
            raise ValueError("the cosine schedule needs decay_steps")
        if t <= warmup_steps:
            return a * t / warmup_steps
        if t >= decay_steps:
            return min_learning_rate
        progress = (t - warmup_steps) / (decay_steps - warmup_steps)
        return min_learning_rate + (a - min_learning_rate) * 0.5 * (1 + math.cos(math.pi
                                                                                   * progress))
    raise ValueError(f"unknown schedule {schedule!r}")


def clip(g: np.ndarray, clip_value=None, clip_norm=None) -> np.ndarray:
    """Component clipping to [-clip_value, clip_value], then rescaling to norm clip_norm."""
    if clip_value:
        g = np.clip(g, -clip_value, clip_value)
    if clip_norm:
        norm = np.linalg.norm(g)
        if norm > clip_norm:
            g = g * float(clip_norm / norm)
    return g


def train(theta, sizes, activations, params, loss_name, X, Y, *, optimizer="sgd",
          learning_rate=0.1, momentum=0.9, batch_size=1, epochs=10, shuffle=True, rng=None,
          schedule="constant", schedule_b=1.0, clip_value=None, clip_norm=None, l1=0.0,
          l2=0.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01,
          warmup_steps=0, decay_steps=None, min_learning_rate=0.0,
          sample_weight=None, state=None, return_state=False, dropout=None,
          dropout_seeds=None):
    """Train ``theta`` (a copy is returned) with the update rules of the notes, Adam and
    AdamW.

    sgd:      theta <- theta - alpha g
    momentum: v <- gamma v + alpha g;             theta <- theta - v
    nesterov: v <- gamma v + alpha grad(theta - gamma v);  theta <- theta - v
    adam:     m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
              theta <- theta - alpha (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + epsilon)
    adamw:    theta <- theta (1 - alpha weight_decay), then adam's step

    ``sample_weight`` weighs each batch's mean loss (sum w E / sum w; a batch of weight 0 makes
    no update). ``state`` = (slots, t) continues an earlier call's optimizer state: a list
    of the slot vectors (velocity; or Adam's m and v) and the update count.

    ``dropout`` (one rate per hidden layer) trains with inverted dropout: every batch takes
    its gradient with the masks :func:`dropout_masks` draws for its rows under epoch e's
    seed ``dropout_seeds[e]`` (the seeds a fit draws, :func:`fastmlp.epochs.draw_mask_seed`).

    Returns (theta, epoch_losses), and the state to continue from when ``return_state``:
    each epoch's loss is the weight-averaged mean of the batch losses (plus penalty) computed
    where each update took its gradient.
    """
    theta = theta.copy()
    n_slots = {"sgd": 0, "momentum": 1, "nesterov": 1, "adam": 2, "adamw": 2}[optimizer]
    if state is None:
        slots, t = [np.zeros_like(theta) for _ in range(n_slots)], 0
    else:
        slots, t = [s.copy() for s in state[0]], state[1]
    n = X.shape[0]
    weights = None if sample_weight is None else np.asarray(sample_weight, float)
    batch = n if batch_size is None else batch_size
    order = np.arange(n)
    rng = np.random.default_rng(rng)
    if dropout is not None and (dropout_seeds is None or len(dropout_seeds) < epochs):
        raise ValueError("dropout needs one mask seed per epoch (dropout_seeds)")
    losses = []
    for epoch in range(epochs):
        if shuffle:
            order = rng.permutation(n)
        total = 0.0
        total_weight = 0.0
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            batch_weight = len(rows) if weights is None else weights[rows].sum()
            if batch_weight == 0:
                continue
            point = theta - momentum * slots[0] if optimizer == "nesterov" else theta
            masks = (None if dropout is None
                     else dropout_masks(dropout_seeds[epoch], rows, sizes, dropout))
            value, g = loss_and_gradient(point, sizes, activations, params, loss_name,
                                         X[rows], Y[rows], l1, l2,
                                         None if weights is None else weights[rows], masks)
            g = clip(g, clip_value, clip_norm)
            t += 1
            alpha = step_size(schedule, learning_rate, schedule_b, t, warmup_steps,
                              decay_steps, min_learning_rate)
            if optimizer == "sgd":
                theta = theta - alpha * g
            elif optimizer in ("adam", "adamw"):
                if optimizer == "adamw":
                    theta = theta * (1 - alpha * weight_decay)
                m, v = slots
                slots = [beta_1 * m + (1 - beta_1) * g, beta_2 * v + (1 - beta_2) * g * g]
                m_hat = slots[0] / (1 - beta_1**t)
                v_hat = slots[1] / (1 - beta_2**t)
                theta = theta - alpha * m_hat / (np.sqrt(v_hat) + epsilon)
            else:
                slots = [momentum * slots[0] + alpha * g]
                theta = theta - slots[0]
            total += value * batch_weight
            total_weight += batch_weight
        losses.append(total / total_weight)
    if return_state:
        return theta, np.array(losses), (slots, t)
    return theta, np.array(losses)


def perceptron_epoch(X, d, order, w, eta) -> int:
    """NumPy twin of :func:`fastmlp.kernels.perceptron.perceptron_epoch`: one epoch of the
    perceptron rule in place on ``w`` (w_0 first); returns the misclassified rows."""
    errors = 0
    for row in order:
        x = np.concatenate([[1.0], X[row]])
        y = 1.0 if w @ x >= 0 else 0.0
        if y != d[row]:
            errors += 1
            w += eta * (d[row] - y) * x
    return errors
