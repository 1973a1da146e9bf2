# ``fastmlp.optimize`` is the documented name of ``fastmlp.classic.optimize``, which lives in
# ``fastmlp.classic`` with the notes' other classics. This alias re-exports the module's public
# names and its docstring, so that the documented import path (and its API page) keeps working for
# good: it is not deprecated.

from .classic import optimize as _home
from .classic.optimize import *  # noqa: F403
from .classic.optimize import __all__ as __all__

__doc__ = _home.__doc__
