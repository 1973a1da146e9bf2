# ``fastmlp.metrics`` is the documented name of ``fastmlp.evaluation.metrics``, which lives in
# ``fastmlp.evaluation`` with the other evaluation tools. This alias re-exports the module's
# public names and its docstring, so that the documented import path (and its API page) keeps
# working for good: it is not deprecated.

from .evaluation import metrics as _home
from .evaluation.metrics import *  # noqa: F403
from .evaluation.metrics import __all__ as __all__

__doc__ = _home.__doc__
