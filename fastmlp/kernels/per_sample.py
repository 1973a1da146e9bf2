"""Per-sample SGD (batch size 1) as one fused loop: the lecture notes' training loop
(pick a row, predict, compute the loss, update) with nothing between the steps.

For one row the weight gradient of layer l is the outer product a^(l-1) delta^(l)^T, so it is
never stored: the update ``W_ij -= alpha * a_i * delta_j`` is applied straight from the
activations and deltas, and the gradient's norm (for ``clip_norm`` and the per-layer norms of
the history) is ``|a^(l-1)| * |delta^(l)|`` without a pass over the weights. Without
``clip_norm`` each layer's backward step and update share one pass over its weights: row i of
W gives delta_i of the layer below (read before the row is updated), then is updated. Weight
penalties and component clipping change the outer-product structure, so those runs take the
general path of :mod:`fastmlp.kernels.epochs` instead.

The loop works on one contiguous ``work`` buffer, into which the parameters and velocity are
copied for the epoch, followed in memory by ``grad_norm_sums`` (see :func:`workspace`), so
all that the loop writes for every row sits in one block of memory. Inside the loop, arrays
are borrowed (not reference-counted) and indexed with unsigned integers instead of sliced
into views (see :mod:`fastmlp.kernels.indexing`): measured on the 3-4-2 network, 113-115
ns/sample against 133-134 with views (bench/README.md).

Rows are visited through a block buffer: each block of ``Xb.shape[0]`` rows is first copied in
the epoch's (shuffled) order, then trained on sequentially. The copy's loads are independent
of each other, so the CPU overlaps their cache misses; read one at a time inside the training
loop, a shuffled row of a large X costs a full memory latency per sample (measured: 553 vs 234
ns/sample on 200,000 rows of the 3-4-2 network).
"""

import numpy as np

from ._jit import inlined, kernel
from .activations import activation_value_inlined, derivative_value, derivative_value_inlined
from .dense import output_stage_inlined, shuffle_rows
from .indexing import borrowed, unsigned
from .updates import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    SGD,
    inplace_lookahead,
    step_size,
)


def workspace(n_params: int, n_units: int, n_layers: int, dtype):
    """The buffers that :func:`train_epoch_per_sample` writes for every row, in one block of
    memory (see the module docstring).

    Returns
    -------
    work : array of ``dtype``, 3 * n_params + 2 * n_units
        Room for the parameters, velocity and look-ahead point, then one row's activations
        and deltas (``n_units`` = ``u_off[-1]``).
    norm_sums : float64 array (n_layers,), zeros
        Pass it as ``grad_norm_sums``: it directly follows ``work``.
    """
    dtype = np.dtype(dtype)
    work_bytes = (3 * n_params + 2 * n_units) * dtype.itemsize
    norms_at = -(-work_bytes // 8) * 8  # float64-aligned (NumPy's allocations are 16-aligned)
    block = np.zeros(norms_at + 8 * n_layers, np.uint8)
    return block[:work_bytes].view(dtype), block[norms_at:].view(np.float64)


@inlined
def forward_layer_row(W, w0, b0, acts, a0, z0, n_in, n_out, code, param, activate):
    """acts[z0:z0+n_out] = f(a W + b) for the row a = acts[a0:a0+n_in]; just a W + b when not
    ``activate`` (the output layer, whose activation belongs to the output stage)."""
    for j in range(n_out):
        acts[unsigned(z0 + j)] = W[unsigned(b0 + j)]
    for i in range(n_in):
        a_i = acts[unsigned(a0 + i)]
        row = w0 + i * n_out
        for j in range(n_out):
            acts[unsigned(z0 + j)] += a_i * W[unsigned(row + j)]
    if activate:
        p = acts.dtype.type(param)
        for j in range(n_out):
            at = unsigned(z0 + j)
            acts[at] = activation_value_inlined(code, p, acts[at])


@inlined
def squared_norm(v, start, count):
    """The squared norm of v[start:start+count]."""
    total = 0.0
    for i in range(count):
        x = v[unsigned(start + i)]
        total += x * x
    return total


@inlined
def weighted_delta_sum(W, row, deltas, d0, n_out):
    """sum_j w_ij delta_j for unit i in the layer below, from row i of W (at ``W[row]``) and
    the deltas deltas[d0:d0+n_out] of the layer: delta_i before the factor f'(z_i)."""
    acc = deltas.dtype.type(0.0)
    for j in range(n_out):
        acc += W[unsigned(row + j)] * deltas[unsigned(d0 + j)]
    return acc


@inlined
def backprop_row(W, w0, deltas, d0, p0, n_in, n_out, acts, code, param):
    """deltas[p0:p0+n_in] = (W delta) * f'(z) for delta = deltas[d0:d0+n_out], with f' taken
    from the activations acts[p0:p0+n_in] of the layer below. Only clipped fits use it: f'
    is called rather than copied in, to keep the kernel's compile short."""
    p = deltas.dtype.type(param)
    for i in range(n_in):
        at = unsigned(p0 + i)
        deltas[at] = (weighted_delta_sum(W, w0 + i * n_out, deltas, d0, n_out)
                      * derivative_value(code, p, acts[at]))


@inlined
def backprop_and_update_layer(point, theta, velocity, optimizer, gamma, step, w0, b0, acts,
                              a0, deltas, d0, n_in, n_out, code, param, propagate):
    """One layer's backward step and update, in one pass over its weights.

    The layer's inputs are a = acts[a0:a0+n_in] and its deltas d = deltas[d0:d0+n_out]. When
    ``propagate``, row i of W (read at ``point``: theta, or Nesterov's look-ahead) first gives
    the delta of unit i below, into deltas[a0 + i], before the row is updated. The update is
    theta <- theta - step * g (sgd) or v <- gamma v + step * g, theta <- theta - v, with the
    gradient g = a d^T for W and d for b.

    Returns (finite, |a|^2, |d|^2); finite is False when a new value is not finite (a sum of
    ``x * 0`` is NaN exactly then, see ``fastmlp.kernels.updates.inplace_update_range``).
    """
    zero = theta.dtype.type(0.0)
    one = theta.dtype.type(1.0)
    c = theta.dtype.type(step)
    g = theta.dtype.type(gamma)
    p = theta.dtype.type(param)
    probe = zero
    a_sq = 0.0
    d_sq = squared_norm(deltas, d0, n_out)
    # rows 0..n_in-1 hold the weights (input a_i), row n_in the biases (input 1)
    for i in range(n_in + 1):
        weights = i < n_in
        a_i = acts[unsigned(a0 + i)] if weights else one
        row = w0 + i * n_out if weights else b0
        if propagate and weights:
            deltas[unsigned(a0 + i)] = (weighted_delta_sum(point, row, deltas, d0, n_out)
                                        * derivative_value_inlined(code, p, a_i))
        if weights:
            a_sq += a_i * a_i
        ca = c * a_i
        if optimizer == SGD:
            for j in range(n_out):
                at = unsigned(row + j)
                t = theta[at] - ca * deltas[unsigned(d0 + j)]
                theta[at] = t
                probe += t * zero
        else:
            for j in range(n_out):
                at = unsigned(row + j)
                v = g * velocity[at] + ca * deltas[unsigned(d0 + j)]
                velocity[at] = v
                t = theta[at] - v
                theta[at] = t
                probe += t * zero + v * zero
    return probe == zero, a_sq, d_sq


@kernel
def train_epoch_per_sample(
    X, Y, theta, velocity, order, shuffle_seed,
    sizes, w_off, b_off, u_off, codes, act_params, loss_code,
    optimizer, schedule, learning_rate, schedule_b, momentum, clip_norm,
    t_start, grad_norm_sums, Xb, Yb, block_order, work,
):
    """One epoch of per-sample SGD / momentum / Nesterov, in place on theta and velocity.

    Arguments and return values are those of :func:`fastmlp.kernels.epochs.train_epoch`
    (without penalties, component clipping, batch size and the chunk buffers), plus the block
    buffers ``Xb`` (B, n_in), ``Yb`` (B, n_out), ``block_order`` = arange(B), and ``work``
    from :func:`workspace` (whose ``norm_sums`` should be ``grad_norm_sums``).
    """
    # arrays passed into the inlined helpers, borrowed: no reference counting per row
    # (see fastmlp.kernels.indexing)
    work = borrowed(work)
    Xb = borrowed(Xb)
    Yb = borrowed(Yb)
    block_order = borrowed(block_order)
    n = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_out = sizes[n_layers]
    n_params = theta.shape[0]
    n_units = u_off[n_layers + 1]
    # the epoch runs on copies in one contiguous buffer (see the module docstring)
    params = work[:n_params]
    vel = work[n_params : 2 * n_params]
    lookahead = work[2 * n_params : 3 * n_params]
    acts = work[3 * n_params : 3 * n_params + n_units]
    deltas = work[3 * n_params + n_units : 3 * n_params + 2 * n_units]
    # element loops, not ``params[:] = theta``: a slice assignment compiles Numba's shape-
    # mismatch error message (string formatting helpers; first fit 7.5 s with it, 4.8 without)
    for i in range(n_params):
        params[i] = theta[i]
        vel[i] = velocity[i]

    shuffle_rows(order, shuffle_seed)
    loss_sum = 0.0
    updates = 0
    status = OK
    alpha = learning_rate
    block = Xb.shape[0]
    row = block - 1  # position in the block buffer (a counter: no division per sample)
    for s in range(n):
        row += 1
        if row == block:
            row = 0
            for r in range(min(block, n - s)):
                source = order[s + r]
                for i in range(sizes[0]):
                    Xb[r, i] = X[source, i]
                for k in range(n_out):
                    Yb[r, k] = Y[source, k]
        point = params
        if optimizer == NESTEROV:
            inplace_lookahead(params, vel, momentum, lookahead)
            point = lookahead
        for i in range(sizes[0]):
            acts[i] = Xb[unsigned(row), i]
        for l in range(1, n_layers + 1):
            forward_layer_row(point, w_off[l - 1], b_off[l - 1], acts, u_off[l - 1], u_off[l],
                              sizes[l - 1], sizes[l], codes[l - 1], act_params[l - 1],
                              l < n_layers)
        loss = output_stage_inlined(acts, u_off[n_layers], deltas, Yb, block_order, row, 1,
                                    n_out, codes[n_layers - 1], act_params[n_layers - 1],
                                    loss_code, 1.0)
        if not np.isfinite(loss):
            status = LOSS_NOT_FINITE
            break
        alpha = step_size(schedule, learning_rate, schedule_b, t_start + updates + 1)
        step = alpha
        clipping = clip_norm > 0.0
        if clipping:
            # |a delta^T|_F = |a| |delta|; the whole gradient adds the bias part |delta|^2.
            # The step needs the norm before any update, so every delta comes first.
            for l in range(n_layers, 1, -1):
                backprop_row(point, w_off[l - 1], deltas, u_off[l], u_off[l - 1],
                             sizes[l - 1], sizes[l], acts, codes[l - 2], act_params[l - 2])
            total_sq = 0.0
            for l in range(1, n_layers + 1):
                a_sq = squared_norm(acts, u_off[l - 1], sizes[l - 1])
                d_sq = squared_norm(deltas, u_off[l], sizes[l])
                grad_norm_sums[l - 1] += np.sqrt(a_sq * d_sq)
                total_sq += (a_sq + 1.0) * d_sq
            if np.sqrt(total_sq) > clip_norm:
                step = alpha * (clip_norm / np.sqrt(total_sq))
        # One call site for the layer pass, whether or not clipping computed the deltas
        # already: each inlined copy of it adds to the kernel's compile time.
        finite = True
        for l in range(n_layers, 0, -1):
            # codes[l - 2] is the activation of the layer below (unused for l = 1)
            ok, a_sq, d_sq = backprop_and_update_layer(
                point, params, vel, optimizer, momentum, step, w_off[l - 1], b_off[l - 1],
                acts, u_off[l - 1], deltas, u_off[l], sizes[l - 1], sizes[l],
                codes[max(l - 2, 0)], act_params[max(l - 2, 0)], l > 1 and not clipping)
            if not clipping:
                grad_norm_sums[l - 1] += np.sqrt(a_sq * d_sq)
            finite = finite and ok
        if not finite:
            status = PARAMS_NOT_FINITE
            break
        loss_sum += loss
        updates += 1
    for i in range(n_params):
        theta[i] = params[i]
        velocity[i] = vel[i]
    return loss_sum, updates, updates, status, alpha
