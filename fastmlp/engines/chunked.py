"""The chunked engine: (mini-)batch gradient descent of any batch size, every option.

A batch's gradient is accumulated chunk by chunk (at most ``buf.rows`` rows at a time), so
memory stays flat in the batch size and the number of rows; small products run as loops,
large ones through BLAS (:mod:`fastmlp.kernels.layers`). This is the general engine: it
supports every configuration, and the specialised engines are checked against it.
"""

from __future__ import annotations

import numpy as np

from ..kernels._jit import kernel
from ..kernels.layers import (
    backward_chunk,
    forward_chunk,
    gather_rows,
    input_row_major,
    prefetch_rows,
)
from ..kernels.losses import output_of, output_stage
from ..kernels.optimizers import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    inplace_add_penalty,
    inplace_lookahead,
    inplace_update,
)
from ..kernels.rng import shuffle_rows
from ..kernels.structs import EpochResult
from .base import Engine


@kernel
def _train_epoch(data, params, slots, order, shuffle_seed, net, buf, rule, clip, sklearn,
                 batch_size, t_start, norm_sums, moments):
    """One epoch of (mini-)batch gradient descent, in place on ``params`` and ``slots``.

    Parameters
    ----------
    data : Data
    params, slots : the flat parameters and the optimizer's slots (fastmlp.kernels.optimizers)
    order : int64 (n,)
        Row order, shuffled here in place (Fisher-Yates) when ``shuffle_seed >= 0``.
    net : Network
    buf : Chunk
    rule : Rule
    clip : (clip_value, clip_norm)
        0.0 for a bound not set (:func:`fastmlp.kernels.optimizers.inplace_update`).
    sklearn : None or True
        True compiles scikit-learn's forms in too (its batch convention, the ``_SKLEARN``
        rules and losses); None prunes them (fastmlp.kernels.optimizers).
    batch_size : int
        Rows per update (the last batch holds the remaining rows).
    t_start : int
        Updates made before this epoch; update t (1-based) uses step size alpha_t.
    norm_sums : float64 (L,)
        Each update adds its per-layer weight-gradient norms (before clipping).
    moments : None or True
        The rule's family (fastmlp.rules): True compiles only the loops of the rules with
        moment estimates, None only the others'.

    Returns
    -------
    (loss_sum, weight_sum, updates, status, alpha)
        The fields of an EpochResult. A batch whose weights sum to 0 is skipped: no update,
        nothing counted. With ``sklearn`` True the penalty is divided
        by the batch's weight and batches are counted by rows (fastmlp.kernels.optimizers).
    """
    X, Y, sample_weight = data.X, data.Y, data.sample_weight
    acts, deltas, grad, chunk = buf.acts, buf.deltas, buf.grad, buf.rows
    weighted = sample_weight.shape[0] > 0
    n = X.shape[0]
    shuffle_rows(order, shuffle_seed)
    n_layers = net.sizes.shape[0] - 1
    z0 = chunk * net.u_off[n_layers]
    output, param = output_of(net)
    loss_sum = 0.0
    weight_sum = 0.0
    updates = 0
    status = OK
    alpha = rule.learning_rate
    for first in range(0, n, batch_size):
        rows = min(batch_size, n - first)
        weight = float(rows)
        if weighted:
            weight = 0.0
            for r in range(rows):
                weight += sample_weight[order[first + r]]
            if weight == 0.0:
                continue
        point = params
        if rule.optimizer == NESTEROV:
            inplace_lookahead(params, slots[0], rule.momentum, buf.lookahead)
            point = buf.lookahead
        # the batch's weighted mean loss and its gradient, chunk by chunk
        scale = 1.0 / weight
        total = 0.0
        done = 0
        while done < rows:
            m = min(chunk, rows - done)
            gather_rows(X, order, first + done, m, acts, input_row_major(net.sizes, m))
            # start loading the next chunk's rows (shuffled: scattered over X and Y) now, so
            # their cache misses overlap this chunk's work instead of stalling the next gather
            prefetch_rows(X, order, first + done + m, chunk)
            prefetch_rows(Y, order, first + done + m, chunk)
            forward_chunk(point, net, acts, m, chunk)
            total += output_stage(acts, z0, deltas, Y, sample_weight, order, first + done, m,
                                  output, param, scale, sklearn)
            backward_chunk(point, net, acts, deltas, grad, m, chunk, done == 0)
            done += m
        penalty_scale = scale if sklearn is not None else 1.0
        loss = total * scale + inplace_add_penalty(point, grad, net, rule.l1 * penalty_scale,
                                                   rule.l2 * penalty_scale)
        if not np.isfinite(loss):
            status = LOSS_NOT_FINITE
            break
        finite, alpha = inplace_update(params, grad, slots, net, rule, clip, sklearn,
                                       t_start + updates + 1, norm_sums, moments)
        if not finite:
            status = PARAMS_NOT_FINITE
            break
        counted = float(rows) if sklearn is not None else weight
        loss_sum += loss * counted
        weight_sum += counted
        updates += 1
    return loss_sum, weight_sum, updates, status, alpha


class ChunkedEngine(Engine):
    """Any batch size, every option: the general engine (see the module docstring)."""

    name = "chunked"
    kernel = staticmethod(_train_epoch)

    @classmethod
    def unsupported(cls, config, n_rows, threads, weighted=False):
        return None

    def __init__(self, work, data, config):
        super().__init__(work, data, config)
        n = data.X.shape[0]
        self.batch_rows = n if config.batch_size is None else min(config.batch_size, n)
        self.buffers = work.chunk(self.batch_rows, lookahead=self.rule.optimizer == NESTEROV)
        self.order = np.arange(n, dtype=np.int64)

    def set_order(self, order):
        np.copyto(self.order, order)

    def run_epoch(self, params, state, shuffle_seed, norm_sums):
        return EpochResult(*_train_epoch(
            self.data, params, state.slots, self.order, shuffle_seed, self.work.network,
            self.buffers, self.rule, self.clip_bounds, self.sklearn, self.batch_rows, state.t,
            norm_sums,
            self.moments))

