"""The one place where compilation options are set.

Every compiled function uses ``kernel``: cached on disk, releasing the GIL (so threads can
train several networks at once), with NumPy's error model (division by zero gives inf or NaN,
which divergence detection then sees, instead of raising inside compiled code).

fastmath is limited to ``reassoc`` and ``contract``: reassociation lets LLVM vectorize the
sums over rows and units (dot products, bias gradients), contraction lets it fuse multiply-adds.
The ``nnan``/``ninf`` flags stay off: they would let LLVM assume away the NaN and inf that
divergence detection looks for (see bench/README.md for what was measured).
"""

from numba import njit

FASTMATH = {"reassoc", "contract"}
OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=FASTMATH)

kernel = njit(**OPTIONS)
#: For a kernel that only other kernels call: no CPython wrapper (the code that converts
#: Python arguments) is generated for it, which shortens its compile.
internal = njit(no_cpython_wrapper=True, **OPTIONS)
#: For a helper that two drivers share: copied into each at the IR level, which compiles
#: faster than linking (and re-optimizing) one more layer of compiled functions. Not nested
#: more than one level deep: Numba copies a callee's IR block by block with its whole scope,
#: so a copy of a helper that has helpers copied into it costs far more (bench/README.md,
#: "Cold start: three cuts"; tests/test_compile_rules.py holds each driver to its depth).
inlined = njit(inline="always", **OPTIONS)
