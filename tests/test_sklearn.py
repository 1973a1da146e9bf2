"""fastmlp.sklearn: the estimators behave as scikit-learn expects, and train exactly the
network a direct fastmlp.MLP fit with the same seeds would."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = fastmlp.load_digits()
    return X[:600], y[:600]


def test_parameters_round_trip_through_clone_and_set_params():
    model = MLPClassifier((16, 8), "tanh", learning_rate=0.3, epochs=7, random_state=4)
    params = model.get_params()
    assert params["hidden_layer_sizes"] == (16, 8) and params["learning_rate"] == 0.3
    copy = clone(model)
    assert copy.get_params() == params and copy is not model
    copy.set_params(epochs=3, activation="relu")
    assert copy.epochs == 3 and copy.activation == "relu" and model.epochs == 7
    assert not hasattr(copy, "net_")


def test_classifier_trains_the_network_a_direct_fit_would():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    y = np.array(["cat", "dog", "eel"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    model = MLPClassifier((6,), "tanh", batch_size=8, epochs=5, random_state=11).fit(X, y)
    init_seed, shuffle_seed, _ = model._seeds()
    net = fastmlp.MLP((4, 6, 3), activation="tanh", output_activation="softmax",
                      loss="cross_entropy", seed=init_seed)
    codes = np.searchsorted(["cat", "dog", "eel"], y)
    net.fit(X, np.eye(3)[codes], learning_rate=0.1, momentum=0.9, batch_size=8, epochs=5,
            seed=shuffle_seed)
    np.testing.assert_array_equal(model.net_.params, net.params)
    assert model.classes_.tolist() == ["cat", "dog", "eel"]
    np.testing.assert_array_equal(model.predict_proba(X), net.predict(X))
    assert set(model.predict(X)) <= {"cat", "dog", "eel"}
    assert model.n_features_in_ == 4 and model.n_iter_ == 5 and model.loss_curve_.shape == (5,)


def test_two_classes_use_one_sigmoid_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, 7, -3)
    model = MLPClassifier((), batch_size=16, epochs=30, learning_rate=0.5, random_state=0)
    model.fit(X, y)
    assert model.net_.layer_sizes == (2, 1) and model.net_.activations[-1] == "sigmoid"
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba[:, 1], model.net_.predict(X)[:, 0])
    np.testing.assert_array_equal(model.predict(X), np.where(proba[:, 1] > 0.5, 7, -3))
    assert model.score(X, y) > 0.95  # linearly separable


def test_fits_are_reproducible_from_random_state(digits):
    X, y = digits
    a = MLPClassifier(random_state=3, epochs=3).fit(X, y)
    b = MLPClassifier(random_state=3, epochs=3).fit(X, y)
    c = MLPClassifier(random_state=4, epochs=3).fit(X, y)
    np.testing.assert_array_equal(a.net_.params, b.net_.params)
    assert not np.array_equal(a.net_.params, c.net_.params)


def test_pipeline_and_cross_val_score_on_digits(digits):
    X, y = digits
    pipeline = make_pipeline(StandardScaler(),
                             MLPClassifier((32,), epochs=20, learning_rate=0.5, random_state=0))
    scores = cross_val_score(pipeline, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.75  # chance is 0.1


def test_grid_search_picks_among_fitted_candidates(digits):
    X, y = digits
    search = GridSearchCV(MLPClassifier(epochs=20, random_state=0),
                          {"hidden_layer_sizes": [(4,), (32,)], "learning_rate": [0.01, 1.0]},
                          cv=3)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    # four hidden units or a tiny step size underfit (measured: 0.11-0.71 held-out accuracy
    # against 0.84 for 32 units at 1.0)
    assert search.best_params_ == {"hidden_layer_sizes": (32,), "learning_rate": 1.0}
    assert search.best_score_ > 0.75
    assert isinstance(search.best_estimator_.net_, fastmlp.MLP)


def test_early_stopping_holds_out_a_stratified_fraction(digits):
    X, y = digits
    model = MLPClassifier(epochs=200, early_stopping=True, validation_fraction=0.2,
                          n_iter_no_change=3, learning_rate=0.3, random_state=0).fit(X, y)
    history = model.history_
    assert history.val_loss.shape == (history.epochs_run,)
    assert history.stop_reason == "early_stopping" and history.epochs_run < 200
    assert model.net_.loss(X, np.eye(10)[y]) < history.loss[0]


def test_regressor_fits_one_and_several_targets():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1
    model = MLPRegressor((), batch_size=16, epochs=40, learning_rate=0.05, random_state=0)
    prediction = model.fit(X, y).predict(X)
    assert prediction.shape == (300,)
    assert model.score(X, y) > 0.99
    np.testing.assert_allclose(model.net_.weights[0].ravel(), [1.0, -2.0, 0.5], atol=0.02)
    Y = np.column_stack([y, -y])
    two = MLPRegressor((), batch_size=16, epochs=40, learning_rate=0.05, random_state=0)
    assert two.fit(X, Y).predict(X).shape == (300, 2)
    assert two.score(X, Y) > 0.99


@pytest.mark.parametrize("estimator,y,match", [
    (MLPClassifier(), np.zeros(10), "at least 2 classes"),
    (MLPClassifier(), np.zeros((10, 2)), "1-D class labels"),
    (MLPClassifier(), np.linspace(0, 1, 10), "Unknown label type"),
    (MLPRegressor(), np.zeros((10, 2, 1)), "dim 3"),
    (MLPRegressor(early_stopping=True, validation_fraction=1.0), np.zeros(10),
     r"validation_fraction must be in \(0, 1\), got 1.0"),
])
def test_bad_targets_are_refused(estimator, y, match):
    with pytest.raises(ValueError, match=match):
        estimator.fit(np.zeros((10, 3)), y)


def test_unfitted_estimators_refuse_to_predict():
    from sklearn.exceptions import NotFittedError

    for estimator in (MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError):
            estimator.predict(np.zeros((2, 3)))


@parametrize_with_checks([MLPClassifier(epochs=5, random_state=0),
                          MLPRegressor(epochs=5, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    # scikit-learn's own conformance suite (cloning, input validation, n_features_in_,
    # pickling, fit idempotence, ...), every check expected to pass
    check(estimator)
