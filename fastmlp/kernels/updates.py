"""In-place parameter updates on the flat vector: weight penalties, gradient clipping,
step-size schedules, and the sgd / momentum / nesterov rules of the lecture notes.

All functions work on the flat layout of :mod:`fastmlp.kernels.dense`; a "weight range" is
``[w_off[l], w_off[l] + sizes[l]*sizes[l+1])`` -- biases are never penalized.
"""

import numpy as np

from ._jit import kernel

SGD = 0
MOMENTUM = 1
NESTEROV = 2

CONSTANT = 0
INVERSE = 1
INVERSE_SQRT = 2

#: ``status`` values returned by the epoch kernels.
OK = 0
LOSS_NOT_FINITE = 1  # stopped before updating: the parameters are the last finite state
PARAMS_NOT_FINITE = 2  # the last update wrote a NaN or inf: the caller restores


@kernel
def inplace_add_penalty(theta, grad, sizes, w_off, l1, l2):
    """Add the gradient of l1 * sum|W| + (l2/2) * sum W^2 to ``grad`` and return the penalty.

    The l1 term uses the subgradient sign(W), with sign(0) = 0.
    """
    penalty = 0.0
    if l1 == 0.0 and l2 == 0.0:
        return penalty
    c1 = grad.dtype.type(l1)
    c2 = grad.dtype.type(l2)
    zero = grad.dtype.type(0.0)
    one = grad.dtype.type(1.0)
    sq = 0.0
    ab = 0.0
    for l in range(sizes.shape[0] - 1):
        start = w_off[l]
        stop = start + sizes[l] * sizes[l + 1]
        W = theta[start:stop]  # views from 0 keep the loop vectorizable
        G = grad[start:stop]
        for i in range(stop - start):
            w = W[i]
            sq += w * w
            ab += abs(w)
            sign = one if w > zero else (-one if w < zero else zero)
            G[i] += c2 * w + c1 * sign
    penalty = l1 * ab + 0.5 * l2 * sq
    return penalty


@kernel
def step_size(schedule, a, b, t):
    """alpha_t of update number t (t = 1 at the first update):
    constant a; inverse a / (b + t); inverse_sqrt a / sqrt(t)."""
    if schedule == INVERSE:
        return a / (b + t)
    elif schedule == INVERSE_SQRT:
        return a / np.sqrt(t)
    return a


@kernel
def inplace_lookahead(theta, velocity, gamma, out):
    """out = theta - gamma * velocity: the point where Nesterov takes its gradient."""
    g = theta.dtype.type(gamma)
    for i in range(theta.shape[0]):
        out[i] = theta[i] - g * velocity[i]


@kernel
def inplace_update_range(theta, grad, velocity, start, stop, optimizer, alpha, gamma):
    """Update ``theta[start:stop]`` from ``grad`` and return (finite, sum of g^2).

    sgd:       theta <- theta - alpha g
    momentum:  v <- gamma v + alpha g;  theta <- theta - v
    nesterov:  the same, with g taken at theta - gamma v by the caller.

    The finiteness test rides along the loop: ``x * 0`` is 0 for finite x and NaN for NaN or
    inf, so one sum tells whether anything overflowed (no branch per element).
    """
    a = theta.dtype.type(alpha)
    zero = theta.dtype.type(0.0)
    probe = zero
    sq = 0.0
    th = theta[start:stop]  # views from 0 keep the loop vectorizable
    gr = grad[start:stop]
    if optimizer == SGD:
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            t = th[i] - a * g
            th[i] = t
            probe += t * zero
    else:
        c = theta.dtype.type(gamma)
        ve = velocity[start:stop]
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            v = c * ve[i] + a * g
            ve[i] = v
            t = th[i] - v
            th[i] = t
            probe += t * zero + v * zero
    return probe == zero, sq


@kernel
def inplace_step(theta, grad, velocity, sizes, w_off, b_off, norm_sums, clip_value, clip_norm,
                 optimizer, alpha, gamma):
    """Apply one update from the batch gradient ``grad``; return True when every new
    parameter is finite.

    Each layer's weight-gradient L2 norm (before clipping) is added to ``norm_sums[l]``.
    Clipping: each component to [-clip_value, clip_value], then the whole vector rescaled to
    L2 norm ``clip_norm`` if it is longer (a bound of 0 means no clipping). Without clipping,
    norms and update share one pass over the parameters.
    """
    finite = True
    n_layers = sizes.shape[0] - 1
    if clip_value == 0.0 and clip_norm == 0.0:
        for l in range(n_layers):
            w_end = w_off[l] + sizes[l] * sizes[l + 1]
            ok_w, sq = inplace_update_range(theta, grad, velocity, w_off[l], w_end, optimizer,
                                            alpha, gamma)
            ok_b, _ = inplace_update_range(theta, grad, velocity, b_off[l],
                                           b_off[l] + sizes[l + 1], optimizer, alpha, gamma)
            norm_sums[l] += np.sqrt(sq)
            finite = finite and ok_w and ok_b
        return finite
    for l in range(n_layers):
        g = grad[w_off[l] : w_off[l] + sizes[l] * sizes[l + 1]]
        sq = 0.0
        for i in range(g.shape[0]):
            sq += g[i] * g[i]
        norm_sums[l] += np.sqrt(sq)
    if clip_value > 0.0:
        c = grad.dtype.type(clip_value)
        for i in range(grad.shape[0]):
            grad[i] = min(max(grad[i], -c), c)
    if clip_norm > 0.0:
        sq = 0.0
        for i in range(grad.shape[0]):
            sq += grad[i] * grad[i]
        norm = np.sqrt(sq)
        if norm > clip_norm:
            factor = grad.dtype.type(clip_norm / norm)
            for i in range(grad.shape[0]):
                grad[i] *= factor
    # w_off[0] is 0; a variable rather than the literal keeps one compiled signature
    finite, _ = inplace_update_range(theta, grad, velocity, w_off[0], theta.shape[0],
                                     optimizer, alpha, gamma)
    return finite
