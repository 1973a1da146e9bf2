"""Every Numba-compiled function of fastmlp.

Kernels take plain contiguous arrays and integer codes (no Python objects), allocate nothing
in their hot loops, and are cached on disk (``cache=True``) so a new process loads them
instead of compiling. The public, validating API is :mod:`fastmlp.network`.
"""
