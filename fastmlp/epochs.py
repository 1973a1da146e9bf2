"""One training epoch over a feed: each block of rows goes to an engine built for blocks of
its length, the update count advancing from block to block (:mod:`fastmlp.feeds`,
:mod:`fastmlp.engines`)."""

from __future__ import annotations

import numpy as np

from .engines import select_engine
from .kernels.optimizers import OK
from .kernels.structs import EpochResult

#: Mask seeds are drawn from [0, MASK_SEEDS): any non-negative int64.
MASK_SEEDS = 2**63 - 1


def draw_mask_seed(rng: np.random.Generator) -> int:
    """The dropout masks' seed of one block of an epoch, drawn from the fit's generator
    after the block's shuffle seed (only by fits with dropout: the others' draws, and so
    their results, are what they were without it)."""
    return int(rng.integers(0, MASK_SEEDS))


class EpochRunner:
    """Runs the epochs of one fit.

    Parameters
    ----------
    work : fastmlp.workspace.Workspace
    feed : a feed of :mod:`fastmlp.feeds`
    config : fastmlp.config.FitConfig
    threads : int
        Threads available (engine selection).
    """

    def __init__(self, work, feed, config, threads: int):
        self.work, self.feed, self.config, self.threads = work, feed, config, threads
        self._engines: dict[int, object] = {}
        self._pending_orders: dict[int, object] = {}
        self._learning_rate: float | None = None  # set between epochs (reduce-on-plateau)

    def engine_for(self, data):
        """The engine for blocks of this many rows (built on first use, then given each new
        block of that length)."""
        n = data.X.shape[0]
        engine = self._engines.get(n)
        if engine is None:
            engine = select_engine(self.config, n, self.threads, self.config.engine,
                                   weighted=data.sample_weight.shape[0] > 0)(
                self.work, data, self.config)
            self._engines[n] = engine
            if self._learning_rate is not None:
                engine.set_learning_rate(self._learning_rate)
            order = self._pending_orders.pop(n, None)
            if order is not None:
                engine.set_order(order)
        elif engine.data is not data:
            engine.set_data(data)
        return engine

    def row_orders(self) -> dict[int, np.ndarray]:
        """Block length -> the row order its engine's next shuffle starts from (each epoch
        shuffles the previous epoch's order in place), for :mod:`fastmlp.checkpoint`."""
        orders = {n: getattr(engine, "order", None) for n, engine in self._engines.items()}
        orders.update(self._pending_orders)
        return {n: np.array(order) for n, order in orders.items() if order is not None}

    def set_row_orders(self, orders: dict[int, np.ndarray]) -> None:
        """Continue from ``orders`` (:meth:`row_orders` of a checkpointed fit): each engine
        starts from its block length's order when it is built."""
        self._pending_orders = {int(n): np.ascontiguousarray(o, dtype=np.int64)
                                for n, o in orders.items()}

    def set_learning_rate(self, learning_rate: float) -> None:
        """Base step size of the epochs from the next one on, for every engine this runner
        has built or will build."""
        self._learning_rate = float(learning_rate)
        for engine in self._engines.values():
            engine.set_learning_rate(self._learning_rate)  # type: ignore[attr-defined]

    def kernel(self):
        """The compiled epoch the first block will run (for the compile notice)."""
        if not self._engines and getattr(self.feed, "data", None) is not None:
            engine = select_engine(self.config, self.feed.data.X.shape[0], self.threads,
                                   self.config.engine,
                                   weighted=self.feed.data.sample_weight.shape[0] > 0)
            return engine.kernel
        return None

    def run(self, params, state, rng, norm_sums) -> EpochResult:
        """One epoch in place on ``params`` and ``state`` (``state.t`` advanced by the
        updates made); stops at the first block whose update made a value NaN or inf and
        returns its status."""
        loss_sum = weight_sum = 0.0
        updates, alpha = 0, self.config.learning_rate
        for data in self.feed.blocks(rng, self.config.shuffle):
            seed = int(rng.integers(0, 2**32 - 1)) if self.config.shuffle else -1
            mask_seed = draw_mask_seed(rng) if self.config.dropout is not None else -1
            result = self.engine_for(data).run_epoch(params, state, seed, norm_sums, mask_seed)
            state.t += result.updates
            updates += result.updates
            alpha = result.learning_rate
            if result.status != OK:
                return EpochResult(loss_sum, weight_sum, updates, result.status, alpha)
            loss_sum += result.loss_sum
            weight_sum += result.weight_sum
        return EpochResult(loss_sum, weight_sum, updates, OK, alpha)
