"""A vectorizable exp for the activations.

``np.exp`` in compiled code calls the C library one element at a time (Numba vectorizes it
only through Intel's SVML, which the PyPI builds of llvmlite do not include; bench/README.md,
"A vectorizable exp"). Sigmoid and softmax layers are then bound by exp. Here exp is
written out -- range reduction x = n ln2 + r with |r| <= ln2/2, a degree-13 Taylor polynomial
for e^r evaluated by Estrin's scheme (truncation error below 1e-17 relative), and 2^n
assembled from its bit pattern -- in branch-free arithmetic that LLVM turns into SIMD code.
float32 uses a degree-7 polynomial (error below 2e-8 relative, under float32's rounding).

Inputs are clamped to the range where 2^n is a normal float, so results saturate at about
1e-308 / 1e308 (float64) or 1e-38 / 1e38 (float32) instead of reaching 0 or inf; NaN stays
NaN. That is harmless where it is used (sigmoid and softmax, whose outputs are bounded).
"""

import numpy as np
from numba import types
from numba.extending import intrinsic, overload, register_jitable

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
    n = np.floor(x * np.float64(LOG2E) + np.float64(0.5))
    r = (x - n * np.float64(LN2_HI)) - n * np.float64(LN2_LO)
    # Estrin's scheme: the same polynomial as Horner's rule, but 4 dependent steps deep
    # instead of 13. Per-sample SGD waits on every exp in turn (each row's update needs the
    # previous one), so the depth shows there (bench/README.md, "Helper calls and the exp").
    r2 = r * r
    r4 = r2 * r2
    c23 = np.float64(1 / 2) + r * np.float64(1 / 6)
    c45 = np.float64(1 / 24) + r * np.float64(1 / 120)
    c67 = np.float64(1 / 720) + r * np.float64(1 / 5040)
    c89 = np.float64(1 / 40320) + r * np.float64(1 / 362880)
    c1011 = np.float64(1 / 3628800) + r * np.float64(1 / 39916800)
    c1213 = np.float64(1 / 479001600) + r * np.float64(1 / 6227020800)
    low = (r + r2 * c23) + r4 * (c45 + r2 * c67)
    high = (c89 + r2 * c1011) + r4 * c1213
    # the 1 comes last: the rounding errors of the small terms then stay small against it
    p = np.float64(1.0) + (low + (r4 * r4) * high)
    return p * pow2(n)


@register_jitable
def exp32(x):
    """e^x for float32 x; see the module docstring."""
    x = np.float32(88.0) if x > np.float32(88.0) else x
    x = np.float32(-87.0) if x < np.float32(-87.0) else x
    n = np.floor(x * np.float32(LOG2E) + np.float32(0.5))
    r = (x - n * np.float32(0.693145751953125)) - n * np.float32(1.428606765330187e-06)
    r2 = r * r
    c23 = np.float32(1 / 2) + r * np.float32(1 / 6)
    c45 = np.float32(1 / 24) + r * np.float32(1 / 120)
    c67 = np.float32(1 / 720) + r * np.float32(1 / 5040)
    p = np.float32(1.0) + ((r + r2 * c23) + (r2 * r2) * (c45 + r2 * c67))
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
