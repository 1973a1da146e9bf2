"""fastmlp's extras of the scikit-learn estimators: class_weight, the "cosine" and "plateau"
schedules, checkpoint / checkpoint_every, and sample weights that are not numbers.

Oracles: scikit-learn's own MLPClassifier / MLPRegressor -- fitted with the class weights as
sample weights (``compute_sample_weight``), or with its optimizer's step size set before each
update from the cosine formula, or lowered after each epoch by a NumPy transcription of
Keras' ReduceLROnPlateau -- and, for checkpoints, the uninterrupted fit (bit for bit). The
subprocess test that kills a fit with SIGKILL is in tests/test_checkpoint.py."""

import math
import os
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import scipy.sparse  # noqa: E402
import sklearn.neural_network as reference  # noqa: E402
import sklearn.neural_network._multilayer_perceptron as sklearn_mlp  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network._base import LOSS_FUNCTIONS  # noqa: E402
from sklearn.neural_network._stochastic_optimizers import (  # noqa: E402
    AdamOptimizer,
    SGDOptimizer,
)
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp.sklearn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    _stochastic,  # noqa: E402
)

#: Relative agreement with scikit-learn demanded of float64 fits (as
#: tests/test_sklearn_agreement.py): max |ours - theirs| / max |theirs| per array.
RTOL = 1e-8


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:400], y[:400]


@pytest.fixture(scope="module")
def unbalanced(digits):
    """Three classes of 200, 60 and 20 rows (labels as strings)."""
    X, y = digits
    rng = np.random.default_rng(0)
    X = np.vstack([X[:200], X[200:260], X[260:280]])
    labels = np.array(["common"] * 200 + ["rare"] * 60 + ["scarce"] * 20)
    order = rng.permutation(len(labels))
    return X[order], labels[order]


def quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def relative_difference(mine, theirs) -> float:
    pairs = zip(mine.coefs_ + mine.intercepts_, theirs.coefs_ + theirs.intercepts_)
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in pairs)


def assert_same_model(mine, theirs, rtol=RTOL):
    assert relative_difference(mine, theirs) < rtol
    assert (mine.n_iter_, mine.t_) == (theirs.n_iter_, theirs.t_)
    np.testing.assert_allclose(mine.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    if theirs.validation_scores_ is not None:
        np.testing.assert_allclose(mine.validation_scores_, theirs.validation_scores_,
                                   rtol=1e-9)


def assert_identical(a, b):
    """Two fits with the same bits: parameters, optimizer state, curves and counters."""
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a._state.optimizer.slots, b._state.optimizer.slots)
    assert a._state.optimizer.t == b._state.optimizer.t
    assert (a.n_iter_, a.t_, a.loss_) == (b.n_iter_, b.t_, b.loss_)
    assert a.loss_curve_ == b.loss_curve_
    assert a.best_loss_ == b.best_loss_ or (a.best_loss_ is None and b.best_loss_ is None)
    assert a.validation_scores_ == b.validation_scores_
    assert a.best_validation_score_ == b.best_validation_score_
    assert a._state.learning_rate == b._state.learning_rate


# ------------------------------------------------------------------ class_weight
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_balanced_class_weight_is_scikit_learns_balanced_sample_weight(unbalanced, solver):
    X, y = unbalanced
    params = dict(hidden_layer_sizes=(12,), max_iter=8, random_state=0, solver=solver)
    mine = quiet(MLPClassifier(class_weight="balanced", **params).fit, X, y)
    theirs = quiet(reference.MLPClassifier(**params).fit, X, y,
                   sample_weight=compute_sample_weight("balanced", y))
    assert relative_difference(mine, theirs) < RTOL
    np.testing.assert_allclose(mine.loss_, theirs.loss_, rtol=1e-9)
    # and it changed the fit: the rare classes weigh 1.56 and 4.67, the common one 0.47
    plain = quiet(MLPClassifier(**params).fit, X, y)
    assert relative_difference(mine, plain) > 1e-3


@pytest.mark.parametrize("binary", [False, True])
def test_a_class_weight_dict_multiplies_sample_weight(unbalanced, binary):
    X, y = unbalanced
    if binary:
        y = np.where(y == "common", "common", "rare")
    weights = {"rare": 3.0, "scarce": 0.5} if not binary else {"rare": 3.0}
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    params = dict(hidden_layer_sizes=(12,), max_iter=8, random_state=2, solver="sgd")
    mine = quiet(MLPClassifier(class_weight=weights, **params).fit, X, y, sample_weight=w)
    theirs = quiet(reference.MLPClassifier(**params).fit, X, y,
                   sample_weight=w * compute_sample_weight(weights, y))
    assert relative_difference(mine, theirs) < RTOL


def test_class_weight_in_partial_fit_takes_a_dict_over_every_class(unbalanced):
    X, y = unbalanced
    classes = np.unique(y)
    weights = {"scarce": 4.0}
    mine = MLPClassifier(hidden_layer_sizes=(8,), random_state=0, class_weight=weights)
    theirs = reference.MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for part in np.array_split(np.arange(len(y)), 3):
        # the first batch may hold no "scarce" row: the dict is checked against classes_
        rows = part[y[part] != "scarce"] if part[0] == 0 else part
        mine.partial_fit(X[rows], y[rows], classes=classes)
        theirs.partial_fit(X[rows], y[rows], classes=classes,
                           sample_weight=np.where(y[rows] == "scarce", 4.0, 1.0))
    assert relative_difference(mine, theirs) < RTOL
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=classes)


def test_class_weights_of_one_change_nothing_also_with_early_stopping(unbalanced):
    """The weights are folded in after the validation split, which stays scikit-learn's."""
    X, y = unbalanced
    params = dict(hidden_layer_sizes=(10,), max_iter=6, random_state=5, early_stopping=True)
    ones = quiet(MLPClassifier(class_weight={"common": 1.0, "rare": 1.0}, **params).fit, X, y)
    theirs = quiet(reference.MLPClassifier(**params).fit, X, y)
    assert_same_model(ones, theirs)
    # "balanced" trains differently but is measured on the same, unweighted validation rows
    balanced = quiet(MLPClassifier(class_weight="balanced", **params).fit, X, y)
    assert relative_difference(balanced, theirs) > 1e-3


def test_class_weight_is_refused_where_it_means_nothing(unbalanced):
    X, y = unbalanced
    with pytest.raises(TypeError, match="class_weight"):
        MLPRegressor(class_weight="balanced")
    with pytest.raises(ValueError, match="Invalid parameter 'class_weight'"):
        MLPRegressor().set_params(class_weight="balanced")
    indicators = np.column_stack([y == "common", y == "rare"]).astype(int)
    model = MLPClassifier(max_iter=2, class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight .*multilabel"):
        model.fit(X, indicators)
    assert not hasattr(model, "coefs_")
    with pytest.raises(ValueError, match=r"class_weight names labels .*\['cat'\]"):
        MLPClassifier(max_iter=2, class_weight={"cat": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight\['rare'\] must be a non-negative"):
        MLPClassifier(max_iter=2, class_weight={"rare": -1.0}).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        MLPClassifier(max_iter=2, class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match="every row a weight of 0"):
        MLPClassifier(max_iter=2, class_weight={c: 0.0 for c in np.unique(y)}).fit(X, y)


# ------------------------------------------------------------------ schedules: oracles
def cosine_rate(t, a, warmup, decay, a_min):
    """DESIGN.md's cosine schedule with linear warmup, for update t (from 1)."""
    if t <= warmup:
        return a * t / warmup
    if t >= decay:
        return a_min
    return a_min + (a - a_min) * (1 + math.cos(math.pi * (t - warmup) / (decay - warmup))) / 2


@pytest.fixture
def cosine_reference(monkeypatch):
    """scikit-learn's estimators with the step size of each update set by the cosine
    formula: its SGDOptimizer's ``learning_rate``, its AdamOptimizer's
    ``learning_rate_init`` (which Adam's bias correction then scales), before the update."""

    def install(a, warmup, decay, a_min):
        class CosineSGD(SGDOptimizer):
            updates = 0

            def update_params(self, params, grads):
                self.updates += 1
                self.learning_rate = cosine_rate(self.updates, a, warmup, decay, a_min)
                super().update_params(params, grads)

        class CosineAdam(AdamOptimizer):
            def update_params(self, params, grads):
                self.learning_rate_init = cosine_rate(self.t + 1, a, warmup, decay, a_min)
                super().update_params(params, grads)

        monkeypatch.setattr(sklearn_mlp, "SGDOptimizer", CosineSGD)
        monkeypatch.setattr(sklearn_mlp, "AdamOptimizer", CosineAdam)

    return install


class KerasPlateau:
    """Keras' ReduceLROnPlateau in mode "min", without cooldown."""

    def __init__(self, lr, factor, patience, min_delta, min_lr):
        self.lr, self.factor, self.patience = lr, factor, patience
        self.min_delta, self.min_lr = min_delta, min_lr
        self.best, self.wait = np.inf, 0
        self.rates = [lr]

    def epoch_end(self, current):
        if current < self.best - self.min_delta:
            self.best, self.wait = current, 0
        else:
            self.wait += 1
            if self.wait >= self.patience and self.lr > self.min_lr:
                self.lr = max(self.lr * self.factor, self.min_lr)
                self.wait = 0
        self.rates.append(self.lr)


def plateau_reference(kind, plateau: dict, **params):
    """scikit-learn's estimator whose optimizer's step is lowered after each epoch by
    :class:`KerasPlateau`, watching the training loss, or with early stopping the
    validation loss (scikit-learn's own loss function, no penalty, on its validation rows)."""
    base = reference.MLPClassifier if kind == "classifier" else reference.MLPRegressor

    class Reference(base):
        def _update_no_improvement_count(self, early_stopping, X, y, sample_weight):
            super()._update_no_improvement_count(early_stopping, X, y, sample_weight)
            if not hasattr(self, "plateau_"):
                self.plateau_ = KerasPlateau(self.learning_rate_init, **plateau)
            if early_stopping:
                outputs = self._forward_pass_fast(X)
                name = getattr(self, "loss", "log_loss")
                if kind == "classifier":
                    y = self._label_binarizer.transform(y)
                    if self.out_activation_ == "logistic":
                        name = "binary_log_loss"
                elif y.ndim == 1:
                    y = y.reshape(-1, 1)
                watched = LOSS_FUNCTIONS[name](y, outputs, sample_weight)
            else:
                watched = self.loss_curve_[-1]
            self.plateau_.epoch_end(watched)
            if self.solver == "sgd":
                self._optimizer.learning_rate = self.plateau_.lr
            else:
                self._optimizer.learning_rate_init = self.plateau_.lr

    Reference.__name__ = base.__name__  # scikit-learn's messages and tags by its name
    return Reference(**params)


# ------------------------------------------------------------------ schedules: tests
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("schedule", [
    dict(warmup_steps=10),  # decay_steps: the planned updates, 8 epochs x 2 batches
    dict(warmup_steps=3, decay_steps=12, min_learning_rate=0.002),  # then a_min for good
    dict(decay_steps=40),
], ids=["planned", "warmup-decay-min", "no-warmup"])
def test_cosine_schedule_is_scikit_learns_fit_at_the_formulas_step(
        digits, cosine_reference, solver, schedule):
    X, y = digits
    rate = 0.05 if solver == "sgd" else 0.01
    params = dict(hidden_layer_sizes=(16,), max_iter=8, random_state=1, solver=solver,
                  learning_rate_init=rate, batch_size=200)
    mine = quiet(MLPClassifier(learning_rate="cosine", **params, **schedule).fit, X, y)
    cosine_reference(rate, schedule.get("warmup_steps", 0),
                     schedule.get("decay_steps", 8 * 2), schedule.get("min_learning_rate", 0))
    theirs = quiet(reference.MLPClassifier(**params).fit, X, y)
    assert_same_model(mine, theirs)
    constant = quiet(MLPClassifier(**params).fit, X, y)
    assert relative_difference(mine, constant) > 1e-3  # the schedule did something


def test_cosine_schedule_across_partial_fit_calls(digits, cosine_reference):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), random_state=1, solver="sgd", batch_size=100,
                  learning_rate_init=0.05)
    mine = MLPRegressor(learning_rate="cosine", warmup_steps=5, decay_steps=14, **params)
    with pytest.raises(ValueError, match="partial_fit needs decay_steps"):
        MLPRegressor(learning_rate="cosine", **params).partial_fit(X, y)
    cosine_reference(0.05, 5, 14, 0.0)
    theirs = reference.MLPRegressor(**params)
    for _ in range(5):  # 4 updates a call: past decay_steps in the fourth
        mine.partial_fit(X, y / 10)
        theirs.partial_fit(X, y / 10)
    assert_same_model(mine, theirs)
    assert mine._state.optimizer.t == 20


PLATEAU = dict(factor=0.5, patience=2, min_delta=0.02, min_lr=0.002)
PLATEAU_OPTIONS = dict(plateau_factor=0.5, plateau_patience=2, plateau_min_delta=0.02,
                       min_learning_rate=0.002)


@pytest.mark.parametrize("kind, solver, early_stopping", [
    ("classifier", "sgd", False), ("classifier", "adam", True), ("classifier", "sgd", True),
    ("regressor", "adam", False), ("regressor", "sgd", True),
])
def test_plateau_schedule_is_keras_reduce_lr_on_plateau(digits, kind, solver,
                                                        early_stopping):
    X, y = digits
    if kind == "regressor":
        y = X[:, :5].sum(axis=1) + 0.1 * y
    params = dict(hidden_layer_sizes=(16,), max_iter=25, random_state=2, solver=solver,
                  learning_rate_init=0.02, batch_size=50, early_stopping=early_stopping,
                  n_iter_no_change=100)
    estimator = MLPClassifier if kind == "classifier" else MLPRegressor
    mine = quiet(estimator(learning_rate="plateau", **PLATEAU_OPTIONS, **params).fit, X, y)
    theirs = plateau_reference(kind, PLATEAU, **params)
    quiet(theirs.fit, X, y)
    rates = theirs.plateau_.rates
    assert min(rates) < rates[0]  # the schedule lowered the step, more than once
    assert len(set(rates)) > 2
    assert_same_model(mine, theirs)
    assert mine._state.learning_rate == rates[-1]


def test_plateau_schedule_continues_across_partial_fit_calls(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), random_state=2, solver="adam",
                  learning_rate_init=0.02, batch_size=50)
    mine = MLPClassifier(learning_rate="plateau", **PLATEAU_OPTIONS, **params)
    theirs = plateau_reference("classifier", PLATEAU, **params)
    for _ in range(14):
        mine.partial_fit(X, y, classes=np.arange(10))
        theirs.partial_fit(X, y, classes=np.arange(10))
    assert len(set(theirs.plateau_.rates)) > 1
    assert_same_model(mine, theirs)


def test_schedule_options_are_checked(digits):
    X, y = digits
    with pytest.raises(ValueError, match=r"min_learning_rate \(0.5\) must not exceed "
                                         r"learning_rate_init \(0.001\)"):
        MLPClassifier(learning_rate="cosine", min_learning_rate=0.5, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=r"decay_steps \(3\) must be larger than "
                                         r"warmup_steps \(3\)"):
        MLPClassifier(learning_rate="cosine", warmup_steps=3, decay_steps=3).fit(X, y)
    for bad in (dict(plateau_factor=1.0), dict(plateau_patience=0), dict(warmup_steps=-1),
                dict(decay_steps=0), dict(min_learning_rate=-1.0),
                dict(plateau_min_delta=-0.1), dict(warmup_steps=1.5)):
        name = next(iter(bad))
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            MLPRegressor(**bad).fit(X, y)


def test_extras_with_their_defaults_change_nothing(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=(16,), max_iter=4, random_state=0)
    extras = dict(warmup_steps=7, decay_steps=99, min_learning_rate=1e-5, plateau_factor=0.3,
                  plateau_patience=2, plateau_min_delta=0.5)  # unused by "constant"
    mine = quiet(MLPClassifier(**params, **extras).fit, X, y)
    theirs = quiet(reference.MLPClassifier(**params).fit, X, y)
    assert_same_model(mine, theirs)


def test_parameters_round_trip_through_get_params_set_params_and_clone(tmp_path):
    extras = dict(learning_rate="plateau", warmup_steps=3, decay_steps=50,
                  min_learning_rate=1e-4, plateau_factor=0.2, plateau_patience=4,
                  plateau_min_delta=1e-3, checkpoint=str(tmp_path / "c.npz"),
                  checkpoint_every=5)
    for estimator in (MLPClassifier(class_weight={"a": 2.0}, **extras),
                      MLPRegressor(**extras)):
        params = estimator.get_params()
        assert {k: params[k] for k in extras} == extras
        copy = clone(estimator)
        assert copy.get_params() == params
        copy.set_params(plateau_patience=9, checkpoint=None)
        assert (copy.plateau_patience, copy.checkpoint) == (9, None)
        assert estimator.plateau_patience == 4
        assert type(estimator)(**params).get_params() == params
    assert clone(MLPClassifier(class_weight="balanced")).class_weight == "balanced"


# ------------------------------------------------------------------ sample_weight checks
@pytest.mark.parametrize("weight, words", [
    ("abcde" * 8, "sample_weight must be a number or an array .*got a string"),
    (np.array(["1"] * 40), "sample_weight must hold real numbers, got strings"),
    (np.array(["a"] * 40, dtype=object), "sample_weight must hold numbers, got a str"),
    ([1.0] * 39 + ["x"], "sample_weight must hold real numbers, got strings"),
    (np.array([1.0] * 39 + [object()], dtype=object), "sample_weight must hold numbers, got "
                                                       "a object"),
    ({"a": 1.0}, "sample_weight must be a number or an array .*got a dict"),
    (np.array([np.datetime64("2020-01-01")] * 40), "sample_weight .*datetimes"),
])
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_sample_weight_that_is_not_numbers_is_named(estimator, weight, words):
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    model = estimator(max_iter=2)
    with pytest.raises(ValueError, match=words):
        model.fit(X, y, sample_weight=weight)
    assert not hasattr(model, "coefs_")
    with pytest.raises(ValueError, match="sample_weight"):
        estimator(max_iter=2).partial_fit(X, y, sample_weight=weight,
                                         **({"classes": [0, 1]} if estimator is MLPClassifier
                                            else {}))


def test_a_pandas_series_of_strings_as_sample_weight_is_named():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="sample_weight must hold numbers"):
        MLPRegressor(max_iter=2).fit(X, np.arange(40.0), sample_weight=pd.Series(["1"] * 40))


# ------------------------------------------------------------------ checkpoints
class Crash(Exception):
    pass


def crash_at_epoch(monkeypatch, epoch) -> None:
    """Make the fit raise at the start of epoch ``epoch`` (1-based): its shuffle."""
    calls = {"n": 0}
    original = _stochastic.shuffled

    def shuffled(sample_idx, rng):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise Crash(f"crash at epoch {epoch}")
        return original(sample_idx, rng)

    monkeypatch.setattr(_stochastic, "shuffled", shuffled)


CHECKPOINTED = [
    ("classifier", dict(solver="adam", early_stopping=True, learning_rate="plateau",
                        plateau_patience=2, plateau_min_delta=0.01, n_iter_no_change=50,
                        checkpoint_every=2)),
    ("classifier", dict(solver="sgd", early_stopping=True, random_state=None,
                        class_weight="balanced", learning_rate="adaptive", tol=0.05,
                        n_iter_no_change=1)),
    ("regressor", dict(solver="sgd", learning_rate="cosine", warmup_steps=8,
                       checkpoint_every=3)),
    ("regressor", dict(solver="adam", sparse=True, learning_rate="invscaling")),
]


@pytest.mark.parametrize("kind, options", CHECKPOINTED,
                         ids=["adam-early-plateau", "sgd-unseeded-balanced",
                              "sgd-cosine", "adam-sparse"])
def test_a_crashed_fit_run_again_ends_with_the_uninterrupted_bits(
        digits, tmp_path, monkeypatch, kind, options):
    X, y = digits
    options = dict(options)
    if options.pop("sparse", False):
        X = scipy.sparse.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    if kind == "regressor":
        y = np.asarray(X[:, :5].sum(axis=1)).ravel() + 0.1 * y
    params = dict(hidden_layer_sizes=(12,), max_iter=14, random_state=3, batch_size=64)
    params.update(options)
    estimator = MLPClassifier if kind == "classifier" else MLPRegressor
    path = tmp_path / "fit.npz"
    seeded = params["random_state"] is not None

    crash_at_epoch(monkeypatch, 8)
    crashed = estimator(checkpoint=str(path), **params)
    with pytest.raises(Crash):
        quiet(crashed.fit, X, y)
    assert path.exists() and not hasattr(crashed, "coefs_")
    monkeypatch.undo()

    calls = {"n": 0}
    original = _stochastic.shuffled

    def counting(sample_idx, rng):
        calls["n"] += 1
        return original(sample_idx, rng)

    monkeypatch.setattr(_stochastic, "shuffled", counting)
    resumed = quiet(estimator(checkpoint=str(path), **params).fit, X, y)
    assert not path.exists() and not os.path.exists(str(path) + ".tmp")
    resumed_epochs = calls["n"]
    monkeypatch.undo()
    assert resumed_epochs < resumed.n_iter_  # it continued, not started over
    if not seeded:  # an unseeded fit is reproduced from the checkpoint only
        return
    whole = quiet(estimator(**params).fit, X, y)
    assert_identical(resumed, whole)


def test_an_unseeded_resumed_fit_ends_as_the_fit_it_continues(digits, tmp_path, monkeypatch):
    """random_state=None: the rerun takes the split, parameters and random state from the
    file, so it ends as the crashed fit would have (which a fit that records the state of
    its crash point, crashing later, shows)."""
    X, y = digits
    params = dict(hidden_layer_sizes=(8,), max_iter=10, batch_size=64, early_stopping=True,
                  n_iter_no_change=50, checkpoint_every=1)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    crash_at_epoch(monkeypatch, 5)
    with pytest.raises(Crash):
        quiet(MLPClassifier(checkpoint=str(a), **params).fit, X, y)
    monkeypatch.undo()
    b.write_bytes(a.read_bytes())
    first = quiet(MLPClassifier(checkpoint=str(a), **params).fit, X, y)
    second = quiet(MLPClassifier(checkpoint=str(b), **params).fit, X, y)
    assert_identical(first, second)
    assert first.n_iter_ == 10


def test_checkpoints_are_written_every_n_epochs_and_removed(digits, tmp_path, monkeypatch):
    from fastmlp.sklearn._checkpoint import EstimatorCheckpoint

    written = []
    original = EstimatorCheckpoint.write

    def spy(self, state, rng, sample_idx):
        written.append(state.n_iter)
        assert not os.path.exists(self.file.path + ".tmp")
        original(self, state, rng, sample_idx)

    monkeypatch.setattr(EstimatorCheckpoint, "write", spy)
    X, y = digits
    path = tmp_path / "c.npz"
    quiet(MLPClassifier((8,), max_iter=10, random_state=0, checkpoint=path,
                        checkpoint_every=3).fit, X, y)
    assert written == [3, 6, 9]
    assert not path.exists()
    # partial_fit (one epoch a call) does not checkpoint
    MLPClassifier((8,), random_state=0, checkpoint=path).partial_fit(X, y,
                                                                     classes=np.arange(10))
    assert written == [3, 6, 9] and not path.exists()


def test_ctrl_c_keeps_the_checkpoint(digits, tmp_path, monkeypatch):
    X, y = digits
    path = tmp_path / "c.npz"
    calls = {"n": 0}
    original = _stochastic.shuffled

    def interrupt(sample_idx, rng):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return original(sample_idx, rng)

    monkeypatch.setattr(_stochastic, "shuffled", interrupt)
    params = dict(hidden_layer_sizes=(8,), max_iter=9, random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        stopped = MLPClassifier(checkpoint=path, **params).fit(X, y)
    assert stopped.n_iter_ == 4 and path.exists()
    monkeypatch.undo()
    resumed = quiet(MLPClassifier(checkpoint=path, **params).fit, X, y)
    whole = quiet(MLPClassifier(**params).fit, X, y)
    assert_identical(resumed, whole)
    assert not path.exists()


def crashed_checkpoint(X, y, path, monkeypatch, estimator=MLPClassifier, **params):
    crash_at_epoch(monkeypatch, 4)
    with pytest.raises(Crash):
        quiet(estimator(checkpoint=path, **params).fit, X, y)
    monkeypatch.undo()
    assert path.exists()


@pytest.mark.parametrize("change, words", [
    (dict(learning_rate_init=0.01), "a fit with other options .*learning_rate_init"),
    (dict(hidden_layer_sizes=(9,)), "another network"),
    (dict(rows=300), "a fit on other data"),
    (dict(random_state=4), "a fit with another seed"),
    (dict(estimator=MLPRegressor), "MLPClassifier.fit, not by MLPRegressor.fit"),
    (dict(labels="shifted"), "a fit on other data"),
])
def test_a_checkpoint_of_another_fit_is_refused(digits, tmp_path, monkeypatch, change,
                                                 words):
    X, y = digits
    path = tmp_path / "c.npz"
    params = dict(hidden_layer_sizes=(8,), max_iter=8, random_state=0)
    crashed_checkpoint(X, y, path, monkeypatch, **params)
    estimator = change.pop("estimator", MLPClassifier)
    rows = change.pop("rows", len(y))
    if change.pop("labels", None):
        y = (y + 1) % 10
    params.update(change)
    model = estimator(checkpoint=path, **params)
    with pytest.raises(ValueError, match=f"checkpoint .*c.npz.* cannot continue this fit: "
                                         f"it was written by {words}"):
        model.fit(X[:rows], y[:rows])
    assert not hasattr(model, "coefs_")
    assert path.exists()  # refused, not deleted


def test_checkpoints_of_mlp_fit_and_other_files_are_refused(digits, tmp_path):
    X, y = digits
    path = tmp_path / "c.npz"

    def fail(epoch, history):
        if epoch == 1:  # after the first epoch's checkpoint
            raise Crash

    net = fastmlp.MLP((64, 8, 10), "relu", "softmax", "cross_entropy", seed=0)
    with pytest.raises(Crash):
        net.fit(X, y, epochs=3, checkpoint=path, callback=fail)
    assert path.exists()
    with pytest.raises(ValueError, match="cannot continue this fit: it was written by "
                                         "fastmlp.MLP.fit, not by MLPClassifier.fit"):
        MLPClassifier((8,), max_iter=3, checkpoint=path).fit(X, y)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="is not a checkpoint file"):
        MLPClassifier((8,), max_iter=3, checkpoint=path).fit(X, y)


def test_checkpoint_arguments_are_checked(digits, tmp_path):
    X, y = digits
    with pytest.raises(ValueError, match="checkpoint needs solver 'sgd' or 'adam'"):
        MLPClassifier(solver="lbfgs", checkpoint=tmp_path / "c.npz").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'checkpoint_every' parameter"):
        MLPClassifier(checkpoint=tmp_path / "c.npz", checkpoint_every=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'checkpoint' parameter"):
        MLPClassifier(checkpoint=3).fit(X, y)
    with pytest.raises(ValueError, match="checkpoint must name a file"):
        MLPClassifier(checkpoint=str(tmp_path)).fit(X, y)
    with pytest.raises(ValueError, match="does not exist"):
        MLPClassifier(checkpoint=tmp_path / "missing" / "c.npz").fit(X, y)


def test_missing_labels_are_named():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.array(["a", "b", None, "c"] * 10, dtype=object)
    model = MLPClassifier(max_iter=2)
    with pytest.raises(ValueError, match=r"y contains a missing value \(None\) at index 2"):
        model.fit(X, y)
    assert not hasattr(model, "classes_")


# ------------------------------------------------------------------ extreme sample weights
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_extreme_sample_weights_fit_as_scikit_learns_loss_defines_them(digits, solver):
    """scikit-learn's batch loss is sum(w E) / sum(w) + alpha/2 ||W||^2 / sum(w): weights
    2^1000 times larger fit as alpha 2^1000 times smaller (their sums overflow unless
    scaled; issue 28 item 8), and weights of 5e-324 with alpha=0 as equal weights."""
    X, y = digits
    y = X[:, :5].sum(axis=1) + 0.1 * y
    w = np.where(np.arange(len(y)) % 3 == 0, 2.0, 1.0)
    params = dict(hidden_layer_sizes=(8,), max_iter=4, random_state=0, solver=solver)
    huge = quiet(MLPRegressor(alpha=0.01, **params).fit, X, y, sample_weight=w * 2.0 ** 1000)
    plain = quiet(MLPRegressor(alpha=0.01 * 2.0 ** -1000, **params).fit, X, y,
                  sample_weight=w)
    for a, b in zip(huge.coefs_ + huge.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(huge.loss_) and huge.loss_ == plain.loss_
    tiny = quiet(MLPRegressor(alpha=0.0, **params).fit, X, y,
                 sample_weight=np.full(len(y), 5e-324))
    ones = quiet(MLPRegressor(alpha=0.0, **params).fit, X, y, sample_weight=np.ones(len(y)))
    for a, b in zip(tiny.coefs_ + tiny.intercepts_, ones.coefs_ + ones.intercepts_):
        np.testing.assert_array_equal(a, b)
    # with alpha > 0 the penalty alpha / sum(w) is infinite: said, not diverged into
    with pytest.raises(ValueError, match="sample_weight is so small .* alpha"):
        MLPRegressor(**params).fit(X, y, sample_weight=np.full(len(y), 5e-324))
