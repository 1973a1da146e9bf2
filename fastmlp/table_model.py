# ``fastmlp.table_model`` is the documented name of ``fastmlp.cli.table_model``, which lives in
# ``fastmlp.cli`` with the command line it serves. This alias re-exports the module's public names
# and its docstring, so that the documented import path (and its API page) keeps working for good:
# it is not deprecated.

from .cli import table_model as _home
from .cli.table_model import *  # noqa: F403
from .cli.table_model import FORMAT as FORMAT  # the format tag exported models name
from .cli.table_model import __all__ as __all__

__doc__ = _home.__doc__
