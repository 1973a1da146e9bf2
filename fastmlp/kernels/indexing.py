"""Two ways to keep Numba's bookkeeping out of a hot loop that runs a few hundred
instructions per iteration (the per-sample kernel, :mod:`fastmlp.kernels.per_sample`).

``borrowed(arr)``
    The same array without its NRT meminfo. Numba reference-counts every array variable:
    when an array is passed into an inlined helper whose body branches, it cannot prove the
    increment and decrement cancel, so each such call costs a pair of atomic (``lock``)
    read-modify-writes on the array's meminfo. In the per-sample kernel that was 7 pairs
    per row (counted with valgrind's callgrind). A borrowed array has a null meminfo, on which
    Numba's increment and decrement are no-ops. Safe only while the original array outlives
    every use, so only for arrays a kernel received as arguments, and never returned or
    stored.

``unsigned(i)``
    An index Numba uses as it is: for a signed index it adds a test for negative values
    (Python's wraparound), which costs instructions per access and keeps LLVM from
    vectorizing; an unsigned one goes straight to the address computation. The other way to
    avoid the test, a view indexed from 0, creates an array (and a reference count) each time.

Measured on per-sample SGD of the 3-4-2 network (4000 rows, best of 150 interleaved calls,
``bench/README.md``): 129-133 ns/sample with views, 122-124 with borrowed views, 113-115
with borrowed arrays and unsigned indices.
"""

import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def borrowed(typingctx, arr):
    """``arr`` with a null meminfo: the same data, shape and strides, not reference-counted."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, signature, args):
        source = context.make_array(signature.args[0])(context, builder, args[0])
        alias = context.make_array(signature.return_type)(context, builder)
        for field in ("parent", "nitems", "itemsize", "data", "shape", "strides"):
            setattr(alias, field, getattr(source, field))
        alias.meminfo = cgutils.get_null_value(alias.meminfo.type)
        return alias._getvalue()

    return arr(arr), codegen


#: ``unsigned(i)`` in compiled code: ``i`` (non-negative) as an unsigned index, a plain cast.
unsigned = np.uint64
