"""Inverted dropout: the training mode of a hidden layer's forward pass, the one place where
masks are drawn.

During training each unit j of hidden layer l is dropped (set to 0) with probability p_l and
otherwise scaled by 1 / (1 - p_l), so that its expected value is the unit's value without
dropout and inference needs no change (Srivastava et al. 2014, the "inverted" form that
Keras and PyTorch use). The backward pass multiplies the deltas arriving at the unit by the
same factor: dE/dz_j = (W delta)_j * m_j * f'(z_j), m_j in {0, 1 / (1 - p_l)}.

Masks are not stored nor drawn in sequence: the draw of unit j of layer l in data row n is a
function of the pass's seed and of (n, l, j) alone -- the ``key``-th output of the SplitMix64
stream started at the seed, ``key = n * units + u_off[l] + j`` (SplitMix64's k-th state is
seed + k * gamma, so any output is one mix away). Every engine therefore draws the same mask
for a row, whatever order it visits the rows in, however it cuts them into chunks, batches
or threads; the per-sample and chunked engines agree to rounding with dropout as without,
and ``fastmlp.reference.dropout_masks`` reproduces the masks in NumPy.

The unit is dropped when its 64 random bits are below ``floor(p_l * 2^64)``
(:class:`fastmlp.kernels.structs.Dropout`), so the probability is p_l to within 2^-64.
"""

import numpy as np

from ._jit import exact_internal
from .activations import derivative_value
from .rng import splitmix64

#: SplitMix64's increment: its k-th state from a seed s is s + k * GAMMA (mod 2^64).
GAMMA = np.uint64(0x9E3779B97F4A7C15)


@exact_internal
def inplace_dropout(dropout, layer, code, param, acts, start, unit0, n_units, m, order, first):
    """Apply dropout to hidden layer ``layer`` (1..L-1) of ``m`` rows, after its activation.

    Parameters
    ----------
    dropout : fastmlp.kernels.structs.Dropout
    layer : int
        The weight layer l whose outputs these are.
    code, param : int, float
        Its activation (for f', from the outputs: :mod:`fastmlp.kernels.activations`).
    acts : the pass's activation buffer
        The layer's outputs a of ``m`` rows, unit-major: unit j of row r at
        ``acts[start + j * m + r]``; replaced by m_j a_j.
    unit0 : int
        u_off[l], the layer's first unit in a row (the draws' key).
    n_units : int
    m : int
    order, first : int64 array, int
        Row r is data row ``order[first + r]`` (plus ``dropout.row_offset``).

    ``dropout.factors`` receives each unit's backward factor m_j f'(z_j) at the unit's
    position, for the backward pass. Compiled without fastmath (:data:`fastmlp.kernels._jit.
    exact`), like the per-sample kernel that calls it, so every tier gets the same bits.
    """
    factors = dropout.factors
    below = dropout.drop_below[layer - 1]
    scale = acts.dtype.type(dropout.scale[layer - 1])
    zero = acts.dtype.type(0.0)
    p = acts.dtype.type(param)
    seed = np.uint64(dropout.seed)
    for r in range(m):
        base = (order[first + r] + dropout.row_offset) * dropout.units + unit0
        for j in range(n_units):
            at = start + j * m + r
            a = acts[at]
            keep = True
            if below != 0:  # a layer with rate 0 draws nothing
                _, bits = splitmix64(seed + np.uint64(base + j) * GAMMA)
                keep = bits >= below
            if keep:
                acts[at] = a * scale
                factors[at] = scale * derivative_value(code, p, a)
            else:
                acts[at] = zero
                factors[at] = zero
