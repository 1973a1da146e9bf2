"""Fused drivers: a whole training epoch, a full-data loss and gradient, and inference, each
one compiled call.

Python only loops over epochs; row order, forward pass, deltas, penalties, clipping, the step
size schedule and the update all run here, with every buffer allocated once by the caller.
The drivers work in chunks of at most ``chunk`` rows, so memory stays flat in the number of
rows and the batch size: a batch larger than a chunk accumulates its gradient chunk by chunk.

The chunk loop (gather, forward, output stage, backward) is written out in both
:func:`train_epoch` and :func:`loss_and_gradient` on purpose: as a shared inlined helper it
was inlined twice over (its own helpers into it, then it into the driver), which cost the
first fit's cold compile about 1 s more (median of 4 alternating runs with empty caches,
8.1 against 7.2 s; bench/README.md, "Cold start").
"""

import numpy as np

from ._jit import kernel
from .activations import inplace_activate_block
from .dense import (
    backward_chunk,
    forward_chunk,
    gather_rows,
    input_row_major,
    output_stage,
    prefetch_rows,
    shuffle_rows,
)
from .updates import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    inplace_add_penalty,
    inplace_lookahead,
    inplace_step,
    step_size,
)


@kernel
def train_epoch(
    X, Y, theta, velocity, lookahead, grad, order, shuffle_seed,
    sizes, w_off, b_off, u_off, codes, act_params, loss_code,
    acts, deltas, chunk,
    optimizer, schedule, learning_rate, schedule_b, momentum,
    clip_value, clip_norm, l1, l2,
    batch_size, t_start, grad_norm_sums,
):
    """Run one epoch of (mini-)batch gradient descent in place on ``theta`` and ``velocity``.

    Parameters (beyond the layout and buffers of :mod:`fastmlp.kernels.dense`)
    ----------------------------------------------------------------------------
    order : int64 array (n,)
        Row order, shuffled here in place (Fisher-Yates) when ``shuffle_seed >= 0``.
    optimizer, schedule : int codes of :mod:`fastmlp.kernels.updates`.
    batch_size : rows per update (1 = per-sample SGD, n = full batch).
    t_start : updates made before this epoch; update t (1-based) uses step size alpha_t.
    grad_norm_sums : float64 (L,), each update adds its weight-gradient norms per layer
        (before clipping).

    Returns
    -------
    loss_sum : sum over applied updates of (batch mean loss + penalty) * batch rows
    rows_done, updates_done : rows and updates fully applied
    status : OK, LOSS_NOT_FINITE (stopped before updating) or PARAMS_NOT_FINITE (the last
        update wrote a non-finite value: the caller restores the epoch's starting state)
    alpha : step size of the last update attempted
    """
    n = X.shape[0]
    shuffle_rows(order, shuffle_seed)
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    z0 = chunk * u_off[n_layers]
    loss_sum = 0.0
    updates = 0
    rows_done = 0
    status = OK
    alpha = learning_rate
    for first in range(0, n, batch_size):
        rows = min(batch_size, n - first)
        point = theta
        if optimizer == NESTEROV:
            inplace_lookahead(theta, velocity, momentum, lookahead)
            point = lookahead
        # the batch's mean loss and its gradient, chunk by chunk
        scale = 1.0 / rows
        total = 0.0
        done = 0
        while done < rows:
            m = min(chunk, rows - done)
            gather_rows(X, order, first + done, m, acts, input_row_major(sizes, m))
            # start loading the next chunk's rows (shuffled: scattered over X and Y) now, so
            # their cache misses overlap this chunk's work instead of stalling the next gather
            prefetch_rows(X, order, first + done + m, chunk)
            prefetch_rows(Y, order, first + done + m, chunk)
            forward_chunk(point, sizes, w_off, b_off, u_off, codes, act_params, acts, m, chunk)
            total += output_stage(acts, z0, deltas, Y, order, first + done, m, n_out,
                                  codes[n_layers - 1], act_params[n_layers - 1], loss_code,
                                  scale)
            backward_chunk(point, sizes, w_off, b_off, u_off, codes, act_params, acts, deltas,
                           grad, m, chunk, done == 0)
            done += m
        loss = total * scale + inplace_add_penalty(point, grad, sizes, w_off, l1, l2)
        if not np.isfinite(loss):
            status = LOSS_NOT_FINITE
            break
        alpha = step_size(schedule, learning_rate, schedule_b, t_start + updates + 1)
        if not inplace_step(theta, grad, velocity, sizes, w_off, b_off, grad_norm_sums,
                            clip_value, clip_norm, optimizer, alpha, momentum):
            status = PARAMS_NOT_FINITE
            break
        loss_sum += loss * rows
        updates += 1
        rows_done += rows
    return loss_sum, rows_done, updates, status, alpha


@kernel
def loss_and_gradient(
    theta, X, Y, sizes, w_off, b_off, u_off, codes, act_params, loss_code,
    acts, deltas, grad, scratch, chunk, l1, l2, need_grad,
):
    """Mean loss plus penalty over all rows of X, and (if ``need_grad``) its gradient."""
    n = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    z0 = chunk * u_off[n_layers]
    order = np.arange(n)
    scale = 1.0 / n
    total = 0.0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        gather_rows(X, order, done, m, acts, input_row_major(sizes, m))
        forward_chunk(theta, sizes, w_off, b_off, u_off, codes, act_params, acts, m, chunk)
        total += output_stage(acts, z0, deltas, Y, order, done, m, n_out, codes[n_layers - 1],
                              act_params[n_layers - 1], loss_code, scale)
        if need_grad:
            backward_chunk(theta, sizes, w_off, b_off, u_off, codes, act_params, acts, deltas,
                           grad, m, chunk, done == 0)
        done += m
    loss = total * scale
    if need_grad:
        loss += inplace_add_penalty(theta, grad, sizes, w_off, l1, l2)
    elif l1 != 0.0 or l2 != 0.0:
        # the penalty's value alone: computed on a scratch gradient that is thrown away
        loss += inplace_add_penalty(theta, scratch[: theta.shape[0]], sizes, w_off, l1, l2)
    return loss


@kernel
def forward(theta, X, sizes, w_off, b_off, u_off, codes, act_params, acts, chunk, out):
    """Network outputs for every row of X into ``out`` (n, K)."""
    n = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    z0 = chunk * u_off[n_layers]
    order = np.arange(n)
    first = 0
    while first < n:
        m = min(chunk, n - first)
        gather_rows(X, order, first, m, acts, input_row_major(sizes, m))
        forward_chunk(theta, sizes, w_off, b_off, u_off, codes, act_params, acts, m, chunk)
        inplace_activate_block(codes[n_layers - 1], act_params[n_layers - 1], acts, z0, n_out, m)
        for r in range(m):
            for k in range(n_out):
                out[first + r, k] = acts[z0 + k * m + r]
        first += m
    return out
