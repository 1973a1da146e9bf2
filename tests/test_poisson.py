"""loss="poisson" with output_activation="exp" in the core MLP: half the Poisson deviance,
its pairing with the exp output, its value where outputs under- or overflow, training on
every engine against reference.py, and saving and loading. (Gradients of every depth and
hidden activation: tests/test_gradients.py through helpers.OUTPUT_LOSS; scikit-learn's
estimator: tests/test_sklearn_agreement.py; ONNX: tests/test_onnx.py.)"""

import numpy as np
import pytest
from helpers import finite_difference_gradient, make_net, max_rel_err, ref_loss_grad, ref_spec

import fastmlp
from fastmlp import reference
from fastmlp.parallel import MIN_ROWS_PER_THREAD


def poisson_case(n=24, seed=0, sizes=(3, 5, 2)):
    """A Poisson network and count targets (zeros among them) of about its outputs' size."""
    net = make_net(sizes, "tanh", "exp", "poisson", seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, sizes[0]))
    Y = rng.poisson(2.0, size=(n, sizes[-1])).astype(float)
    assert (Y == 0).any() and (Y > 0).any()
    return net, X, Y


def half_deviance(o, Y):
    """scikit-learn's formula (its _base.poisson_loss), written independently of both."""
    from scipy.special import xlogy

    return float(np.mean(np.sum(xlogy(Y, Y / o) - Y + o, axis=1)))


def test_loss_is_half_the_poisson_deviance_with_zero_counts():
    net, X, Y = poisson_case()
    o = net.predict(X)
    assert net.loss(X, Y) == pytest.approx(half_deviance(o, Y), rel=1e-13)
    assert net.loss(X, Y) == pytest.approx(reference.loss(o, Y, "poisson"), rel=1e-13)
    w = np.random.default_rng(1).uniform(0, 2, len(X))
    terms = reference.loss_terms(o, Y, "poisson").sum(axis=1)
    assert net.loss(X, Y, sample_weight=w) == pytest.approx(np.sum(w * terms) / np.sum(w),
                                                            rel=1e-13)
    # a perfect prediction has loss 0 (the constant term d log d - d is included)
    assert reference.loss(Y + (Y == 0), Y + (Y == 0), "poisson") == 0.0


def weighted_case():
    net, X, Y = poisson_case(sizes=(3, 4, 3, 2))
    w = np.random.default_rng(2).uniform(0, 2, len(X))
    sizes, acts, params = ref_spec(net)
    value, grad = reference.loss_and_gradient(net.params, sizes, acts, params, "poisson", X, Y,
                                              l2=0.1, sample_weight=w)
    return net, X, Y, w, value, grad


def test_weighted_gradient_matches_reference_and_finite_differences():
    net, X, Y, w, value, grad = weighted_case()
    assert net.loss(X, Y, l2=0.1, sample_weight=w) == pytest.approx(value, rel=1e-12)
    assert max_rel_err(net.gradient(X, Y, l2=0.1, sample_weight=w), grad) < 1e-10

    def loss_at(theta):
        net.params = theta
        return net.loss(X, Y, l2=0.1, sample_weight=w)

    assert max_rel_err(grad, finite_difference_gradient(loss_at, net.params.copy())) < 1e-9


def test_float32_network_matches_the_float64_reference():
    net, X, Y, w, value, grad = weighted_case()
    single = make_net((3, 4, 3, 2), "tanh", "exp", "poisson", dtype="float32")
    single.params = net.params.astype(np.float32)
    assert single.loss(X, Y, l2=0.1, sample_weight=w) == pytest.approx(value, rel=1e-5)
    assert max_rel_err(single.gradient(X, Y, l2=0.1, sample_weight=w), grad) < 1e-4


def test_loss_stays_finite_where_the_output_underflows():
    # evaluated from z (log o = z): exp(-800) is 0, where d log(d / o) would be inf
    net = make_net((1, 1), "identity", "exp", "poisson")
    net.weights[0][...] = -800.0
    net.biases[0][...] = 0.0
    X, Y = np.array([[1.0]]), np.array([[3.0]])
    assert net.predict(X)[0, 0] == 0.0
    assert net.loss(X, Y) == pytest.approx(3 * np.log(3) - 3 + 3 * 800, rel=1e-14)
    np.testing.assert_allclose(net.gradient(X, Y), [-3.0, -3.0])


def test_overflowing_output_is_inf_not_a_saturated_number():
    net = make_net((1, 1), "identity", "exp", "poisson")
    net.weights[0][...] = 800.0
    assert np.isposinf(net.predict(np.array([[1.0]]))[0, 0])


ENGINE_BATCHES = [("per_sample", 1), ("chunked", 1), ("chunked", 5), ("chunked", None),
                  ("row_parallel", None)]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("engine,batch_size", ENGINE_BATCHES)
def test_every_engine_trains_like_reference(engine, batch_size, optimizer):
    fastmlp.set_num_threads(2)
    try:
        n = 2 * MIN_ROWS_PER_THREAD + 10 if engine == "row_parallel" else 24
        net, X, Y = poisson_case(n=n, sizes=(3, 5, 4, 2))
        sizes, acts, params = ref_spec(net)
        options = dict(optimizer=optimizer, learning_rate=0.01 if optimizer == "adam" else 0.05,
                       momentum=0.7, batch_size=batch_size, epochs=3, shuffle=False)
        theta, losses = reference.train(net.params, sizes, acts, params, "poisson", X, Y,
                                        **options)
        start = net.params.copy()
        history = net.fit(X, Y, engine=engine, **options)
        np.testing.assert_allclose(net.params, theta, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(history.loss, losses, rtol=1e-10)
        assert not np.allclose(theta, start)  # it did train
    finally:
        fastmlp.set_num_threads(None)


def test_fit_lowers_the_deviance_and_recovers_a_log_linear_rate():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(400, 2))
    rate = np.exp(0.8 * X[:, :1] - 0.5 * X[:, 1:] + 1.0)
    Y = rng.poisson(rate).astype(float)
    net = fastmlp.MLP((2, 1), output_activation="exp", loss="poisson", seed=0)
    before = net.loss(X, Y)
    net.fit(X, Y, optimizer="adam", learning_rate=0.05, batch_size=20, epochs=60, seed=0)
    assert net.loss(X, Y) < before
    # a GLM in disguise: its coefficients approach the rate's
    np.testing.assert_allclose(net.weights[0].ravel(), [0.8, -0.5], atol=0.15)
    assert net.biases[0][0] == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("kwargs,match", [
    (dict(output_activation="sigmoid", loss="poisson"), "output_activation='sigmoid'"),
    (dict(output_activation="identity", loss="poisson"), "loss='poisson'"),
    (dict(output_activation="exp", loss="mse"), "output_activation='exp'"),
    (dict(output_activation="exp", loss="binary_cross_entropy"), "loss='binary_cross_entropy'"),
    (dict(activation="exp", output_activation="exp", loss="poisson"),
     "'exp' is only available as output_activation"),
])
def test_pairings_other_than_exp_with_poisson_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastmlp.MLP((2, 3, 1), **kwargs)


def test_negative_targets_are_refused_without_changing_the_network():
    net, X, Y = poisson_case()
    before = net.params.copy()
    Y[3, 1] = -1.0
    for call in (lambda: net.fit(X, Y, epochs=1), lambda: net.loss(X, Y)):
        with pytest.raises(ValueError, match="non-negative.*poisson"):
            call()
    np.testing.assert_array_equal(net.params, before)


def test_a_poisson_model_saves_and_loads(tmp_path):
    net, X, Y = poisson_case()
    net.fit(X, Y, epochs=2, learning_rate=0.05, seed=0)
    net.save(tmp_path / "counts.npz")
    back = fastmlp.MLP.load(tmp_path / "counts.npz")
    assert back.loss_name == "poisson" and back.activations[-1] == "exp"
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.loss(X, Y) == net.loss(X, Y)
    value, grad = ref_loss_grad(back, X, Y)
    assert back.loss(X, Y) == pytest.approx(value, rel=1e-12)
