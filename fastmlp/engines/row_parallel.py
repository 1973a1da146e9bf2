"""The row-parallel engine: full-batch gradient descent (one update per epoch) with the
gradient's rows split across threads (:class:`fastmlp.full_data.FullDataPass`).

Row order does not matter to a full-batch gradient, so nothing is shuffled. The update is the
same compiled step (:func:`fastmlp.kernels.optimizers.inplace_update`) that the chunked
engine applies, so the two differ only in the gradient's summation order.
"""

from __future__ import annotations

import numpy as np

from ..full_data import FullDataPass
from ..kernels import passes
from ..kernels.optimizers import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    inplace_lookahead,
    inplace_update,
)
from ..kernels.structs import EpochResult
from ..parallel import MIN_ROWS_PER_THREAD
from .base import Engine


class RowParallelEngine(Engine):
    """Full batch on two or more threads, each with at least ``MIN_ROWS_PER_THREAD`` rows."""

    name = "row_parallel"
    kernel = staticmethod(passes.loss_and_gradient)

    @classmethod
    def unsupported(cls, config, n_rows, threads, weighted=False):
        if config.batch_size is not None and config.batch_size < n_rows:
            return "it trains full batches only (batch_size=None)"
        if min(threads, n_rows // MIN_ROWS_PER_THREAD) < 2:
            return (f"it needs 2 threads with {MIN_ROWS_PER_THREAD} rows each "
                    f"({n_rows} rows, {threads} threads; see fastmlp.set_num_threads)")
        return None

    def __init__(self, work, data, config):
        super().__init__(work, data, config)
        self.full = FullDataPass(work, data)
        self.lookahead = work.vector() if self.rule.optimizer == NESTEROV else None
        # scikit-learn's batch convention: the penalty divided by the batch's (here: all
        # rows') weight, and the epoch's loss counted by rows
        weighted = data.sample_weight.shape[0] > 0
        total_weight = float(data.sample_weight.sum()) if weighted else float(data.X.shape[0])
        sklearn = self.sklearn is not None
        self.penalty_scale = 1.0 / total_weight if sklearn and total_weight > 0 else 1.0
        self.count_rows = sklearn

    def set_data(self, data):
        super().set_data(data)
        self.full = FullDataPass(self.work, data)

    def run_epoch(self, params, state, shuffle_seed, norm_sums):
        rule = self.rule
        point = params
        if self.lookahead is not None:
            inplace_lookahead(params, state.slots[0], rule.momentum, self.lookahead)
            point = self.lookahead
        loss, grad, weight = self.full.loss_and_gradient(point, rule.l1 * self.penalty_scale,
                                                         rule.l2 * self.penalty_scale)
        if not np.isfinite(loss):
            return EpochResult(0.0, 0.0, 0, LOSS_NOT_FINITE, rule.learning_rate)
        finite, alpha = inplace_update(params, grad, state.slots, self.work.network, rule,
                                       self.clip_bounds, self.sklearn, state.t + 1, norm_sums,
                                       self.moments)
        if not finite:
            return EpochResult(0.0, 0.0, 0, PARAMS_NOT_FINITE, alpha)
        if self.count_rows:
            weight = float(self.data.X.shape[0])
        return EpochResult(loss * weight, weight, 1, OK, alpha)
