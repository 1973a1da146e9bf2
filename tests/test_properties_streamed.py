"""Property-based tests (hypothesis) for issue 28's surface: streamed feeds, labels,
partial_fit, the notes' classics and optimize.

The properties of tests/test_properties.py: a call succeeds with a correct, finite result,
or raises the documented exception type naming the argument (or the block / chunk) at
fault, with the model exactly as before -- parameters, optimizer state, classes_.
"""

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fastmlp  # noqa: E402
from fastmlp import classic, optimize  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

BAD_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, 1e308])


def state_of(net):
    s = net._optimizer_state
    return (net.params.copy(), None if s is None else (s.optimizer, s.t, s.slots.copy()),
            None if net.classes_ is None else net.classes_.copy())


def assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert (a[1] is None) == (b[1] is None)
    if a[1] is not None:
        assert a[1][:2] == b[1][:2]
        np.testing.assert_array_equal(a[1][2], b[1][2])
    assert (a[2] is None) == (b[2] is None)
    if a[2] is not None:
        np.testing.assert_array_equal(a[2], b[2])


def chunked(n_chunks, rows, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_chunks * rows, 3))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > X[:, 2]]).astype(float)
    return [(X[i:i + rows], Y[i:i + rows]) for i in range(0, len(X), rows)]


@SETTINGS
@given(n_chunks=st.integers(1, 5), rows=st.integers(1, 12), bad_chunk=st.integers(0, 4),
       fault=st.sampled_from(["value", "width", "rows", "empty", "weights", "raise",
                              "not-a-tuple"]),
       value=BAD_VALUES, optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
       partial=st.booleans(), batch_size=st.integers(1, 8))
def test_a_faulty_chunk_changes_nothing(n_chunks, rows, bad_chunk, fault, value, optimizer,
                                        partial, batch_size):
    chunks = chunked(n_chunks, rows)
    net = fastmlp.MLP((3, 4, 2), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    net.partial_fit(*chunks[0], optimizer=optimizer, learning_rate=0.01, batch_size=2, seed=0)
    before = state_of(net)
    where = min(bad_chunk, n_chunks - 1)
    X, Y = (a.copy() for a in chunks[where])
    if fault == "value":
        X[-1, 0] = value
        if value == 1e308:  # finite: a correct fit unless it diverges
            X[-1, 0] = 1e3
    elif fault == "width":
        X = np.ones((len(X), 4))
    elif fault == "rows":
        Y = Y[:-1] if len(Y) > 1 else np.ones((2, 2))
    elif fault == "empty":
        X, Y = X[:0], Y[:0]
    chunk: object = (X, Y)
    if fault == "weights":
        chunk = (X, Y, np.ones(len(X)))
        if n_chunks == 1:
            chunks.append((X, Y))  # weights for some chunks only
    elif fault == "not-a-tuple":
        chunk = X
    items = list(chunks)
    items[where] = chunk

    def source():
        for i, item in enumerate(items):
            if fault == "raise" and i == where:
                raise OSError(5, "Input/output error")
            yield item

    call = net.partial_fit if partial else net.fit
    options = dict(optimizer=optimizer, learning_rate=0.01, batch_size=batch_size, seed=0)
    if not partial:
        options["epochs"] = 2
    try:
        call(source, **options)
    except (ValueError, TypeError, OSError, fastmlp.DivergenceError) as error:
        if not isinstance(error, fastmlp.DivergenceError):
            assert "chunk" in str(error), str(error)
        assert_same(state_of(net), before)
        return
    assert fault == "value" and value == 1e308, f"a {fault} fault was accepted"
    assert np.isfinite(net.params).all()


@SETTINGS
@given(n=st.integers(8, 30), labels=st.lists(
    st.one_of(st.sampled_from(["a", "b", "c"]), st.none(), st.just(float("nan")),
              st.integers(0, 2), st.floats(allow_nan=True)), min_size=1, max_size=30),
       n_out=st.sampled_from([1, 3]))
def test_labels_train_as_classes_or_are_refused(n, labels, n_out):
    """Label fits with hostile labels: a ValueError / TypeError naming Y with classes_
    untouched, or a fit whose classes_ are the labels given (never "None" or "nan")."""
    y = np.array((labels * n)[:n], dtype=object)
    X = np.random.default_rng(0).normal(size=(n, 4))
    if n_out == 3:
        net = fastmlp.MLP((4, 5, 3), "tanh", "softmax", "cross_entropy", seed=0)
    else:
        net = fastmlp.MLP((4, 5, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    before = state_of(net)
    try:
        net.fit(X, y, epochs=1, batch_size=4, seed=0)
    except (ValueError, TypeError) as error:
        assert "Y" in str(error), str(error)
        assert_same(state_of(net), before)
        return
    classes = net.classes_
    if classes is not None:
        assert not any(str(c) in ("None", "nan") for c in classes), classes
        if classes.dtype.kind == "f":
            assert np.isfinite(classes).all()
    assert np.isfinite(net.params).all()


@SETTINGS
@given(inputs=st.lists(st.integers(0, 1), min_size=0, max_size=5),
       gate=st.sampled_from(["AND", "OR", "NOR", "NOT"]), n=st.integers(1, 4))
def test_classic_units_answer_only_their_arity(inputs, gate, n):
    unit = getattr(classic, gate)() if gate == "NOT" else getattr(classic, gate)(n)
    arity = 1 if gate == "NOT" else n
    try:
        out = unit(tuple(inputs))
    except ValueError as error:
        assert len(inputs) != arity, str(error)
        return
    assert len(inputs) == arity
    expected = {"AND": all(inputs), "OR": any(inputs), "NOR": not any(inputs),
                "NOT": not inputs[0]}[gate]
    assert out == int(expected)


@SETTINGS
@given(scale=st.sampled_from([1.0, 1e100, 1e300, 1e308]), eta=st.floats(1e-3, 1e3),
       weights=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64),
                        min_size=3, max_size=3),
       shuffle=st.one_of(st.booleans(), st.just("no"), st.just(1)))
def test_perceptron_never_leaves_nan_or_inf(scale, eta, weights, shuffle):
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]]) * scale
    y = np.array([0, 1, 1, 1])
    p = classic.Perceptron(2)
    p.weights = np.array(weights)
    before = p.weights.copy()
    try:
        result = p.fit(X, y, learning_rate=eta, max_epochs=20, shuffle=shuffle, seed=0)
    except (ValueError, TypeError, fastmlp.DivergenceError) as error:
        assert any(w in str(error) for w in ("weights", "shuffle", "diverged")), str(error)
        np.testing.assert_array_equal(p.weights, before)
        return
    assert np.isfinite(p.weights).all()
    if result.converged:
        np.testing.assert_array_equal(p.predict(X), y)


FUNCTIONS = st.sampled_from([
    lambda x: x ** 2, lambda x: (x - 1) ** 2 + 3, lambda x: np.nan, lambda x: None,
    lambda x: "1", lambda x: np.array([x, x]), lambda x: np.inf, lambda x: x ** 3,
])


@SETTINGS
@given(f=FUNCTIONS, x=st.one_of(st.floats(-5, 5), st.just("1"), st.just(np.nan)),
       grad_tol=st.one_of(st.just(1e-5), st.just(np.nan), st.just(-1.0)),
       eig_tol=st.one_of(st.just(1e-4), st.just(np.nan), st.just(-1.0)))
def test_classify_stationary_point_answers_or_names_the_fault(f, x, grad_tol, eig_tol):
    try:
        kind = optimize.classify_stationary_point(f, x, grad_tol=grad_tol, eig_tol=eig_tol)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert any(w in message for w in ("f ", "f(", "x ", "x must", "grad_tol", "eig_tol",
                                          "stationary")), message
        return
    assert kind in ("minimum", "maximum", "saddle", "degenerate")
    value = f(x)
    assert np.isfinite(value) and not isinstance(value, str)
    assert np.isfinite(grad_tol) and np.isfinite(eig_tol)


@SETTINGS
@given(f=FUNCTIONS, x0=st.one_of(st.floats(-3, 3), st.just("x"), st.none(),
                                 st.just([1.0, "a"])),
       optimizer=st.sampled_from(["sgd", "momentum", "nesterov", "adam"]),
       learning_rate=st.floats(1e-3, 2.0))
def test_minimize_converges_or_names_the_fault(f, x0, optimizer, learning_rate):
    try:
        result = optimize.minimize(f, x0, optimizer=optimizer, learning_rate=learning_rate,
                                   steps=20)
    except (ValueError, TypeError, FloatingPointError) as error:
        message = str(error)
        assert any(w in message for w in ("f ", "f(", "f must", "x0", "grad", "step")), message
        return
    assert np.isfinite(result.values).all() and np.isfinite(result.path).all()
