"""``python -m fastmlp.demos``: the documented name of :mod:`fastmlp.classic.demos`.

The module moved into :mod:`fastmlp.classic` with the notes' other classics; this alias
re-exports its public names and keeps ``python -m fastmlp.demos`` running the demos.
"""

from .classic.demos import *  # noqa: F403
from .classic.demos import __all__ as __all__
from .classic.demos import main

if __name__ == "__main__":
    main()
