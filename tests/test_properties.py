"""Property-based tests (hypothesis) over the public API with hostile arguments.

The properties: a call either succeeds with a correct, finite result, or raises the
documented exception type (ValueError / TypeError, or DivergenceError for a fit that blows
up) with a message naming the argument at fault -- before any state changes: the network's
parameters are exactly as before. No parameter is ever left NaN or inf.

Bounded: a few dozen examples per property, so the file runs in well under a minute.
"""

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp import metrics, model_selection  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

ANY = st.one_of(st.none(), st.booleans(), st.integers(-3, 5),
                st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=4),
                st.lists(st.integers(0, 3), max_size=3), st.just(b"relu"), st.just({"relu": 1}))

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
ARRAYS = hnp.arrays(dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
                    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
                    elements=None)


def named(message: str, names) -> bool:
    return any(name in message for name in names)


@SETTINGS
@given(option=st.sampled_from(["activation", "output_activation", "loss", "dtype", "init",
                               "init_scale", "bias_init", "leaky_relu_slope", "elu_alpha",
                               "seed"]),
       value=ANY)
@example(option="dtype", value=",")  # NumPy's dtype parser raised SyntaxError
@example(option="dtype", value="0\x1b")  # ... and a ValueError naming no argument
def test_constructor_arguments(option, value):
    """MLP((3, 4, 2), option=value) builds a finite network or names ``option``."""
    kwargs = {option: value}
    if option == "loss":
        kwargs["output_activation"] = "sigmoid"
    try:
        net = fastmlp.MLP((3, 4, 2), **kwargs)
    except (ValueError, TypeError) as error:
        assert named(str(error), [option, option.replace("_", " ")]), str(error)
        return
    assert np.isfinite(net.params).all()


FIT_OPTIONS = ["optimizer", "learning_rate", "momentum", "batch_size", "epochs", "shuffle",
               "seed", "beta_1", "beta_2", "epsilon", "schedule", "schedule_b", "clip_value",
               "clip_norm", "l1", "l2", "tol", "n_iter_no_change", "grad_tol",
               "early_stopping", "verbose", "engine"]


@SETTINGS
@given(option=st.sampled_from(FIT_OPTIONS), value=ANY,
       partial=st.booleans())
def test_fit_options(option, value, partial):
    """fit / partial_fit with one hostile option: trains (finite parameters) or raises naming
    the option, with the parameters untouched."""
    net = fastmlp.MLP((3, 4, 2), seed=0)
    X = np.random.default_rng(0).normal(size=(20, 3))
    Y = (X[:, :2] > 0).astype(float)
    before = net.params.copy()
    method = net.partial_fit if partial else net.fit
    if partial and option in ("epochs", "tol", "n_iter_no_change", "grad_tol",
                              "early_stopping"):
        return  # not partial_fit options
    try:
        with warnings.catch_warnings():  # the guard rails' notes on arbitrary options
            warnings.filterwarnings("ignore", "fastmlp: ", UserWarning)
            method(X, Y, **{option: value})
    except fastmlp.DivergenceError:
        assert np.isfinite(net.params).all()
        return
    except (ValueError, TypeError) as error:
        if option == "early_stopping" and "validation_data" in str(error):
            pass  # early_stopping=True without validation data: named by what it needs
        else:
            assert named(str(error), [option]), str(error)
        np.testing.assert_array_equal(net.params, before)
        return
    assert np.isfinite(net.params).all()


@SETTINGS
@given(X=ARRAYS, Y=ARRAYS)
def test_fit_data(X, Y):
    """fit on arbitrary arrays: trains, or raises a ValueError / TypeError naming X or Y
    with the parameters untouched; never leaves NaN."""
    net = fastmlp.MLP((3, 4, 2), seed=0)
    before = net.params.copy()
    try:
        with warnings.catch_warnings():  # the guard rails' notes on arbitrary data
            warnings.filterwarnings("ignore", "fastmlp: ", UserWarning)
            net.fit(X, Y, epochs=2, batch_size=4)
    except fastmlp.DivergenceError:
        assert np.isfinite(net.params).all()
        return
    except (ValueError, TypeError) as error:
        assert named(str(error), ["X", "Y"]), str(error)
        np.testing.assert_array_equal(net.params, before)
        return
    assert np.isfinite(net.params).all()


@SETTINGS
@given(values=hnp.arrays(np.float64, 26, elements=FLOATS))
def test_params_setter_never_stores_non_finite_values(values):
    net = fastmlp.MLP((3, 4, 2), seed=0)
    before = net.params.copy()
    try:
        net.params = values
    except ValueError as error:
        assert "params" in str(error)
        np.testing.assert_array_equal(net.params, before)
        return
    np.testing.assert_array_equal(net.params, values)
    assert np.isfinite(net.params).all()


LABELS = st.lists(st.integers(-1, 3), min_size=0, max_size=12)


@SETTINGS
@given(y_true=LABELS, y_pred=LABELS,
       metric=st.sampled_from(["accuracy", "precision", "recall", "specificity", "f1_score",
                               "confusion_matrix"]))
def test_metrics(y_true, y_pred, metric):
    """A metric gives a value in [0, 1] (a count matrix for the confusion matrix) or a
    ValueError for mismatched or empty labels."""
    function = getattr(metrics, metric)
    try:
        with warnings.catch_warnings():
            # undefined precision etc. warn, as documented
            warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)
            kwargs = {} if metric in ("accuracy", "confusion_matrix") else {"average": "macro"}
            value = function(y_true, y_pred, **kwargs)
    except ValueError as error:
        assert named(str(error), ["y_true", "y_pred", "label", "empty", "length"]), str(error)
        return
    if metric == "confusion_matrix":
        matrix = np.asarray(getattr(value, "matrix", value))
        assert matrix.sum() == len(y_true) and (matrix >= 0).all()
    else:
        assert 0.0 <= float(value) <= 1.0


@SETTINGS
@given(n=st.integers(-2, 30), k=st.integers(-2, 12), seed=st.integers(0, 5))
def test_k_fold_partitions_the_rows(n, k, seed):
    try:
        splits = list(model_selection.k_fold(n, k, seed=seed))
    except (ValueError, TypeError) as error:
        assert named(str(error), ["n", "k"]), str(error)
        return
    tests = np.concatenate([test for _, test in splits])
    np.testing.assert_array_equal(np.sort(tests), np.arange(n))
    for train, test in splits:
        assert not set(train) & set(test) and len(train) + len(test) == n


@SETTINGS
@given(n=st.integers(-2, 40), test_size=st.one_of(st.floats(-1, 2), st.integers(-2, 40)),
       seed=st.integers(0, 5))
def test_holdout_split(n, test_size, seed):
    try:
        (train, test), = list(model_selection.holdout_split(n, test_size=test_size, seed=seed))
    except (ValueError, TypeError) as error:
        assert named(str(error), ["n", "test_size"]), str(error)
        return
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(n))
    assert len(test) >= 1 and len(train) >= 1
