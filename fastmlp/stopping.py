"""The stopping rules that watch a loss: the best epoch, ``tol`` with ``n_iter_no_change``,
and early stopping on the validation loss."""

from __future__ import annotations

import math


class StoppingMonitor:
    """Watches each epoch's losses and says when to stop.

    ``best_epoch`` is the epoch of the lowest monitored loss: the validation loss when there
    is validation data, else the training loss. The rule for stopping watches the validation
    loss under ``early_stopping`` and the training loss otherwise, and stops after
    ``n_iter_no_change`` epochs in a row that did not improve on its best by ``tol`` (0 under
    early stopping when tol is None; never without early stopping when tol is None).
    """

    def __init__(self, tol: float | None, n_iter_no_change: int, early_stopping: bool):
        self.early_stopping = early_stopping
        self.active = early_stopping or tol is not None
        self.threshold = tol if tol is not None else 0.0
        self.patience = n_iter_no_change
        self.best_epoch: int | None = None
        self._best_monitored = math.inf
        self._best_watched = math.inf
        self._stale = 0

    @classmethod
    def for_config(cls, config) -> "StoppingMonitor":
        return cls(config.tol, config.n_iter_no_change, config.early_stopping)

    def update(self, epoch: int, loss: float, val_loss: float | None) -> bool:
        """Record an epoch; True when it is the new best epoch."""
        monitored = val_loss if val_loss is not None else loss
        improved = monitored < self._best_monitored
        if improved:
            self._best_monitored = monitored
            self.best_epoch = epoch
        watched = val_loss if self.early_stopping and val_loss is not None else loss
        if watched < self._best_watched - self.threshold:
            self._stale = 0
        else:
            self._stale += 1
        self._best_watched = min(self._best_watched, watched)
        return improved

    def stop_reason(self) -> str | None:
        """``"early_stopping"`` or ``"tol"`` when the rule says stop, else None."""
        if not self.active or self._stale < self.patience:
            return None
        return "early_stopping" if self.early_stopping else "tol"
