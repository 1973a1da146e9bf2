"""McCulloch-Pitts units and networks over every input, and the perceptron: it learns AND
and OR, fails on XOR and says so, trains on two digit classes, and its compiled epoch equals
the NumPy twin."""

import itertools

import numpy as np
import pytest

import fastmlp
from fastmlp import reference
from fastmlp.classic import (
    AND,
    NOR,
    NOT,
    OR,
    McCullochPitts,
    MPNetwork,
    Perceptron,
    boolean_network,
)
from fastmlp.kernels.perceptron import perceptron_epoch


def inputs(n):
    return list(itertools.product((0, 1), repeat=n))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_the_notes_units_over_all_inputs(n):
    for x in inputs(n):
        assert AND(n)(x) == int(all(x))
        assert OR(n)(x) == int(any(x))
        assert NOR(n)(x) == int(not any(x))
    assert [NOT()(x) for x in (0, 1)] == [1, 0]


def test_a_unit_is_the_notes_definition():
    """y = 0 if any inhibitory input is on, else 1 if the sum of the inputs >= theta."""
    unit = McCullochPitts(2, inhibitory=(3,))
    for x in inputs(4):
        expected = 0 if x[3] else int(sum(x[:3]) >= 2)
        assert unit(x) == expected
    rows = np.array(inputs(4))
    np.testing.assert_array_equal(unit(rows), [unit(tuple(r)) for r in rows])
    assert McCullochPitts(0)((0, 0)) == 1  # threshold 0: always on unless inhibited


@pytest.mark.parametrize("name, function", [
    ("xor", lambda x: x[0] ^ x[1]),
    ("xnor", lambda x: 1 - (x[0] ^ x[1])),
    ("parity3", lambda x: sum(x) % 2),
    ("majority3", lambda x: int(sum(x) >= 2)),
    ("constant0", lambda x: 0),
    ("constant1", lambda x: 1),
    ("implies", lambda x: int((not x[0]) or x[1])),
])
def test_boolean_network_computes_any_function_over_all_inputs(name, function):
    n = 3 if name.endswith("3") else 2
    table = {x: function(x) for x in inputs(n)}
    network = boolean_network(table)
    for x, expected in table.items():
        assert network(x) == expected, (name, x)
    np.testing.assert_array_equal(network(np.array(inputs(n))), list(table.values()))


def test_every_two_input_function():
    for outputs in itertools.product((0, 1), repeat=4):
        table = dict(zip(inputs(2), outputs))
        network = boolean_network(table)
        assert [network(x) for x in inputs(2)] == list(outputs)


def test_hand_built_xor_network():
    """XOR as the notes build it from units: (x1 AND NOT x2) OR (NOT x1 AND x2)."""
    xor = MPNetwork([[(McCullochPitts(1, inhibitory=(1,)), (0, 1)),
                      (McCullochPitts(1, inhibitory=(0,)), (0, 1))],
                     [(OR(2), (0, 1))]], n_inputs=2)
    assert [xor(x) for x in inputs(2)] == [0, 1, 1, 0]


@pytest.mark.parametrize("bad, match", [
    ({(0, 0): 0, (0, 1): 1}, "must give all 4 inputs"),
    ({(0, 2): 1}, "binary inputs"),
    ({(0,): 0, (1,): 2}, "must be 0 or 1"),
    ({}, "non-empty"),
])
def test_bad_truth_tables_are_refused(bad, match):
    with pytest.raises(ValueError, match=match):
        boolean_network(bad)


def test_units_refuse_non_binary_inputs_and_bad_arguments():
    with pytest.raises(ValueError, match="binary inputs"):
        AND(2)((0.5, 1))
    with pytest.raises(ValueError, match="threshold"):
        McCullochPitts(-1)
    with pytest.raises(ValueError, match="inhibitory input at position 2"):
        McCullochPitts(1, inhibitory=(2,))((1, 0))
    with pytest.raises(ValueError, match="reads inputs"):
        MPNetwork([[(OR(2), (0, 5))]], n_inputs=2)


GATES = np.array(inputs(2), dtype=float)


@pytest.mark.parametrize("name, y", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_learns_and_and_or(name, y):
    p = Perceptron(2)
    result = p.fit(GATES, y, max_epochs=100)
    assert result.converged and result.errors[-1] == 0
    np.testing.assert_array_equal(p.predict(GATES), y)
    assert result.epochs == len(result.errors) < 100


def test_perceptron_fails_on_xor_and_reports_it():
    p = Perceptron(2)
    result = p.fit(GATES, [0, 1, 1, 0], max_epochs=200)
    assert not result.converged
    assert result.epochs == 200 and min(result.errors) > 0  # no epoch is ever clean
    assert (p.predict(GATES) != [0, 1, 1, 0]).any()  # no line separates XOR


def test_a_two_layer_network_solves_what_the_perceptron_cannot():
    net = fastmlp.MLP((2, 4, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=1)
    net.fit(GATES, np.array([[0], [1], [1], [0]], float), batch_size=None, epochs=3000,
            learning_rate=0.5, optimizer="momentum")
    np.testing.assert_array_equal((net.predict(GATES)[:, 0] > 0.5).astype(int), [0, 1, 1, 0])


def test_perceptron_trains_on_two_digit_classes():
    X, y = fastmlp.load_digits()
    rows = (y == 0) | (y == 1)
    p = Perceptron(64)
    result = p.fit(X[rows], y[rows] == 1, max_epochs=100)
    assert result.converged  # zeros and ones are linearly separable in pixel space
    assert (p.predict(X[rows]) == (y[rows] == 1)).all()


def test_compiled_epoch_equals_the_numpy_twin():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    d = (X @ rng.normal(size=5) + 0.3 > 0).astype(float)
    order = rng.permutation(200)
    w1, w2 = rng.normal(size=6), None
    w2 = w1.copy()
    for _ in range(5):
        e1 = perceptron_epoch(X, d, order, w1, 0.1)
        e2 = reference.perceptron_epoch(X, d, order, w2, 0.1)
        assert e1 == e2
        np.testing.assert_allclose(w1, w2, rtol=1e-12, atol=1e-14)


def test_perceptron_input_checks():
    p = Perceptron(2)
    with pytest.raises(ValueError, match="0 and 1"):
        p.fit(GATES, [0, 1, 2, 0])
    with pytest.raises(ValueError, match="shape"):
        p.fit(GATES, [0, 1])
    with pytest.raises(ValueError, match="columns"):
        p.fit(GATES[:, :1], [0, 1, 1, 0])
