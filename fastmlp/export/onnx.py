"""ONNX export of a :class:`fastmlp.MLP` and of a model written by ``fastmlp train``.

The graphs compute what fastmlp computes -- every layer, every activation, float32 or
float64 -- for any number of rows (the batch dimension ``N`` is dynamic), and a classifier's
graph also gives ``predict_proba`` and the class labels. Needs the ``onnx`` extra
(``pip install fastmlp[onnx]``); ``onnxruntime`` or any ONNX runtime runs the result.
"""

from __future__ import annotations

import json
import os

import numpy as np
import onnx

from .._files import write_atomically
from .graph import DEFAULT_OPSET, GraphBuilder
from .layers import argmax_labels, dense_stack, scalar
from .preprocessing import cli_features, table_features

#: The metadata key, and the value marking a model file of ``fastmlp train``'s first format
#: (numeric columns standardized, one input X); the current one is
#: :data:`fastmlp.table_model.FORMAT`.
CLI_FORMAT_KEY, CLI_FORMAT = "format", "fastmlp-cli-1"


def mlp_to_onnx(net, path=None, *, dtype=None, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """The ONNX model of ``net``'s prediction, written to ``path`` when given.

    Parameters
    ----------
    net : fastmlp.MLP
    path : str or os.PathLike, optional
        Where to save the model (atomically: a temporary file renamed over ``path``).
    dtype : {"float32", "float64"} or None
        The graph's floating type; None keeps the network's. float32 serves a float64
        network in single precision (its parameters rounded once).
    opset : int, default 17
        The ONNX opset (13 or newer).

    Returns
    -------
    onnx.ModelProto
        Input ``X`` (N, n_inputs) of ``dtype``. Outputs ``output`` (N, n_outputs):
        :meth:`fastmlp.MLP.predict`; for a classification loss also ``label`` -- the labels of
        :meth:`fastmlp.MLP.predict_classes` ((N,) of ``classes_``' type, int64 indices when it is
        unset; (N, K) int64 indicators for several sigmoid outputs) -- and
        ``probabilities``, :meth:`fastmlp.MLP.predict_proba` (N, n_classes).
    """
    dtype = _float_dtype(net.dtype if dtype is None else dtype)
    _check_finite(net)
    g = GraphBuilder(opset)
    x = g.input("X", dtype, [None, net.layer_sizes[0]])
    out = _network(g, net, x, dtype)
    n_out = net.layer_sizes[-1]
    g.output(g.node("Identity", [out], "output", out="output"), dtype, [None, n_out])
    if net.loss_name in ("cross_entropy", "binary_cross_entropy"):
        proba = _probabilities(g, out, n_out, dtype)
        if net.loss_name == "binary_cross_entropy" and n_out > 1:  # multilabel
            ge = g.node("GreaterOrEqual", [out, scalar(g, "half", 0.5, dtype)], "label_ge")
            g.output(g.node("Cast", [ge], "label", out="label", to=onnx.TensorProto.INT64),
                     np.int64, [None, n_out])
        else:
            classes = net.classes_
            argmax_labels(g, proba, classes, "label")
            g.output("label", np.int64 if classes is None else classes.dtype, [None])
        g.output(proba, dtype, [None, max(n_out, 2)])
    model = g.model("fastmlp_MLP", doc=repr(net), metadata=_metadata(net))
    if path is not None:
        save(model, path)
    return model


def cli_model_to_onnx(net, path=None, *, dtype=None,
                      opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """The ONNX model of a network written by ``fastmlp train``, its preprocessing included,
    so the graph takes the raw feature columns and answers what ``fastmlp predict`` does.

    Parameters
    ----------
    net : fastmlp.MLP
        Loaded from a model file of ``fastmlp train`` (its metadata holds the columns and
        their preprocessing and, for regression, the target's scaling).
    path, dtype, opset
        As in :func:`mlp_to_onnx`; ``dtype`` is the network's floating type.

    Returns
    -------
    onnx.ModelProto
        Inputs, for a model of the current format (``fastmlp-cli-2``): one per feature
        column, named after it, shape (N, 1) -- a numeric column ``tensor(double)`` with NaN
        for a missing cell, a categorical column ``tensor(string)`` (a cell in the model's
        missing-value markers, such as ``""``, is missing; a category not seen in training
        is encoded as zeros). The graph imputes, adds the missing indicators, standardizes
        and one-hot encodes as :class:`fastmlp.preprocessing.Preprocessor` does, in float64.
        For a file of the older format (``fastmlp-cli-1``, numeric columns only): one input
        ``X`` (N, n_features) of ``dtype``, the columns in the order of
        ``metadata_props["fastmlp.features"]``. Outputs for classification ``label`` (N,)
        -- the class labels -- and ``probabilities`` (N, n_classes), columns in the order of
        ``classes_`` (``fastmlp predict --proba``); for regression ``prediction`` (N,) in the
        target's units. The model's ``doc_string`` describes its inputs.

    Raises
    ------
    ValueError
        A network not written by ``fastmlp train``, damaged table metadata, or a feature
        column named like an output.
    """
    from ..cli.table_model import FORMAT, TableModel

    meta = net.metadata
    if not isinstance(meta, dict) or meta.get(CLI_FORMAT_KEY) not in (CLI_FORMAT, FORMAT):
        raise ValueError("this network was saved by MLP.save, not by 'fastmlp train': it has "
                         "no feature names and input scaling to export (use MLP.to_onnx)")
    try:
        table = TableModel.from_network(net)
    except (ValueError, TypeError) as error:
        raise ValueError(f"cannot export this model: {error}") from None
    dtype = _float_dtype(net.dtype if dtype is None else dtype)
    _check_finite(net)
    g = GraphBuilder(opset)
    outputs = (["label", "probabilities"] if table.task == "classification"
               else ["prediction"])
    if meta[CLI_FORMAT_KEY] == CLI_FORMAT:
        x = cli_features(g, meta, net.layer_sizes[0], dtype)
        features, doc = list(meta["features"]), _old_doc(meta["features"], dtype)
    else:
        clash = sorted(set(table.preprocessor.input_names) & set(outputs))
        if clash:
            raise ValueError(f"the feature column {clash[0]!r} has the name of one of the "
                             f"graph's outputs ({', '.join(outputs)}); rename it and train "
                             "again")
        x = table_features(g, table.preprocessor, dtype)
        features, doc = table.preprocessor.input_names, _table_doc(table.preprocessor, dtype)
    out = _network(g, net, x, dtype)
    if table.task == "classification":
        proba = _probabilities(g, out, net.layer_sizes[-1], dtype)
        g.output(argmax_labels(g, proba, net.classes_, "label"), net.classes_.dtype, [None])
        g.output(proba, dtype, [None, len(net.classes_)])
    else:
        column = g.node("Reshape", [out, g.constant("flat", np.array([-1], np.int64))],
                        "column")
        scaled = g.node("Mul", [column, scalar(g, "y_scale", table.y_scale, dtype)],
                        "y_scaled")
        g.output(g.node("Add", [scaled, scalar(g, "y_mean", table.y_mean, dtype)],
                        "prediction", out="prediction"), dtype, [None])
    props = {**_metadata(net), "fastmlp.features": json.dumps(features),
             "fastmlp.target": str(table.target), "fastmlp.task": table.task}
    if meta[CLI_FORMAT_KEY] == FORMAT:
        props["fastmlp.preprocessing"] = json.dumps(table.preprocessor.to_dict())
    model = g.model("fastmlp_cli_model", doc=f"{doc} {repr(net)}", metadata=props)
    if path is not None:
        save(model, path)
    return model


def describe_inputs(model: onnx.ModelProto) -> str:
    """The graph's inputs in one line, e.g. ``age (double), colour (string)``."""
    names = {onnx.TensorProto.DOUBLE: "double", onnx.TensorProto.FLOAT: "float",
             onnx.TensorProto.STRING: "string"}
    parts = []
    for value in model.graph.input:
        kind = value.type.tensor_type
        dims = [d.dim_param or str(d.dim_value) for d in kind.shape.dim]
        shape = "" if dims[1:] == ["1"] else f" ({', '.join(dims)})"
        parts.append(f"{value.name} ({names.get(kind.elem_type, kind.elem_type)}){shape}")
    return ", ".join(parts)


def _table_doc(prep, dtype) -> str:
    numeric = ", ".join(map(repr, prep.numeric)) or "none"
    text = ", ".join(repr(c.name) for c in prep.categorical) or "none"
    return (f"Inputs: one per feature column, named after it, shape (N, 1). Numeric columns "
            f"as tensor(double), NaN for a missing cell: {numeric}. Categorical columns as "
            f"tensor(string), exact texts (not stripped), a missing-value marker such as '' "
            f"imputed, an unseen category encoded as zeros: {text}. Missing indicators, "
            f"standardization and one-hot encoding run in float64 inside the graph "
            f"(metadata_props['fastmlp.preprocessing']); the network runs in {dtype}.")


def _old_doc(features, dtype) -> str:
    return (f"Input X (N, {len(features)}) of {dtype}: the feature columns "
            f"{', '.join(map(repr, features))}, standardized inside the graph.")


def save(model: onnx.ModelProto, path) -> str:
    """Write ``model`` to ``path`` atomically (see
    :func:`fastmlp._files.write_atomically`); returns the path."""
    data = model.SerializeToString()
    return write_atomically(os.fspath(path), lambda fh: fh.write(data))


def _network(g: GraphBuilder, net, x: str, dtype) -> str:
    return dense_stack(g, x, list(net.weights), list(net.biases), net.activations,
                       net.activation_params, dtype)


def _probabilities(g: GraphBuilder, out: str, n_out: int, dtype) -> str:
    """``MLP.predict_proba`` from the outputs: (1 - p, p) for one sigmoid output, else the
    outputs themselves."""
    if n_out > 1:
        return g.node("Identity", [out], "probabilities", out="probabilities")
    negative = g.node("Sub", [scalar(g, "one", 1.0, dtype), out], "negative")
    return g.node("Concat", [negative, out], "probabilities", out="probabilities", axis=1)


def _float_dtype(dtype) -> np.dtype:
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return np.dtype(result)


def _check_finite(net) -> None:
    if not np.isfinite(net.params).all():
        raise ValueError("the network's parameters hold NaN or inf; an exported graph would "
                         "only predict NaN, so nothing was exported")


def _metadata(net) -> dict:
    props = {"fastmlp.config": json.dumps(net.config())}
    if net.classes_ is not None:
        props["fastmlp.classes"] = json.dumps(net.classes_.tolist())
    return props
