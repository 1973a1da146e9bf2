"""What a training run reports: :class:`History`, and :class:`DivergenceError`."""

from __future__ import annotations

import numpy as np


class DivergenceError(ArithmeticError):
    """Training produced a NaN or infinite loss or parameter.

    Before this is raised, the network's parameters are restored to those at the end of the
    last completed epoch (the start of the fit when the first epoch diverged; the best
    validation epoch's with early stopping). Attributes: ``epoch`` (0-based index of the
    epoch that diverged) and ``history`` (the :class:`History` up to the failure,
    ``stop_reason == "diverged"``).
    """

    def __init__(self, message: str, epoch: int, history: "History"):
        super().__init__(message)
        self.epoch = epoch
        self.history = history


class History:
    """Per-epoch record of a :meth:`fastmlp.MLP.fit` run (arrays, one entry per epoch run).

    Attributes
    ----------
    loss : ndarray (epochs_run,)
        Mean training loss of each epoch: the row-weighted mean of the batch losses (plus any
        penalty), each computed where its update took the gradient (the look-ahead point for
        Nesterov).
    val_loss : ndarray (epochs_run,)
        Data loss on ``validation_data`` after each epoch (empty without validation data).
    learning_rate : ndarray (epochs_run,)
        Step size of each epoch's last update.
    grad_norms : ndarray (epochs_run, n_layers)
        Each layer's weight-gradient L2 norm (penalty included, before clipping), averaged
        over the epoch's updates.
    epoch_time : ndarray (epochs_run,)
        Wall-clock seconds per epoch.
    epochs_run : int
    best_epoch : int or None
        0-based index of the epoch with the lowest monitored loss (validation loss when
        validation data is given, else training loss).
    stop_reason : str
        ``"max_epochs"``, ``"tol"``, ``"grad_tol"``, ``"early_stopping"``, ``"callback"``,
        ``"interrupted"`` (Ctrl-C: the epochs completed are kept) or ``"diverged"``.
    """

    def __init__(self, n_layers: int):
        self._n_layers = n_layers
        self._loss: list[float] = []
        self._val_loss: list[float] = []
        self._learning_rate: list[float] = []
        self._grad_norms: list[np.ndarray] = []
        self._epoch_time: list[float] = []
        self.best_epoch: int | None = None
        self.stop_reason = "max_epochs"

    def append(self, loss, learning_rate, grad_norms, epoch_time, val_loss=None) -> None:
        """Record one epoch."""
        self._loss.append(float(loss))
        self._learning_rate.append(float(learning_rate))
        self._grad_norms.append(np.asarray(grad_norms, dtype=np.float64))
        self._epoch_time.append(float(epoch_time))
        if val_loss is not None:
            self._val_loss.append(float(val_loss))

    loss = property(lambda self: np.array(self._loss))
    val_loss = property(lambda self: np.array(self._val_loss))
    learning_rate = property(lambda self: np.array(self._learning_rate))
    epoch_time = property(lambda self: np.array(self._epoch_time))
    epochs_run = property(lambda self: len(self._loss))

    @property
    def grad_norms(self) -> np.ndarray:
        return np.array(self._grad_norms).reshape(-1, self._n_layers)

    def plot(self, ax=None, learning_rate: bool = True) -> dict:
        """Draw the loss curves, the best epoch and the step size (needs matplotlib:
        ``pip install fastmlp[plot]``); see :func:`fastmlp.plotting.plot_history`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure's axes when None.
        learning_rate : bool
            Also draw each epoch's step size on a second axis.

        Returns
        -------
        dict
            The matplotlib objects drawn (see :func:`fastmlp.plotting.plot_history`).
        """
        from .plotting import plot_history

        return plot_history(self, ax=ax, learning_rate=learning_rate)

    def __repr__(self) -> str:
        last = f", final loss={self._loss[-1]:.6g}" if self._loss else ""
        return (f"History(epochs_run={self.epochs_run}{last}, best_epoch={self.best_epoch}, "
                f"stop_reason={self.stop_reason!r})")
