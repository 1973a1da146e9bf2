"""``fastmlp.warmup()`` and ``fastmlp warmup``: compile (or load from the disk cache) every
kernel ahead of time, so that no later call waits on the compiler."""

from __future__ import annotations

import time

import numpy as np

from .network import MLP
from .threads import get_num_threads, set_num_threads


def warmup(dtypes=("float64", "float32"), verbose: bool = False, layer_sizes=()) -> dict:
    """Compile (or load from the disk cache) every kernel a fit, a prediction or a loss can
    use, for each dtype: the per-sample, chunked and row-parallel engines with each
    optimizer family (Adam's and the others'), clipping, weights and penalties, and the
    inference, loss and gradient passes. Returns the seconds taken per dtype.

    Run it once after installing (``fastmlp warmup`` on the command line), or at the start
    of a job, so that no later call waits on the compiler.

    ``layer_sizes``: networks (each a sequence of layer sizes, input first) whose per-sample
    kernels specialized on their sizes (:mod:`fastmlp.engines.specialize`) are compiled too,
    for each dtype, unclipped and unweighted, for Adam and for the other optimizers. Per-sample
    fits of those networks planning 10^6 updates or more then run on them from their first
    epoch. They compile in child processes, side by side; ``seconds["specialized"]`` is the
    time until the last is ready. Skipped where kernels are not specialized
    (``FASTMLP_SPECIALIZE=0``, no writable kernel cache).
    """
    layer_sizes = [tuple(sizes) for sizes in layer_sizes]
    seconds = {}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    Y = (X[:, :2] > 0).astype(float)
    weights = rng.uniform(0.5, 1.5, len(X))
    fits: list[dict] = [dict(batch_size=1), dict(batch_size=1, optimizer="adam"),
            dict(batch_size=1, sample_weight=weights), dict(batch_size=1, clip_norm=1.0),
            dict(batch_size=8), dict(batch_size=8, optimizer="adam", l2=1e-3),
            dict(batch_size=8, optimizer="nesterov", clip_value=1.0, sample_weight=weights),
            dict(batch_size=None, optimizer="momentum")]
    for dtype in dtypes:
        began = time.perf_counter()
        net = MLP((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy", dtype=dtype, seed=0)
        for options in fits:
            net.fit(X, Y, epochs=1, **options)
        net.predict(X)
        net.loss(X, Y)
        net.gradient(X, Y)
        threads = get_num_threads()
        try:  # the row-parallel engine and passes (two slices of 2048 rows)
            set_num_threads(2)
            big = np.repeat(X, 64, axis=0)
            net.fit(big, np.repeat(Y, 64, axis=0), batch_size=None, epochs=1)
            net.predict(big)
        finally:
            set_num_threads(threads)
        seconds[dtype] = time.perf_counter() - began
        if verbose:
            print(f"{dtype}: {seconds[dtype]:.1f} s", flush=True)
    if layer_sizes:
        seconds["specialized"] = _specialized(layer_sizes, dtypes)
        if verbose:
            print(f"specialized per-sample kernels for {len(layer_sizes)} network(s): "
                  f"{seconds['specialized']:.1f} s", flush=True)
    return seconds


def _specialized(layer_sizes, dtypes) -> float:
    """Have the per-sample kernels specialized on each of ``layer_sizes`` compiled (child
    processes, one per kernel, all at once) and loaded; the seconds taken."""
    from .engines import specialize

    began = time.perf_counter()
    if not specialize.enabled():
        return 0.0
    with specialize.eagerly():
        for sizes in layer_sizes:
            X, Y = np.zeros((4, sizes[0])), np.zeros((4, sizes[-1]))
            for dtype in dtypes:
                net = MLP(sizes, dtype=dtype, seed=0)
                for optimizer in ("sgd", "adam"):
                    net.fit(X, Y, optimizer, batch_size=1, epochs=1, engine="per_sample")
    specialize.wait()
    return time.perf_counter() - began
