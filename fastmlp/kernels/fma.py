"""Fused multiply-add in compiled code: ``fma(x, y, z)`` is x * y + z rounded once.

Written out where results must not depend on what the compiler knows: with fastmath's
``contract`` LLVM fuses a multiply and an add only where it sees fit, which can differ between
two compilations of the same source (a kernel specialized on constant sizes and the general
one); an explicit fma is one rounding in every compilation, and a machine instruction on
CPUs with FMA units.
"""

from numba import types
from numba.extending import intrinsic


@intrinsic
def fma(typingctx, x, y, z):
    """x * y + z with a single rounding (LLVM's llvm.fma), for three floats of one type."""
    if not (isinstance(x, types.Float) and x == y == z):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return x(x, y, z), codegen
