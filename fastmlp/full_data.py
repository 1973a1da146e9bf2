"""Passes over all rows of a dataset -- the weighted mean loss, its gradient, the network's
outputs -- with their buffers allocated once, and the rows split across threads where that
pays (:mod:`fastmlp.parallel`).

Each thread's slice gives its weighted mean and its weight; the slices' means are combined
in proportion to their weights. Only the summation order changes, so results agree with one
thread to rounding (``tests/test_threads.py``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as check
from . import prefetch
from .compiling import notice_if_compiling
from .kernels import passes
from .kernels.losses import sklearn_forms
from .kernels.optimizers import inplace_add_penalty
from .kernels.structs import Data
from .parallel import row_bounds, run_parts, threads_for


class FullDataPass:
    """The full-data loss, gradient and outputs of one network on one dataset.

    Parameters
    ----------
    work : fastmlp.workspace.Workspace
        Where the buffers come from (one chunk buffer per thread).
    data : Data
        The rows; ``Y`` and ``sample_weight`` are only read by :meth:`loss_and_gradient`.
    dropout : tuple of float or None
        Dropout rates of the hidden layers, for training passes (the row-parallel engine):
        :meth:`loss_and_gradient` given a ``mask_seed`` then masks the hidden units.
    """

    def __init__(self, work, data: Data, dropout=None):
        n = data.X.shape[0]
        self.X = data.X
        self.network = work.network
        self.bounds = row_bounds(n, threads_for(n))
        weighted = data.sample_weight.shape[0] > 0
        self.parts = [Data(data.X[a:b], data.Y[a:b],
                           data.sample_weight[a:b] if weighted else data.sample_weight)
                      for a, b in self.bounds]
        self.buffers = [work.chunk(b - a) for a, b in self.bounds]
        self.orders = [np.arange(b - a, dtype=np.int64) for a, b in self.bounds]
        self.grad = self.buffers[0].grad if len(self.bounds) == 1 else work.vector()
        self.sklearn = sklearn_forms(work.network.loss)
        # one per thread: its own factor buffer, its rows' masks keyed by their places in data
        self.dropout = [work.dropout(dropout, buf.rows, a)
                        for buf, (a, _) in zip(self.buffers, self.bounds)]

    @property
    def threads(self) -> int:
        return len(self.bounds)

    def loss_and_gradient(self, params, l1: float = 0.0, l2: float = 0.0,
                          need_grad: bool = True,
                          mask_seed: int | None = None) -> tuple[float, np.ndarray, float]:
        """(loss, gradient, total weight) at ``params``: the weighted mean loss plus
        ``l1 * sum|W| + (l2/2) * sum W^2``, its gradient (in :attr:`grad`, overwritten by the
        next call; not computed unless ``need_grad``) and the rows' total weight. With
        ``mask_seed`` (a pass built with dropout rates), those of the network with the hidden
        units dropped by the masks of that seed (:mod:`fastmlp.kernels.dropout`)."""
        net = self.network
        masks = [None] * self.threads
        if mask_seed is not None:
            if self.dropout[0] is None:
                raise ValueError("mask_seed needs a pass built with dropout rates")
            masks = [d._replace(seed=int(mask_seed)) for d in self.dropout]
        if self.threads == 1:
            loss, weight = passes.loss_and_gradient(params, self.parts[0], self.orders[0], net,
                                                    self.buffers[0], l1, l2, need_grad,
                                                    self.sklearn, masks[0])
            return loss, self.grad, weight

        def job(k):
            return passes.loss_and_gradient(params, self.parts[k], self.orders[k], net,
                                            self.buffers[k], 0.0,
                                            0.0, need_grad, self.sklearn, masks[k])

        results = run_parts(job, self.threads)
        weight = sum(w for _, w in results)
        loss = 0.0
        for k, (value, part_weight) in enumerate(results):
            share = part_weight / weight if weight > 0 else 0.0
            loss += share * value
            if need_grad:
                part_grad = self.buffers[k].grad
                if k == 0:
                    np.multiply(part_grad, share, out=self.grad, casting="same_kind")
                else:
                    self.grad += part_grad * self.grad.dtype.type(share)
        # without need_grad the penalty's gradient lands in grad unread: only its value counts
        loss += inplace_add_penalty(params, self.grad, net, l1, l2)
        return loss, self.grad, weight

    def forward(self, params, out: np.ndarray, name: str = "X") -> np.ndarray:
        """The network's outputs for every row into ``out`` (n, n_outputs).

        Raises ValueError naming ``name`` (and the first bad index) when the rows hold a NaN
        or inf: the compiled pass tests them as it reads them, so callers need no
        ``np.isfinite`` pass of their own."""
        prefetch.settle(params.dtype)
        net = self.network
        if self.threads == 1:
            with notice_if_compiling(passes.forward, "inference"):
                finite = passes.forward(params, self.parts[0].X, net, self.buffers[0], out)
        else:
            def job(k):
                a, b = self.bounds[k]
                return passes.forward(params, self.parts[k].X, net, self.buffers[k], out[a:b])

            finite = all(run_parts(job, self.threads))
        if not finite:
            check.require_finite(self.X, name)
        return out
