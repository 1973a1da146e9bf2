"""sgemm rate of Intel MKL against SciPy's OpenBLAS (the BLAS fastmlp's kernels call), on the
products of the wide benchmark cases.

    pip download mkl intel-openmp tbb tcmlib umf intel-cmplr-lib-ur --no-deps -d wheels
    for w in wheels/*.whl; do unzip -q -o -j "$w" "*/data/lib/*" -d mkl; done
    LD_LIBRARY_PATH=mkl python bench/mkl_gemm.py --mkl mkl/libmkl_rt.so.3 --threads 1

Each shape is column-major m x n = (m x k)(k x n), best of 30 calls each; MKL through its
Fortran ``sgemm_`` by ctypes, OpenBLAS through ``scipy.linalg.blas.sgemm``.
"""

import argparse
import ctypes

import numpy as np
from scipy.linalg.blas import sgemm as openblas_sgemm
from threadpoolctl import threadpool_limits

from fastmlp.bench.runners import best_of

SHAPES = [(512, 256, 784), (512, 256, 512), (784, 512, 256), (512, 512, 256), (128, 256, 784),
          (128, 20000, 784)]



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mkl", required=True, help="path to libmkl_rt.so")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    mkl = ctypes.CDLL(args.mkl, mode=ctypes.RTLD_GLOBAL)
    mkl.MKL_Set_Num_Threads(ctypes.c_int(args.threads))
    ref = ctypes.byref
    floats = ctypes.POINTER(ctypes.c_float)

    def mkl_sgemm(A, B, C, m, n, k):
        no = ctypes.c_char(b"N")
        mkl.sgemm_(ref(no), ref(no), ref(ctypes.c_int(m)), ref(ctypes.c_int(n)),
                   ref(ctypes.c_int(k)), ref(ctypes.c_float(1.0)), A.ctypes.data_as(floats),
                   ref(ctypes.c_int(m)), B.ctypes.data_as(floats), ref(ctypes.c_int(k)),
                   ref(ctypes.c_float(0.0)), C.ctypes.data_as(floats), ref(ctypes.c_int(m)))

    rng = np.random.default_rng(0)
    for m, n, k in SHAPES:
        A = np.asfortranarray(rng.normal(size=(m, k)).astype(np.float32))
        B = np.asfortranarray(rng.normal(size=(k, n)).astype(np.float32))
        C = np.zeros((m, n), np.float32, order="F")
        mkl_sgemm(A, B, C, m, n, k)
        np.testing.assert_allclose(C, A @ B, rtol=1e-3, atol=1e-2)
        with threadpool_limits(args.threads):
            openblas = best_of(lambda: openblas_sgemm(1.0, A, B, c=C, overwrite_c=1), 30)
        mkl_time = best_of(lambda: mkl_sgemm(A, B, C, m, n, k), 30)
        flops = 2 * m * n * k
        print(f"{m}x{n}x{k}: OpenBLAS {flops / openblas / 1e9:.0f} GFLOP/s, "
              f"MKL {flops / mkl_time / 1e9:.0f} GFLOP/s, OpenBLAS time / MKL time "
              f"{openblas / mkl_time:.2f}")


if __name__ == "__main__":
    main()
