"""Preprocessing as ONNX nodes: what the command line does to a table's columns before its
network sees them, so an exported graph takes the raw columns.

Two model-file formats, two input signatures:

- ``fastmlp-cli-2`` (:class:`fastmlp.preprocessing.Preprocessor`): :func:`table_features`
  declares one input per feature column, named after it, shape (N, 1) -- numeric columns
  as ``tensor(double)`` (NaN for a missing cell), categorical columns as ``tensor(string)``
  -- and rebuilds the preprocessor's three output blocks: numeric columns imputed and
  standardized, 0/1 missing indicators, one-hot blocks.
- ``fastmlp-cli-1`` (numeric columns standardized only): :func:`cli_features` declares one
  input ``X`` (N, n_features) of the graph's dtype, as exporters of that format always did.

A numeric step is a function ``step(g, x, dtype) -> str``: it adds nodes to the graph ``g``
that turn the value ``x`` (n, d) into the next one and returns that value's name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from onnx import TensorProto

from .graph import Graph, GraphBuilder, onnx_type

#: What an encoded categorical cell is when it is missing (categories get 0..K-1, a category
#: not seen in training -1).
_MISSING_CODE = -2
_DOUBLE = TensorProto.DOUBLE

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


def impute(fill) -> Step:
    """The step ``where(isnan(x), fill, x)``, column by column (the median of the training
    rows for a missing cell)."""
    fill = np.asarray(fill, dtype=np.float64)
    if fill.ndim != 1 or not np.isfinite(fill).all():
        raise ValueError("the imputation needs one finite fill value per numeric column")

    def step(g: Graph, x: str, dtype: np.dtype) -> str:
        missing = g.node("IsNaN", [x], "missing")
        return g.node("Where", [missing, g.constant("fill", fill.astype(dtype)), x], "imputed")

    return step


def table_features(g: GraphBuilder, prep, dtype) -> str:
    """Declare the inputs of a ``fastmlp-cli-2`` model's graph and add its preprocessing;
    returns the network's input (N, ``prep.n_outputs``) in ``dtype``.

    Parameters
    ----------
    g : GraphBuilder
    prep : fastmlp.preprocessing.Preprocessor
        The model's fitted preprocessing.
    dtype : float32 or float64
        The network's floating type: the preprocessing runs in float64 (as
        :meth:`Preprocessor.transform` does) and its result is cast to ``dtype``.

    Notes
    -----
    The inputs, in the order of ``prep.input_names``, each (N, 1) and named after its
    column: numeric columns ``tensor(double)``, NaN for a missing cell; categorical columns
    ``tensor(string)``, a cell in ``prep.missing_markers`` (or a spelling of NaN) missing, a
    text among none of the training categories encoded as zeros. Cells are compared as they
    are: surrounding blanks are not stripped as the command line's reader strips them.
    """
    from ..cli.preprocessing import _NAN_TEXTS

    f64 = np.dtype(np.float64)
    numeric = {name: g.input(name, f64, [None, 1]) for name in prep.numeric}
    text = {c.name: g.input(c.name, np.str_, [None, 1]) for c in prep.categorical}
    blocks, missing = [], {}
    if numeric:
        x = (numeric[prep.numeric[0]] if len(numeric) == 1 else
             g.node("Concat", list(numeric.values()), "numeric", axis=1))
        for step in (impute(prep.fill), standardize(prep.mean, prep.scale)):
            x = step(g, x, f64)
        blocks.append(x)
    markers = list(dict.fromkeys([*prep.missing_markers, *sorted(_NAN_TEXTS)]))
    codes = {}
    for column in prep.categorical:
        codes[column.name] = _encode(g, text[column.name], column.categories, markers)
        missing[column.name] = g.node("Equal", [codes[column.name],
                                                g.constant("missing_code",
                                                           np.array(_MISSING_CODE, np.int64))],
                                      f"{column.name}_missing")
    if prep.indicators:
        flags = [missing[name] if name in missing else g.node("IsNaN", [numeric[name]],
                                                              f"{name}_missing")
                 for name in prep.indicators]
        as_floats = [g.node("Cast", [flag], "indicator", to=_DOUBLE) for flag in flags]
        blocks.append(as_floats[0] if len(as_floats) == 1 else
                      g.node("Concat", as_floats, "indicators", axis=1))
    for column in prep.categorical:
        fill = g.constant("fill_code", np.array(column.categories.index(column.fill),
                                                np.int64))
        filled = g.node("Where", [missing[column.name], fill, codes[column.name]],
                        f"{column.name}_filled")
        # (N, 1) against (1, K): a row's one is where its code meets its category's index;
        # an unknown category's -1 meets none
        index = g.constant("category_index",
                           np.arange(len(column.categories), dtype=np.int64)[None, :])
        hot = g.node("Equal", [filled, index], f"{column.name}_onehot")
        blocks.append(g.node("Cast", [hot], f"{column.name}_onehot", to=_DOUBLE))
    if not blocks:
        raise ValueError("the preprocessing has no input columns to export")
    x = blocks[0] if len(blocks) == 1 else g.node("Concat", blocks, "inputs", axis=1)
    if np.dtype(dtype) != f64:
        x = g.node("Cast", [x], "inputs", to=int(onnx_type(dtype)))
    return x


def _encode(g: GraphBuilder, cells: str, categories: list, markers: list) -> str:
    """Each cell's category index (0..K-1), ``_MISSING_CODE`` for a missing-value marker
    (checked first, as :meth:`Preprocessor.transform` does), -1 for anything else: one
    ``LabelEncoder`` of ai.onnx.ml (ONNX's ``Equal`` takes strings only from opset 19)."""
    marked = set(markers)
    keys = [*markers, *(c for c in categories if c not in marked)]
    values = [_MISSING_CODE] * len(markers) + [categories.index(c) for c in categories
                                               if c not in marked]
    return g.node("LabelEncoder", [cells], "code", domain="ai.onnx.ml", keys_strings=keys,
                  values_int64s=values, default_int64=-1)
