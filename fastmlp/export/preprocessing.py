"""Preprocessing as ONNX nodes: what the command line does to a table's columns before its
network sees them, so an exported graph takes the raw columns.

:func:`cli_features` declares the graph's inputs and returns the value the network takes.
A step is a function ``step(g, x, dtype) -> str``: it adds nodes to the graph ``g`` that
turn the value ``x`` (n, d) into the next one and returns that value's name;
:func:`cli_steps` lists a command-line model's steps, in order, from its metadata. A new
kind of numeric preprocessing (an imputer: ``Where(IsNaN(x), fill, x)``) is one more step
factory and one more entry in :func:`cli_steps`; columns of another type (categories as
strings) are one more input in :func:`cli_features` with a step of their own (one-hot:
``Equal`` against the categories, ``Cast``), concatenated with the numeric block in the
order the network's inputs follow.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .graph import Graph, GraphBuilder

#: ``step(g, x, dtype) -> name of the transformed value``.
Step = Callable[[Graph, str, np.dtype], str]


def standardize(mean, scale) -> Step:
    """The step (x - mean) / scale, column by column (the command line's input scaling,
    in its order of operations so the values agree to the last bit in float64)."""
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    if mean.ndim != 1 or mean.shape != scale.shape:
        raise ValueError(f"the input scaling needs one mean and one scale per feature, got "
                         f"shapes {mean.shape} and {scale.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale != 0).all()):
        raise ValueError("the input scaling holds NaN, inf or a zero scale")

    def step(g: Graph, x: str, dtype: np.dtype) -> str:
        centred = g.node("Sub", [x, g.constant("x_mean", mean.astype(dtype))], "centred")
        return g.node("Div", [centred, g.constant("x_scale", scale.astype(dtype))], "scaled")

    return step


def cli_steps(metadata: dict) -> list[Step]:
    """The preprocessing of a model written by ``fastmlp train``, from its metadata, in the
    order it applies to the raw feature columns (today: the standardization)."""
    try:
        return [standardize(metadata["x_mean"], metadata["x_scale"])]
    except KeyError as error:
        raise ValueError(f"the model's metadata has no {error.args[0]!r}: it does not "
                         "describe the command line's input scaling") from None


def cli_features(g: GraphBuilder, metadata: dict, n_inputs: int, dtype) -> str:
    """Declare the inputs of a command-line model's graph -- ``X`` (N, n_features), the raw
    feature columns in the order of ``metadata["features"]`` -- and add its preprocessing;
    returns the value the network takes (N, ``n_inputs``)."""
    features = metadata.get("features")
    if not isinstance(features, list) or len(features) != n_inputs:
        raise ValueError(f"the model's metadata names {features!r} as features but the "
                         f"network takes {n_inputs} inputs")
    x = g.input("X", dtype, [None, len(features)])
    for step in cli_steps(metadata):
        x = step(g, x, np.dtype(dtype))
    return x
