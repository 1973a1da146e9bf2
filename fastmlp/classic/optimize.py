"""Gradient descent on plain functions f: R^n -> R, and their derivatives: the notes' worked
examples, stationary points (minima, maxima, saddles) and convexity.

:func:`minimize` takes the networks' own update rules -- sgd, momentum, Nesterov, Adam, and
the step-size schedules constant a, inverse a / (b + t), inverse_sqrt a / sqrt(t) -- compiled
in :mod:`fastmlp.kernels.optimizers`, applied to x as they are to a network's parameters.

>>> from fastmlp.optimize import minimize
>>> [round(float(x), 4) for x in minimize(lambda x: x ** 2, 3.0, learning_rate=0.1,
...                                        steps=2).path]
[3.0, 2.4, 1.92]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _validation as check
from ..config import FitConfig
from ..kernels.optimizers import NESTEROV, NO_CLIP, inplace_lookahead, inplace_update
from ..layout import Layout
from ..rules import RULES
from ..state import OptimizerState

__all__ = ["minimize", "MinimizeResult", "gradient", "hessian", "classify_stationary_point",
           "is_convex", "ConvexityResult"]


def _real(result, name: str, x) -> float:
    """What ``name`` (f) returned at ``x`` as one float, or a TypeError / ValueError that
    names it and says what it returned instead (a vector, None, a string, NaN)."""
    if result is None or isinstance(result, (str, bytes)):
        raise TypeError(f"{name} must return a real number, got {result!r} at x = {x!r}")
    try:
        value = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must return a real number, got {type(result).__name__} at "
                        f"x = {x!r}") from None
    if value.size != 1:
        raise ValueError(f"{name} must return one real number, got shape {value.shape} at "
                         f"x = {x!r}")
    return float(value.reshape(()))


def _finite_value(f, v, scalar: bool) -> float:
    """f at the point v (a float when the caller's x is one), refusing NaN or inf: a
    function undefined there has no gradient, curvature or chords to judge."""
    x = v[0] if scalar else v.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        value = _real(f(x), "f", x)
    if not np.isfinite(value):
        raise ValueError(f"f returned {value} at x = {x!r}; it must be finite on the points "
                         "examined")
    return value


@dataclass
class MinimizeResult:
    """What :func:`minimize` returns.

    Attributes
    ----------
    x : float or ndarray (n,)
        The last iterate (a float when x0 was one).
    path : ndarray (steps + 1,) or (steps + 1, n)
        Every iterate, x_0 first.
    values : ndarray (steps + 1,)
        f at each iterate.
    grad_norms : ndarray (steps + 1,)
        ``|grad f|`` at each iterate.
    converged : bool
        ``|grad f(x)| <= tol`` was reached (never, with tol None).
    steps : int
        Updates made.
    """

    x: float | np.ndarray
    path: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    converged: bool
    steps: int


def minimize(f: Callable, x0, grad: Callable | None = None, optimizer: str = "sgd",
             learning_rate: float = 0.1, steps: int = 100, tol: float | None = None,
             schedule: str = "constant", schedule_b: float = 1.0, momentum: float = 0.9,
             beta_1: float = 0.9, beta_2: float = 0.999,
             epsilon: float = 1e-8, weight_decay: float = 0.01) -> MinimizeResult:
    """Minimize ``f`` from ``x0`` by gradient descent.

    Parameters
    ----------
    f : callable(x) -> float
        x is a float (``np.float64``, which overflows to inf rather than raising) when
        ``x0`` is one, else a float64 array (n,).
    x0 : float or array-like (n,)
    grad : callable(x) -> float or array (n,), optional
        The gradient; central differences of ``f`` (:func:`gradient`) when not given.
    optimizer : {"sgd", "momentum", "nesterov", "adam", "adamw"}
        As in :meth:`fastmlp.MLP.fit` (the same compiled update rules).
    learning_rate, schedule, schedule_b, momentum, beta_1, beta_2, epsilon, weight_decay
        As in :meth:`fastmlp.MLP.fit`; the schedules count steps from t = 1.
    steps : int >= 1
        The step budget.
    tol : float or None
        Stop as soon as ``|grad f(x)| <= tol`` (``converged``); None takes every step.

    Returns
    -------
    MinimizeResult

    Examples
    --------
    The notes' f(x) = x^2 from x_0 = -4 with step 0.8 overshoots back and forth:

    >>> r = minimize(lambda x: x ** 2, -4.0, learning_rate=0.8, steps=30)
    >>> [round(float(x), 5) for x in r.path[:6]], f"{r.x:.5e}"
    ([-4.0, 2.4, -1.44, 0.864, -0.5184, 0.31104], '-8.84296e-07')
    """
    x, scalar = _as_point(x0, "x0")
    x = x.copy()
    if not callable(f):
        raise TypeError("f must be callable(x) -> float")
    if grad is not None and not callable(grad):
        raise TypeError("grad must be callable(x) -> gradient, or None")
    steps = check.positive_int(steps, "steps")
    tol = None if tol is None else check.non_negative_number(tol, "tol")
    config = FitConfig.from_options(optimizer=optimizer, learning_rate=learning_rate,
                                    schedule=schedule, schedule_b=schedule_b,
                                    momentum=momentum, beta_1=beta_1, beta_2=beta_2,
                                    epsilon=epsilon, weight_decay=weight_decay)
    n = x.size

    def value(v):
        point = v[0] if scalar else v.copy()
        with np.errstate(over="ignore", invalid="ignore"):
            return _real(f(point), "f", point)

    def slope(v):
        point = v[0] if scalar else v.copy()
        if grad is None:
            g = np.atleast_1d(gradient(f, point))
        else:
            answer = grad(point)
            if answer is None or isinstance(answer, (str, bytes)):
                raise TypeError(f"grad must return {n} real number(s), got {answer!r} at "
                                f"x = {point!r}")
            try:
                g = np.atleast_1d(np.asarray(answer, dtype=np.float64))
            except (TypeError, ValueError):
                raise TypeError(f"grad must return {n} real number(s), got "
                                f"{type(answer).__name__} at x = {point!r}") from None
            if g.shape != (n,):
                raise ValueError(f"grad must return {n} value(s), got shape {g.shape}")
        if not np.isfinite(g).all():
            raise FloatingPointError(f"the gradient is NaN or inf at x = {point!r} "
                                     f"({'grad' if grad is not None else 'f'} is not finite "
                                     "there): lower learning_rate, or check grad")
        return g

    # x becomes the weights of a one-layer layout (n inputs, 1 output): the update kernel
    # walks the parameters by layer, and the one "bias" at the end is a spare that never
    # receives a gradient
    network = Layout.from_sizes([n, 1]).network(["identity"], [0.0], "mse")
    theta = np.zeros(n + 1)
    theta[:n] = x
    state = OptimizerState.fresh(config.optimizer, n + 1, np.float64)
    rule = config.rule()
    g = np.zeros(n + 1)
    lookahead = np.zeros(n + 1)
    path, values, norms = [x.copy()], [value(x)], []
    if not np.isfinite(values[0]):
        raise ValueError(f"f(x0) is {values[0]}: f must be finite at the starting point")
    converged = False
    for t in range(1, steps + 1):
        current = slope(theta[:n])
        norms.append(float(np.linalg.norm(current)))
        if tol is not None and norms[-1] <= tol:
            converged = True
            break
        if rule.optimizer == NESTEROV:  # the gradient at the look-ahead point theta - gamma v
            inplace_lookahead(theta, state.slots[0], rule.momentum, lookahead)
            current = slope(lookahead[:n])
        g[:n] = current
        finite, _ = inplace_update(theta, g, state.slots, network, rule, NO_CLIP, None, t,
                                   np.zeros(1), True if RULES[config.optimizer].moments else None)
        path.append(theta[:n].copy())
        values.append(value(theta[:n]))
        if not finite or not np.isfinite(values[-1]):
            raise FloatingPointError(f"step {t} made x or f(x) NaN or inf (step size "
                                     f"{learning_rate:g}): lower learning_rate")
    else:
        norms.append(float(np.linalg.norm(slope(theta[:n]))))
        if tol is not None and norms[-1] <= tol:
            converged = True
    iterates = np.array(path)
    if scalar:
        iterates = iterates[:, 0]
    return MinimizeResult(float(iterates[-1]) if scalar else iterates[-1].copy(), iterates,
                          np.array(values), np.array(norms), converged, len(iterates) - 1)


def _steps(x: np.ndarray, power: float) -> np.ndarray:
    """Central-difference steps for float64: eps^power scaled to each coordinate's size
    (power 1/3 balances truncation and rounding for first derivatives, 1/4 for second)."""
    return np.finfo(np.float64).eps ** power * np.maximum(1.0, np.abs(x))


def _as_point(x, name: str = "x") -> tuple[np.ndarray, bool]:
    """``x`` as a float64 vector, and whether it was a number; refuses strings (which
    NumPy would parse), empty, non-finite and higher-dimensional values by ``name``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a number or a 1-D array of numbers, got {x!r}")
    scalar = np.ndim(x) == 0
    try:
        a = np.atleast_1d(np.asarray(x, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or a 1-D array of numbers, got "
                        f"{x!r}") from None
    if np.asarray(x).dtype.kind in "USO" and not scalar and any(
            isinstance(v, (str, bytes)) for v in np.asarray(x, dtype=object).ravel()):
        raise TypeError(f"{name} must hold numbers, not strings: {x!r}")
    if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
        raise ValueError(f"{name} must be a finite number or a non-empty 1-D array, got {x!r}")
    return a, scalar


def gradient(f: Callable, x) -> float | np.ndarray:
    """grad f(x) by central differences, (f(x + h e_i) - f(x - h e_i)) / 2h, with h chosen
    for float64 (a float when x is one)."""
    a, scalar = _as_point(x)
    h = _steps(a, 1 / 3)
    g = np.empty_like(a)

    def call(v):
        return _finite_value(f, v, scalar)

    for i in range(a.size):
        up, down = a.copy(), a.copy()
        up[i] += h[i]
        down[i] -= h[i]
        g[i] = (call(up) - call(down)) / (up[i] - down[i])
    return float(g[0]) if scalar else g


def hessian(f: Callable, x) -> np.ndarray:
    """The Hessian of f at x, (n, n), by central second differences with h chosen for
    float64; symmetric by construction."""
    a, scalar = _as_point(x)
    h = _steps(a, 1 / 4)
    n = a.size

    def call(v):
        return _finite_value(f, v, scalar)

    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            total = 0.0
            for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                v = a.copy()
                v[i] += si * h[i]
                v[j] += sj * h[j]
                total += sign * call(v)
            H[i, j] = H[j, i] = total / (4 * h[i] * h[j])
    return H


def classify_stationary_point(f: Callable, x, grad_tol: float = 1e-5,
                              eig_tol: float = 1e-4) -> str:
    """What kind of stationary point x is, from the eigenvalues of the Hessian.

    Returns "minimum" (every eigenvalue > eig_tol), "maximum" (every one < -eig_tol),
    "saddle" (eigenvalues of both signs beyond eig_tol), or "degenerate" (an eigenvalue
    within eig_tol of zero and no saddle: the second derivative cannot decide, higher ones
    are needed -- x^3 and x^4 at 0). Raises ValueError when ``|grad f(x)| > grad_tol``: x is not
    stationary.
    """
    grad_tol = check.non_negative_number(grad_tol, "grad_tol")
    eig_tol = check.non_negative_number(eig_tol, "eig_tol")
    g = np.atleast_1d(gradient(f, x))  # f finite at x and around it, or a ValueError
    if np.linalg.norm(g) > grad_tol:
        raise ValueError(f"x is not a stationary point: |grad f(x)| = "
                         f"{np.linalg.norm(g):.3g} > grad_tol = {grad_tol:g}")
    eigenvalues = np.linalg.eigvalsh(hessian(f, x))
    if eigenvalues.min() < -eig_tol and eigenvalues.max() > eig_tol:
        return "saddle"
    if eigenvalues.min() > eig_tol:
        return "minimum"
    if eigenvalues.max() < -eig_tol:
        return "maximum"
    return "degenerate"


@dataclass
class ConvexityResult:
    """What :func:`is_convex` found.

    Attributes
    ----------
    convex : bool
        No chord of the ``pairs`` checked fell below f. (Sampling can refute convexity,
        never prove it.)
    counterexample : tuple (a, b, t) or None
        Points a, b and t in (0, 1) with f(t a + (1 - t) b) > t f(a) + (1 - t) f(b).
    pairs : int
        Chords checked.
    """

    convex: bool
    counterexample: tuple | None
    pairs: int

    def __bool__(self) -> bool:
        return self.convex


def is_convex(f: Callable, lower, upper, pairs: int = 2000, seed=0,
              rtol: float = 1e-9) -> ConvexityResult:
    """Check the notes' definition on the box [lower, upper]: f is convex if all its chords
    lie above it, f(t a + (1 - t) b) <= t f(a) + (1 - t) f(b) -- tested on ``pairs`` random
    chords (a, b in the box, t in (0, 1)), allowing rounding of ``rtol`` relative."""
    lo, scalar = _as_point(lower, "lower")
    hi, _ = _as_point(upper, "upper")
    if lo.shape != hi.shape or not (lo < hi).all():
        raise ValueError("lower and upper must have the same shape with lower < upper")
    pairs = check.positive_int(pairs, "pairs")
    rtol = check.non_negative_number(rtol, "rtol")
    rng = check.random_generator(seed, "seed")

    def call(v):  # NaN would compare False and pass every chord
        return _finite_value(f, v, scalar)

    for _ in range(pairs):
        a, b = rng.uniform(lo, hi), rng.uniform(lo, hi)
        t = rng.uniform(0.0, 1.0)
        chord = t * call(a) + (1 - t) * call(b)
        if call(t * a + (1 - t) * b) > chord + rtol * max(1.0, abs(chord)):
            point = (lambda v: float(v[0])) if scalar else (lambda v: v)
            return ConvexityResult(False, (point(a), point(b), float(t)), pairs)
    return ConvexityResult(True, None, pairs)
