"""``fastmlp.optimize``: the documented name of :mod:`fastmlp.classic.optimize`.

The module lives in :mod:`fastmlp.classic`, with the notes' other classics; this alias
re-exports its public names, so that the documented import path keeps working for good
(it is not deprecated).
"""

from .classic.optimize import *  # noqa: F403
from .classic.optimize import __all__ as __all__
