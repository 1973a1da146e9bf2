"""The command line, and the tables it reads and the models it saves.

- ``fastmlp.cli.commands``: ``fastmlp`` (the console script, ``python -m fastmlp``): the
  parser and one function per command; ``main`` and ``build_parser`` are re-exported
  here, so ``fastmlp.cli:main`` stays the entry point
- ``fastmlp.cli.tables``: reading CSV / TSV / ``.npz`` / ``.npy`` files into columns
- ``fastmlp.cli.preprocessing``: columns to features (categories one-hot, scaling,
  missing values), stored with the model (documented as :mod:`fastmlp.preprocessing`)
- ``fastmlp.cli.table_model``: a network with its preprocessing and target, the model
  file ``fastmlp train`` writes (documented as :mod:`fastmlp.table_model`)
- ``fastmlp.cli.digits_demo``: ``fastmlp demo`` (and plain ``python -m fastmlp``)
"""

from .commands import build_parser, main

__all__ = ["build_parser", "main"]
