"""The engine interface: how one training epoch runs.

An engine is one execution strategy for an epoch of training -- the fused per-sample loop,
chunked mini-batches, a full batch split across threads. Each declares which configurations
it can run (:meth:`Engine.unsupported`); :func:`fastmlp.engines.select_engine` picks the first
that can, in the order of :data:`fastmlp.engines.ENGINES`. All of them take the same
arguments and return the same :class:`fastmlp.kernels.structs.EpochResult`, so the fit loop
(:mod:`fastmlp.training`) does not know which one runs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .. import prefetch
from ..kernels.optimizers import NO_CLIP
from ..rules import RULES


class Engine:
    """One execution strategy for a training epoch.

    Parameters
    ----------
    work : fastmlp.workspace.Workspace
        The fit's workspace: the network's kernel description and the allocator of the
        engine's buffers.
    data : fastmlp.kernels.structs.Data
        The training rows.
    config : fastmlp.config.FitConfig
        The validated options; the engine reads its update rule from them.
    """

    #: The name ``fit(engine=...)`` takes.
    name: ClassVar[str] = ""
    #: The compiled function an epoch runs (the compile notice watches it).
    kernel: Any = None

    def __init__(self, work, data, config):
        self.work = work
        self.data = data
        self.rule = config.rule()
        self.clip = config.clip()
        # the update kernel's form of it: clipping is decided at run time there
        self.clip_bounds = NO_CLIP if self.clip is None else self.clip
        self.sklearn = config.sklearn_forms()
        # the rule's family, a compile-time switch of the update kernels
        # (fastmlp.kernels.optimizers)
        self.moments = True if RULES[config.optimizer].moments else None
        # a first fit compiles for seconds: the inference kernels compile meanwhile
        prefetch.inference_kernels(data.X.dtype)

    @classmethod
    def unsupported(cls, config, n_rows: int, threads: int,
                    weighted: bool = False) -> str | None:
        """Why this engine cannot run ``config`` on ``n_rows`` rows (with sample weights
        when ``weighted``) with ``threads`` threads available, or None when it can."""
        raise NotImplementedError

    def set_data(self, data) -> None:
        """Train on ``data`` (as many rows as the engine was built for) from the next epoch
        on: the next block of a streamed fit (:mod:`fastmlp.epochs`)."""
        self.data = data

    def set_order(self, order) -> None:
        """Visit the rows in ``order`` (int64 (n,)) in the next epoch; an epoch run with a
        shuffle seed shuffles from there. Engines to which row order does not matter (one
        full batch) ignore it."""

    def set_learning_rate(self, learning_rate: float) -> None:
        """Use base step size ``learning_rate`` from the next epoch on (scikit-learn's
        per-epoch "invscaling" and "adaptive" schedules set it between epochs)."""
        self.rule = self.rule._replace(learning_rate=float(learning_rate))

    def run_epoch(self, params, state, shuffle_seed: int, norm_sums):
        """Train one epoch in place.

        Parameters
        ----------
        params : ndarray (n_params,)
            Updated in place.
        state : fastmlp.state.OptimizerState
            Its slots are updated in place; ``state.t`` (updates before this epoch) is read,
            not advanced: the caller adds the result's ``updates``.
        shuffle_seed : int
            Seed of this epoch's row order; -1 visits the rows in order.
        norm_sums : float64 ndarray (n_layers,)
            Each update adds its per-layer weight-gradient norms here.

        Returns
        -------
        EpochResult
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
