"""The network as ONNX nodes: dense layers, every fastmlp activation, and the class-label
lookup -- functions that add nodes to a :class:`~fastmlp.export.graph.Graph` and return the
name of the value they produce.

onnxruntime implements ``Atan``, ``Softsign`` and ``Elu`` for float32 only, takes the
``alpha`` of ``LeakyRelu`` and ``Elu`` as a float32 attribute, and computes ``Sigmoid`` and
``Elu`` to an absolute, not relative, accuracy (float32 ``Sigmoid(-17.5)`` is off by a factor
of 4, ``Elu(-1e-6)`` by 3%). These activations are therefore built from operators it
computes to a relative accuracy in both dtypes:

- ``sigmoid``: 1 / (1 + e^-z), fastmlp's formula.
- ``elu``: for z <= 0, alpha (e^z - 1) as 2 alpha t / (1 - t) with t = tanh(z / 2) -- an
  identity free of the cancellation of e^z - 1 near 0 (1 - t >= 1 there), so it keeps
  ``expm1``'s relative accuracy (within 5e-16 over [-316, 0] in float64).
- ``leaky_relu`` in float64: z if z > 0 else s z, with s a float64 constant.
- ``softsign`` in float64: z / (1 + |z|), fastmlp's own formula.
- ``arctan`` in float64: float32 ``Atan`` as a start, then two Newton steps on sin y - z cos y = 0,
  y <- y - (sin y - z cos y) / (cos y + z sin y), each of which squares the relative
  error (1e-7 -> 1e-14 -> rounding), for any z including |z| beyond float32's range.

``step`` is exported too: a comparison (z >= 0) cast to the network's dtype.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import TensorProto

from .graph import Graph

#: Activations with an operator of the same meaning in every dtype onnxruntime runs.
_DIRECT = {"tanh": "Tanh", "relu": "Relu", "exp": "Exp"}
#: fastmlp's hidden and output activations (plus scikit-learn's Poisson output, "exp").
ACTIVATIONS = ("identity", "sigmoid", "logistic", "tanh", "arctan", "softsign", "relu",
               "leaky_relu", "elu", "step", "softmax", "exp")


def scalar(g: Graph, hint: str, value: float, dtype) -> str:
    """A constant scalar of ``dtype`` (broadcast against a tensor by the operators)."""
    return g.constant(hint, np.array(value, dtype=dtype))


def activation(g: Graph, name: str, param: float, z: str, dtype) -> str:
    """Nodes computing activation ``name`` of the pre-activations ``z`` (n, units).

    Parameters
    ----------
    g : Graph
    name : str
        One of :data:`ACTIVATIONS`.
    param : float
        The leaky-ReLU slope or the ELU alpha (ignored by the others).
    z : str
        The pre-activations' value name.
    dtype : float32 or float64
        The graph's floating type.

    Returns
    -------
    str
        The activations' value name (``z`` itself for identity).
    """
    dtype = np.dtype(dtype)
    single = dtype == np.float32
    if name == "identity":
        return z
    if name in _DIRECT:
        return g.node(_DIRECT[name], [z], name)
    if name == "softmax":
        return g.node("Softmax", [z], "softmax", axis=1)
    if name in ("sigmoid", "logistic"):
        exp = g.node("Exp", [g.node("Neg", [z], "sigmoid_neg")], "sigmoid_exp")
        denominator = g.node("Add", [exp, scalar(g, "one", 1.0, dtype)], "sigmoid_den")
        return g.node("Reciprocal", [denominator], "sigmoid")
    if name == "leaky_relu":
        if single:
            return g.node("LeakyRelu", [z], "leaky_relu", alpha=float(param))
        sloped = g.node("Mul", [z, scalar(g, "slope", param, dtype)], "leaky_relu_neg")
        positive = g.node("Greater", [z, scalar(g, "zero", 0.0, dtype)], "leaky_relu_pos")
        return g.node("Where", [positive, z, sloped], "leaky_relu")
    if name == "step":
        at_least_zero = g.node("GreaterOrEqual", [z, scalar(g, "zero", 0.0, dtype)], "step_ge")
        return g.node("Cast", [at_least_zero], "step", to=_float_type(dtype))
    if name == "softsign":
        if single:
            return g.node("Softsign", [z], "softsign")
        denominator = g.node("Add", [g.node("Abs", [z], "softsign_abs"),
                                     scalar(g, "one", 1.0, dtype)], "softsign_den")
        return g.node("Div", [z, denominator], "softsign")
    if name == "elu":
        return _elu(g, float(param), z, dtype)
    if name == "arctan":
        if single:
            return g.node("Atan", [z], "arctan")
        return _arctan64(g, z)
    raise ValueError(f"no ONNX export for the activation {name!r}; exportable: "
                     f"{', '.join(ACTIVATIONS)}")


def _elu(g: Graph, alpha: float, z: str, dtype) -> str:
    half = g.node("Mul", [z, scalar(g, "half", 0.5, dtype)], "elu_half")
    t = g.node("Tanh", [half], "elu_tanh")
    scaled = g.node("Mul", [t, scalar(g, "two_alpha", 2.0 * alpha, dtype)], "elu_num")
    denominator = g.node("Sub", [scalar(g, "one", 1.0, dtype), t], "elu_den")
    negative = g.node("Div", [scaled, denominator], "elu_negative")
    positive = g.node("Greater", [z, scalar(g, "zero", 0.0, dtype)], "elu_positive")
    # Where evaluates both branches: for large z the negative one is inf, never selected
    return g.node("Where", [positive, z, negative], "elu")


def _arctan64(g: Graph, z: str) -> str:
    start = g.node("Atan", [g.node("Cast", [z], "atan_z32", to=TensorProto.FLOAT)], "atan32")
    y = g.node("Cast", [start], "atan_y", to=TensorProto.DOUBLE)
    for _ in range(2):
        sin, cos = g.node("Sin", [y], "atan_sin"), g.node("Cos", [y], "atan_cos")
        residual = g.node("Sub", [sin, g.node("Mul", [z, cos], "atan_zcos")], "atan_res")
        slope = g.node("Add", [cos, g.node("Mul", [z, sin], "atan_zsin")], "atan_slope")
        y = g.node("Sub", [y, g.node("Div", [residual, slope], "atan_step")], "atan_y")
    return y


def dense_stack(g: Graph, x: str, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                activations: Sequence[str], params: Sequence[float], dtype) -> str:
    """The forward pass a^(l) = f_l(a^(l-1) W^(l) + b^(l)) from ``x`` (n, n_in): one
    ``Gemm`` per layer, then its activation; parameters stored in ``dtype``."""
    a = x
    for l, (W, b, name, param) in enumerate(zip(weights, biases, activations, params),
                                            start=1):
        z = g.node("Gemm", [a, g.constant(f"W{l}", np.asarray(W, dtype)),
                            g.constant(f"b{l}", np.asarray(b, dtype))], f"z{l}")
        a = activation(g, name, param, z, dtype)
    return a


def argmax_labels(g: Graph, proba: str, classes: np.ndarray | None, out: str) -> str:
    """``classes[argmax(proba, axis=1)]`` (the first maximum, as NumPy), or the index when
    ``classes`` is None, as the value ``out`` (n,)."""
    index = g.node("ArgMax", [proba], "argmax", axis=1, keepdims=0)
    if classes is None:
        return g.node("Identity", [index], "label", out=out)
    return g.node("Gather", [g.constant("classes", classes), index], "label", out=out, axis=0)


def _float_type(dtype) -> int:
    return TensorProto.FLOAT if np.dtype(dtype) == np.float32 else TensorProto.DOUBLE
