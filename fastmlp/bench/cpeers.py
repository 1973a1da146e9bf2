"""The C floors of :mod:`fastmlp.bench.cfloor` as peers of the sweep (``c_strict``,
``c_fast_math``): the same epoch as fastmlp's, strict IEEE arithmetic or ``-ffast-math``.

Each covers the cases its C code was written for (the per-sample 3-4-2 network, and the
64-32-10 / 32 network, blocked loops with the sizes as constants), any number of rows, SGD,
from fastmlp's initial parameters; the rows are visited in a fresh permutation every epoch
(drawn inside the timed call, as fastmlp draws its own), or in order when the case does not
shuffle. Other cases get None.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .cases import Case


def _floor_for(case: Case, fast_math: bool):
    from . import cfloor

    if cfloor.compiler() is None:
        raise ImportError("no C compiler (cc / gcc) on this machine")
    for kind in (cfloor.PerSampleFloor, cfloor.BlockedMiniBatchFloor):
        same = replace(case, n_samples=kind.case.n_samples, shuffle=kind.case.shuffle,
                       epochs=kind.case.epochs)
        if same == kind.case:
            return kind(fast_math=fast_math)
    return None


def _prepare(case: Case, X, Y, fast_math: bool):
    if case.mode != "train":
        return None
    floor = _floor_for(case, fast_math)
    if floor is None:
        return None
    from .cfloor import fastmlp_network

    start = fastmlp_network(case).params
    X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    rng = np.random.default_rng(0)
    n = len(X)

    def work():
        theta = start.copy()
        for _ in range(case.epochs):
            order = rng.permutation(n) if case.shuffle else np.arange(n)
            floor.epoch(X, Y, order.astype(np.int64, copy=False), theta, case.learning_rate)
        return theta
    return work


def prepare_c_strict(case: Case, X, Y):
    """The C floor built ``-O3 -march=...`` (strict floating point)."""
    return _prepare(case, X, Y, fast_math=False)


def prepare_c_fast_math(case: Case, X, Y):
    """The C floor built ``-O3 -march=... -ffast-math``."""
    return _prepare(case, X, Y, fast_math=True)
