"""Export to ONNX, to serve a trained model outside Python (``pip install fastmlp[onnx]``).

- :func:`mlp_to_onnx` (also :meth:`fastmlp.MLP.to_onnx`): a network's prediction, labels and
  probabilities;
- :func:`cli_model_to_onnx` (``fastmlp export MODEL --onnx OUT``): a model of
  ``fastmlp train`` with its preprocessing (imputation, missing indicators, standardization,
  one-hot), taking the raw feature columns: one input per column, numbers as double (NaN
  for a missing cell), categories as strings;
- ``fastmlp.sklearn`` estimators convert with ``skl2onnx.to_onnx`` (alone or in a Pipeline)
  once :func:`fastmlp.sklearn.register_onnx_converters` has run.

Modules: ``graph`` (the node interface and the model builder), ``layers`` (layers and
activations as nodes), ``preprocessing`` (the command line's preprocessing as nodes), ``onnx`` (the
two exporters), ``files`` (atomic writing).
"""

try:
    import onnx as _onnx  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("ONNX export needs the onnx package: pip install 'fastmlp[onnx]' (or "
                      "pip install onnx)") from error

from .graph import DEFAULT_OPSET
from .onnx import cli_model_to_onnx, mlp_to_onnx, save

__all__ = ["DEFAULT_OPSET", "cli_model_to_onnx", "mlp_to_onnx", "save"]
