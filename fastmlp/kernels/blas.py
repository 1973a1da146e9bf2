"""Matrix products through BLAS (SciPy's, the library Numba's own ``np.dot`` calls).

:func:`gemm` is the one entry point the kernels use. It is an intrinsic: each call site
compiles to a single call of the BLAS routine, on flat row-major blocks, with the transposes
as runtime flags. ``np.dot`` instead compiles one helper per combination of array layouts
(four for the dense layers) and lowers reshapes and transposed views at every call site,
which made the cold compile of a first mini-batch fit seconds longer (bench/README.md, "Cold
start: three cuts"). With ``beta = 1`` a product is added into its
output, so a gradient accumulates chunk by chunk without a scratch copy.

:func:`matmul_into` is the same routine as a kernel, for the benchmark's large-GEMM rate.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import kernel

_KIND = {types.float32: "s", types.float64: "d"}


def _ensure_blas():
    """Make SciPy's BLAS known to Numba (as its own ``np.dot`` typing does): raises a clear
    error when SciPy is missing, instead of failing inside the compiled call."""
    from numba.np.linalg import ensure_blas

    ensure_blas()


@intrinsic
def gemm(typingctx, trans_a, trans_b, m, n, k, a, b, beta, c):
    """``c = op(a) @ op(b) + beta * c`` on flat, contiguous, row-major blocks.

    ``op(a)`` is m x k, ``op(b)`` k x n and ``c`` m x n. ``a`` holds op(a) itself (row-major
    m x k) or, when ``trans_a``, its transpose (row-major k x m); likewise ``b``. Each array
    starts at its block's first value (pass a slice) and must hold at least the block.
    ``beta`` is 0 (overwrite ``c``) or 1 (add into it); any other value scales ``c``.
    m, n and k must be at least 1 (BLAS refuses a leading dimension of 0).
    Returns BLAS's status: 0, or -1 if the routine could not be loaded (which typing has
    already ruled out by loading it).
    """
    arrays = (a, b, c)
    if not all(isinstance(x, types.Array) and x.ndim == 1 and x.layout == "C" for x in arrays):
        return None
    dtype = c.dtype
    if dtype not in _KIND or a.dtype != dtype or b.dtype != dtype:
        return None
    _ensure_blas()
    kind = _KIND[dtype]

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, a_, b_, beta_, c_ = args
        intp = context.get_value_type(types.intp)
        char = ir.IntType(8)
        void_p = ir.IntType(8).as_pointer()
        argtypes = signature.args

        def as_intp(value, ty):
            return context.cast(builder, value, ty, types.intp)

        def as_flag(value, ty):
            return context.cast(builder, value, ty, types.boolean)

        def data(value, ty):
            return builder.bitcast(context.make_array(ty)(context, builder, value).data, void_p)

        rows, cols, inner = (as_intp(v, t) for v, t in zip((m_, n_, k_), argtypes[2:5]))
        flag_a, flag_b = as_flag(ta, argtypes[0]), as_flag(tb, argtypes[1])
        # BLAS is column-major: a row-major m x n block is its n x m transpose there, so
        # c^T = op(b)^T op(a)^T is computed, b first, with the same transpose flags.
        trans, notrans = ir.Constant(char, ord("t")), ir.Constant(char, ord("n"))
        lda = builder.select(flag_a, rows, inner)  # row length of a as stored
        ldb = builder.select(flag_b, inner, cols)
        alpha = cgutils.alloca_once_value(builder, context.get_constant(dtype, 1.0))
        beta_slot = cgutils.alloca_once_value(
            builder, context.cast(builder, beta_, argtypes[7], dtype))
        fnty = ir.FunctionType(ir.IntType(32), [
            char, char, char, intp, intp, intp, void_p, void_p, intp, void_p, intp, void_p,
            void_p, intp])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
        return builder.call(fn, [
            ir.Constant(char, ord(kind)),
            builder.select(flag_b, trans, notrans), builder.select(flag_a, trans, notrans),
            cols, rows, inner,
            builder.bitcast(alpha, void_p), data(b_, argtypes[6]), ldb,
            data(a_, argtypes[5]), lda,
            builder.bitcast(beta_slot, void_p), data(c_, argtypes[8]), cols])

    return types.int32(trans_a, trans_b, m, n, k, a, b, beta, c), codegen


@kernel
def matmul_into(a, b, out):
    """out = a @ b for C-contiguous 2-D arrays, through :func:`gemm`."""
    m, k = a.shape
    n = b.shape[1]
    gemm(False, False, m, n, k, a.reshape(m * k), b.reshape(k * n), 0.0, out.reshape(m * n))
    return out
