"""Pictures of a fit that users would otherwise draw with the same ten lines: the loss curves
of a :class:`~fastmlp.History` and the decision regions of a network with two inputs.

matplotlib is optional (``pip install fastmlp[plot]``): it is imported when a function here is
called, never by ``import fastmlp``. Every function draws on the ``ax`` given (or a new figure's)
and returns the matplotlib objects, so a caller can restyle or save them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_history", "plot_decision_boundary"]


def _axes(ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - the plot extra installs it
        raise ImportError("plotting needs matplotlib: pip install 'fastmlp[plot]'") from error
    if ax is None:
        _, ax = plt.subplots()
    return ax


def plot_history(history, ax=None, learning_rate: bool = True):
    """Draw the training loss, the validation loss (when recorded), the best epoch and,
    on a second y axis, the step size of each epoch.

    Parameters
    ----------
    history : fastmlp.History
        What :meth:`fastmlp.MLP.fit` returned.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes when None.
    learning_rate : bool
        Also draw the step size (right axis, log scale).

    Returns
    -------
    dict
        ``"ax"`` (the loss axes), ``"loss"`` and ``"val_loss"`` (Line2D, or None),
        ``"best"`` (the best epoch's marker, or None), ``"lr_ax"`` and ``"learning_rate"``
        (or None).
    """
    ax = _axes(ax)
    epochs = np.arange(1, history.epochs_run + 1)
    (loss,) = ax.plot(epochs, history.loss, label="training loss")
    val = None
    if len(history.val_loss):
        (val,) = ax.plot(epochs, history.val_loss, label="validation loss")
    best = None
    if history.best_epoch is not None:
        curve = history.val_loss if len(history.val_loss) else history.loss
        best = ax.scatter([history.best_epoch + 1], [curve[history.best_epoch]], zorder=3,
                          color="black", label=f"best epoch ({history.best_epoch + 1})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    lr_ax = lr_line = None
    if learning_rate and history.epochs_run:
        lr_ax = ax.twinx()
        (lr_line,) = lr_ax.plot(epochs, history.learning_rate, color="gray", linestyle=":",
                                label="step size")
        lr_ax.set_ylabel("step size")
        if np.all(np.asarray(history.learning_rate) > 0):
            lr_ax.set_yscale("log")
    handles = [h for h in (loss, val, best, lr_line) if h is not None]
    ax.legend(handles=handles, loc="upper right")
    return {"ax": ax, "loss": loss, "val_loss": val, "best": best, "lr_ax": lr_ax,
            "learning_rate": lr_line}


def plot_decision_boundary(net, X, y=None, ax=None, resolution: int = 200,
                           margin: float = 0.5):
    """Colour the plane of a two-input network by its predicted class (or, for a single
    output that is not a classifier, by its output), with the rows of ``X`` on top.

    Parameters
    ----------
    net : fastmlp.MLP
        A network with two inputs.
    X : array-like (n, 2)
        Rows to draw; the plotted region is their bounding box widened by ``margin``.
    y : array-like (n,), optional
        Their labels, which colour the points.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure's axes when None.
    resolution : int
        Grid points along each axis.
    margin : float
        How far the region extends beyond the rows, in the inputs' units.

    Returns
    -------
    dict
        ``"ax"``, ``"regions"`` (the contour set), ``"points"`` (the scatter, or None) and
        ``"grid"`` (the (resolution, resolution) array of predicted class indices or
        outputs that was drawn).
    """
    if net.layer_sizes[0] != 2:
        raise ValueError(f"plot_decision_boundary needs a network with 2 inputs, this one has "
                         f"{net.layer_sizes[0]}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (n, 2) with n >= 1, got {X.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    ax = _axes(ax)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    if net.loss_name in ("cross_entropy", "binary_cross_entropy"):
        proba = net.predict_proba(grid)
        values = np.argmax(proba, axis=1).reshape(xx.shape)
        levels = np.arange(proba.shape[1] + 1) - 0.5
        regions = ax.contourf(xx, yy, values, levels=levels, alpha=0.3, cmap="coolwarm")
    else:
        values = net.predict(grid)[:, 0].reshape(xx.shape)
        regions = ax.contourf(xx, yy, values, levels=20, alpha=0.5, cmap="coolwarm")
    points = None
    if y is not None:
        labels = np.asarray(y)
        _, codes = np.unique(labels, return_inverse=True)
        points = ax.scatter(X[:, 0], X[:, 1], c=codes, cmap="coolwarm", edgecolor="black")
    else:
        points = ax.scatter(X[:, 0], X[:, 1], color="black", s=10)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return {"ax": ax, "regions": regions, "points": points, "grid": values}
