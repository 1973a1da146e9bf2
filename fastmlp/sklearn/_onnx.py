"""skl2onnx converters for :class:`~fastmlp.sklearn.MLPClassifier` and
:class:`~fastmlp.sklearn.MLPRegressor`, registered through skl2onnx's documented
``update_registered_converter`` (a shape calculator and a converter per class), so
``skl2onnx.to_onnx`` converts them alone or inside a Pipeline.

The outputs are those skl2onnx gives for scikit-learn's own MLPs: a classifier's ``label``
(int64 for numeric classes, strings otherwise; (N, K) int64 indicators for multilabel
targets) and ``probabilities`` (N, n_classes), a ZipMap of them unless ``zipmap=False``
(also ``zipmap="columns"`` and ``output_class_labels``, handled by skl2onnx's parser, and
``nocl=True``: the label is the class's index, int64 -- which skl2onnx's own MLP converter
gets wrong for string classes);
a regressor's ``variable`` (N, n_outputs). The graph computes what ``predict`` and
``predict_proba`` do -- every activation fastmlp offers ("arctan", "softsign",
"leaky_relu", "elu" too), the probabilities kept inside (0, 1) as ``predict_proba`` keeps
them, and an ``exp`` output (scikit-learn's ``loss="poisson"``) when the estimator's
``out_activation_`` says so -- in the floating type of the graph's input.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from sklearn.utils.validation import check_is_fitted

from ..export.graph import MIN_OPSET, onnx_type, tensor
from ..export.layers import argmax_labels, dense_stack, scalar
from ._base import _ACTIVATION_PARAMS
from ._estimators import MLPClassifier, MLPRegressor

_CLASSIFIER_ALIAS = "FastmlpMLPClassifier"
_REGRESSOR_ALIAS = "FastmlpMLPRegressor"


class _SklearnGraph:
    """The :class:`fastmlp.export.graph.Graph` interface over skl2onnx's scope (unique
    names) and container (nodes and initializers), so the converters share fastmlp's
    node-producing functions."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container

    def constant(self, hint: str, value: np.ndarray) -> str:
        name = self.scope.get_unique_variable_name(hint)
        value = np.asarray(value)
        if value.dtype.kind in "US":  # string tensors keep their values outside raw_data
            self.container.add_initializer(name, TensorProto.STRING, list(value.shape),
                                           [str(v).encode("utf-8") for v in value.ravel()])
        else:
            self.container.add_initializer(name, onnx_type(value.dtype), list(value.shape),
                                           tensor(name, value))
        return name

    def node(self, op_type: str, inputs: list[str], hint: str, out: str | None = None,
             **attrs) -> str:
        out = self.scope.get_unique_variable_name(hint) if out is None else out
        self.container.add_node(op_type, list(inputs), [out],
                                name=self.scope.get_unique_operator_name(op_type), **attrs)
        return out


def _graph_dtype(operator) -> np.dtype:
    """float64 for a double input, float32 otherwise (as skl2onnx's own MLP converters)."""
    from skl2onnx.common.data_types import DoubleTensorType

    return np.dtype(np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType)
                    else np.float32)


def _float_tensor_type(dtype):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    return DoubleTensorType if dtype == np.float64 else FloatTensorType


def _label_classes(model) -> np.ndarray:
    """``classes_`` as the label output holds them: int64 for numbers (and booleans),
    UTF-8 strings otherwise; fractional numbers cannot be labels of an int64 output."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        if not np.array_equal(classes, np.round(classes)):
            raise ValueError(f"classes_ {classes.tolist()} are fractional numbers: the label "
                             "output (int64, as skl2onnx's) cannot hold them; train on "
                             "integer or string labels")
        return classes.astype(np.int64)
    if all(isinstance(c, str) for c in classes.tolist()):
        return classes.astype(str)
    raise ValueError(f"classes_ of dtype {classes.dtype} are neither numbers nor strings: no "
                     "ONNX label output for them")


def _multilabel(model) -> bool:
    return model._label_binarizer.y_type_ == "multilabel-indicator"


def _no_class_labels(scope, model) -> bool:
    """skl2onnx's option ``nocl``: labels as class indices instead of ``classes_``."""
    return bool(scope.get_options(model, dict(nocl=False))["nocl"])


def _check_fitted(model):
    check_is_fitted(model, "coefs_", msg=f"This {type(model).__name__} instance is not fitted "
                    "yet: call 'fit' before converting it to ONNX.")
    return model


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx's own parser of classifiers (label, probabilities, and the ZipMap its options
    ask for) -- what ``update_registered_converter`` installs for a converter with a
    ``zipmap`` option -- after a check that the model is fitted: that parser reads
    ``classes_`` first, and would fail on an unfitted model with an obscure message."""
    from skl2onnx._parse import _parse_sklearn_classifier

    _check_fitted(model)
    return _parse_sklearn_classifier(scope, model, inputs, custom_parsers=custom_parsers)


def _classifier_shapes(operator) -> None:
    """skl2onnx's shape calculator: the label's and the probabilities' types and shapes."""
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    model = _check_fitted(operator.raw_operator)
    if len(operator.inputs) != 1 or len(operator.outputs) != 2:
        raise RuntimeError(f"{type(model).__name__} takes one input and gives a label and "
                           f"probabilities, got {len(operator.inputs)} input(s) and "
                           f"{len(operator.outputs)} output(s)")
    n = operator.inputs[0].get_first_dimension()
    classes = _label_classes(model)
    if _multilabel(model):
        operator.outputs[0].type = Int64TensorType([n, model.n_outputs_])
    elif classes.dtype.kind == "U" and not _no_class_labels(operator.scope_inst, model):
        operator.outputs[0].type = StringTensorType([n])
    else:
        operator.outputs[0].type = Int64TensorType([n])
    n_columns = model.n_outputs_ if model.n_outputs_ > 1 else 2
    operator.outputs[1].type = _float_tensor_type(_graph_dtype(operator))([n, n_columns])


def _regressor_shapes(operator) -> None:
    model = _check_fitted(operator.raw_operator)
    if len(operator.inputs) != 1 or len(operator.outputs) != 1:
        raise RuntimeError(f"{type(model).__name__} takes one input and gives one output")
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _float_tensor_type(_graph_dtype(operator))([n, model.n_outputs_])


def _forward(scope, operator, container):
    """The network's outputs (N, n_outputs_) in the graph's floating type."""
    opset = container.target_opset
    if opset is not None and opset < MIN_OPSET:
        raise RuntimeError(f"fastmlp's ONNX converters need target_opset >= {MIN_OPSET}, got "
                           f"{opset}")
    model = operator.raw_operator
    g = _SklearnGraph(scope, container)
    dtype = _graph_dtype(operator)
    x = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, _float_tensor_type(dtype)):  # int64, bool
        x = g.node("Cast", [x], "cast_input", to=onnx_type(dtype))
    activations = [model.activation] * (model.n_layers_ - 2) + [model.out_activation_]
    params = [_ACTIVATION_PARAMS.get(a, 0.0) for a in activations]
    return g, dtype, dense_stack(g, x, model.coefs_, model.intercepts_, activations, params,
                                 dtype)


def _convert_classifier(scope, operator, container) -> None:
    model = operator.raw_operator
    g, dtype, out = _forward(scope, operator, container)
    label, proba = operator.outputs[0].full_name, operator.outputs[1].full_name
    if model.out_activation_ == "logistic":
        # predict_proba keeps logistic probabilities inside (0, 1): clip, and the negative
        # class at most 1 - epsneg
        info = np.finfo(dtype)
        out = g.node("Clip", [out, scalar(g, "tiny", info.tiny, dtype),
                              scalar(g, "below_one", 1 - info.epsneg, dtype)], "clipped")
    if _multilabel(model):
        g.node("Identity", [out], "proba", out=proba)
        above = g.node("Greater", [out, scalar(g, "half", 0.5, dtype)], "above_half")
        g.node("Cast", [above], "label", out=label, to=TensorProto.INT64)
        return
    if model.n_outputs_ == 1:
        one = scalar(g, "one", 1.0, dtype)
        negative = g.node("Min", [g.node("Sub", [one, out], "one_minus"),
                                  scalar(g, "below_one", 1 - np.finfo(dtype).epsneg, dtype)],
                          "negative")
        g.node("Concat", [negative, out], "proba", out=proba, axis=1)
    else:
        g.node("Identity", [out], "proba", out=proba)
    classes = None if _no_class_labels(scope, model) else _label_classes(model)
    argmax_labels(g, proba, classes, label)


def _convert_regressor(scope, operator, container) -> None:
    g, _, out = _forward(scope, operator, container)
    g.node("Identity", [out], "variable", out=operator.outputs[0].full_name)


def register_onnx_converters() -> None:
    """Register fastmlp's estimators with skl2onnx (idempotent): afterwards
    ``skl2onnx.to_onnx(estimator_or_pipeline, X)`` converts them. Needs skl2onnx
    (``pip install fastmlp[onnx]``)."""
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError("converting fastmlp's estimators to ONNX needs skl2onnx: "
                          "pip install 'fastmlp[onnx]'") from error
    update_registered_converter(
        MLPClassifier, _CLASSIFIER_ALIAS, _classifier_shapes, _convert_classifier,
        parser=_parse_classifier,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True],
                 "output_class_labels": [False, True]})
    update_registered_converter(MLPRegressor, _REGRESSOR_ALIAS, _regressor_shapes,
                                _convert_regressor)
