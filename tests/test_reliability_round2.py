"""Issue 28, items 4-6, 8 and 10: cross-validation on string labels, the notes' classics and
optimize refusing nonsense, the scikit-learn layer's one guarantee for every solver, extreme
but valid sample weights, and messages that name what is wrong."""

import time
import tracemalloc

import numpy as np
import pytest

import fastmlp
from fastmlp import classic, metrics, optimize
from fastmlp import model_selection as ms


# ------------------------------------------------------------------ 4. cross_validate
@pytest.mark.parametrize("n_out, names", [(3, ["cat", "dog", "eel"]), (1, ["no", "yes"])])
def test_cross_validate_scores_string_labels_on_every_fold(n_out, names):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    if n_out == 3:
        y = np.array(names)[np.argmax(X[:, :3], axis=1)]
        make = lambda: fastmlp.MLP((4, 8, 3), "tanh", "softmax", "cross_entropy", seed=0)  # noqa: E731
    else:
        y = np.where(X[:, 0] > 0, "yes", "no")
        make = lambda: fastmlp.MLP((4, 6, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)  # noqa: E731
    result = ms.cross_validate(make, X, y, ms.k_fold(120, 4, seed=0), ["accuracy", "f1_score"],
                               fit_params=dict(epochs=30, batch_size=8, learning_rate=0.3,
                                               seed=0))
    assert result.scores["accuracy"].shape == (4,)
    # each fold scored against the labels: the same as predicting the classes by hand
    for (train, test), score in zip(ms.k_fold(120, 4, seed=0), result.scores["accuracy"]):
        net = make()
        net.fit(X[train], y[train], epochs=30, batch_size=8, learning_rate=0.3, seed=0)
        assert score == pytest.approx(np.mean(net.predict_classes(X[test]) == y[test]))
    assert result.mean["accuracy"] > 0.7


# ------------------------------------------------------------------ 5. the notes' tools
def test_units_check_their_arity():
    with pytest.raises(ValueError, match="the unit has 2 input"):
        classic.AND(2)((1, 1, 0))
    with pytest.raises(ValueError, match="the unit has 1 input"):
        classic.NOT()((1, 0))
    with pytest.raises(ValueError, match="the unit has 3 input"):
        classic.OR(3)(np.ones((4, 2), int))
    assert classic.AND(3)((1, 1, 1)) == 1 and classic.NOT()(0) == 1
    with pytest.raises(ValueError, match="has 2 input.* wired to 3"):
        classic.MPNetwork([[(classic.AND(2), (0, 1, 2))]], 3)


def test_boolean_network_refuses_a_huge_table_by_size_before_allocating():
    tracemalloc.start()
    began = time.perf_counter()
    with pytest.raises(ValueError, match=r"must give all 16777216 inputs \(2\^24.* got 1"):
        classic.boolean_network({(0,) * 24: 1})
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5 and peak < 10 * 2**20
    with pytest.raises(ValueError, match=r"missing \(1, 1\)"):  # small tables: which one
        classic.boolean_network({(0, 0): 0, (0, 1): 1, (1, 0): 1})


def test_perceptron_refuses_nan_weights_and_a_string_shuffle():
    X, y = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]), np.array([0, 0, 0, 1])
    p = classic.Perceptron(2)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        p.fit(X, y, shuffle="no")
    p.weights[1] = np.nan
    with pytest.raises(ValueError, match="weights hold NaN"):
        p.fit(X, y)
    with pytest.raises(ValueError, match="weights hold NaN"):
        p.predict(X)
    p.weights = np.zeros(3)
    assert p.fit(X, y).converged


def test_perceptron_reports_divergence_instead_of_leaving_inf():
    X = np.array([[1e308, -1e308], [-1e308, 1e308], [1e308, 1e308], [-1e308, -1e308]])
    y = np.array([1, 0, 1, 0])
    p = classic.Perceptron(2)
    p.weights[:] = [0.5, 0.25, -0.25]
    with pytest.raises(fastmlp.DivergenceError, match="diverged in epoch 1"):
        p.fit(X, y, learning_rate=10, max_epochs=5)
    np.testing.assert_array_equal(p.weights, [0.5, 0.25, -0.25])  # the epoch was undone


@pytest.mark.parametrize("f", [lambda x: np.nan, lambda x: np.nan * x ** 2])
def test_optimize_refuses_functions_that_are_nan(f):
    with pytest.raises(ValueError, match="f returned nan"):
        optimize.classify_stationary_point(f, 0.0)
    with pytest.raises(ValueError, match="f returned nan"):
        optimize.is_convex(f, -1.0, 1.0)
    with pytest.raises(ValueError, match="f returned nan"):
        optimize.hessian(f, 0.0)


@pytest.mark.parametrize("options, name", [
    (dict(grad_tol=np.nan), "grad_tol"), (dict(grad_tol=-1.0), "grad_tol"),
    (dict(eig_tol=np.nan), "eig_tol"), (dict(eig_tol=-1e-4), "eig_tol"),
])
def test_classify_stationary_point_checks_its_tolerances(options, name):
    with pytest.raises(ValueError, match=name):
        optimize.classify_stationary_point(lambda x: (x - 1) ** 2, 0.0, **options)


def test_grad_tol_nan_no_longer_reports_a_minimum_at_a_non_stationary_point():
    with pytest.raises(ValueError, match="grad_tol"):
        optimize.classify_stationary_point(lambda x: x ** 2, 3.0, grad_tol=np.nan)
    with pytest.raises(ValueError, match="not a stationary point"):
        optimize.classify_stationary_point(lambda x: x ** 2, 3.0)


@pytest.mark.parametrize("rtol", [np.nan, -1.0, "0"])
def test_is_convex_checks_rtol(rtol):
    with pytest.raises(ValueError, match="rtol"):
        optimize.is_convex(lambda x: x ** 2, -1.0, 1.0, rtol=rtol)


@pytest.mark.parametrize("f, kind, words", [
    (lambda x: np.array([x, x]), ValueError, "f must return one real number"),
    (lambda x: None, TypeError, "f must return a real number, got None"),
    (lambda x: "1.0", TypeError, "f must return a real number, got '1.0'"),
])
def test_minimize_names_a_bad_f(f, kind, words):
    with pytest.raises(kind, match=words):
        optimize.minimize(f, 1.0, grad=lambda x: 2 * x, steps=3)


def test_minimize_refuses_a_nan_f_at_x0_and_names_a_bad_grad():
    with pytest.raises(ValueError, match=r"f\(x0\) is nan"):
        optimize.minimize(lambda x: np.nan, 1.0, grad=lambda x: 2 * x)
    with pytest.raises(TypeError, match="grad must return 1 real number.*got None"):
        optimize.minimize(lambda x: x ** 2, 1.0, grad=lambda x: None)
    with pytest.raises(TypeError, match="grad must return 1 real number.*got 'a'"):
        optimize.minimize(lambda x: x ** 2, 1.0, grad=lambda x: "a")
    with pytest.raises(FloatingPointError, match="gradient is NaN or inf"):
        optimize.minimize(lambda x: x ** 2, 1.0, grad=lambda x: np.nan)


@pytest.mark.parametrize("x0", ["1.0", "abc", ["1", "2"], None])
def test_minimize_names_a_string_x0(x0):
    with pytest.raises(TypeError, match="x0 must"):
        optimize.minimize(lambda x: float(np.sum(np.square(x))), x0)


def test_diagnose_refuses_nan_parameters():
    net = fastmlp.MLP((2, 3, 1), seed=0)
    net.params[0] = np.nan  # written into the view, past the setter's check
    with pytest.raises(ValueError, match="parameters hold NaN"):
        net.diagnose(np.ones((4, 2)), np.ones((4, 1)))


# ------------------------------------------------------------------ 6. scikit-learn layer
def test_lbfgs_with_a_nan_loss_raises_like_adam_and_keeps_the_estimator_unfitted():
    from sklearn.utils.validation import check_is_fitted

    from fastmlp.sklearn import MLPRegressor

    X, y = np.full((30, 2), 1e200), np.arange(30.0)
    for solver in ("adam", "lbfgs"):
        est = MLPRegressor(solver=solver, max_iter=5, random_state=0)
        with pytest.raises(ValueError, match="non-finite"):
            est.fit(X, y)
        with pytest.raises(Exception, match="not fitted"):
            check_is_fitted(est)


@pytest.mark.parametrize("y", [["1"] * 30, np.array(["1.5"] * 30, dtype=object)])
def test_mlp_regressor_refuses_string_targets(y):
    from fastmlp.sklearn import MLPRegressor

    with pytest.raises(ValueError, match="y must hold numbers for a regressor"):
        MLPRegressor(max_iter=5).fit(np.ones((30, 2)), y)


def test_partial_fit_names_alpha():
    from fastmlp.sklearn import MLPRegressor

    X, y = np.ones((5, 3)), np.ones(5)
    est = MLPRegressor().partial_fit(X, y)
    est.alpha = -1  # later partial_fit calls skip scikit-learn's parameter checks
    with pytest.raises(ValueError, match="alpha must be"):
        est.partial_fit(X, y)


# ------------------------------------------------------------------ 8. extreme weights
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("weight", [1e307, 5e-324, 1e-300])
def test_extreme_but_valid_sample_weights_train_as_equal_weights(dtype, weight):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    weighted = fastmlp.MLP((3, 4, 1), "tanh", "identity", dtype=dtype, seed=0)
    plain = fastmlp.MLP((3, 4, 1), "tanh", "identity", dtype=dtype, seed=0)
    history = weighted.fit(X, Y, sample_weight=np.full(40, weight), epochs=3, batch_size=8,
                           seed=0)
    expected = plain.fit(X, Y, epochs=3, batch_size=8, seed=0)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(weighted.params, plain.params, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(history.loss, expected.loss, rtol=rtol)


def test_extreme_weights_keep_their_ratios():
    """Rows weighted 2^1021 and 2^1020 (their sum overflows) train as rows weighted 2 and 1:
    the scale is exact."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 1))
    w = np.where(np.arange(30) % 2 == 0, 2.0, 1.0)
    a = fastmlp.MLP((3, 4, 1), "tanh", "identity", seed=0)
    b = fastmlp.MLP((3, 4, 1), "tanh", "identity", seed=0)
    a.fit(X, Y, sample_weight=w * 2.0 ** 1020, epochs=2, batch_size=None, seed=0)
    b.fit(X, Y, sample_weight=w, epochs=2, batch_size=None, seed=0)
    np.testing.assert_array_equal(a.params, b.params)


# ------------------------------------------------------------------ 10. messages
def test_mean_squared_error_names_strings():
    with pytest.raises(TypeError, match="y_true must hold numbers, got strings"):
        metrics.mean_squared_error(["a", "b"], [1.0, 2.0])
    with pytest.raises(TypeError, match="y_pred must hold numbers"):
        metrics.mean_squared_error([1.0, 2.0], np.array(["1", "2"], dtype=object))


def test_a_string_v_is_named():
    net = fastmlp.MLP((2, 3, 1), seed=0)
    with pytest.raises(TypeError, match="v must hold real numbers"):
        net.hessian_vector_product(np.ones((4, 2)), np.ones((4, 1)), "abc")


def test_a_string_sample_weight_is_named():
    net = fastmlp.MLP((2, 3, 1), seed=0)
    with pytest.raises(TypeError, match="sample_weight must hold real numbers"):
        net.fit(np.ones((5, 2)), np.ones((5, 1)), sample_weight="abcde")
