"""A vectorizable exp for the activations.

``np.exp`` in compiled code calls the C library one element at a time (Numba vectorizes it
only through Intel's SVML, which the PyPI builds of llvmlite do not include; bench/README.md,
"A vectorizable exp"). Sigmoid and softmax layers are then bound by exp. Here exp is
written out -- range reduction x = n ln2 + r with |r| <= ln2/2, a degree-13 Taylor polynomial
for e^r evaluated by Estrin's scheme (truncation error below 1e-17 relative), and 2^n
assembled from its bit pattern -- in branch-free arithmetic that LLVM turns into SIMD code.
The multiply-adds are explicit fused ones (:func:`fastmlp.kernels.fma.fma`), so the result is
the same bits in code compiled with or without fastmath contraction (the per-sample kernel is
compiled without it, see :mod:`fastmlp.engines.per_sample`). float32 uses a degree-7
polynomial (error below 2e-8 relative, under float32's rounding).

Inputs are clamped to the range where 2^n is a normal float, so results saturate at about
1e-308 / 1e308 (float64) or 1e-38 / 1e38 (float32) instead of reaching 0 or inf; NaN stays
NaN. That is harmless where it is used (sigmoid and softmax, whose outputs are bounded).
"""

import numpy as np
from numba import types
from numba.extending import intrinsic, overload, register_jitable

from .fma import fma

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split so that n * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10


@intrinsic
def pow2(typingctx, n):
    """2**n for a float n that holds an integer in the normal exponent range: the float's
    bits are built directly (biased exponent shifted into place, zero mantissa)."""
    if not isinstance(n, types.Float):
        return None
    int_type = types.int64 if n.bitwidth == 64 else types.int32
    mantissa_bits = 52 if n.bitwidth == 64 else 23
    bias = 1023 if n.bitwidth == 64 else 127

    def codegen(context, builder, signature, args):
        ity = context.get_value_type(int_type)
        exponent = builder.add(builder.fptosi(args[0], ity), ity(bias))
        return builder.bitcast(builder.shl(exponent, ity(mantissa_bits)),
                               context.get_value_type(n))

    return n(n), codegen


@register_jitable
def exp64(x):
    """e^x for float64 x; see the module docstring."""
    x = np.float64(709.0) if x > np.float64(709.0) else x  # NaN passes both tests
    x = np.float64(-708.0) if x < np.float64(-708.0) else x
    n = np.floor(fma(x, np.float64(LOG2E), np.float64(0.5)))
    r = fma(-n, np.float64(LN2_LO), fma(-n, np.float64(LN2_HI), x))
    r2 = r * r
    r4 = r2 * r2
    c23 = fma(r, np.float64(1 / 6), np.float64(1 / 2))
    c45 = fma(r, np.float64(1 / 120), np.float64(1 / 24))
    c67 = fma(r, np.float64(1 / 5040), np.float64(1 / 720))
    c89 = fma(r, np.float64(1 / 362880), np.float64(1 / 40320))
    c1011 = fma(r, np.float64(1 / 39916800), np.float64(1 / 3628800))
    c1213 = fma(r, np.float64(1 / 6227020800), np.float64(1 / 479001600))
    low = fma(r4, fma(r2, c67, c45), fma(r2, c23, r))
    high = fma(r4, c1213, fma(r2, c1011, c89))
    p = np.float64(1.0) + fma(r4 * r4, high, low)
    return p * pow2(n)


@register_jitable
def exp32(x):
    """e^x for float32 x; see the module docstring."""
    x = np.float32(88.0) if x > np.float32(88.0) else x
    x = np.float32(-87.0) if x < np.float32(-87.0) else x
    n = np.floor(fma(x, np.float32(LOG2E), np.float32(0.5)))
    r = fma(-n, np.float32(1.428606765330187e-06), fma(-n, np.float32(0.693145751953125), x))
    r2 = r * r
    c23 = fma(r, np.float32(1 / 6), np.float32(1 / 2))
    c45 = fma(r, np.float32(1 / 120), np.float32(1 / 24))
    c67 = fma(r, np.float32(1 / 5040), np.float32(1 / 720))
    p = np.float32(1.0) + fma(r2 * r2, fma(r2, c67, c45), fma(r2, c23, r))
    return p * pow2(n)


def fast_exp(x):
    """e^x, vectorizable, for float32 or float64 x (compiled code only)."""
    return np.exp(x)


@overload(fast_exp)
def _fast_exp(x):
    if x == types.float64:
        return lambda x: exp64(x)
    if x == types.float32:
        return lambda x: exp32(x)
    return None
