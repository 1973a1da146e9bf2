"""The Hessian, Hessian-vector products and extreme eigenvalues of fastmlp.curvature, against
second differences of the loss, the exact Hessian of linear least squares and a dense
eigensolver; and the stationary-point report on a constructed saddle, a converged convex
fit and saturated plateaus."""

import numpy as np
import pytest
from helpers import make_data, make_net, max_rel_err

import fastmlp
from fastmlp import curvature as C

# (sizes, hidden, output, loss): smooth activations only, so second differences are valid
SMOOTH = [((2, 3, 1), "tanh", "sigmoid", "mse"),
          ((2, 3, 1), "sigmoid", "identity", "half_mse"),
          ((2, 3, 2), "tanh", "softmax", "cross_entropy"),
          ((2, 3, 1), "arctan", "sigmoid", "binary_cross_entropy")]


def loss_hessian_by_second_differences(net, X, Y, h=1e-4, **kw):
    """Four-point mixed second differences of net.loss (on a copy): error ~h^2 (1e-8) from
    truncation plus ~eps * loss / h^2 (2e-8) from rounding."""
    clone = net.copy()
    theta = net.params.copy()
    n = theta.size

    def loss_at(i, si, j, sj):
        shifted = theta.copy()
        shifted[i] += si * h
        shifted[j] += sj * h
        clone.params = shifted
        return clone.loss(X, Y, **kw)

    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (loss_at(i, 1, j, 1) - loss_at(i, 1, j, -1)
                                 - loss_at(i, -1, j, 1) + loss_at(i, -1, j, -1)) / (4 * h * h)
    return H


def linear_least_squares_net(d=4, k=3, n=30, dtype="float64", seed=0):
    net = fastmlp.MLP((d, k), output_activation="identity", loss="mse", dtype=dtype, seed=seed)
    rng = np.random.default_rng(seed + 1)
    return net, rng.normal(size=(n, d)), rng.normal(size=(n, k))


def exact_least_squares_hessian(X, k, sample_weight=None, l2=0.0):
    """(2 / sum w) sum_n w_n [x_n; 1][x_n; 1]^T (x) I_k, plus l2 on the weights: parameter
    (i, c) sits at i * k + c, the bias as row i = d (fastmlp.layout: W row-major, then b)."""
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    Z = np.hstack([X, np.ones((len(X), 1))])
    H = np.kron(2 * (Z * w[:, None]).T @ Z / w.sum(), np.eye(k))
    H[np.arange(X.shape[1] * k), np.arange(X.shape[1] * k)] += l2
    return H


def zero_weight_saddle():
    """A 2-2-1 tanh net with every weight and hidden bias 0 and the output bias at mean(Y):
    the gradient vanishes (hidden units output tanh(0) = 0; the residuals have mean 0), but
    the Hessian couples W1[:, j] with W2[j] through c = (2/N) sum_n (ybar - y_n) x_n, with
    eigenvalues +-|c| for each hidden unit: a saddle."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    Y = (X @ [1.0, -0.5] + 0.1 * rng.normal(size=40)).reshape(-1, 1)
    net = fastmlp.MLP((2, 2, 1), activation="tanh", output_activation="identity", loss="mse")
    net.params[:] = 0.0
    net.biases[-1][:] = Y.mean()
    c = 2 * (Y.mean() - Y[:, 0]) @ X / len(X)
    return net, X, Y, c


# ----------------------------------------------------------------------------- the Hessian
@pytest.mark.parametrize("sizes, hidden, output, loss", SMOOTH)
def test_hessian_equals_second_differences_of_the_loss(sizes, hidden, output, loss):
    net = make_net(sizes, hidden, output, loss)
    X, Y = make_data(net, n=9)
    # measured 2e-9..1.3e-7: the second differences' own error (see the helper)
    assert max_rel_err(net.hessian(X, Y), loss_hessian_by_second_differences(net, X, Y)) < 1e-6


def test_hessian_with_penalty_and_sample_weight_equals_second_differences():
    net = make_net((2, 3, 1), "tanh", "sigmoid", "mse")
    X, Y = make_data(net, n=9)
    kw = dict(l2=0.3, sample_weight=np.arange(1.0, 10.0))
    expected = loss_hessian_by_second_differences(net, X, Y, **kw)
    assert max_rel_err(net.hessian(X, Y, **kw), expected) < 1e-6


@pytest.mark.parametrize("options", [{}, dict(l2=0.3), dict(sample_weight=np.arange(30.0) % 4)])
def test_hessian_of_linear_least_squares_is_exact(options):
    net, X, Y = linear_least_squares_net()
    expected = exact_least_squares_hessian(X, 3, **options)
    # the gradient is linear in the parameters, so central differences are exact up to
    # rounding: ~eps * |g| / h = 1e-16 / 6e-6 ~ 1e-11 (measured 1.1e-11)
    assert max_rel_err(net.hessian(X, Y, **options), expected) < 1e-6


def test_float32_hessian_of_linear_least_squares():
    net, X, Y = linear_least_squares_net(dtype="float32")
    # float32 central differences leave ~eps^(2/3) = 2e-5 relative (measured 1.0e-5)
    assert max_rel_err(net.hessian(X, Y), exact_least_squares_hessian(X, 3)) < 1e-3


def test_hessian_is_symmetric_and_its_columns_agree_before_symmetrization():
    net = make_net((2, 3, 2), "tanh", "softmax", "cross_entropy")
    X, Y = make_data(net, n=9)
    H = net.hessian(X, Y)
    assert np.array_equal(H, H.T)
    # independent of the symmetrization: unsymmetrized columns from products with e_j
    # (measured 2e-11 asymmetric, 1e-11 from H)
    columns = np.column_stack([net.hessian_vector_product(X, Y, e) for e in np.eye(H.shape[0])])
    assert max_rel_err(columns, columns.T) < 1e-7
    assert max_rel_err(columns, H) < 1e-7


def test_hessian_refuses_large_networks_and_points_to_products():
    net = fastmlp.MLP((50, 40, 1), seed=0)  # P = 2081
    X, Y = make_data(net, n=3, margin=None)
    before = net.params.tobytes()
    with pytest.raises(ValueError, match=r"P = 2081 .* limit of 2000 .*hessian_vector_product"):
        net.hessian(X, Y)
    assert net.params.tobytes() == before


# ----------------------------------------------------------------------------- products
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_hessian_vector_product_equals_hessian_times_v(scale):
    net = make_net((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy")
    X, Y = make_data(net, n=11)
    v = scale * np.random.default_rng(0).normal(size=net.n_params)
    kw = dict(l2=0.1, sample_weight=np.linspace(0.5, 2, 11))
    # both are central differences with error ~eps^(2/3) (measured 6e-11 at every scale)
    assert max_rel_err(net.hessian_vector_product(X, Y, v, **kw),
                       net.hessian(X, Y, **kw) @ v) < 1e-6
    assert not net.hessian_vector_product(X, Y, np.zeros(net.n_params)).any()


def test_hessian_vector_product_checks_v():
    net = make_net((2, 3, 1))
    X, Y = make_data(net)
    with pytest.raises(ValueError, match=r"v must have shape \(13,\)"):
        net.hessian_vector_product(X, Y, np.ones(12))
    with pytest.raises(ValueError, match="NaN"):
        net.hessian_vector_product(X, Y, np.full(13, np.nan))


# ----------------------------------------------------------------------------- eigenvalues
@pytest.mark.parametrize("sizes, k, method", [((2, 3, 1), 1, "auto"),  # P = 13: dense
                                              ((3, 5, 2), 1, "lanczos"),
                                              ((3, 5, 2), 3, "lanczos"),
                                              ((8, 16, 4), 2, "auto")])  # P = 212: Lanczos
def test_curvature_extremes_equal_dense_eigenvalues(sizes, k, method):
    net = make_net(sizes, "tanh", "identity", "mse")
    X, Y = make_data(net, n=20)
    expected = np.linalg.eigvalsh(net.hessian(X, Y))
    curv = net.curvature(X, Y, k=k, method=method)
    if method == "auto":
        method = "dense" if net.n_params <= C.DENSE_LIMIT else "lanczos"
    assert curv.method == method
    rho = np.abs(expected).max()
    # Lanczos stops at a residual of tol = 1e-6 times a shifted eigenvalue (<= 3 rho), and a
    # symmetric eigenvalue's error is at most its residual (measured: errors below 1e-9
    # rho, residuals below 2.1e-8 rho)
    np.testing.assert_allclose(curv.largest, expected[::-1][:k], rtol=0, atol=3e-6 * rho)
    np.testing.assert_allclose(curv.smallest, expected[:k], rtol=0, atol=3e-6 * rho)
    u = curv.smallest_eigenvector
    H_u = net.hessian_vector_product(X, Y, u)
    assert abs(np.linalg.norm(u) - 1) < 1e-12
    assert np.linalg.norm(H_u - curv.smallest[0] * u) < 3e-6 * rho


def test_curvature_checks_its_arguments():
    net = make_net((2, 3, 1))
    X, Y = make_data(net)
    with pytest.raises(ValueError, match="unknown method 'exact'"):
        net.curvature(X, Y, method="exact")
    with pytest.raises(ValueError, match="k = 14 .* only 13"):
        net.curvature(X, Y, k=14)
    with pytest.raises(ValueError, match="2k < P"):
        net.curvature(X, Y, k=7, method="lanczos")


# ----------------------------------------------------------------------------- parameters
def test_parameters_are_left_bit_for_bit():
    net = make_net((3, 5, 2), "tanh", "softmax", "cross_entropy")
    X, Y = make_data(net, n=10)
    params, before = net.params, net.params.tobytes()
    net.hessian(X, Y, l1=0.01)
    net.hessian_vector_product(X, Y, np.ones(net.n_params))
    net.curvature(X, Y, method="lanczos")
    net.curvature(X, Y, method="dense")
    C.stationary_point(net, X, Y)
    net.diagnose(X, Y)
    assert net.params is params and net.params.tobytes() == before


def test_parameters_are_left_bit_for_bit_when_a_step_overflows():
    # float32 weight near its maximum, fed by an all-zero input: the loss is finite at the
    # parameters, but its column's step +h overflows to inf and the gradient to NaN
    net = make_net((3, 2, 1), "tanh", "identity", "mse", dtype="float32")
    X, Y = make_data(net, n=6, margin=None)
    X[:, 2] = 0.0
    net.weights[0][2, 0] = 3.39e38
    before = net.params.tobytes()
    assert np.isfinite(net.loss(X, Y))
    for call in (lambda: net.hessian(X, Y),
                 lambda: net.hessian_vector_product(X, Y, np.ones(net.n_params)),
                 lambda: net.curvature(X, Y)):
        with pytest.raises(ValueError, match="not finite within a finite-difference step"):
            call()
        assert net.params.tobytes() == before
    with pytest.raises(ValueError, match="Y has 5 rows"):
        net.hessian(X, Y[:5])
    assert net.params.tobytes() == before
    report = net.diagnose(X, Y)  # reports instead of failing
    assert report.stationary_point is None and "overflows" in str(report)
    assert net.params.tobytes() == before


# ----------------------------------------------------------------------------- where it stands
def test_zero_weights_are_diagnosed_as_a_saddle_and_the_eigenvector_escapes_it():
    net, X, Y, c = zero_weight_saddle()
    assert np.linalg.norm(net.gradient(X, Y)) < 1e-15
    report = net.diagnose(X, Y)
    assert report.stationary_point == "saddle" and not report.healthy
    # -|c|, exactly, up to the differences' rounding (measured 2.7e-11 relative)
    assert abs(report.smallest_eigenvalue + np.linalg.norm(c)) < 1e-8 * np.linalg.norm(c)
    # the other end: +|c|, or d^2 loss / d b2^2 = 2
    assert abs(report.largest_eigenvalue - max(2.0, np.linalg.norm(c))) < 1e-8
    text = str(report)
    assert "SADDLE POINT" in text and "escape" in text
    assert f"negative eigenvalue {report.smallest_eigenvalue:.3g}" in text

    u, t = report.escape_direction, 0.1
    loss = net.loss(X, Y)
    predicted = loss + report.smallest_eigenvalue * t * t / 2
    for sign in (1, -1):  # tanh is odd: -u escapes as well as u
        stepped = net.copy()
        stepped.params = net.params + sign * t * u
        after = stepped.loss(X, Y)
        # the quadratic model's drop, up to the quartic term: measured 1.0% off at t = 0.1
        assert after < loss and abs((loss - after) / (loss - predicted) - 1) < 0.05


def test_converged_least_squares_fit_is_a_minimum():
    net, X, Y = linear_least_squares_net(d=3, k=2, n=60)
    Y = X @ np.random.default_rng(5).normal(size=(3, 2)) + 0.1 * Y  # noisy: loss* > 0
    assert C.stationary_point(net, X, Y).kind == "not stationary"
    # full-batch GD at 0.2 contracts the error by at least 1 - 0.2 * lambda_min(H) ~ 0.72
    # per epoch (H's eigenvalues 1.4..2.7): 500 epochs reach rounding
    net.fit(X, Y, learning_rate=0.2, batch_size=None, epochs=500, shuffle=False)
    report = net.diagnose(X, Y)
    assert report.stationary_point == "minimum" and report.healthy
    assert report.escape_direction is None and report.smallest_eigenvalue > 0
    assert "curvature: at a minimum" in str(report) and "no symptom found" in str(report)


@pytest.mark.parametrize("sizes, weight", [((1, 1, 1), 20.0), ((4, 16, 1), 50.0)])
def test_saturated_sigmoid_network_is_a_plateau(sizes, weight):
    # every z >= 20: sigmoid' <= 2e-9, so gradient and curvature nearly vanish at loss ~0.2;
    # at 50 they are exactly 0 (P = 97 takes the Lanczos path, with H = 0)
    net = fastmlp.MLP(sizes, activation="sigmoid", output_activation="sigmoid")
    net.params[:] = 0.0
    for W in net.weights:
        W[...] = weight
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, size=(20, sizes[0]))
    Y = rng.uniform(0.05, 0.95, size=(20, 1))
    report = net.diagnose(X, Y)
    assert report.stationary_point == "plateau" and not report.healthy
    assert "PLATEAU" in str(report)
    assert abs(report.smallest_eigenvalue) < 1e-8 and abs(report.largest_eigenvalue) < 1e-8
