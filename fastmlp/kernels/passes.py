"""Full-data passes, each one compiled call: the loss and its gradient over every row of a
dataset, and the network's outputs (inference).

They work in chunks of at most ``buf.rows`` rows, so memory stays flat in the number of rows.
The chunk loop is written out here and in the chunked epoch driver
(:mod:`fastmlp.engines.chunked`); what it calls per chunk (the gather, the forward and backward
passes, the output stage) is compiled once and shared by both (bench/README.md, "Cold start").
"""

from ._jit import kernel
from .activations import inplace_activate, inplace_activate_rows
from .layers import backward_chunk, dense_rows, forward_chunk, gather_rows, input_row_major
from .losses import output_of, output_stage
from .optimizers import inplace_add_penalty


@kernel
def loss_and_gradient(theta, data, order, net, buf, l1, l2, need_grad, sklearn, dropout):
    """Weighted mean loss plus penalty over all rows of ``data``, and (if ``need_grad``) its
    gradient into ``buf.grad``. ``order`` is ``arange(n)`` as int64, made by the caller: built
    here, it would compile NumPy's arange into the kernel, a quarter of a second of the cold
    compile (bench/README.md, "A one-row output stage"). ``sklearn`` is None, or True when
    the network's loss is one of scikit-learn's forms (its branches are compiled only then,
    see :func:`fastmlp.kernels.losses.sklearn_forms`). ``dropout`` is None, or the
    :class:`fastmlp.kernels.structs.Dropout` of a training pass (the row-parallel engine:
    masks keyed by the rows' places in the data, ``dropout.row_offset`` being where ``data``
    starts; see :func:`fastmlp.kernels.layers.forward_chunk`).

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
        forward_chunk(theta, net, acts, m, chunk, dropout, order, done)
        total += output_stage(acts, z0, deltas, data.Y, sample_weight, order, done, m, output,
                              param, scale, sklearn)
        if need_grad:
            backward_chunk(theta, net, acts, deltas, grad, m, chunk, done == 0, dropout)
    loss = total * scale
    if need_grad:
        loss += inplace_add_penalty(theta, grad, net, l1, l2)
    elif l1 != 0.0 or l2 != 0.0:
        # the penalty's value alone: its gradient goes into grad, which is not asked for
        loss += inplace_add_penalty(theta, grad, net, l1, l2)
    return loss, weight


@kernel
def forward(theta, X, net, buf, out):
    """Network outputs for every row of X into ``out`` (n, K).

    Unlike the training passes this works row-major (:func:`fastmlp.kernels.layers.
    dense_rows`): the first layer's product reads the rows of X where they are, with no
    gather, and the last layer writes straight into ``out``. Layer l's block of ``buf.acts``
    holds a chunk's activations row by row.

    Returns whether every value of X is finite, tested chunk by chunk while the rows are in
    the cache (``x * 0`` is NaN exactly for NaN and inf): a separate ``np.isfinite`` pass
    over X cost a fifth of the inference time (bench/README.md, "Inference row-major").
    """
    sizes, w_off, b_off, u_off = net.sizes, net.w_off, net.b_off, net.u_off
    acts, chunk = buf.acts, buf.rows
    n = X.shape[0]
    n_layers = sizes.shape[0] - 1
    n_in, n_out = sizes[0], sizes[n_layers]
    inputs = X.reshape(n * n_in)
    outputs = out.reshape(n * n_out)
    zero = acts.dtype.type(0.0)
    probe = zero
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        a = inputs[first * n_in : (first + m) * n_in]
        for i in range(a.shape[0]):
            probe += a[i] * zero
        for l in range(1, n_layers):
            z0 = chunk * u_off[l]
            z = acts[z0 : z0 + m * sizes[l]]
            dense_rows(theta, w_off[l - 1], b_off[l - 1], a, m, sizes[l - 1], sizes[l], z)
            inplace_activate(net.codes[l - 1], net.act_params[l - 1], acts, z0,
                             z0 + m * sizes[l])
            a = z
        z = outputs[first * n_out : (first + m) * n_out]
        dense_rows(theta, w_off[n_layers - 1], b_off[n_layers - 1], a, m, sizes[n_layers - 1],
                   n_out, z)
        inplace_activate_rows(net.codes[n_layers - 1], net.act_params[n_layers - 1], outputs,
                              first * n_out, n_out, m)
    return probe == zero
