"""The BLAS product the kernels use (SciPy's, through Numba), exposed on its own so that the
benchmark can measure this machine's large-GEMM rate through the very same library."""

import numpy as np

from ._jit import kernel


@kernel
def matmul_into(a, b, out):
    """out = a @ b for C-contiguous 2-D arrays."""
    np.dot(a, b, out)
    return out
