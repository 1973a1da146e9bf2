"""The fit façade: what :meth:`fastmlp.MLP.fit` and :meth:`~fastmlp.MLP.partial_fit` do once
their options are a :class:`~fastmlp.config.FitConfig` -- choose where the rows come from
(:mod:`fastmlp.feeds`), validate the data, the parameters and the checkpoint, run
:func:`fastmlp.training.train` as a transaction, and show the guard rails' warnings
(:mod:`fastmlp.diagnostics`). The network itself (:mod:`fastmlp.network`) holds parameters
and evaluates; this module trains it."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from .checkpoint import Checkpoint, identity
from .config import FitConfig
from .diagnostics import GUARD_ROWS, guard_rails
from .feeds import Chunks, FileBlocks, InMemory
from .history import History
from .state import OptimizerState
from .training import train


def run(net, X, Y, sample_weight, config: FitConfig, state: OptimizerState, validation_data,
        seed, checkpoint=(None, 1)) -> History:
    """Validate the data, then run :func:`fastmlp.training.train`; the state it ends
    with is what :meth:`~fastmlp.MLP.partial_fit` continues. A transaction: whatever raises
    before training, or rolls training back (:func:`~fastmlp.training.train`), leaves the
    network's ``classes_`` and optimizer state as they were."""
    classes = net._classes

    def roll_back() -> None:
        net._classes = classes

    try:
        net._require_trainable()
        feed = _feed(net, X, Y, sample_weight, config)
        validation = None
        if validation_data is not None:
            if (not isinstance(validation_data, (tuple, list))
                    or len(validation_data) not in (2, 3)):
                raise ValueError("validation_data must be a pair (X_val, Y_val) or a "
                                 "triple (X_val, Y_val, sample_weight_val)")
            parts = list(validation_data) + [None] * (3 - len(validation_data))
            validation = net._data(parts[0], parts[1], parts[2],
                                    names=tuple(f"validation_data[{i}]" for i in range(3)))
        elif config.early_stopping:
            raise ValueError("early_stopping=True needs validation_data=(X_val, Y_val)")
        if not np.isfinite(net._params).all():
            raise ValueError("the network's parameters hold NaN or inf (set through "
                             "net.params or net.weights / net.biases?); reinitialize "
                             "them before fitting")
        recorder = None
        if checkpoint[0] is not None:
            recorder = Checkpoint(checkpoint[0], checkpoint[1],
                                  identity(net, config, feed, seed))
        sample = _guard_sample(net, feed)
        _warn(net, sample, "start")
    except BaseException:
        roll_back()
        raise
    rolled_back = False

    def note_rollback() -> None:
        nonlocal rolled_back
        rolled_back = True
        roll_back()

    try:
        history = train(net, feed, config, state, validation, seed,
                        on_rollback=note_rollback, checkpoint=recorder)
    finally:
        if not rolled_back:  # diverged, interrupted, callback: the state of the epochs
            net._optimizer_state = state  # the parameters hold
    _warn(net, sample, "end")
    return history


def _guard_sample(net, feed):
    """A few rows of an in-memory training set for the guard rails (none for streamed
    data, or after a network has been checked once: repeated fits, as in benchmarks,
    pay for it once)."""
    if getattr(net, "_guarded", False) or getattr(feed, "data", None) is None:
        return None
    net._guarded = True
    X = feed.data.X
    step = max(1, X.shape[0] // GUARD_ROWS)
    return X[::step][:GUARD_ROWS]


def _warn(net, sample, when: str) -> None:
    if sample is None:
        return
    message = guard_rails(net, sample, when)
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=4)


def _feed(net, X, Y, sample_weight, config: FitConfig):
    """Where the fit's rows come from (:mod:`fastmlp.feeds`): arrays in memory, a memory
    map read block by block, or an iterable of chunks (``Y`` None)."""
    feed: Chunks | FileBlocks
    if Y is None:
        if isinstance(X, np.ndarray) or not (callable(X) or hasattr(X, "__iter__")):
            raise ValueError("Y is required, unless X is an iterable of (X, Y) or (X, Y, "
                             "sample_weight) chunks")
        if sample_weight is not None:
            raise ValueError("with an iterable of chunks, give sample weights inside the "
                             "chunks, as (X, Y, sample_weight)")
        feed = Chunks(X, net._data, config.epochs)
    elif isinstance(X, np.memmap) or isinstance(Y, np.memmap):
        Y = Y if isinstance(Y, np.ndarray) else np.asarray(Y)
        if not isinstance(X, np.ndarray):
            X = np.asarray(X)
        feed = FileBlocks(X, Y, sample_weight, net._data, config.batch_size or 1)
    else:
        return InMemory(net._data(X, Y, sample_weight))
    if config.batch_size is None:
        raise ValueError("full-batch training (batch_size=None) needs the rows in memory; "
                         "with a memory map or chunks, pass a batch_size")
    if config.grad_tol is not None:
        raise ValueError("grad_tol needs the rows in memory (a full-data gradient per "
                         "epoch); with a memory map or chunks, stop on tol instead")
    return feed


def planned_decay(config: FitConfig, X, Y, method: str) -> FitConfig:
    """``config`` with the cosine schedule's ``decay_steps`` set, when not given, to the
    updates the call plans: epochs times batches per epoch of the rows in X (which must
    then be in memory or a memory map)."""
    if config.schedule != "cosine" or config.decay_steps is not None:
        return config
    if Y is None or not hasattr(X, "__len__") or method == "partial_fit":
        raise ValueError(f"schedule='cosine' in {method} with "
                         + ("chunks of unknown number" if method == "fit" else "one pass of "
                            "several") + " needs decay_steps: the total number of updates")
    n = len(X)
    per_epoch = 1 if config.batch_size is None else -(-n // config.batch_size)
    planned = max(config.epochs * per_epoch, config.warmup_steps + 1)
    return dataclasses.replace(config, decay_steps=planned)
