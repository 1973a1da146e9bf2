"""Per-sample SGD (batch size 1) as one fused loop: the lecture notes' training loop
(pick a row, predict, compute the loss, update) with nothing between the steps.

For one row the weight gradient of layer l is the outer product a^(l-1) delta^(l)^T, so it is
never stored: the update ``W_ij -= alpha * a_i * delta_j`` is applied straight from the
activations and deltas, and the gradient's norm (for ``clip_norm`` and the per-layer norms of
the history) is ``|a^(l-1)| * |delta^(l)|`` without a pass over the weights. Weight penalties
and component clipping change that outer-product structure, so those runs take the general
path of :mod:`fastmlp.kernels.epochs` instead.

Buffers ``acts`` and ``deltas`` hold one row: layer l's units start at ``u_off[l]``.

Rows are visited through a block buffer: each block of ``Xb.shape[0]`` rows is first copied in
the epoch's (shuffled) order, then trained on sequentially. The copy's loads are independent
of each other, so the CPU overlaps their cache misses; read one at a time inside the training
loop, a shuffled row of a large X costs a full memory latency per sample (measured: 553 vs 234
ns/sample on 200,000 rows of the 3-4-2 network).
"""

import numpy as np

from ._jit import kernel
from .activations import inplace_activate, inplace_multiply_derivative
from .dense import output_stage, shuffle_rows
from .updates import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    SGD,
    inplace_lookahead,
    step_size,
)


@kernel
def forward_row(W, w0, b0, acts, a0, z0, n_in, n_out):
    """acts[z0:z0+n_out] = a W + b for the row a = acts[a0:a0+n_in]."""
    z = acts[z0 : z0 + n_out]  # views from 0 keep the loops vectorizable
    b = W[b0 : b0 + n_out]
    for j in range(n_out):
        z[j] = b[j]
    for i in range(n_in):
        a = acts[a0 + i]
        w = W[w0 + i * n_out : w0 + (i + 1) * n_out]
        for j in range(n_out):
            z[j] += a * w[j]


@kernel
def backprop_row(W, w0, deltas, d0, p0, n_in, n_out):
    """deltas[p0:p0+n_in] = W delta for delta = deltas[d0:d0+n_out] (before f')."""
    d = deltas[d0 : d0 + n_out]
    for i in range(n_in):
        w = W[w0 + i * n_out : w0 + (i + 1) * n_out]
        acc = deltas.dtype.type(0.0)
        for j in range(n_out):
            acc += w[j] * d[j]
        deltas[p0 + i] = acc


@kernel
def squared_norm(x, start, count):
    total = 0.0
    v = x[start : start + count]
    for i in range(count):
        total += v[i] * v[i]
    return total


@kernel
def inplace_update_layer(theta, velocity, optimizer, gamma, step, w0, b0, acts, a0, deltas,
                         d0, n_in, n_out):
    """theta <- theta - step * g (sgd) or v <- gamma v + step * g, theta <- theta - v, for one
    layer whose gradient is the outer product g_ij = a_i delta_j (and g_j = delta_j for the
    biases). Returns (finite, |a|^2, |delta|^2): finite is False when a new value is not
    finite (see ``fastmlp.kernels.updates.inplace_update_range``)."""
    zero = theta.dtype.type(0.0)
    c = theta.dtype.type(step)
    g = theta.dtype.type(gamma)
    probe = zero
    a_sq = 0.0
    d = deltas[d0 : d0 + n_out]
    for i in range(n_in + 1):
        # row n_in is the bias row: input 1, parameters at b0
        a_sq += acts[a0 + i] * acts[a0 + i] if i < n_in else 0.0
        a = c * acts[a0 + i] if i < n_in else c
        row = w0 + i * n_out if i < n_in else b0
        th = theta[row : row + n_out]  # views from 0 keep the loops vectorizable
        if optimizer == SGD:
            for j in range(n_out):
                t = th[j] - a * d[j]
                th[j] = t
                probe += t * zero
        else:
            ve = velocity[row : row + n_out]
            for j in range(n_out):
                v = g * ve[j] + a * d[j]
                ve[j] = v
                t = th[j] - v
                th[j] = t
                probe += t * zero + v * zero
    d_sq = 0.0
    for j in range(n_out):
        d_sq += d[j] * d[j]
    return probe == zero, a_sq, d_sq


@kernel
def train_epoch_per_sample(
    X, Y, theta, velocity, lookahead, order, shuffle_seed,
    sizes, w_off, b_off, u_off, codes, act_params, loss_code, acts, deltas,
    optimizer, schedule, learning_rate, schedule_b, momentum, clip_norm,
    t_start, max_updates, grad_norm_sums, Xb, Yb, block_order,
):
    """One epoch of per-sample SGD / momentum / Nesterov, in place on theta and velocity.

    Arguments and return values are those of :func:`fastmlp.kernels.epochs.train_epoch`
    (without penalties, component clipping and batch size), plus the block buffers
    ``Xb`` (B, n_in), ``Yb`` (B, n_out) and ``block_order`` = arange(B).
    """
    n = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    shuffle_rows(order, shuffle_seed)
    loss_sum = 0.0
    updates = 0
    status = OK
    alpha = learning_rate
    block = Xb.shape[0]
    row = block - 1  # position in the block buffer (a counter: no division per sample)
    for s in range(n):
        if updates >= max_updates:
            break
        row += 1
        if row == block:
            row = 0
            for r in range(min(block, n - s)):
                source = order[s + r]
                for i in range(sizes[0]):
                    Xb[r, i] = X[source, i]
                for k in range(n_out):
                    Yb[r, k] = Y[source, k]
        point = theta
        if optimizer == NESTEROV:
            inplace_lookahead(theta, velocity, momentum, lookahead)
            point = lookahead
        for i in range(sizes[0]):
            acts[i] = Xb[row, i]
        for l in range(1, n_layers + 1):
            forward_row(point, w_off[l - 1], b_off[l - 1], acts, u_off[l - 1], u_off[l],
                        sizes[l - 1], sizes[l])
            if l < n_layers:
                inplace_activate(codes[l - 1], act_params[l - 1], acts, u_off[l],
                                 u_off[l] + sizes[l])
        loss = output_stage(acts, u_off[n_layers], deltas, Yb, block_order, row, 1, n_out,
                            codes[n_layers - 1], act_params[n_layers - 1], loss_code, 1.0)
        if not np.isfinite(loss):
            status = LOSS_NOT_FINITE
            break
        for l in range(n_layers, 1, -1):
            backprop_row(point, w_off[l - 1], deltas, u_off[l], u_off[l - 1], sizes[l - 1],
                         sizes[l])
            inplace_multiply_derivative(codes[l - 2], act_params[l - 2], acts, u_off[l - 1],
                                        deltas, u_off[l - 1], sizes[l - 1])
        alpha = step_size(schedule, learning_rate, schedule_b, t_start + updates + 1)
        finite = True
        if clip_norm > 0.0:
            # |a delta^T|_F = |a| |delta|; the whole gradient adds the bias part |delta|^2.
            # The step needs the norm before any update, hence this separate pass.
            total_sq = 0.0
            for l in range(1, n_layers + 1):
                a_sq = squared_norm(acts, u_off[l - 1], sizes[l - 1])
                d_sq = squared_norm(deltas, u_off[l], sizes[l])
                grad_norm_sums[l - 1] += np.sqrt(a_sq * d_sq)
                total_sq += (a_sq + 1.0) * d_sq
            step = alpha
            if np.sqrt(total_sq) > clip_norm:
                step = alpha * (clip_norm / np.sqrt(total_sq))
            for l in range(1, n_layers + 1):
                ok, _, _ = inplace_update_layer(theta, velocity, optimizer, momentum, step,
                                                w_off[l - 1], b_off[l - 1], acts,
                                                u_off[l - 1], deltas, u_off[l], sizes[l - 1],
                                                sizes[l])
                finite = finite and ok
        else:
            # without clipping, the norms come out of the update loop itself
            for l in range(1, n_layers + 1):
                ok, a_sq, d_sq = inplace_update_layer(theta, velocity, optimizer, momentum,
                                                      alpha, w_off[l - 1], b_off[l - 1], acts,
                                                      u_off[l - 1], deltas, u_off[l],
                                                      sizes[l - 1], sizes[l])
                grad_norm_sums[l - 1] += np.sqrt(a_sq * d_sq)
                finite = finite and ok
        if not finite:
            status = PARAMS_NOT_FINITE
            break
        loss_sum += loss
        updates += 1
    return loss_sum, updates, updates, status, alpha
