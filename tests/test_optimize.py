"""Gradient descent on functions: the notes' worked examples exactly, every optimizer and
schedule, derivatives, stationary points and convexity."""

import numpy as np
import pytest

from fastmlp import reference
from fastmlp.optimize import (
    classify_stationary_point,
    gradient,
    hessian,
    is_convex,
    minimize,
)


def test_the_notes_first_example():
    """f(x) = x^2, x0 = 3, step 0.1: 3 -> 2.4 -> 1.92 (gradient 6, then 4.8)."""
    result = minimize(lambda x: x ** 2, 3.0, learning_rate=0.1, steps=2, grad=lambda x: 2 * x)
    np.testing.assert_allclose(result.path, [3.0, 2.4, 1.92], rtol=1e-15)
    np.testing.assert_allclose(result.grad_norms[:2], [6.0, 4.8], rtol=1e-15)


@pytest.mark.parametrize("grad", [lambda x: 2 * x, None], ids=["exact", "central differences"])
def test_the_notes_overshooting_example(grad):
    """f(x) = x^2, x0 = -4, step 0.8: 2.4, -1.44, 0.864, -0.5184, 0.31104, ...,
    x30 = -8.84296e-07 (each step multiplies x by 1 - 2 * 0.8 = -0.6)."""
    result = minimize(lambda x: x ** 2, -4.0, learning_rate=0.8, steps=30, grad=grad)
    rtol = 1e-14 if grad else 1e-8
    np.testing.assert_allclose(result.path[:6], [-4, 2.4, -1.44, 0.864, -0.5184, 0.31104],
                               rtol=rtol)
    assert f"{result.x:.5e}" == "-8.84296e-07"
    np.testing.assert_allclose(result.path, -4 * (-0.6) ** np.arange(31), rtol=rtol)


def test_half_x_squared_descends_against_the_slope():
    """f(x) = x^2 / 2: a small push against the sign of f' lowers f, with it raises it, and
    descent contracts x by (1 - step) each step."""
    f = lambda x: 0.5 * x ** 2  # noqa: E731
    for x in (-2.0, 0.7, 3.0):
        p = 1e-3
        assert f(x - p * np.sign(gradient(f, x))) < f(x) < f(x + p * np.sign(gradient(f, x)))
    result = minimize(f, 3.0, learning_rate=0.25, steps=20)
    np.testing.assert_allclose(result.path, 3.0 * 0.75 ** np.arange(21), rtol=1e-8)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_every_optimizer_matches_the_networks_update_rules(optimizer):
    """The path equals reference.py's update rules applied to x (the networks' twin)."""
    target = np.array([1.0, -2.0])
    scale = np.array([1.0, 10.0])

    def f(v):
        return float(np.sum(scale * (v - target) ** 2))

    def grad(v):
        return 2 * scale * (v - target)

    lr = 0.1 if optimizer == "adam" else 0.02
    result = minimize(f, [0.0, 0.0], grad=grad, optimizer=optimizer, learning_rate=lr,
                      steps=40)
    theta, v, m, s = np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    for t in range(1, 41):
        if optimizer == "sgd":
            theta = theta - lr * grad(theta)
        elif optimizer == "momentum":
            v = 0.9 * v + lr * grad(theta)
            theta = theta - v
        elif optimizer == "nesterov":
            v = 0.9 * v + lr * grad(theta - 0.9 * v)
            theta = theta - v
        else:
            g = grad(theta)
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            theta = theta - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
    np.testing.assert_allclose(result.x, theta, rtol=1e-12)
    converged = minimize(f, [0.0, 0.0], grad=grad, optimizer=optimizer, learning_rate=lr,
                         steps=5000, tol=1e-6)
    assert converged.converged and converged.grad_norms[-1] <= 1e-6
    np.testing.assert_allclose(converged.x, target, atol=1e-6)


@pytest.mark.parametrize("schedule, b", [("inverse", 2.0), ("inverse_sqrt", 1.0)])
def test_diminishing_step_sizes(schedule, b):
    """alpha_t = a / (b + t) and a / sqrt(t), t = 1 at the first step."""
    result = minimize(lambda x: x ** 2, 1.0, grad=lambda x: 2 * x, learning_rate=0.3,
                      steps=10, schedule=schedule, schedule_b=b)
    x = 1.0
    for t in range(1, 11):
        x -= reference.step_size(schedule, 0.3, b, t) * 2 * x
        assert result.path[t] == pytest.approx(x, rel=1e-14)


def test_tol_none_takes_every_step_and_tol_stops_early():
    everything = minimize(lambda x: x ** 2, 1.0, learning_rate=0.5, steps=7)
    assert everything.steps == 7 and not everything.converged
    early = minimize(lambda x: x ** 2, 1.0, learning_rate=0.5, steps=7, tol=1e-3)
    assert early.converged and early.steps == 1  # step 0.5 lands on the minimum at once


def test_gradient_and_hessian_by_central_differences():
    def f(v):
        x, y = v
        return x ** 2 * y + np.sin(x) + 3 * y ** 3

    at = np.array([0.7, -1.3])
    x, y = at
    np.testing.assert_allclose(gradient(f, at), [2 * x * y + np.cos(x), x ** 2 + 9 * y ** 2],
                               rtol=1e-9)
    exact = np.array([[2 * y - np.sin(x), 2 * x], [2 * x, 18 * y]])
    H = hessian(f, at)
    np.testing.assert_allclose(H, exact, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("f, x, kind", [
    (lambda v: v[0] ** 2 + v[1] ** 2, [0.0, 0.0], "minimum"),
    (lambda v: -v[0] ** 2 - v[1] ** 2, [0.0, 0.0], "maximum"),
    (lambda v: v[0] ** 2 - v[1] ** 2, [0.0, 0.0], "saddle"),
    (lambda x: x ** 3, 0.0, "degenerate"),
    (lambda x: x ** 4, 0.0, "degenerate"),
    (lambda v: (v[0] - 1) ** 2 + 3 * (v[1] + 2) ** 2 + v[0] * v[1], [24 / 11, -26 / 11],
     "minimum"),
], ids=["x2+y2", "-x2-y2", "x2-y2", "x3", "x4", "tilted bowl"])
def test_stationary_points(f, x, kind):
    assert classify_stationary_point(f, x) == kind


def test_a_point_that_is_not_stationary_is_refused():
    with pytest.raises(ValueError, match="not a stationary point"):
        classify_stationary_point(lambda x: x ** 2, 1.0)


def test_convexity_by_chords():
    assert is_convex(lambda x: x ** 2, -5, 5)
    assert is_convex(lambda v: np.sum(np.abs(v)), [-1, -1], [1, 1])
    result = is_convex(lambda x: np.sin(x), -3, 3)
    assert not result
    a, b, t = result.counterexample
    assert np.sin(t * a + (1 - t) * b) > t * np.sin(a) + (1 - t) * np.sin(b)
    assert not is_convex(lambda v: v[0] ** 2 - v[1] ** 2, [-1, -1], [1, 1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="optimizer"):
        minimize(lambda x: x, 1.0, optimizer="newton")
    with pytest.raises(ValueError, match="steps"):
        minimize(lambda x: x, 1.0, steps=0)
    with pytest.raises(ValueError, match="x0"):
        minimize(lambda x: x, [np.nan])
    with pytest.raises(ValueError, match="grad must return 2"):
        minimize(lambda v: v @ v, [1.0, 1.0], grad=lambda v: 1.0)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        minimize(lambda x: x ** 2, 1.0, learning_rate=1e200, steps=10)
