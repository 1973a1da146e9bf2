"""Names -> integer codes, and the flat-vector layout shared by the API and the kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rules as _rules
from .kernels import activations as act
from .kernels import losses, optimizers
from .kernels.structs import Network

#: Activation names accepted by :class:`fastmlp.MLP` (``logistic`` is an alias of ``sigmoid``).
ACTIVATIONS = {
    "identity": act.IDENTITY,
    "sigmoid": act.SIGMOID,
    "logistic": act.SIGMOID,
    "tanh": act.TANH,
    "arctan": act.ARCTAN,
    "softsign": act.SOFTSIGN,
    "relu": act.RELU,
    "leaky_relu": act.LEAKY_RELU,
    "elu": act.ELU,
    "step": act.STEP,
}
#: ``softmax`` normalizes a whole row, and ``exp`` is the Poisson loss's link, so they are only
#: output activations.
OUTPUT_ACTIVATIONS = {**ACTIVATIONS, "softmax": act.SOFTMAX, "exp": act.EXP}

LOSSES = {
    "mse": losses.MSE,
    "half_mse": losses.HALF_MSE,
    "cross_entropy": losses.CROSS_ENTROPY,
    "binary_cross_entropy": losses.BINARY_CROSS_ENTROPY,
    "poisson": losses.POISSON,
}
#: Optimizer names -> codes: the registry of update rules (:mod:`fastmlp.rules`).
OPTIMIZERS = _rules.OPTIMIZERS
SCHEDULES = {
    "constant": optimizers.CONSTANT,
    "inverse": optimizers.INVERSE,
    "inverse_sqrt": optimizers.INVERSE_SQRT,
    "cosine": optimizers.COSINE,
    # constant within epochs; the epoch loop lowers the base step on a plateau
    "plateau": optimizers.CONSTANT,
}


def lookup(table: dict, name, argument: str) -> int:
    """Code of ``name`` in ``table``; a ValueError naming the argument and the choices if
    it is unknown."""
    if not isinstance(name, str) or name not in table:
        choices = ", ".join(repr(k) for k in table)
        raise ValueError(f"unknown {argument} {name!r}; choose one of {choices}")
    return table[name]


@dataclass(frozen=True)
class Layout:
    """Where each layer's weights, biases and activations sit in the flat arrays.

    Attributes
    ----------
    sizes : int64 array (L+1,)
        Units per layer, input first.
    w_off, b_off : int64 arrays (L,)
        Start of layer l+1's weights (n_in*n_out, row-major) and biases in ``params``.
    u_off : int64 array (L+2,)
        Cumulative unit counts: layer l's activations start at ``chunk * u_off[l]`` in a
        chunk buffer of ``chunk * u_off[-1]`` values.
    n_params : int
        Length of the flat parameter vector.
    """

    sizes: np.ndarray
    w_off: np.ndarray
    b_off: np.ndarray
    u_off: np.ndarray
    n_params: int

    @classmethod
    def from_sizes(cls, sizes) -> "Layout":
        sizes = np.asarray(sizes, dtype=np.int64)
        w_off, b_off = [], []
        offset = 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            w_off.append(offset)
            offset += int(n_in * n_out)
            b_off.append(offset)
            offset += int(n_out)
        u_off = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(sizes, np.array(w_off, np.int64), np.array(b_off, np.int64), u_off, offset)

    @property
    def n_layers(self) -> int:
        """Number of weight layers L."""
        return len(self.sizes) - 1

    def weight_slice(self, layer: int) -> slice:
        start = int(self.w_off[layer])
        return slice(start, start + int(self.sizes[layer] * self.sizes[layer + 1]))

    def bias_slice(self, layer: int) -> slice:
        start = int(self.b_off[layer])
        return slice(start, start + int(self.sizes[layer + 1]))

    def network(self, activations, activation_params, loss: str) -> Network:
        """The kernels' description of a network with this layout, the activation names of
        its weight layers (output last), their parameters and the loss name."""
        codes = np.array([OUTPUT_ACTIVATIONS[a] for a in activations], np.int64)
        return Network(self.sizes, self.w_off, self.b_off, self.u_off, codes,
                       np.array(activation_params, np.float64), int(LOSSES[loss]))

    def unflatten(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Views (W^(l) of shape (n_in, n_out), b^(l) of shape (n_out,)) into ``flat``."""
        weights = [
            flat[self.weight_slice(l)].reshape(int(self.sizes[l]), int(self.sizes[l + 1]))
            for l in range(self.n_layers)
        ]
        biases = [flat[self.bias_slice(l)] for l in range(self.n_layers)]
        return weights, biases
