"""Random row orders inside compiled code: a SplitMix64 generator and a Fisher-Yates shuffle.

The epoch kernels shuffle their row order themselves, from a seed drawn by the Python loop
once per epoch, so a shuffled epoch costs no call back into NumPy and leaves Numba's global
generator alone.
"""

import numpy as np

from ._jit import inlined, kernel


@inlined
def splitmix64(state):
    """One step of the SplitMix64 generator (Steele, Lea & Flood 2014): returns
    (new state, 64 random bits). All arithmetic is uint64 and wraps."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@kernel
def shuffle_rows(order, seed):
    """Fisher-Yates shuffle of ``order`` in place, seeded by ``seed`` (nothing happens when
    seed < 0).

    Each swap index is uniform on 0..i by Lemire's multiply-shift with rejection (exact for
    i < 2^32) over SplitMix64 bits, which costs a fraction of Numba's ``np.random.randint``
    per row (bench/README.md).
    """
    if seed < 0:
        return
    state = np.uint64(seed)
    low_mask = np.uint64(0xFFFFFFFF)
    for i in range(order.shape[0] - 1, 0, -1):
        span = np.uint64(i + 1)
        state, bits = splitmix64(state)
        product = (bits >> np.uint64(32)) * span  # a 32-bit draw times span: fits 64 bits
        low = product & low_mask
        if low < span:
            # reject the draws that would make some results one draw likelier than others
            threshold = (np.uint64(0x100000000) - span) % span
            while low < threshold:
                state, bits = splitmix64(state)
                product = (bits >> np.uint64(32)) * span
                low = product & low_mask
        j = np.int64(product >> np.uint64(32))
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


#: Copied into the per-sample kernel, which then compiles no separate function for it.
shuffle_rows_inlined = inlined(shuffle_rows.py_func)
