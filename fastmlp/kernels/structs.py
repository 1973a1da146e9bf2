"""The named tuples that kernels take and return.

Numba passes a NamedTuple of arrays and scalars as one struct (and caches kernels that take
one), so a kernel's signature names a handful of concepts -- the network, the data, the
buffers, the update rule -- instead of thirty positional values. Adding a field is a change
here and where the tuple is built (:mod:`fastmlp.workspace`), not at every call site.

Every field must always be given the same type (int fields Python ints, float fields Python
floats, arrays C-contiguous): a field that is sometimes an int and sometimes a float would
compile each kernel twice. ``tests/test_compile_rules.py`` checks that it does not happen.
"""

from typing import NamedTuple

import numpy as np


class Network(NamedTuple):
    """A network's shape and formulas (built once per :class:`fastmlp.MLP`).

    Layer l (1..L) owns the weights ``params[w_off[l-1] : w_off[l-1] + n_in*n_out]``
    (row-major, shape (n_in, n_out)) followed by the biases ``params[b_off[l-1]:][:n_out]``.
    ``u_off`` holds the cumulative unit counts: layer l's activations start at
    ``chunk * u_off[l]`` in a chunk buffer (see :mod:`fastmlp.kernels.layers`).
    """

    sizes: np.ndarray  # int64 (L+1,): units per layer, input first
    w_off: np.ndarray  # int64 (L,)
    b_off: np.ndarray  # int64 (L,)
    u_off: np.ndarray  # int64 (L+2,)
    codes: np.ndarray  # int64 (L,): activation code of each weight layer (output last)
    act_params: np.ndarray  # float64 (L,): leaky-ReLU slope / ELU alpha / 0 per layer
    loss: int  # loss code of fastmlp.kernels.losses


class Data(NamedTuple):
    """Rows to train or evaluate on, in the network's dtype and C order."""

    X: np.ndarray  # (n, n_in)
    Y: np.ndarray  # (n, n_out)
    sample_weight: np.ndarray  # (n,) non-negative, or (0,): every row weighs 1


class Chunk(NamedTuple):
    """Buffers of the chunked passes: one chunk of at most ``rows`` rows at a time."""

    acts: np.ndarray  # rows * u_off[-1]: activations, unit-major per layer
    deltas: np.ndarray  # same shape: deltas
    grad: np.ndarray  # n_params: the batch gradient
    lookahead: np.ndarray  # n_params for Nesterov's look-ahead point, else (0,)
    rows: int


class Rule(NamedTuple):
    """The update rule: optimizer and schedule codes (fastmlp.kernels.optimizers) and their
    constants. Clipping is not part of it: kernels take it as an argument of its own,
    ``clip``, ``(clip_value, clip_norm)`` (0.0 for a bound not set). The batched kernels
    decide at run time whether to clip (:func:`fastmlp.kernels.optimizers.inplace_update`);
    the per-sample kernel takes None for no clipping, which compiles a kernel without the
    clipping code (Numba prunes ``if clip is not None`` for a None argument): its clipped
    step is a different loop."""

    optimizer: int
    schedule: int
    learning_rate: float
    schedule_b: float
    momentum: float
    beta_1: float
    beta_2: float
    epsilon: float
    l1: float
    l2: float
    weight_decay: float
    warmup_steps: float
    decay_steps: float
    min_learning_rate: float


class EpochResult(NamedTuple):
    """What an engine reports for one epoch (the epoch kernels return its fields as a plain
    tuple, which compiles faster; the engines wrap them)."""

    loss_sum: float  # sum over applied updates of (batch loss + penalty) * batch weight
    weight_sum: float  # total weight of the rows of the applied updates (rows if unweighted)
    updates: int  # updates applied
    status: int  # OK, LOSS_NOT_FINITE or PARAMS_NOT_FINITE (fastmlp.kernels.optimizers)
    learning_rate: float  # step size of the last update attempted


class PerSampleBlock(NamedTuple):
    """Buffers of the per-sample engine (:mod:`fastmlp.engines.per_sample`)."""

    X: np.ndarray  # (B, n_in): a block of rows, copied in visiting order
    Y: np.ndarray  # (B, n_out)
    work: np.ndarray  # 4 * n_params + 2 * n_units: parameters, 2 slots, look-ahead, one
    #                   row's activations and deltas
    norm_sums: np.ndarray  # float64 (L,), directly after ``work`` in memory
