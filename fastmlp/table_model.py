"""``fastmlp.table_model``: the documented name of :mod:`fastmlp.cli.table_model`.

The module lives in :mod:`fastmlp.cli`, with the command line it serves; this alias
re-exports its public names, so that the documented import path keeps working for good
(it is not deprecated).
"""

from .cli.table_model import *  # noqa: F403
from .cli.table_model import FORMAT as FORMAT  # the format tag exported models name
from .cli.table_model import __all__ as __all__
