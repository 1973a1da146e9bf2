"""The BLAS intrinsic the dense layers use, against NumPy, and a BLAS-sized network trained
over several chunks per batch against reference.py."""

import numpy as np
import pytest
from helpers import make_data, make_net, ref_spec
from numba import njit

from fastmlp import reference
from fastmlp.kernels.blas import gemm, matmul_into


@njit
def call_gemm(trans_a, trans_b, m, n, k, a, b, beta, c):
    return gemm(trans_a, trans_b, m, n, k, a, b, beta, c)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_gemm_matches_numpy_for_every_transpose_and_beta(dtype, trans_a, trans_b, beta):
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 3  # all different, so a swapped dimension or leading dimension shows
    A = rng.normal(size=(m, k)).astype(dtype)
    B = rng.normal(size=(k, n)).astype(dtype)
    C0 = rng.normal(size=(m, n)).astype(dtype)
    stored_a = np.ascontiguousarray(A.T) if trans_a else A
    stored_b = np.ascontiguousarray(B.T) if trans_b else B
    # the blocks sit inside larger buffers, as in the kernels' flat layout
    a = np.concatenate([np.full(4, np.nan, dtype), stored_a.ravel(), np.full(3, np.nan, dtype)])
    b = np.concatenate([np.full(2, np.nan, dtype), stored_b.ravel()])
    c = np.concatenate([np.full(6, -1.0, dtype), C0.ravel(), np.full(5, -1.0, dtype)])
    status = call_gemm(trans_a, trans_b, m, n, k, a[4 : 4 + m * k], b[2:], beta,
                       c[6 : 6 + m * n])
    assert status == 0
    expected = A.astype(np.float64) @ B + beta * C0
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(c[6 : 6 + m * n].reshape(m, n), expected, rtol=tol, atol=tol)
    assert np.all(c[:6] == -1.0) and np.all(c[6 + m * n :] == -1.0)  # nothing outside c


def test_gemm_refuses_mixed_dtypes_and_non_contiguous_blocks():
    a32 = np.ones(4, np.float32)
    a64 = np.ones(4)
    with pytest.raises(Exception, match="gemm"):
        call_gemm(False, False, 2, 2, 2, a32, a64, 0.0, a64)
    with pytest.raises(Exception, match="gemm"):
        call_gemm(False, False, 2, 2, 2, a64[::2], a64, 0.0, np.ones(8)[::2])


def test_matmul_into_matches_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 9))
    out = np.empty((6, 9))
    np.testing.assert_allclose(matmul_into(a, b, out), a @ b, rtol=1e-13)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov"])
def test_blas_sized_batches_spanning_chunks_train_like_reference(optimizer):
    # batches of 600 rows span three 256-row chunks: the first chunk's weight gradient is
    # written by BLAS, the later ones added into it (beta = 1); every layer's product is large
    # enough for BLAS, the first from the row-major input block
    net = make_net((40, 50, 30, 10), "tanh", "softmax", "cross_entropy")
    X, Y = make_data(net, n=1200, margin=None)
    sizes, acts, params = ref_spec(net)
    theta, losses = reference.train(net.params, sizes, acts, params, net.loss_name, X, Y,
                                    optimizer=optimizer, learning_rate=0.1, momentum=0.5,
                                    batch_size=600, epochs=2, shuffle=False)
    history = net.fit(X, Y, optimizer=optimizer, learning_rate=0.1, momentum=0.5,
                      batch_size=600, epochs=2, shuffle=False)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)
