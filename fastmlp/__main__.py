"""``python -m fastmlp``: the command line (:mod:`fastmlp.cli`); with no arguments, the
digits demo."""

from .cli import main

raise SystemExit(main())
