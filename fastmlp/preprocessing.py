"""``fastmlp.preprocessing``: the documented name of :mod:`fastmlp.cli.preprocessing`.

The module lives in :mod:`fastmlp.cli`, with the command line it serves; this alias
re-exports its public names, so that the documented import path keeps working for good
(it is not deprecated).
"""

from .cli.preprocessing import *  # noqa: F403
from .cli.preprocessing import __all__ as __all__
