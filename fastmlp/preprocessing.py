# ``fastmlp.preprocessing`` is the documented name of ``fastmlp.cli.preprocessing``, which lives
# in ``fastmlp.cli`` with the command line it serves. This alias re-exports the module's public
# names and its docstring, so that the documented import path (and its API page) keeps working for
# good: it is not deprecated.

from .cli import preprocessing as _home
from .cli.preprocessing import *  # noqa: F403
from .cli.preprocessing import __all__ as __all__

__doc__ = _home.__doc__
