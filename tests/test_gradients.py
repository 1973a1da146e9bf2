"""Forward, loss and gradient of the kernels against reference.py and finite differences,
for every activation x loss x depth (1, 2 and 3 weight layers)."""

import numpy as np
import pytest
from helpers import (
    DEPTH_SIZES,
    HIDDEN,
    OUTPUT_LOSS,
    finite_difference_gradient,
    make_data,
    make_net,
    max_rel_err,
    ref_loss_grad,
    ref_spec,
)
from numba import njit

from fastmlp import reference
from fastmlp.kernels.losses import output_row, output_stage
from fastmlp.layout import LOSSES, OUTPUT_ACTIVATIONS

CASES = [(hidden, out, loss, depth)
         for depth in (1, 2, 3)
         for hidden in (HIDDEN if depth > 1 else ("identity",))
         for out, loss in OUTPUT_LOSS]


@pytest.mark.parametrize("hidden,output,loss,depth", CASES)
def test_float64_matches_reference_and_finite_differences(hidden, output, loss, depth):
    net = make_net(DEPTH_SIZES[depth], hidden, output, loss)
    X, Y = make_data(net)
    sizes, acts, params = ref_spec(net)

    _, outs = reference.forward(net.params, sizes, acts, params, X)
    assert max_rel_err(net.forward(X), outs[-1]) < 1e-12

    assert_loss_and_gradient_match_reference_and_finite_differences(net, X, Y)


def assert_loss_and_gradient_match_reference_and_finite_differences(net, X, Y):
    ref_value, ref_grad = ref_loss_grad(net, X, Y)
    assert net.loss(X, Y) == pytest.approx(ref_value, rel=1e-12)
    grad = net.gradient(X, Y)
    assert grad.shape == net.params.shape
    assert max_rel_err(grad, ref_grad) < 1e-9

    def loss_at(theta):
        net.params = theta
        return net.loss(X, Y)

    theta0 = net.params.copy()
    fd = finite_difference_gradient(loss_at, theta0)
    net.params = theta0
    assert max_rel_err(grad, fd) < 1e-9


@pytest.mark.parametrize("hidden,output,loss,depth",
                         [c for c in CASES if c[3] == 2] + [c for c in CASES if c[3] == 1])
def test_float32_matches_float64_reference(hidden, output, loss, depth):
    net = make_net(DEPTH_SIZES[depth], hidden, output, loss, dtype="float32")
    X, Y = make_data(net)
    theta64 = net.params.astype(np.float64)
    ref_value, ref_grad = ref_loss_grad(net, X, Y, theta=theta64)
    sizes, acts, params = ref_spec(net)
    _, outs = reference.forward(theta64, sizes, acts, params, X.astype(np.float32)
                                .astype(np.float64))

    out = net.forward(X)
    grad = net.gradient(X, Y)
    assert out.dtype == np.float32 and grad.dtype == np.float32
    # float32 carries ~7 digits; a few roundings per layer leave errors near 1e-6 relative
    assert max_rel_err(out, outs[-1]) < 2e-5
    assert net.loss(X, Y) == pytest.approx(ref_value, rel=2e-5, abs=1e-6)
    assert max_rel_err(grad, ref_grad) < 1e-4


@pytest.mark.parametrize("l1,l2", [(0.0, 0.3), (0.2, 0.0), (0.1, 0.05)])
def test_penalties_match_reference_and_finite_differences(l1, l2):
    net = make_net((3, 5, 2), "tanh", "sigmoid", "mse")
    X, Y = make_data(net)
    ref_value, ref_grad = ref_loss_grad(net, X, Y, l1=l1, l2=l2)
    W = net.weights
    expected_penalty = l1 * sum(np.abs(w).sum() for w in W) + l2 / 2 * sum((w**2).sum() for w in W)
    assert net.loss(X, Y, l1=l1, l2=l2) == pytest.approx(net.loss(X, Y) + expected_penalty,
                                                         rel=1e-12)
    assert net.loss(X, Y, l1=l1, l2=l2) == pytest.approx(ref_value, rel=1e-12)
    grad = net.gradient(X, Y, l1=l1, l2=l2)
    assert max_rel_err(grad, ref_grad) < 1e-9

    def loss_at(theta):
        net.params = theta
        return net.loss(X, Y, l1=l1, l2=l2)

    theta0 = net.params.copy()
    fd = finite_difference_gradient(loss_at, theta0)
    assert max_rel_err(grad, fd) < 1e-8  # |W| has kinks only at 0, far from these weights


# Networks the per-activation cases above cannot show: a different activation in each hidden
# layer (a kernel reading the wrong layer's code would pass every uniform case), non-default
# leaky-ReLU slope and ELU alpha (hidden and output), and cross-entropy targets whose rows do
# not sum to 1 (the delta is p * sum(d) - d, not p - d).
UNUSUAL = {
    "tanh-sigmoid hidden": dict(sizes=(3, 5, 4, 2), hidden=["tanh", "sigmoid"],
                                output="identity", loss="mse"),
    "relu-elu-softsign hidden": dict(sizes=(3, 5, 4, 3, 3), hidden=["relu", "elu", "softsign"],
                                     output="softmax", loss="cross_entropy"),
    "slope 0.2, alpha 2": dict(sizes=(3, 5, 4, 2), hidden=["leaky_relu", "elu"], output="elu",
                               loss="half_mse", leaky_relu_slope=0.2, elu_alpha=2.0),
    "arctan-leaky hidden, leaky output": dict(sizes=(3, 4, 4, 2), hidden=["arctan", "leaky_relu"],
                                              output="leaky_relu", loss="mse",
                                              leaky_relu_slope=0.3),
}


def unusual_net(name):
    spec = dict(UNUSUAL[name])
    sizes, hidden, output, loss = (spec.pop(k) for k in ("sizes", "hidden", "output", "loss"))
    return make_net(sizes, hidden, output, loss, **spec)


@pytest.mark.parametrize("name", list(UNUSUAL))
def test_unusual_networks_match_reference_and_finite_differences(name):
    net = unusual_net(name)
    X, Y = make_data(net)
    if net.loss_name == "cross_entropy":
        Y = Y * np.array([[2.0], [1.0], [0.5], [3.0], [1.0], [1.5], [0.7]])  # row sums != 1
    assert_loss_and_gradient_match_reference_and_finite_differences(net, X, Y)


@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("name", list(UNUSUAL))
def test_unusual_networks_train_like_reference(name, batch_size):
    # batch size 1 takes the fused per-sample kernel, 3 the chunked mini-batch path
    net = unusual_net(name)
    X, Y = make_data(net, n=9)
    sizes, acts, params = ref_spec(net)
    theta, losses = reference.train(net.params, sizes, acts, params, net.loss_name, X, Y,
                                    optimizer="momentum", learning_rate=0.05, momentum=0.5,
                                    batch_size=batch_size, epochs=2, shuffle=False)
    history = net.fit(X, Y, optimizer="momentum", learning_rate=0.05, momentum=0.5,
                      batch_size=batch_size, epochs=2, shuffle=False)
    np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.loss, losses, rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_batches_use_blas_and_chunks_like_reference(dtype):
    # 600 rows span three 256-row chunks and 256 x 40 x 50 multiply-adds take the BLAS path,
    # so this covers chunked gradient accumulation and the BLAS branches.
    net = make_net((40, 50, 30, 10), "relu", "softmax", "cross_entropy", dtype=dtype)
    X, Y = make_data(net, n=600, margin=None)
    theta64 = net.params.astype(np.float64)
    ref_value, ref_grad = ref_loss_grad(net, X, Y, theta=theta64)
    sizes, acts, params = ref_spec(net)
    _, outs = reference.forward(theta64, sizes, acts, params, X)
    tol = 1e-11 if dtype == "float64" else 1e-4
    assert max_rel_err(net.forward(X), outs[-1]) < tol
    assert net.loss(X, Y) == pytest.approx(ref_value, rel=tol)
    assert max_rel_err(net.gradient(X, Y), ref_grad) < tol


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_inference_switches_between_blas_and_loops_like_reference(hidden, output, loss):
    # inference runs row-major (kernels.passes.forward): with 257 rows the first chunk's
    # products (256 x 100 x 64, 256 x 64 x 10) go to BLAS and the last row's to the loops,
    # and the output activation is applied along rows
    net = make_net((100, 64, 10), hidden, output, loss)
    X, _ = make_data(net, n=257, margin=None)
    sizes, acts, params = ref_spec(net)
    _, outs = reference.forward(net.params, sizes, acts, params, X)
    out = net.forward(X)
    assert max_rel_err(out, outs[-1]) < 1e-11
    np.testing.assert_allclose(net.forward(X[-1:]), out[-1:], rtol=1e-12)


@pytest.mark.parametrize("n_rows", [1, 2])
def test_edge_shapes_one_sample_one_feature(n_rows):
    net = make_net((1, 3, 1), "sigmoid", "identity", "half_mse")
    X, Y = make_data(net, n=n_rows)
    ref_value, ref_grad = ref_loss_grad(net, X, Y)
    assert net.loss(X, Y) == pytest.approx(ref_value, rel=1e-12)
    assert max_rel_err(net.gradient(X, Y), ref_grad) < 1e-12
    assert net.forward(X).shape == (n_rows, 1)


def test_step_forward_and_loss_but_no_gradient():
    net = make_net((3, 4, 2), "step", "sigmoid", "mse")
    X, Y = make_data(net)
    sizes, acts, params = ref_spec(net)
    _, outs = reference.forward(net.params, sizes, acts, params, X)
    np.testing.assert_allclose(net.forward(X), outs[-1], rtol=1e-13)
    assert net.loss(X, Y) == pytest.approx(reference.loss(outs[-1], Y, "mse"), rel=1e-12)
    with pytest.raises(ValueError, match="step"):
        net.gradient(X, Y)


def test_extreme_preactivations_give_finite_stable_losses():
    # softmax and sigmoid losses are computed from z (log-sum-exp, softplus): no overflow
    net = make_net((2, 3), output="softmax", loss="cross_entropy")
    net.weights[0][...] = 400.0
    X = np.array([[1.0, 1.0], [-1.0, 2.0]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert np.isfinite(net.loss(X, Y)) and np.isfinite(net.gradient(X, Y)).all()
    bce = make_net((2, 1), output="sigmoid", loss="binary_cross_entropy")
    bce.weights[0][...] = -500.0
    value = bce.loss(np.array([[1.0, 1.0]]), np.array([[1.0]]))
    assert value == pytest.approx(1000.0, rel=1e-12)


@pytest.mark.parametrize("dtype,rel", [(np.float64, 4e-16), (np.float32, 2e-7)])
def test_fast_exp_is_accurate_and_keeps_nan(dtype, rel):
    from numba import njit

    from fastmlp.kernels.fastexp import fast_exp

    @njit
    def apply(x, out):
        for i in range(x.shape[0]):
            out[i] = fast_exp(x[i])

    limit = 700 if dtype == np.float64 else 85
    x = np.concatenate([np.linspace(-limit, limit, 200_001),
                        np.random.default_rng(0).normal(size=10_000)]).astype(dtype)
    out = np.empty_like(x)
    apply(x, out)
    exact = np.exp(x.astype(np.float64))
    assert np.max(np.abs(out - exact) / exact) < rel
    special = np.array([np.nan, 1e4, -1e4], dtype)
    out = np.empty_like(special)
    apply(special, out)
    assert np.isnan(out[0]) and np.isfinite(out[1:]).all() and out[2] < 1e-37


@njit
def _both_output_stages(z, Y, output, param, start):
    """The per-sample kernel's one-row output stage and the chunk drivers' output stage on
    the same row: (losses, activated outputs, deltas) of each.

    ``start`` is 0, passed in rather than written here: an integer constant would type as
    ``Literal[int](0)`` and compile the library's kernels a variant of their own for it, in
    this process, which tests/test_compile_rules.py then finds if it runs after this test in
    the same process (as it may under pytest-xdist).
    """
    acts_row, deltas_row = z.copy(), np.zeros_like(z)
    acts_chunk, deltas_chunk = z.copy(), np.zeros_like(z)
    loss_row = output_row(acts_row, start, deltas_row, Y, start, output, param)
    loss_chunk = output_stage(acts_chunk, start, deltas_chunk, Y, np.empty(0, z.dtype),
                              np.zeros(1, np.int64), start, start + 1, output, param, 1.0,
                              None)
    return loss_row, loss_chunk, acts_row, acts_chunk, deltas_row, deltas_chunk


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_one_row_output_stage_agrees_with_the_output_stage(output, loss, dtype):
    # the per-sample kernel copies in its own one-row output stage (kernels.losses.output_row):
    # output_stage's formulas for m = 1, scale 1 and no weights, except that element-wise
    # outputs go value by value where output_stage makes whole-layer passes, and the two
    # compiled functions may contract a multiply-add differently: equal to a few roundings
    rng = np.random.default_rng(3)
    z = rng.normal(scale=3.0, size=4).astype(dtype)
    Y = (np.eye(4)[[2]] if loss == "cross_entropy" else rng.uniform(size=(1, 4))).astype(dtype)
    param = 0.3 if output in ("leaky_relu", "elu") else 0.0
    row, chunk, *pairs = _both_output_stages(z, Y, (4, OUTPUT_ACTIVATIONS[output],
                                                    LOSSES[loss]), param, 0)
    eps = float(np.finfo(dtype).eps)
    assert row == pytest.approx(chunk, rel=8 * eps)
    for a, b in zip(pairs[0::2], pairs[1::2]):
        np.testing.assert_allclose(a, b, rtol=8 * eps, atol=8 * eps)
