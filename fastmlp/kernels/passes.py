"""Full-data passes, each one compiled call: the loss and its gradient over every row of a
dataset, and the network's outputs (inference).

They work in chunks of at most ``buf.rows`` rows, so memory stays flat in the number of rows.
The chunk loop is written out here and in the chunked epoch driver
(:mod:`fastmlp.engines.chunked`) on purpose: shared as an inlined helper, it would be inlined
twice over (its own helpers into it, then it into each driver), which costs the cold compile
more than the copy costs the reader (bench/README.md, "Cold start: three cuts").
"""

import numpy as np

from ._jit import kernel
from .activations import inplace_activate_block
from .layers import backward_chunk, forward_chunk, gather_rows, input_row_major
from .losses import output_of, output_stage
from .optimizers import inplace_add_penalty


@kernel
def loss_and_gradient(theta, data, net, buf, l1, l2, need_grad, sklearn):
    """Weighted mean loss plus penalty over all rows of ``data``, and (if ``need_grad``) its
    gradient into ``buf.grad``. ``sklearn`` is None, or True when the network's loss is one
    of scikit-learn's forms (its branches are compiled only then, see
    :func:`fastmlp.kernels.losses.sklearn_forms`).

    Returns
    -------
    loss : float
        sum_n w_n E_n / sum_n w_n + l1 sum|W| + (l2/2) sum W^2 (w_n = 1 without weights).
        Rows whose weights sum to 0 give a data loss and gradient of 0.
    weight : float
        sum_n w_n (the number of rows without weights).
    """
    X, sample_weight = data.X, data.sample_weight
    acts, deltas, grad, chunk = buf.acts, buf.deltas, buf.grad, buf.rows
    n = X.shape[0]
    n_layers = net.sizes.shape[0] - 1
    z0 = chunk * net.u_off[n_layers]
    output, param = output_of(net)
    order = np.arange(n)
    weight = float(n)
    if sample_weight.shape[0] > 0:
        weight = 0.0
        for i in range(n):
            weight += sample_weight[i]
    scale = 1.0 / weight if weight > 0.0 else 0.0
    total = 0.0
    # range loops, not ``done = 0; while ...``: the while loop's first value is typed as the
    # literal 0, and each callee was compiled once more for it (tests/test_compile_rules.py)
    for done in range(0, n, chunk):
        m = min(chunk, n - done)
        gather_rows(X, order, done, m, acts, input_row_major(net.sizes, m))
        forward_chunk(theta, net, acts, m, chunk)
        total += output_stage(acts, z0, deltas, data.Y, sample_weight, order, done, m, output,
                              param, scale, sklearn)
        if need_grad:
            backward_chunk(theta, net, acts, deltas, grad, m, chunk, done == 0)
    loss = total * scale
    if need_grad:
        loss += inplace_add_penalty(theta, grad, net, l1, l2)
    elif l1 != 0.0 or l2 != 0.0:
        # the penalty's value alone: its gradient goes into grad, which is not asked for
        loss += inplace_add_penalty(theta, grad, net, l1, l2)
    return loss, weight


@kernel
def forward(theta, X, net, buf, out):
    """Network outputs for every row of X into ``out`` (n, K)."""
    acts, chunk = buf.acts, buf.rows
    n = X.shape[0]
    n_layers = net.sizes.shape[0] - 1
    n_out = net.sizes[n_layers]
    z0 = chunk * net.u_off[n_layers]
    order = np.arange(n)
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        gather_rows(X, order, first, m, acts, input_row_major(net.sizes, m))
        forward_chunk(theta, net, acts, m, chunk)
        inplace_activate_block(net.codes[n_layers - 1], net.act_params[n_layers - 1], acts, z0,
                               n_out, m)
        for r in range(m):
            for k in range(n_out):
                out[first + r, k] = acts[z0 + k * m + r]
    return out
