# ``fastmlp.demos`` is the documented name of ``fastmlp.classic.demos``, which lives in
# ``fastmlp.classic`` with the notes' other classics. This alias re-exports the module's public
# names and its docstring, so that the documented import path (and its API page) keeps working for
# good: it is not deprecated.

from .classic import demos as _home
from .classic.demos import *  # noqa: F403
from .classic.demos import __all__ as __all__
from .classic.demos import main

__doc__ = _home.__doc__

if __name__ == "__main__":  # python -m fastmlp.demos
    main()
