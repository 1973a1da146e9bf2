"""fastmlp.sklearn behaves as scikit-learn's estimators do: the same parameters and errors,
scikit-learn's estimator checks with every solver, pipelines and searches; and a fit that
raises leaves the estimator as it was. (Agreement of the fitted models with scikit-learn's:
tests/test_sklearn_agreement.py.)"""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import scipy.sparse  # noqa: E402
import sklearn.neural_network as reference  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from fastmlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y3 = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    return X, y3


def quiet_fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


@pytest.mark.parametrize("ours, theirs", [(MLPClassifier, reference.MLPClassifier),
                                          (MLPRegressor, reference.MLPRegressor)])
def test_constructor_takes_scikit_learns_parameters_and_defaults(ours, theirs):
    mine, reference_params = ours().get_params(), theirs().get_params()
    # every one of scikit-learn's parameters, with its default ...
    assert {k: mine[k] for k in reference_params} == reference_params
    # ... and fastmlp's extras, whose defaults keep scikit-learn's behaviour
    extras = dict(clip_value=None, clip_norm=None, dtype=None, warmup_steps=0,
                  decay_steps=None, min_learning_rate=0.0, plateau_factor=0.1,
                  plateau_patience=10, plateau_min_delta=1e-4, checkpoint=None,
                  checkpoint_every=1, dropout=0.0)
    if ours is MLPClassifier:
        extras["class_weight"] = None
    assert {k: mine[k] for k in set(mine) - set(reference_params)} == extras


def test_parameters_round_trip_through_clone_and_set_params():
    model = MLPClassifier((16, 8), "tanh", solver="sgd", learning_rate="adaptive",
                          max_iter=7, random_state=4)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    copy.set_params(alpha=0.5, activation="elu")
    assert (copy.alpha, copy.activation) == (0.5, "elu")
    assert model.alpha == 1e-4


@pytest.mark.parametrize("params", [
    dict(solver="newton"),
    dict(alpha=-1.0), dict(learning_rate_init=0.0), dict(max_iter=0), dict(momentum=1.5),
    dict(beta_1=1.0), dict(validation_fraction=1.0), dict(batch_size=0),
    dict(n_iter_no_change=0), dict(max_fun=0), dict(tol=-1.0), dict(epsilon=0.0),
], ids=repr)
def test_invalid_parameters_get_scikit_learns_error(data, params):
    X, y = data
    with pytest.raises(InvalidParameterError) as theirs:
        reference.MLPClassifier(**params).fit(X, y)
    with pytest.raises(InvalidParameterError) as mine:
        MLPClassifier(**params).fit(X, y)
    assert str(mine.value) == str(theirs.value)


@pytest.mark.parametrize("params, match", [
    (dict(clip_norm=0.0), "clip_norm"), (dict(clip_value=-1.0), "clip_value"),
    (dict(dtype="float16"), "dtype"), (dict(activation="bogus"), "activation"),
    (dict(activation="softmax"), "'activation' parameter"),  # lists the notes' ones too
    (dict(learning_rate="fast"), "'learning_rate' parameter .*'cosine'"),  # and MLP's
])
def test_invalid_extra_parameters_are_named(data, params, match):
    X, y = data
    with pytest.raises(InvalidParameterError, match=match):
        MLPClassifier(**params).fit(X, y)


def test_hidden_layer_sizes_must_be_positive(data):
    X, y = data
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be > 0, got \[5, 0\]"):
        MLPClassifier(hidden_layer_sizes=[5, 0]).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'hidden_layer_sizes' parameter"):
        MLPClassifier(hidden_layer_sizes=-3).fit(X, y)
    with pytest.raises(TypeError, match="hidden_layer_sizes must hold integers"):
        MLPClassifier(hidden_layer_sizes=(4.0, 3)).fit(X, y)


def snapshot(estimator) -> dict:
    """Every attribute of the estimator, arrays copied, for comparison after a failure."""
    return pickle.loads(pickle.dumps(estimator.__dict__))


def fitted(attributes: dict) -> dict:
    """The fitted attributes (not the parameters, which set_params changes)."""
    return {k: v for k, v in attributes.items() if k.endswith("_") or k.startswith("_")}


def assert_unchanged(estimator, before: dict) -> None:
    after, before = fitted(estimator.__dict__), fitted(before)
    assert set(after) == set(before)
    for key, value in before.items():
        if key in ("coefs_", "intercepts_"):
            for a, b in zip(after[key], value):
                np.testing.assert_array_equal(a, b)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value)
        elif key not in ("_state", "_label_binarizer", "_layout"):
            assert after[key] == value or (value != value and after[key] != after[key]), key


def test_failed_refit_leaves_the_estimator_as_it_was(data):
    """A refit on new data (new classes, features, outputs) that then fails -- here the
    training diverges -- leaves every fitted attribute of the previous fit."""
    X, y3 = data
    model = quiet_fit(MLPClassifier((5,), max_iter=3, random_state=0), X, y3)
    before = snapshot(model)
    predictions = model.predict(X)
    X_new = np.hstack([X, X]) * 1e150
    model.set_params(solver="sgd", learning_rate_init=1e10, momentum=0.0)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.fit(X_new, y3 % 2)
    assert_unchanged(model, before)
    assert model.n_features_in_ == 6 and list(model.classes_) == [0, 1, 2]
    np.testing.assert_array_equal(model.predict(X), predictions)


def test_failed_warm_start_and_partial_fit_leave_the_estimator_as_it_was(data):
    X, y3 = data
    model = quiet_fit(MLPClassifier((5,), max_iter=3, random_state=0, warm_start=True),
                      X, y3)
    before = snapshot(model)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        model.fit(X, y3 % 2)
    assert_unchanged(model, before)
    model.set_params(warm_start=False)
    with pytest.raises(ValueError, match="classes not in"):
        model.partial_fit(X, y3 + 5)
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.partial_fit(X[:, :3], y3)
    assert_unchanged(model, before)


def test_failed_regressor_refit_keeps_its_output_shape(data):
    X, _ = data
    model = quiet_fit(MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0), X,
                      X[:, :2])
    before = snapshot(model)
    model.set_params(solver="sgd", learning_rate_init=1e12, momentum=0.0)
    with pytest.raises(ValueError, match="non-finite"):
        model.fit(X * 1e150, X[:, 0])
    assert_unchanged(model, before)
    assert model.predict(X).shape == (300, 2)


def test_float32_in_float32_model_and_dtype_option(data):
    X, y = data
    model = quiet_fit(MLPClassifier((5,), max_iter=2, random_state=0), X.astype(np.float32), y)
    assert {c.dtype for c in model.coefs_ + model.intercepts_} == {np.dtype(np.float32)}
    forced = quiet_fit(MLPClassifier((5,), max_iter=2, random_state=0, dtype="float32"), X, y)
    assert forced.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(forced.coefs_[0], model.coefs_[0], rtol=1e-5, atol=1e-6)


def test_coefs_are_the_trained_parameters_and_edits_are_honoured(data):
    """coefs_ / intercepts_ are what predict uses: editing them in place or replacing
    them changes the predictions, as in scikit-learn."""
    X, y = data
    model = quiet_fit(MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X,
                      X[:, 0])
    base = model.predict(X)
    model.intercepts_[-1] += 1.0
    np.testing.assert_allclose(model.predict(X), base + 1.0, rtol=1e-12)
    model.intercepts_ = [b.copy() for b in model.intercepts_]
    model.intercepts_[-1] -= 1.0
    np.testing.assert_allclose(model.predict(X), base, rtol=1e-12)


def test_partial_fit_exists_for_stochastic_solvers_only(data):
    X, y = data
    assert hasattr(MLPClassifier(solver="adam"), "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, X[:, 0])


def test_tiny_validation_set_and_single_class_as_scikit_learn(data):
    X, y = data
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True, validation_fraction=0.01).fit(X[:50], X[:50, 0])
    # one class: scikit-learn trains a logistic output towards it
    model = quiet_fit(MLPClassifier((3,), max_iter=3, random_state=0), X, np.ones(300))
    theirs = quiet_fit(reference.MLPClassifier((3,), max_iter=3, random_state=0), X,
                       np.ones(300))
    np.testing.assert_array_equal(model.predict(X), theirs.predict(X))


def test_probabilities_of_logistic_outputs_stay_inside_0_1():
    X = np.array([[-50.0], [50.0]] * 10)
    y = np.array([0, 1] * 10)
    model = quiet_fit(MLPClassifier((), solver="lbfgs", alpha=0.0, max_iter=200), X, y)
    p = model.predict_proba(X)
    assert ((p > 0) & (p < 1)).all()
    np.testing.assert_array_equal(model.predict(X), y)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_clipping_bounds_each_step(data):
    X, y = data
    free = quiet_fit(MLPClassifier((5,), solver="sgd", max_iter=1, momentum=0.0,
                                   learning_rate_init=1.0, random_state=0, batch_size=300),
                     X, y)
    start = MLPClassifier((5,), solver="sgd", max_iter=1, random_state=0)
    clipped = quiet_fit(clone(start).set_params(momentum=0.0, learning_rate_init=1.0,
                                                batch_size=300, clip_norm=1e-3), X, y)
    rng = np.random.RandomState(0)  # scikit-learn's initialization of the same seed
    initial = []
    for n_in, n_out in [(6, 5), (5, 3)]:
        bound = np.sqrt(6 / (n_in + n_out))
        initial += [rng.uniform(-bound, bound, (n_in, n_out)), rng.uniform(-bound, bound,
                                                                               n_out)]
    params = [c for pair in zip(clipped.coefs_, clipped.intercepts_) for c in pair]
    step = np.sqrt(sum(np.sum((p - q) ** 2) for p, q in zip(params, initial)))
    assert step == pytest.approx(1e-3, rel=1e-6)  # one update of learning rate 1, norm 1e-3
    assert not np.allclose(free.coefs_[0], clipped.coefs_[0])


def test_ctrl_c_keeps_the_completed_epochs(data, monkeypatch):
    """KeyboardInterrupt during a fit: as in scikit-learn, a warning, and the estimator keeps
    what the completed epochs trained."""
    from fastmlp.sklearn import _stochastic

    X, y = data
    run_epoch = _stochastic.StochasticSolver.run_epoch
    calls = []

    def interrupted_third_epoch(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return run_epoch(self, *args)

    monkeypatch.setattr(_stochastic.StochasticSolver, "run_epoch", interrupted_third_epoch)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = MLPClassifier((5,), max_iter=10, random_state=0).fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert model.predict(X).shape == (300,)


def test_unfitted_estimators_refuse_to_predict(data):
    X, _ = data
    for estimator in (MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError):
            estimator.predict(X)


def test_pipeline_cross_validation_and_grid_search():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:500], y[:500]
    grid = {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1e-1]}
    results = []
    for cls in (MLPClassifier, reference.MLPClassifier):
        pipe = make_pipeline(StandardScaler(), cls((32,), max_iter=30, random_state=0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_val_score(pipe, X, y, cv=3)
            search = GridSearchCV(cls(max_iter=20, random_state=0), grid, cv=2).fit(
                StandardScaler().fit_transform(X), y)
        results.append((scores, search.cv_results_["mean_test_score"], search.best_params_))
    (mine, mine_grid, mine_best), (theirs, theirs_grid, theirs_best) = results
    assert mine.min() > 0.7  # a model that learned, and the one scikit-learn learns
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    np.testing.assert_allclose(mine_grid, theirs_grid, rtol=1e-12)
    assert mine_best == theirs_best


def test_sparse_prediction_equals_dense(data):
    X, y = data
    model = quiet_fit(MLPClassifier((5,), max_iter=3, random_state=0), X, y)
    np.testing.assert_allclose(model.predict_proba(scipy.sparse.csr_matrix(X)),
                               model.predict_proba(X), rtol=1e-12)


def test_estimators_pickle_and_keep_predicting(data):
    X, y = data
    model = quiet_fit(MLPClassifier((5,), max_iter=3, random_state=0), X, y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict_proba(X), model.predict_proba(X))
    quiet_fit(copy.set_params(warm_start=True), X, y)  # and keep training


CHECKED = [MLPClassifier(), MLPRegressor(), MLPClassifier(solver="sgd"),
           MLPRegressor(solver="sgd"), MLPClassifier(solver="lbfgs"),
           MLPRegressor(solver="lbfgs")]


@parametrize_with_checks(CHECKED)
@pytest.mark.filterwarnings(
    "ignore:Stochastic Optimizer. Maximum iterations:sklearn.exceptions.ConvergenceWarning",
    "ignore:lbfgs failed to converge:sklearn.exceptions.ConvergenceWarning")
def test_scikit_learn_estimator_checks(estimator, check):
    # The checks fit with scikit-learn's max_iter on data that does not converge in it: the
    # ConvergenceWarning is scikit-learn's, expected (filtered above, by message).
    # BLAS at one thread: L-BFGS-B's small vector products on two threads cost 5-10x more
    # on a busy two-core machine (the lbfgs sparse-input checks: 109 s against 15 s
    # measured); the checks do not depend on the BLAS thread count.
    with threadpool_limits(limits=1, user_api="blas"):
        check(estimator)
