"""What a scikit-learn estimator carries from one fit to the next: the parameters and
everything scikit-learn's solvers keep between ``fit`` (with ``warm_start``) and
``partial_fit`` calls."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..schedules import ReduceOnPlateau
from ..state import OptimizerState


@dataclass
class TrainingState:
    """One estimator's training state; a fit works on a copy and the estimator takes it
    only when the fit succeeds (so a fit that raises leaves the estimator as it was).

    Attributes
    ----------
    params : ndarray (n_params,)
        fastmlp's flat layout (:class:`fastmlp.layout.Layout`); ``coefs_`` and
        ``intercepts_`` are views into it.
    optimizer : OptimizerState or None
        Velocities or Adam's moments and update count (stochastic solvers).
    learning_rate : float or None
        The current step size of solver "sgd" (its schedules change it between epochs).
    n_iter, t, loss, best_loss, loss_curve, validation_scores, best_validation_score
        scikit-learn's ``n_iter_``, ``t_``, ``loss_``, ``best_loss_``, ``loss_curve_``,
        ``validation_scores_``, ``best_validation_score_``.
    no_improvement_count : int
        Epochs in a row without an improvement by ``tol``.
    best_params : ndarray or None
        The parameters of the best validation score (early stopping).
    optimizer_options : dict or None
        The solver settings ``optimizer`` was made with (``partial_fit`` keeps them).
    plateau : ReduceOnPlateau or None
        The reduce-on-plateau schedule's state (``learning_rate="plateau"``; ``partial_fit``
        continues it as it continues the optimizer).
    """

    params: np.ndarray
    optimizer: OptimizerState | None = None
    learning_rate: float | None = None
    n_iter: int = 0
    t: int = 0
    loss: float | None = None
    best_loss: float | None = None
    loss_curve: list | None = None
    validation_scores: list | None = None
    best_validation_score: float | None = None
    no_improvement_count: int = 0
    best_params: np.ndarray | None = field(default=None, repr=False)
    optimizer_options: dict | None = None
    plateau: ReduceOnPlateau | None = None

    def copy(self) -> "TrainingState":
        """An independent copy (arrays and lists copied)."""
        return copy.deepcopy(self)
