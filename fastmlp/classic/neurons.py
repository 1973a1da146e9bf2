"""McCulloch-Pitts units, networks of them, and Rosenblatt's perceptron: the names
:mod:`fastmlp.classic` exports (its docstring states the rules they follow)."""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import _validation as check
from ..history import DivergenceError
from ..kernels.perceptron import perceptron_epoch

#: Inputs up to which a truth table that lacks some inputs is told the first one missing.
MAX_LISTED_INPUTS = 16

__all__ = ["McCullochPitts", "AND", "OR", "NOR", "NOT", "MPNetwork", "boolean_network",
           "Perceptron", "PerceptronResult"]


def _binary_rows(x, name: str = "x") -> tuple[np.ndarray, bool]:
    """``x`` as a 2-D int array of 0/1 rows, and whether it was a single input vector."""
    a = np.asarray(x)
    if a.dtype == bool:
        a = a.astype(np.int64)
    if a.ndim == 0:  # one input given as a number: NOT()(1)
        a = a.reshape(1)
    if a.ndim not in (1, 2) or a.shape[0] == 0:
        raise ValueError(f"{name} must be a vector of 0/1 inputs or a 2-D array of such rows, "
                         f"got shape {a.shape}")
    if not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must hold binary inputs (0 or 1, or booleans)")
    single = a.ndim == 1
    return a.reshape(1, -1).astype(np.int64) if single else a.astype(np.int64), single


class McCullochPitts:
    """A McCulloch-Pitts unit.

    Calling the unit on a vector of 0/1 inputs returns 0 or 1; on a 2-D array of rows, an
    array of outputs.

    Parameters
    ----------
    threshold : int >= 0
        theta: the unit fires when the sum of its inputs is at least theta.
    inhibitory : sequence of int
        Positions of the inhibitory inputs: any of them on forces the output to 0.
    n_inputs : int or None
        The unit's arity: calling it on another number of inputs is a ValueError. None
        accepts any number (at least the inhibitory positions).
    """

    def __init__(self, threshold: int, inhibitory: Sequence[int] = (),
                 n_inputs: int | None = None):
        if (isinstance(threshold, bool) or not isinstance(threshold, numbers.Integral)
                or threshold < 0):
            raise ValueError(f"threshold must be a non-negative integer, got {threshold!r}")
        inhibitory = tuple(inhibitory)
        if not all(isinstance(i, numbers.Integral) and not isinstance(i, bool) and i >= 0
                   for i in inhibitory):
            raise ValueError(f"inhibitory must hold input positions (integers >= 0), got "
                             f"{inhibitory!r}")
        self.threshold: int = int(threshold)
        self.inhibitory: tuple[int, ...] = tuple(sorted(set(int(i) for i in inhibitory)))
        self.n_inputs: int | None = check.positive_int(n_inputs, "n_inputs", allow_none=True)
        if self.n_inputs is not None and self.inhibitory and self.inhibitory[-1] >= self.n_inputs:
            raise ValueError(f"inhibitory position {self.inhibitory[-1]} is beyond the unit's "
                             f"{self.n_inputs} inputs")

    def __call__(self, x):
        rows, single = _binary_rows(x)
        n = rows.shape[1]
        if self.n_inputs is not None and n != self.n_inputs:
            raise ValueError(f"the unit has {self.n_inputs} input(s), got {n}")
        if self.inhibitory and self.inhibitory[-1] >= n:
            raise ValueError(f"the unit has an inhibitory input at position "
                             f"{self.inhibitory[-1]} but got {n} inputs")
        excitatory = np.ones(n, bool)
        excitatory[list(self.inhibitory)] = False
        blocked = rows[:, ~excitatory].any(axis=1)
        fires = rows[:, excitatory].sum(axis=1) >= self.threshold
        out = (fires & ~blocked).astype(np.int64)
        return int(out[0]) if single else out

    def __repr__(self) -> str:
        inhibitory = f", inhibitory={self.inhibitory}" if self.inhibitory else ""
        arity = f", n_inputs={self.n_inputs}" if self.n_inputs is not None else ""
        return f"McCullochPitts(threshold={self.threshold}{inhibitory}{arity})"


def AND(n: int = 2) -> McCullochPitts:
    """n excitatory inputs, threshold n: 1 only when every input is on."""
    n = check.positive_int(n, "n")
    return McCullochPitts(n, n_inputs=n)


def OR(n: int = 2) -> McCullochPitts:
    """n excitatory inputs, threshold 1: 1 when any input is on."""
    return McCullochPitts(1, n_inputs=check.positive_int(n, "n"))


def NOR(n: int = 2) -> McCullochPitts:
    """n inhibitory inputs, threshold 0: 1 only when every input is off."""
    n = check.positive_int(n, "n")
    return McCullochPitts(0, inhibitory=range(n), n_inputs=n)


def NOT() -> McCullochPitts:
    """One inhibitory input, threshold 0."""
    return McCullochPitts(0, inhibitory=(0,), n_inputs=1)


class MPNetwork:
    """A feed-forward network of McCulloch-Pitts units.

    Calling the network returns the last layer's outputs: one value (or, on a 2-D array of
    rows, one array) when that layer has one unit, else a tuple (or a 2-D array).

    Parameters
    ----------
    layers : sequence of layers
        Each layer is a sequence of ``(unit, inputs)`` pairs: ``unit`` reads the outputs at
        positions ``inputs`` of the layer before (the network's inputs for the first layer).
    n_inputs : int
        Inputs of the network.
    """

    def __init__(self, layers, n_inputs: int):
        self.n_inputs = check.positive_int(n_inputs, "n_inputs")
        width = self.n_inputs
        checked = []
        for depth, layer in enumerate(layers, start=1):
            layer = [(unit, tuple(int(i) for i in inputs)) for unit, inputs in layer]
            if not layer:
                raise ValueError(f"layer {depth} has no units")
            for unit, inputs in layer:
                if not isinstance(unit, McCullochPitts):
                    raise TypeError(f"layer {depth} holds {unit!r}, not a McCullochPitts unit")
                if any(i < 0 or i >= width for i in inputs):
                    raise ValueError(f"a unit of layer {depth} reads inputs {inputs}, but the "
                                     f"layer before has {width} outputs")
                if unit.n_inputs is not None and len(inputs) != unit.n_inputs:
                    raise ValueError(f"a unit of layer {depth} has {unit.n_inputs} input(s) "
                                     f"but is wired to {len(inputs)}: {inputs}")
            checked.append(layer)
            width = len(layer)
        if not checked:
            raise ValueError("an MPNetwork needs at least one layer")
        self.layers = checked

    def __call__(self, x):
        rows, single = _binary_rows(x)
        if rows.shape[1] != self.n_inputs:
            raise ValueError(f"the network has {self.n_inputs} inputs, got {rows.shape[1]}")
        values = rows
        for layer in self.layers:
            values = np.column_stack([
                unit(values[:, list(inputs)]) if inputs else
                unit(np.zeros((values.shape[0], 0), np.int64)) for unit, inputs in layer])
        if single:
            out = tuple(int(v) for v in values[0])
            return out[0] if len(out) == 1 else out
        return values[:, 0] if values.shape[1] == 1 else values

    def __repr__(self) -> str:
        return (f"MPNetwork({self.n_inputs} inputs, layers of "
                f"{[len(layer) for layer in self.layers]} units)")


def boolean_network(truth_table: dict) -> MPNetwork:
    """A two-layer McCulloch-Pitts network computing the Boolean function in ``truth_table``
    (every input tuple of 0/1 mapped to 0 or 1) -- the notes' "feedforward MP networks can
    compute any Boolean function", XOR included.

    The construction is the disjunctive normal form: one hidden unit per input pattern that
    maps to 1, firing on exactly that pattern (its 1s excitatory with the threshold their
    count, its 0s inhibitory), and an OR unit over them (threshold 1: with no such pattern,
    the constant 0).
    """
    if not isinstance(truth_table, dict) or not truth_table:
        raise ValueError("truth_table must be a non-empty dict {input tuple: 0 or 1}")
    patterns = [tuple(k) if isinstance(k, (tuple, list)) else (k,) for k in truth_table]
    n = len(patterns[0])
    for key, value in zip(patterns, truth_table.values()):
        if len(key) != n or not all(b in (0, 1) for b in key):
            raise ValueError(f"truth_table key {key!r} is not a tuple of {n} binary inputs")
        if value not in (0, 1):
            raise ValueError(f"truth_table[{key!r}] must be 0 or 1, got {value!r}")
    # by size first: listing the 2^n inputs of a 24-input key would take gigabytes
    distinct = set(patterns)
    if len(distinct) != 2 ** n:
        detail = ""
        if n <= MAX_LISTED_INPUTS:
            missing = sorted(set(itertools.product((0, 1), repeat=n)) - distinct)
            detail = f"; missing {missing[0]!r}" + (
                f" and {len(missing) - 1} more" if len(missing) > 1 else "")
        raise ValueError(f"truth_table must give all {2 ** n} inputs (2^{n}, for its "
                         f"{n}-input keys), got {len(distinct)}{detail}")
    ones = [p for p, value in zip(patterns, truth_table.values()) if value == 1]
    minterms = [(McCullochPitts(sum(p), inhibitory=[i for i, b in enumerate(p) if b == 0],
                                n_inputs=n), range(n)) for p in ones]
    if not minterms:  # the constant 0: one unit that can never fire
        minterms = [(McCullochPitts(n + 1, n_inputs=n), range(n))]
    return MPNetwork([minterms, [(OR(len(minterms)), range(len(minterms)))]], n)


@dataclass
class PerceptronResult:
    """What :meth:`Perceptron.fit` reports.

    Attributes
    ----------
    converged : bool
        An epoch went by without a misclassified row (the weights separate the data).
    epochs : int
        Epochs run, the clean one included when converged.
    errors : list of int
        Misclassified rows in each epoch.
    """

    converged: bool
    epochs: int
    errors: list


class Perceptron:
    """Rosenblatt's perceptron with the notes' convention: weights w_0..w_n, w_0 = -theta on
    the constant input x_0 = 1, output 1 if w . x >= 0 else 0.

    Parameters
    ----------
    n_inputs : int
        Inputs x_1..x_n.

    Attributes
    ----------
    weights : ndarray (n_inputs + 1,)
        w_0 first; zero until fitted.
    """

    def __init__(self, n_inputs: int):
        self.n_inputs = check.positive_int(n_inputs, "n_inputs")
        self.weights = np.zeros(self.n_inputs + 1)

    def fit(self, X, y, max_epochs: int = 100, learning_rate: float = 1.0,
            shuffle: bool = False, seed=None) -> PerceptronResult:
        """Apply the perceptron rule epoch by epoch, from the current weights, until an
        epoch has no misclassified row or ``max_epochs`` have run. Each epoch runs in
        compiled code (:func:`fastmlp.kernels.perceptron.perceptron_epoch`).

        Parameters
        ----------
        X : array-like (n, n_inputs) of real inputs
        y : array-like (n,) of targets 0 / 1 (or booleans)
        max_epochs : int >= 1
        learning_rate : float > 0
            eta.
        shuffle : bool
            Visit the rows in a new random order each epoch (else in order).
        seed : int, Generator or None
            Seeds the shuffles.

        Returns
        -------
        PerceptronResult
            ``converged`` is False when ``max_epochs`` ran out -- always, for data that no
            line separates, such as XOR.

        Raises
        ------
        ValueError
            When ``weights`` hold NaN or inf (or have the wrong shape) before training.
        fastmlp.DivergenceError
            When an epoch made a weight NaN or inf (inputs near the float64 range with a
            large ``learning_rate``); the weights are first restored to those before that
            epoch. Its ``history`` is None (a perceptron records no loss).
        """
        X = check.as_features(X, self.n_inputs, np.dtype(np.float64))
        d = np.asarray(y)
        if d.dtype == bool:
            d = d.astype(np.float64)
        if d.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {d.shape}")
        if not np.isin(d, (0, 1)).all():
            raise ValueError("y must hold the classes 0 and 1 (or booleans)")
        d = np.ascontiguousarray(d, dtype=np.float64)
        max_epochs = check.positive_int(max_epochs, "max_epochs")
        eta = check.positive_number(learning_rate, "learning_rate")
        shuffle = check.flag(shuffle, "shuffle")
        rng = check.random_generator(seed, "seed")
        weights = self._checked_weights()
        order = np.arange(X.shape[0], dtype=np.int64)
        before = weights.copy()
        errors: list[int] = []
        for epoch in range(max_epochs):
            if shuffle:
                rng.shuffle(order)
            np.copyto(before, weights)
            mistakes = int(perceptron_epoch(X, d, order, weights, eta))
            if not np.isfinite(weights).all():
                np.copyto(weights, before)
                raise DivergenceError(
                    f"the perceptron diverged in epoch {epoch + 1}: a weight became NaN or inf "
                    f"(inputs up to {np.abs(X).max():.3g} with learning_rate {eta:g}); the "
                    "weights were restored to those before that epoch. Scale the inputs or "
                    "lower learning_rate", epoch, None)  # type: ignore[arg-type]
            errors.append(mistakes)
            if errors[-1] == 0:
                return PerceptronResult(True, len(errors), errors)
        return PerceptronResult(False, len(errors), errors)

    def _checked_weights(self) -> np.ndarray:
        """:attr:`weights` as the float64 vector the kernel updates in place, or a
        ValueError when they were set to something it cannot train from."""
        w = self.weights
        if (not isinstance(w, np.ndarray) or w.shape != (self.n_inputs + 1,)
                or w.dtype != np.float64 or not w.flags.c_contiguous):
            w = np.asarray(w)
            if w.dtype.kind not in "biuf" or w.shape != (self.n_inputs + 1,):
                raise ValueError(f"weights must be {self.n_inputs + 1} real numbers (w_0 "
                                 f"first), got {w.dtype} of shape {w.shape}")
            w = self.weights = np.ascontiguousarray(w, dtype=np.float64)
        if not np.isfinite(w).all():
            raise ValueError("the perceptron's weights hold NaN or inf; set finite weights "
                             "(or make a new Perceptron) before fitting or predicting")
        return w

    def decision_function(self, X) -> np.ndarray:
        """w_0 + sum_i w_i x_i for each row."""
        X = check.as_features(X, self.n_inputs, np.dtype(np.float64))
        weights = self._checked_weights()
        with np.errstate(over="ignore", invalid="ignore"):  # inputs near the float range
            return weights[0] + X @ weights[1:]  # give +-inf: still the right side

    def predict(self, X) -> np.ndarray:
        """1 where w . x >= 0, else 0 (int array)."""
        return (self.decision_function(X) >= 0).astype(np.int64)

    def __repr__(self) -> str:
        return f"Perceptron({self.n_inputs} inputs, weights={np.round(self.weights, 4)})"
