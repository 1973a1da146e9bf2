"""Where exported nodes go: the small interface the layer and preprocessing functions write
to, and :class:`GraphBuilder`, which assembles a standalone ONNX model from them.

The same node-producing functions serve two hosts: a model of fastmlp's own
(:class:`GraphBuilder`) and skl2onnx's converter container (``fastmlp.sklearn._onnx``), so
each formula is written once.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: The opset of exported models: every operator used here exists in it, and onnxruntime has
#: run it since 1.13 (2022). Pass ``opset=`` for a newer one.
DEFAULT_OPSET = 17
#: Operators the exported graphs need at their current definitions (Softmax over one axis,
#: ArgMax, Clip with tensor bounds, Where, GreaterOrEqual).
MIN_OPSET = 13
#: The ``ai.onnx.ml`` opset declared by graphs that use its operators (``LabelEncoder`` with
#: string keys and int64 values, for categorical columns, is in it since version 2).
ML_OPSET = 2


class Graph(Protocol):
    """What node-producing functions need from the graph they extend."""

    def constant(self, hint: str, value: np.ndarray) -> str:
        """Add ``value`` as an initializer under a fresh name derived from ``hint``; return
        the name."""

    def node(self, op_type: str, inputs: list[str], hint: str, out: str | None = None,
             **attrs) -> str:
        """Add one node with a single output (named ``out``, or a fresh name from ``hint``);
        return the output's name."""


def onnx_type(dtype) -> int:
    """The ONNX element type of a NumPy dtype (strings are ``STRING``)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "US":
        return TensorProto.STRING
    return int(helper.np_dtype_to_tensor_dtype(dtype))


def tensor(name: str, value: np.ndarray) -> TensorProto:
    """``value`` as a TensorProto named ``name`` (string arrays as UTF-8 strings)."""
    value = np.asarray(value)
    if value.dtype.kind == "U":
        value = value.astype(object)
    return numpy_helper.from_array(value, name)


class GraphBuilder:
    """Collects nodes, initializers, inputs and outputs with unique names, then makes a
    :class:`onnx.ModelProto`.

    Parameters
    ----------
    opset : int
        The default-domain opset the model declares.
    """

    def __init__(self, opset: int = DEFAULT_OPSET):
        self.opset = check_opset(opset)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._names: set[str] = set()
        self._domains: set[str] = set()

    def _fresh(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._names:
            name, k = f"{hint}_{k}", k + 1
        self._names.add(name)
        return name

    def _claim(self, name: str) -> str:
        if name in self._names:
            raise ValueError(f"the graph already has a value named {name!r}")
        self._names.add(name)
        return name

    def input(self, name: str, dtype, shape: list) -> str:
        """Declare a graph input (``None`` in ``shape`` for the dynamic batch dimension)."""
        self.inputs.append(helper.make_tensor_value_info(self._claim(name), onnx_type(dtype),
                                                         _dims(shape)))
        return name

    def output(self, name: str, dtype, shape: list) -> None:
        """Declare the value ``name`` (already produced by a node) a graph output."""
        self.outputs.append(helper.make_tensor_value_info(name, onnx_type(dtype),
                                                          _dims(shape)))

    def constant(self, hint: str, value: np.ndarray) -> str:
        name = self._fresh(hint)
        self.initializers.append(tensor(name, value))
        return name

    def node(self, op_type: str, inputs: list[str], hint: str, out: str | None = None,
             domain: str = "", **attrs) -> str:
        """Add one node (of the operator set ``domain``: ``""`` for ONNX's own,
        ``"ai.onnx.ml"``, declared at :data:`ML_OPSET`); return its output's name."""
        if domain not in ("", "ai.onnx.ml"):
            raise ValueError(f"no opset version known for the domain {domain!r}")
        out = self._fresh(hint) if out is None else self._claim(out)
        self.nodes.append(helper.make_node(op_type, list(inputs), [out],
                                           name=self._fresh(f"{op_type}_{hint}"),
                                           domain=domain or None, **attrs))
        self._domains.add(domain)
        return out

    def model(self, name: str, doc: str = "", metadata: dict | None = None) -> onnx.ModelProto:
        """The model: checked by :func:`onnx.checker.check_model`, with the oldest IR version
        that holds its opset (so older runtimes load it too)."""
        from .. import __version__

        graph = helper.make_graph(self.nodes, name, self.inputs, self.outputs,
                                  self.initializers, doc_string=doc)
        opsets = [helper.make_opsetid("", self.opset)]
        if "ai.onnx.ml" in self._domains:
            opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
        model = helper.make_model(graph, opset_imports=opsets, producer_name="fastmlp",
                                  producer_version=__version__,
                                  ir_version=helper.find_min_ir_version_for(opsets))
        for key, value in (metadata or {}).items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(model, full_check=True)
        return model


def check_opset(opset) -> int:
    """``opset`` as an int this exporter can target, or a ValueError naming it."""
    newest = onnx.defs.onnx_opset_version()
    if (isinstance(opset, bool) or not isinstance(opset, (int, np.integer))
            or not MIN_OPSET <= opset <= newest):
        raise ValueError(f"opset must be an int from {MIN_OPSET} to {newest} (the newest "
                         f"this onnx {onnx.__version__} knows), got {opset!r}")
    return int(opset)


def _dims(shape: list) -> list:
    # a named symbolic dimension, so every input and output shows the same batch size N
    return ["N" if d is None else int(d) for d in shape]
