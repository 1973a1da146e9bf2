"""Low-level helpers for hot loops: two ways to keep Numba's bookkeeping out of a loop that
runs a few hundred instructions per iteration (the per-sample engine,
:mod:`fastmlp.engines.per_sample`), and a software prefetch.

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

``prefetch(X, row, col)``
    Asks the CPU to start loading the cache line holding ``X[row, col]``, without waiting for
    it (LLVM's ``llvm.prefetch``; never faults). The mini-batch driver uses it to fetch the
    next chunk's shuffled rows while the current chunk trains
    (:func:`fastmlp.kernels.layers.prefetch_rows`).

Both cut the per-sample loop's time per row (bench/README.md, "Reference counting in the
row loop").
"""

import numpy as np
from llvmlite import ir
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


@intrinsic
def prefetch(typingctx, X, row, col):
    """Start loading the cache line of ``X[row, col]`` (2-D ``X``, indices in range)."""
    if not (isinstance(X, types.Array) and X.ndim == 2):
        return None

    def codegen(context, builder, signature, args):
        array_type, row_type, col_type = signature.args
        array = context.make_array(array_type)(context, builder, args[0])
        indices = [context.cast(builder, args[1], row_type, types.intp),
                   context.cast(builder, args[2], col_type, types.intp)]
        address = cgutils.get_item_pointer(context, builder, array_type, array, indices,
                                           wraparound=False)
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        llvm_prefetch = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0")
        # read (0), keep in all cache levels (locality 3), data cache (1)
        builder.call(llvm_prefetch, [builder.bitcast(address, byte_pointer), i32(0), i32(3),
                                     i32(1)])
        return context.get_dummy_value()

    return types.void(X, row, col), codegen


#: ``unsigned(i)`` in compiled code: ``i`` (non-negative) as an unsigned index, a plain cast.
unsigned = np.uint64
