"""``fastmlp.model_selection``: the documented name of :mod:`fastmlp.evaluation.model_selection`.

The module lives in :mod:`fastmlp.evaluation`, with the other evaluation tools; this alias
re-exports its public names, so that the documented import path keeps working for good
(it is not deprecated).
"""

from .evaluation.model_selection import *  # noqa: F403
from .evaluation.model_selection import __all__ as __all__
