"""Losses: the output stage of a chunk -- output activation, loss and output deltas in one
pass over the output block.

========================= ===================================================
code                      loss of one row (o = output, d = target)
========================= ===================================================
MSE                       sum_k (o_k - d_k)^2
HALF_MSE                  (1/2) sum_k (o_k - d_k)^2
CROSS_ENTROPY             -sum_k d_k log p_k, p = softmax(z)
BINARY_CROSS_ENTROPY      -sum_k [d_k log o_k + (1 - d_k) log(1 - o_k)], o = sigmoid(z)
SKLEARN_SQUARED_ERROR     (1/(2K)) sum_k (o_k - d_k)^2 over K outputs, with the deltas of
                          HALF_MSE (scikit-learn's squared_error: its value averages over
                          the outputs, its gradient does not; the same as HALF_MSE for K = 1)
SKLEARN_LOG_LOSS          CROSS_ENTROPY with p clipped to [eps, 1 - eps] in the value (not
                          in the deltas): scikit-learn's log_loss
SKLEARN_BINARY_LOG_LOSS   BINARY_CROSS_ENTROPY likewise: scikit-learn's binary_log_loss
POISSON                   sum_k [d_k log(d_k / o_k) - d_k + o_k], o = exp(z) (half the
                          Poisson deviance, d log d = 0 at d = 0; scikit-learn's poisson,
                          whose per-output means summed are this row loss's mean)
========================= ===================================================

(eps is the dtype's machine epsilon. The clipped values cap a row's loss near 36 in float64,
which changes what L-BFGS minimizes on badly scaled data, so scikit-learn's results need them.)

Both cross-entropies and the Poisson loss are evaluated from the pre-activations z
(log-sum-exp, softplus, log o = z), so they stay finite for saturated outputs. Each is the
canonical loss of its output activation: dE/dz = o - d (times sum_j d_j for softmax).
"""

import numpy as np

from ._jit import inlined, internal
from .activations import (
    SOFTMAX,
    activation_value_inlined,
    derivative_value_inlined,
    inplace_activate,
    inplace_multiply_derivative,
)
from .fastexp import fast_exp
from .indexing import unsigned

MSE = 0
HALF_MSE = 1
CROSS_ENTROPY = 2
BINARY_CROSS_ENTROPY = 3
SKLEARN_SQUARED_ERROR = 4
SKLEARN_LOG_LOSS = 5
SKLEARN_BINARY_LOG_LOSS = 6
POISSON = 7


@internal
def poisson_value(z, d):
    """(o, E) of one output with the Poisson loss: o = exp(z) and half its deviance
    E = d log(d / o) - d + o, written with log o = z as d log d - d z - d + o (d log d = 0
    at d = 0, as scipy's xlogy), so a row never divides by an output that underflowed.
    ``np.exp``, not the fast exp: o is unbounded, and an overflow must give inf."""
    o = np.exp(z)
    value = o - d - d * z
    if d > 0:
        value += d * np.log(d)
    return o, value


@internal
def output_stage(acts, z0, deltas, Y, sample_weight, order, first, m, output, param, scale,
                 sklearn):
    """Loss and output deltas of ``m`` rows whose pre-activations z (unit-major, so output k
    of row r is at ``z0 + k*m + r``) start at ``acts[z0]``.

    ``output`` = (n_out, activation code, loss code) and ``param`` describe the output
    layer (:func:`output_of`). Targets are ``Y[order[first + r]]``, row weights
    ``sample_weight[order[first + r]]``
    (every row weighs 1 when ``sample_weight`` is empty). Writes the activated outputs over
    z, and ``scale * w_r * dE_r/dz`` into ``deltas`` at the same offsets (scale = 1 / the
    batch's total weight: the gradient of the weighted *mean* loss). Returns the weighted
    *sum* of the rows' losses, sum_r w_r E_r (E_r as in the module's table).
    """
    n_out, code, loss_code = output
    weighted = sample_weight.shape[0] > 0
    zero = acts.dtype.type(0.0)
    one = acts.dtype.type(1.0)
    s = acts.dtype.type(scale)
    coef = acts.dtype.type(2.0) if loss_code == MSE else one
    total = 0.0
    if loss_code == BINARY_CROSS_ENTROPY or (sklearn is not None
                                             and loss_code == SKLEARN_BINARY_LOG_LOSS):
        # -[d log S(z) + (1-d) log(1-S(z))] = max(z,0) - d z + log(1 + exp(-|z|))
        for r in range(m):
            row = order[first + r]
            w = sample_weight[row] if weighted else one
            sw = s * w
            for k in range(n_out):
                at = z0 + k * m + r
                z = acts[at]
                d = Y[row, k]
                o = one / (one + fast_exp(-z))
                if sklearn is not None and loss_code == SKLEARN_BINARY_LOG_LOSS:
                    # eps only here and below: pruned with these branches, np.finfo costs
                    # the notes' fits no compile
                    eps = np.finfo(acts.dtype).eps
                    c = min(max(o, eps), one - eps)
                    value = zero
                    if d != zero:
                        value -= d * np.log(c)
                    if d != one:
                        value -= (one - d) * np.log(one - c)
                    total += w * value
                else:
                    total += w * (max(z, zero) - d * z + np.log1p(fast_exp(-abs(z))))
                acts[at] = o
                deltas[at] = sw * (o - d)
    elif loss_code == POISSON:
        for r in range(m):
            row = order[first + r]
            w = sample_weight[row] if weighted else one
            sw = s * w
            for k in range(n_out):
                at = z0 + k * m + r
                o, value = poisson_value(acts[at], Y[row, k])
                total += w * value
                acts[at] = o
                deltas[at] = sw * (o - Y[row, k])
    elif code == SOFTMAX:
        for r in range(m):
            row = order[first + r]
            w = sample_weight[row] if weighted else one
            sw = s * w
            zmax = acts[z0 + r]
            for k in range(1, n_out):
                zmax = max(zmax, acts[z0 + k * m + r])
            # exp(z - max) parks in deltas until z itself is no longer needed
            expsum = zero
            for k in range(n_out):
                at = z0 + k * m + r
                e = fast_exp(acts[at] - zmax)
                deltas[at] = e
                expsum += e
            inv = one / expsum
            if sklearn is not None and loss_code == SKLEARN_LOG_LOSS:
                eps = np.finfo(acts.dtype).eps
                dsum = zero
                for k in range(n_out):
                    at = z0 + k * m + r
                    d = Y[row, k]
                    dsum += d
                    p = deltas[at] * inv
                    if d != zero:
                        total -= w * d * np.log(min(max(p, eps), one - eps))
                    acts[at] = p
                for k in range(n_out):
                    at = z0 + k * m + r
                    deltas[at] = sw * (acts[at] * dsum - Y[row, k])
            elif loss_code == CROSS_ENTROPY:
                # log p_k = z_k - max - log(sum exp(z - max)): finite even where p underflows
                log_norm = zmax + np.log(expsum)
                dsum = zero
                for k in range(n_out):
                    d = Y[row, k]
                    dsum += d
                    if d != zero:
                        total -= w * d * (acts[z0 + k * m + r] - log_norm)
                # dE/dz_k = p_k * sum_j d_j - d_k  (= p - d for one-hot targets)
                for k in range(n_out):
                    at = z0 + k * m + r
                    p = deltas[at] * inv
                    acts[at] = p
                    deltas[at] = sw * (p * dsum - Y[row, k])
            else:
                # squared error through the softmax Jacobian:
                # dE/dz_k = p_k (g_k - sum_j g_j p_j)
                gp = zero
                for k in range(n_out):
                    at = z0 + k * m + r
                    p = deltas[at] * inv
                    acts[at] = p
                    diff = p - Y[row, k]
                    total += w * diff * diff
                    gp += coef * diff * p
                for k in range(n_out):
                    at = z0 + k * m + r
                    p = acts[at]
                    deltas[at] = sw * p * (coef * (p - Y[row, k]) - gp)
    else:
        # whole-layer passes, each a single vectorizable formula (a one-value form testing
        # the code per value is slower here: bench/README.md)
        inplace_activate(code, param, acts, z0, z0 + n_out * m)
        for k in range(n_out):
            for r in range(m):
                at = z0 + k * m + r
                row = order[first + r]
                w = sample_weight[row] if weighted else one
                diff = acts[at] - Y[row, k]
                total += w * diff * diff
                deltas[at] = s * w * coef * diff
        inplace_multiply_derivative(code, param, acts, z0, deltas, z0, n_out * m)
    if loss_code == HALF_MSE:
        total *= 0.5
    elif sklearn is not None and loss_code == SKLEARN_SQUARED_ERROR:
        total *= 0.5 / n_out
    return total


@inlined
def output_row(acts, z0, deltas, Y, row, output, param):
    """The output stage of one unweighted row, for the per-sample kernel (copied into it):
    :func:`output_stage` with m = 1, scale 1 and no weights, value by value.

    Its own function rather than a one-row path inside :func:`output_stage`: the per-sample
    kernel is compiled with this copied in, and copying in the whole output stage (weights,
    chunks, scikit-learn's losses, all pruned only afterwards) took 0.6 s of its cold compile
    (bench/README.md, "A one-row output stage"). The formulas are output_stage's with its
    factors of 1 left out, except that element-wise output activations go value by value
    (each kept in a register) instead of as whole-layer passes (``tests/test_gradients.py``
    holds the two to rounding).
    """
    n_out, code, loss_code = output
    zero = acts.dtype.type(0.0)
    one = acts.dtype.type(1.0)
    coef = acts.dtype.type(2.0) if loss_code == MSE else one
    total = 0.0
    r = unsigned(row)
    if loss_code == BINARY_CROSS_ENTROPY:
        for k in range(n_out):
            at = unsigned(z0 + k)
            z = acts[at]
            d = Y[r, k]
            o = one / (one + fast_exp(-z))
            total += max(z, zero) - d * z + np.log1p(fast_exp(-abs(z)))
            acts[at] = o
            deltas[at] = o - d
    elif loss_code == POISSON:
        for k in range(n_out):
            at = unsigned(z0 + k)
            o, value = poisson_value(acts[at], Y[r, k])
            total += value
            acts[at] = o
            deltas[at] = o - Y[r, k]
    elif code == SOFTMAX:
        zmax = acts[unsigned(z0)]
        for k in range(1, n_out):
            zmax = max(zmax, acts[unsigned(z0 + k)])
        expsum = zero
        for k in range(n_out):
            at = unsigned(z0 + k)
            e = fast_exp(acts[at] - zmax)
            deltas[at] = e
            expsum += e
        inv = one / expsum
        if loss_code == CROSS_ENTROPY:
            log_norm = zmax + np.log(expsum)
            dsum = zero
            for k in range(n_out):
                d = Y[r, k]
                dsum += d
                if d != zero:
                    total -= d * (acts[unsigned(z0 + k)] - log_norm)
            for k in range(n_out):
                at = unsigned(z0 + k)
                p = deltas[at] * inv
                acts[at] = p
                deltas[at] = p * dsum - Y[r, k]
        else:
            gp = zero
            for k in range(n_out):
                at = unsigned(z0 + k)
                p = deltas[at] * inv
                acts[at] = p
                diff = p - Y[r, k]
                total += diff * diff
                gp += coef * diff * p
            for k in range(n_out):
                at = unsigned(z0 + k)
                p = acts[at]
                deltas[at] = p * (coef * (p - Y[r, k]) - gp)
    else:
        # activation, loss and delta value by value, each kept in a register
        p = acts.dtype.type(param)
        for k in range(n_out):
            at = unsigned(z0 + k)
            o = activation_value_inlined(code, p, acts[at])
            diff = o - Y[r, k]
            total += diff * diff
            acts[at] = o
            deltas[at] = coef * diff * derivative_value_inlined(code, p, o)
    if loss_code == HALF_MSE:
        total *= 0.5
    return total


@inlined
def output_of(net):
    """(n_out, activation code, loss code) and the activation's parameter of a Network's
    output layer: what the output stage takes."""
    n_layers = net.sizes.shape[0] - 1
    return (net.sizes[n_layers], net.codes[n_layers - 1], net.loss), net.act_params[n_layers - 1]


def sklearn_forms(loss_code):
    """The output stage's ``sklearn`` argument for a network with loss ``loss_code``: True
    for the ``SKLEARN_*`` losses, None (their branches pruned) for the others."""
    return True if loss_code in (SKLEARN_SQUARED_ERROR, SKLEARN_LOG_LOSS,
                                 SKLEARN_BINARY_LOG_LOSS) else None


