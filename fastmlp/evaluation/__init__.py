"""Evaluation: how good a network's predictions are, and how to estimate it.

- ``fastmlp.evaluation.metrics``: confusion matrix, accuracy, precision, recall,
  specificity, F1, mean squared error, ... (documented as :mod:`fastmlp.metrics`)
- ``fastmlp.evaluation.model_selection``: holdout, random subsampling, k-fold,
  leave-one-out, bootstraps, cross-validation and the .632 bootstrap (documented as
  :mod:`fastmlp.model_selection`)

Both work on arrays of labels or outputs and on any model with ``fit`` / ``predict``; the
training core does not import them.
"""

from . import metrics, model_selection

__all__ = ["metrics", "model_selection"]
