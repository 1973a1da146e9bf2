"""fastmlp.sklearn trains scikit-learn's model: with the same parameters, seed and data, the
fitted coefs_ / intercepts_ and the recorded attributes agree with scikit-learn's own
estimators to rounding, for every solver and option."""

import contextlib
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import scipy.sparse  # noqa: E402
import sklearn.neural_network as reference  # noqa: E402
from sklearn.datasets import load_digits, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import fastmlp.sklearn as ours  # noqa: E402

#: Relative agreement demanded of float64 fits: max |ours - theirs| / max |theirs| per array.
RTOL = 1e-8

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:600], y[:600]


def targets(kind, X, y):
    """Targets of each task, from the digits."""
    if kind == "multiclass":
        return y
    if kind == "binary":
        return np.where(y < 5, "low", "high")
    if kind == "multilabel":
        return np.column_stack([y % 2 == 0, y < 5, y % 3 == 0]).astype(int)
    if kind == "regression":
        return X[:, :5].sum(axis=1) + 0.1 * y
    if kind == "multioutput":
        return np.column_stack([X[:, :5].sum(axis=1), X[:, 5:9].mean(axis=1) * y])
    raise AssertionError(kind)


def estimator_pair(kind, **params):
    name = "MLPClassifier" if kind in ("multiclass", "binary", "multilabel") else "MLPRegressor"
    return getattr(reference, name)(**params), getattr(ours, name)(**params)


def fit_both(kind, X, y, fit_args=(), **params):
    theirs, mine = estimator_pair(kind, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, *fit_args)
        mine.fit(X, y, *fit_args)
    return theirs, mine


def relative_difference(mine, theirs) -> float:
    """The largest max-abs difference of the parameter arrays, each relative to the
    reference array's largest magnitude."""
    pairs = zip(mine.coefs_ + mine.intercepts_, theirs.coefs_ + theirs.intercepts_)
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in pairs)


def assert_same_model(mine, theirs, rtol=RTOL):
    assert [c.shape for c in mine.coefs_] == [c.shape for c in theirs.coefs_]
    assert relative_difference(mine, theirs) < rtol
    assert mine.n_iter_ == theirs.n_iter_
    assert mine.t_ == theirs.t_
    assert mine.n_layers_ == theirs.n_layers_
    assert mine.n_outputs_ == theirs.n_outputs_
    assert mine.out_activation_ == theirs.out_activation_
    # losses to 1e-9, or 1e-12 absolute where a fit drives them near 0 (separable data): a
    # loss of 1e-5 made of saturated rows moves by 1e-9 of itself when the parameters move
    # by the 1e-10 that L-BFGS's rounding leaves
    np.testing.assert_allclose(mine.loss_, theirs.loss_, rtol=1e-9, atol=1e-12)
    if hasattr(theirs, "loss_curve_"):
        assert isinstance(mine.loss_curve_, list)
        np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9,
                                   atol=1e-12)
        for name in ("best_loss_", "best_validation_score_"):
            if getattr(theirs, name) is None:
                assert getattr(mine, name) is None
            else:
                np.testing.assert_allclose(getattr(mine, name), getattr(theirs, name),
                                           rtol=1e-9)
        if theirs.validation_scores_ is None:
            assert mine.validation_scores_ is None
        else:
            np.testing.assert_allclose(mine.validation_scores_, theirs.validation_scores_,
                                       rtol=1e-9)
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(mine.classes_, theirs.classes_)


SOLVERS = {
    "adam": dict(solver="adam"),
    "sgd-nesterov": dict(solver="sgd"),
    "sgd-momentum": dict(solver="sgd", nesterovs_momentum=False),
    "sgd-plain": dict(solver="sgd", momentum=0.0),
    "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.5),
    "sgd-adaptive": dict(solver="sgd", learning_rate="adaptive", n_iter_no_change=1,
                         tol=0.05),
    "lbfgs": dict(solver="lbfgs"),
}
KINDS = ["multiclass", "binary", "multilabel", "regression", "multioutput"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_every_solver_fits_scikit_learns_parameters(digits, kind, solver):
    X, y = digits
    theirs, mine = fit_both(kind, X, targets(kind, X, y), hidden_layer_sizes=(20, 10),
                            max_iter=6, random_state=0, **SOLVERS[solver])
    assert_same_model(mine, theirs)
    if kind in ("regression", "multioutput"):
        np.testing.assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-12)
    else:
        np.testing.assert_array_equal(mine.predict(X), theirs.predict(X))
        np.testing.assert_allclose(mine.predict_proba(X), theirs.predict_proba(X),
                                   rtol=1e-7, atol=1e-12)
        with np.errstate(divide="ignore"):  # scikit-learn's log of a probability rounded to 0
            theirs_log = theirs.predict_log_proba(X)
        finite = np.isfinite(theirs_log)  # -inf where theirs rounds to 0
        np.testing.assert_allclose(mine.predict_log_proba(X)[finite], theirs_log[finite],
                                   rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("options", [
    dict(batch_size=1, max_iter=2),
    dict(batch_size=7),
    dict(batch_size=300),  # one full batch
    dict(batch_size=600),  # clipped to one full batch, with scikit-learn's warning
    dict(shuffle=False),
    dict(alpha=0.5),
    dict(alpha=0.0),
    dict(activation="logistic"),
    dict(activation="tanh"),
    dict(activation="identity"),
    dict(hidden_layer_sizes=()),
    dict(hidden_layer_sizes=7),
    dict(early_stopping=True, validation_fraction=0.2, max_iter=12),
    dict(early_stopping=True, n_iter_no_change=2, tol=0.5, max_iter=30),
    dict(tol=10.0, n_iter_no_change=2, max_iter=30),
], ids=repr)
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_options_follow_scikit_learn(digits, kind, options):
    X, y = digits
    X, y = X[:300], y[:300]
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=3, solver="sgd")
    params.update(options)
    clipped = params.get("batch_size", 0) > len(X)
    with (pytest.warns(UserWarning, match="Got `batch_size` less than 1 or larger than sample")
          if clipped else contextlib.nullcontext()) as record:
        theirs, mine = fit_both(kind, X, targets(kind, X, y), **params)
    if clipped:  # scikit-learn's warning, and the same from fastmlp
        assert sum("batch_size" in str(w.message) for w in record) == 2
    assert_same_model(mine, theirs)


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_full_batches_split_across_threads_fit_scikit_learns_model(solver):
    """Full batches of 5000 rows run on the row-parallel engine with two threads (and L-BFGS
    on the row-parallel loss and gradient): the summation order changes, not the model."""
    from fastmlp import get_num_threads, set_num_threads
    from fastmlp.engines import RowParallelEngine, select_engine
    from fastmlp.sklearn._stochastic import fit_config

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 12))
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    params = dict(solver=solver, batch_size=5000, hidden_layer_sizes=(16,), max_iter=5,
                  random_state=0)
    before = get_num_threads()
    set_num_threads(2)
    try:
        config = fit_config(ours.MLPClassifier(**params).get_params(), 5000)
        assert select_engine(config, 5000, 2) is RowParallelEngine
        theirs, mine = fit_both("multiclass", X, y, **params)
    finally:
        set_num_threads(before)
    assert_same_model(mine, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_seed_as_a_random_state_object(digits, solver):
    X, y = digits
    theirs, mine = estimator_pair("multiclass", solver=solver, hidden_layer_sizes=(8,),
                                  max_iter=3)
    theirs.set_params(random_state=np.random.RandomState(5))
    mine.set_params(random_state=np.random.RandomState(5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y), mine.fit(X, y)
        theirs.fit(X, y), mine.fit(X, y)  # the second fit draws on from the same stream
    assert_same_model(mine, theirs)


@pytest.mark.skipif(SKLEARN_VERSION < (1, 7), reason="scikit-learn's MLPs weigh samples "
                    "since 1.7")
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_sample_weight_as_scikit_learn(digits, kind, solver):
    X, y = digits
    weights = np.random.default_rng(0).uniform(0, 3, X.shape[0])
    weights[:20] = 0.0
    theirs, mine = fit_both(kind, X, targets(kind, X, y), (weights,), solver=solver,
                            hidden_layer_sizes=(12,), max_iter=4, random_state=1)
    assert_same_model(mine, theirs)
    assert mine.score(X, targets(kind, X, y), sample_weight=weights) == pytest.approx(
        theirs.score(X, targets(kind, X, y), sample_weight=weights), rel=1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_warm_start_continues_as_scikit_learn(digits, solver):
    X, y = digits
    theirs, mine = estimator_pair("multiclass", solver=solver, warm_start=True, max_iter=3,
                                  hidden_layer_sizes=(10,), random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            theirs.fit(X, y)
            mine.fit(X, y)
            assert_same_model(mine, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_partial_fit_continues_as_scikit_learn(digits, kind, solver):
    X, y = digits
    Y = targets(kind, X, y)
    theirs, mine = estimator_pair(kind, solver=solver, hidden_layer_sizes=(10,),
                                  random_state=4, learning_rate="invscaling")
    extra = {"classes": np.unique(y)} if kind == "multiclass" else {}
    weights = np.random.default_rng(1).uniform(0.5, 2.0, 600)
    for start in range(0, 600, 150):
        rows = slice(start, start + 150)
        if SKLEARN_VERSION >= (1, 7) and start >= 300:  # weighted calls too
            extra["sample_weight"] = weights[rows]
        theirs.partial_fit(X[rows], Y[rows], **extra)
        mine.partial_fit(X[rows], Y[rows], **extra)
        extra.pop("classes", None)
        assert_same_model(mine, theirs)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("format", ["csr", "csc"])
def test_sparse_input_fits_the_dense_model(digits, solver, format):
    X, y = digits
    X = np.where(np.abs(X) > 1, X, 0.0)  # mostly zeros
    sparse = scipy.sparse.csr_matrix(X).asformat(format)
    theirs, mine = estimator_pair("multiclass", solver=solver, hidden_layer_sizes=(10,),
                                  max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        mine.fit(sparse, y)
    assert_same_model(mine, theirs)
    np.testing.assert_allclose(mine.predict_proba(sparse), theirs.predict_proba(X),
                               rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_blocks_span_several_blocks(digits, monkeypatch, solver):
    """Rows are densified a block at a time (training, L-BFGS's evaluations, prediction):
    with blocks smaller than the data, the fit is still scikit-learn's."""
    from fastmlp.sklearn import _stochastic

    monkeypatch.setattr(_stochastic, "SPARSE_BLOCK_BYTES", 64 * 64 * 8)  # 64 rows
    X, y = digits
    theirs, mine = estimator_pair("multiclass", solver=solver, hidden_layer_sizes=(10,),
                                  batch_size=50, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        mine.fit(scipy.sparse.csr_matrix(X), y)
    assert_same_model(mine, theirs)
    np.testing.assert_allclose(mine.predict_proba(scipy.sparse.csr_matrix(X)),
                               theirs.predict_proba(X), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel"])
def test_unscaled_inputs_saturating_the_outputs(kind, solver):
    """Raw digits (pixel values up to 16) saturate the outputs: scikit-learn's log-loss clips
    the probabilities to [eps, 1 - eps], which L-BFGS's path and the recorded losses follow."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:500], y[:500]
    theirs, mine = fit_both(kind, X, targets(kind, X, y), solver=solver, max_iter=40,
                            hidden_layer_sizes=(30,), random_state=0)
    assert_same_model(mine, theirs)


@pytest.mark.parametrize("change", [dict(momentum=0.5), dict(nesterovs_momentum=False),
                                    dict(solver="adam"), dict(learning_rate="invscaling"),
                                    dict(learning_rate_init=0.5), dict(alpha=0.1)], ids=repr)
def test_partial_fit_keeps_the_first_calls_optimizer(digits, change):
    """scikit-learn's partial_fit keeps the optimizer object of its first call: settings
    changed by set_params afterwards (but alpha) do not reach it."""
    X, y = digits
    theirs, mine = estimator_pair("multiclass", solver="sgd", hidden_layer_sizes=(10,),
                                  random_state=0)
    for model in (theirs, mine):
        model.partial_fit(X, y, classes=np.unique(y))
        model.set_params(**change)
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    assert_same_model(mine, theirs)


def test_partial_fit_keeps_the_networks_dtype(digits):
    X, y = digits
    theirs, mine = estimator_pair("multiclass", solver="adam", hidden_layer_sizes=(10,),
                                  random_state=0)
    for model in (theirs, mine):
        model.partial_fit(X.astype(np.float32), y, classes=np.unique(y))
        model.partial_fit(X, y)  # float64 rows continue the float32 network
        model.partial_fit(X, y)
    assert mine.coefs_[0].dtype == theirs.coefs_[0].dtype == np.float32
    assert relative_difference(mine, theirs) < 1e-4


def test_lbfgs_convergence_warning_is_scikit_learns(digits):
    X, y = digits
    messages = []
    for cls in (reference.MLPClassifier, ours.MLPClassifier):
        with pytest.warns(ConvergenceWarning) as record:
            cls(solver="lbfgs", max_fun=3, hidden_layer_sizes=(5,), random_state=0).fit(X, y)
        messages.append([str(w.message) for w in record if w.category is ConvergenceWarning])
    assert messages[0] == messages[1]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_float32_input_trains_a_float32_model_close_to_scikit_learn(digits, solver):
    X, y = digits
    X32 = X.astype(np.float32)
    theirs, mine = fit_both("multiclass", X32, y, solver=solver, hidden_layer_sizes=(10,),
                            max_iter=3, random_state=0)
    assert all(c.dtype == np.float32 for c in mine.coefs_ + mine.intercepts_)
    assert mine.predict_proba(X32).dtype == np.float32
    # scikit-learn mixes float32 parameters with float64 targets and gradients, so the two
    # agree to float32 rounding, not bit for bit
    assert relative_difference(mine, theirs) < 1e-4


def test_verbose_prints_scikit_learns_lines(digits, capsys):
    X, y = digits
    params = dict(solver="sgd", hidden_layer_sizes=(8,), max_iter=4, random_state=0,
                  verbose=True, early_stopping=True, n_iter_no_change=1, tol=0.5)
    lines = []
    for cls in (reference.MLPClassifier, ours.MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            cls(**params).fit(X, y)
        lines.append(capsys.readouterr().out)
    assert "Iteration 1, loss = " in lines[1] and "Validation score: " in lines[1]
    assert lines[0] == lines[1]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_convergence_warning_when_max_iter_is_reached(digits, solver):
    X, y = digits
    with pytest.warns(ConvergenceWarning):
        ours.MLPClassifier(solver=solver, hidden_layer_sizes=(8,), max_iter=2,
                           random_state=0).fit(X, y)


# ----------------------------------------------------------------- loss="poisson"

poisson_only = pytest.mark.skipif(SKLEARN_VERSION < (1, 7),
                                  reason="scikit-learn's MLPRegressor has loss='poisson' "
                                  "since 1.7")


@pytest.fixture(scope="module")
def counts():
    """Inputs of moderate size (exp of a large pre-activation diverges either way) and
    Poisson counts whose rate follows five of them; two count columns for multi-output."""
    X, _ = load_digits(return_X_y=True)
    X = np.clip(StandardScaler().fit_transform(X)[:600], -3, 3) * 0.3
    rng = np.random.default_rng(0)
    rate = np.exp(X[:, 20:25].sum(axis=1) + 0.5)
    Y = np.column_stack([rng.poisson(rate), rng.poisson(0.5 * rate)]).astype(float)
    assert (Y == 0).any()
    return X, Y


def fit_poisson_pair(X, y, fit_args=(), **params):
    theirs = reference.MLPRegressor(loss="poisson", **params)
    mine = ours.MLPRegressor(loss="poisson", **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, *fit_args)
        mine.fit(X, y, *fit_args)
    return theirs, mine


#: The solvers of SOLVERS, invscaling at a step size that does not diverge on counts.
POISSON_SOLVERS = {**SOLVERS, "sgd-invscaling": dict(solver="sgd", learning_rate="invscaling",
                                                     learning_rate_init=0.05)}


@poisson_only
@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("solver", POISSON_SOLVERS)
def test_poisson_regressor_fits_scikit_learns_parameters(counts, solver, outputs):
    X, Y = counts
    y = Y[:, 0] if outputs == 1 else Y
    theirs, mine = fit_poisson_pair(X, y, hidden_layer_sizes=(20, 10), max_iter=6,
                                    random_state=0, **POISSON_SOLVERS[solver])
    assert mine.out_activation_ == "exp"
    assert_same_model(mine, theirs)
    np.testing.assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-7)
    assert mine.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-9)


@poisson_only
@pytest.mark.parametrize("options", [
    dict(batch_size=1, max_iter=2),
    dict(alpha=0.5),
    dict(activation="logistic"),
    dict(hidden_layer_sizes=()),
    dict(early_stopping=True, validation_fraction=0.2, max_iter=12),
    dict(solver="adam", early_stopping=True, n_iter_no_change=2, tol=0.5, max_iter=30),
], ids=repr)
def test_poisson_options_follow_scikit_learn(counts, options):
    X, Y = counts
    params = dict(hidden_layer_sizes=(16,), max_iter=5, random_state=3, solver="sgd")
    params.update(options)
    theirs, mine = fit_poisson_pair(X[:300], Y[:300, 0], **params)
    assert_same_model(mine, theirs)


@poisson_only
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_poisson_sample_weight_as_scikit_learn(counts, solver):
    X, Y = counts
    weights = np.random.default_rng(0).uniform(0, 3, X.shape[0])
    weights[:20] = 0.0
    theirs, mine = fit_poisson_pair(X, Y[:, 0], (weights,), solver=solver,
                                    hidden_layer_sizes=(12,), max_iter=4, random_state=1)
    assert_same_model(mine, theirs)


@poisson_only
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_poisson_partial_fit_and_warm_start_continue_as_scikit_learn(counts, solver):
    X, Y = counts
    theirs = reference.MLPRegressor(loss="poisson", solver=solver, hidden_layer_sizes=(10,),
                                    random_state=4)
    mine = ours.MLPRegressor(loss="poisson", solver=solver, hidden_layer_sizes=(10,),
                             random_state=4)
    for start in range(0, 600, 200):
        rows = slice(start, start + 200)
        theirs.partial_fit(X[rows], Y[rows, 0])
        mine.partial_fit(X[rows], Y[rows, 0])
        assert_same_model(mine, theirs)
    for estimator in (theirs, mine):
        estimator.set_params(warm_start=True, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, Y[:, 0])
        mine.fit(X, Y[:, 0])
    assert_same_model(mine, theirs)


@poisson_only
def test_poisson_refuses_negative_targets_and_a_warm_start_that_changes_the_loss(counts):
    X, Y = counts
    with pytest.raises(ValueError, match="non-negative.*poisson"):
        ours.MLPRegressor(loss="poisson").fit(X, Y[:, 0] - 1)
    mine = ours.MLPRegressor(loss="poisson", hidden_layer_sizes=(5,), max_iter=2,
                             warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mine.fit(X, Y[:, 0])
    before = mine.predict(X)
    mine.set_params(loss="squared_error")
    # the fitted model predicts what it was fitted as, whatever the parameter says now
    np.testing.assert_array_equal(mine.predict(X), before)
    with pytest.raises(ValueError, match="output activation 'exp'.*'identity'"):
        mine.fit(X, Y[:, 0])
    assert mine.out_activation_ == "exp"
    np.testing.assert_array_equal(mine.predict(X), before)


@poisson_only
def test_poisson_loss_stays_finite_where_scikit_learns_is_nan(counts):
    """A diverging fit drives an output to exp(z) = 0 where y = 0: scikit-learn's loss,
    xlogy(y, y / o), is then 0 * log(0 / 0) = NaN; fastmlp's, from z, is the finite value.
    The parameters are the same."""
    X, Y = counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs, mine = fit_poisson_pair(X, Y[:, 0], hidden_layer_sizes=(20, 10), max_iter=6,
                                        random_state=0, solver="sgd",
                                        learning_rate="invscaling", learning_rate_init=0.5)
    assert relative_difference(mine, theirs) < RTOL
    assert np.isnan(theirs.loss_) and np.isfinite(mine.loss_)
    np.testing.assert_allclose(mine.loss_curve_[:-1], theirs.loss_curve_[:-1], rtol=1e-9)
    assert mine.loss_ > 1e6  # diverged: a finite, large deviance


# ----------------------------------------------------------------- scikit-learn's own tests

def sklearn_test_module(monkeypatch):
    """scikit-learn's test_mlp.py with its MLPRegressor replaced by fastmlp's."""
    module = pytest.importorskip("sklearn.neural_network.tests.test_mlp")
    monkeypatch.setattr(module, "MLPRegressor", ours.MLPRegressor)
    return module


@poisson_only
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_scikit_learns_poisson_glm_test_passes_on_the_drop_in(monkeypatch, seed):
    module = sklearn_test_module(monkeypatch)
    if not hasattr(module, "test_mlp_vs_poisson_glm_equivalent"):
        pytest.skip("this scikit-learn has no test_mlp_vs_poisson_glm_equivalent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        module.test_mlp_vs_poisson_glm_equivalent(seed)


def test_scikit_learns_diverging_loss_test_passes_on_the_drop_in(monkeypatch):
    module = sklearn_test_module(monkeypatch)
    if not hasattr(module, "test_mlp_diverging_loss"):
        pytest.skip("this scikit-learn has no test_mlp_diverging_loss")
    module.test_mlp_diverging_loss()


@pytest.mark.parametrize("early_stopping", [True, False])
def test_a_diverging_sgd_fit_as_scikit_learn(early_stopping):
    """Step size 1 on iris diverges in the fifth epoch. With early stopping scikit-learn
    trains on to max_iter with NaN losses and scores, then restores the best (finite)
    parameters; without, it fails with its message -- and fastmlp's estimator is left as it
    was before the fit."""
    X, y = load_iris(return_X_y=True)
    params = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                  learning_rate_init=1, max_iter=20, early_stopping=early_stopping,
                  random_state=0)
    theirs = reference.MLPRegressor(**params)
    mine = ours.MLPRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        if not early_stopping:
            for estimator in (theirs, mine):
                with pytest.raises(ValueError, match="non-finite parameter weights"):
                    estimator.fit(X, y)
            assert not hasattr(mine, "coefs_")
            return
        theirs.fit(X, y)
        mine.fit(X, y)
    assert np.isnan(theirs.loss_curve_[-1]) and np.isnan(mine.loss_curve_[-1])
    assert_same_model(mine, theirs)
    np.testing.assert_allclose(mine.predict(X), theirs.predict(X), rtol=1e-9)
