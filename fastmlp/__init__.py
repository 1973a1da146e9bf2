"""fastmlp: fast CPU training of fixed-architecture multilayer perceptrons from Python.

Numba-compiled kernels run whole training epochs (forward pass, delta backpropagation and
in-place sgd / momentum / Nesterov / Adam updates); :class:`MLP` is the thin, validating API on top,
and :mod:`fastmlp.reference` is a pure-NumPy twin of every kernel.
"""

from . import metrics, model_selection
from ._version import __version__
from .compiling import CompileNotice
from .datasets import load_digits, one_hot
from .diagnostics import Diagnosis
from .history import DivergenceError, History
from .network import MLP
from .threads import get_num_threads, set_num_threads
from .warmup import warmup

__all__ = [
    "MLP", "History", "DivergenceError", "Diagnosis", "load_digits", "one_hot",
    "set_num_threads", "get_num_threads", "metrics", "model_selection", "__version__",
    "warmup", "CompileNotice",
]
