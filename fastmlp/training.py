"""The epoch loop around the compiled epoch kernel: options, history, stopping rules and
divergence safety. Everything per update happens inside :func:`kernels.epochs.train_epoch`."""

from __future__ import annotations

import time

import numpy as np

from . import _validation as check
from . import parallel
from .history import DivergenceError, History
from .kernels import epochs as kernels
from .kernels import per_sample
from .kernels.updates import (
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    inplace_lookahead,
    inplace_step,
    step_size,
)
from .layout import LOSSES, OPTIMIZERS, SCHEDULES, lookup

#: Rows copied at a time, in visiting order, by the per-sample kernel (see its module).
PER_SAMPLE_BLOCK_ROWS = 4096


def fit(net, X, Y, *, optimizer="sgd", learning_rate=0.1, momentum=0.9, batch_size=1,
        epochs=10, shuffle=True, seed=None, schedule="constant", schedule_b=1.0,
        clip_value=None, clip_norm=None, l1=0.0, l2=0.0, tol=None, n_iter_no_change=10,
        grad_tol=None, validation_data=None, early_stopping=False, callback=None,
        verbose=False) -> History:
    """Train ``net`` in place by gradient descent, starting from its current parameters.

    Parameters
    ----------
    net : MLP
    X : array-like (n, n_inputs)
    Y : array-like (n, n_outputs); 1-D is accepted for a single output.
    optimizer : {"sgd", "momentum", "nesterov"}
        sgd: theta <- theta - alpha g. momentum: v <- gamma v + alpha g, theta <- theta - v.
        nesterov: as momentum with g taken at theta - gamma v. Velocity starts at zero.
    learning_rate : float > 0
        The step size alpha (``a`` of the schedules).
    momentum : float in [0, 1)
        gamma of momentum and nesterov.
    batch_size : int >= 1 or None
        1 is per-sample SGD, m is mini-batch SGD (the last batch holds the remaining rows),
        None is full-batch gradient descent (one update per epoch).
    epochs : int >= 1
        Maximum number of passes over the data.
    shuffle : bool
        Visit rows in a new random order each epoch; False visits them in the given order, so
        trajectories are deterministic.
    seed : int, Generator or None
        Seed of the shuffling.
    schedule : {"constant", "inverse", "inverse_sqrt"}
        Step size of update t (t = 1 at the first update of this fit): alpha_t = a,
        a / (schedule_b + t), or a / sqrt(t).
    schedule_b : float >= 0
    clip_value : float > 0 or None
        Clip each gradient component to [-clip_value, clip_value].
    clip_norm : float > 0 or None
        Rescale the gradient to L2 norm clip_norm when it is longer. Clipping applies to the
        batch gradient (penalty included), before it enters the momentum / update.
    l1, l2 : float >= 0
        Penalties l1 * sum|W| and (l2/2) * sum W^2 over weights (not biases).
    tol : float >= 0 or None
        Stop when the training loss (the epoch loss of ``history.loss``) has not improved
        on its best by at least tol for ``n_iter_no_change`` consecutive epochs
        (stop_reason "tol"). With ``early_stopping``, tol is the improvement asked of the
        validation loss instead.
    n_iter_no_change : int >= 1
    grad_tol : float > 0 or None
        After each epoch, stop when the L2 norm of the full-data gradient is below grad_tol
        (stop_reason "grad_tol"): "repeat until the gradient is zero". Costs one extra pass.
    validation_data : (Xv, Yv) or None
        Record the data loss on it after each epoch (``history.val_loss``); it decides
        ``history.best_epoch``, and stopping only with ``early_stopping``.
    early_stopping : bool
        Needs validation_data: stop when the validation loss has not improved by at least
        ``tol`` (0 if None) for n_iter_no_change epochs, and in any case finish with the
        parameters of the best validation epoch (stop_reason "early_stopping" when it stopped
        training), also when training diverges or the callback raises.
    callback : callable(epoch, history) or None
        Called after each epoch (0-based); returning False stops training. An exception it
        raises (KeyboardInterrupt, say) propagates; the network then holds the parameters
        of the epochs completed (the best epoch's with ``early_stopping``).
    verbose : bool
        Print one line per epoch.

    Returns
    -------
    History

    Raises
    ------
    DivergenceError
        When the loss or a parameter becomes NaN or inf. The parameters are first restored
        to those at the end of the last completed epoch (the start of this fit when the first
        epoch diverged): the state ``history`` describes, rather than the last finite one,
        which after a blow-up is typically finite but useless (outputs that overflow). That
        state is finite, though its outputs can still overflow when the loss was already
        exploding during that epoch. With ``early_stopping``, the best validation epoch's
        parameters are restored instead.
    ValueError
        Also when the network's parameters already hold NaN or inf (set through
        ``net.weights`` or ``net.params``).
    """
    net._require_trainable()
    opt_code = lookup(OPTIMIZERS, optimizer, "optimizer")
    schedule_code = lookup(SCHEDULES, schedule, "schedule")
    learning_rate = check.positive_number(learning_rate, "learning_rate")
    momentum = check.non_negative_number(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    batch_size = check.positive_int(batch_size, "batch_size", allow_none=True)
    epochs = check.positive_int(epochs, "epochs")
    schedule_b = check.non_negative_number(schedule_b, "schedule_b")
    shuffle = check.flag(shuffle, "shuffle")
    early_stopping = check.flag(early_stopping, "early_stopping")
    verbose = check.flag(verbose, "verbose")
    clip_value = check.positive_number(clip_value, "clip_value", allow_none=True)
    clip_norm = check.positive_number(clip_norm, "clip_norm", allow_none=True)
    l1 = check.non_negative_number(l1, "l1")
    l2 = check.non_negative_number(l2, "l2")
    tol = None if tol is None else check.non_negative_number(tol, "tol")
    n_iter_no_change = check.positive_int(n_iter_no_change, "n_iter_no_change")
    grad_tol = check.positive_number(grad_tol, "grad_tol", allow_none=True)
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable(epoch, history)")

    X = check.as_features(X, net.layer_sizes[0], net.dtype)
    Y = check.as_targets(Y, X.shape[0], net.layer_sizes[-1], net.dtype, net.loss_name)
    if validation_data is not None:
        try:
            Xv, Yv = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, Y_val)") from None
        Xv = check.as_features(Xv, net.layer_sizes[0], net.dtype, "validation_data[0]")
        Yv = check.as_targets(Yv, Xv.shape[0], net.layer_sizes[-1], net.dtype, net.loss_name,
                              "validation_data[1]")
    elif early_stopping:
        raise ValueError("early_stopping=True needs validation_data=(X_val, Y_val)")

    if not np.isfinite(net.params).all():
        raise ValueError("the network's parameters hold NaN or inf (set through net.params or "
                         "net.weights / net.biases?); reinitialize them before fitting")

    n = X.shape[0]
    batch = n if batch_size is None else min(batch_size, n)
    loss_code = LOSSES[net.loss_name]
    layout_args = net._layout_args()
    P = net.n_params
    theta = net.params
    velocity = np.zeros(P, net.dtype)
    lookahead = np.empty(P if optimizer == "nesterov" else 0, net.dtype)
    chunk, acts, deltas, _, grad = net._chunk_buffers(batch)  # the penalty scratch: unused
    order = np.arange(n, dtype=np.int64)
    start_theta = np.empty_like(theta)
    start_velocity = np.empty_like(velocity)
    rng = np.random.default_rng(seed)
    # full-data passes (full batch, validation, grad_tol) split their rows across threads
    # where that pays (fastmlp.parallel); thread_buffers are per thread, None for one thread
    full_threads = parallel.threads_for(net, n)
    full_thread_buffers = parallel.buffers(net, n, full_threads) if full_threads > 1 else None
    if validation_data is not None:
        val_buffers = net._chunk_buffers(Xv.shape[0])
        val_threads = parallel.threads_for(net, Xv.shape[0])
        val_thread_buffers = (parallel.buffers(net, Xv.shape[0], val_threads)
                              if val_threads > 1 else None)
    if grad_tol is not None:
        full_buffers = net._chunk_buffers(n)
    best_theta = theta.copy() if early_stopping else None

    # Per-sample runs whose gradient keeps its outer-product form take the fused loop.
    fused = batch == 1 and l1 == 0.0 and l2 == 0.0 and clip_value is None
    if fused:
        block = min(n, PER_SAMPLE_BLOCK_ROWS)
        block_X = np.empty((block, X.shape[1]), net.dtype)
        block_Y = np.empty((block, Y.shape[1]), net.dtype)
        block_order = np.arange(block, dtype=np.int64)
        work, work_norm_sums = per_sample.workspace(P, int(net.layout.u_off[-1]),
                                                    net.layout.n_layers, net.dtype)

    def run_epoch(shuffle_seed, t_start, norm_sums):
        if batch == n and full_thread_buffers is not None:
            return _full_batch_step(net, X, Y, theta, velocity, lookahead, grad,
                                    full_thread_buffers, opt_code, schedule_code, learning_rate,
                                    schedule_b, momentum, clip_value or 0.0, clip_norm or 0.0,
                                    l1, l2, t_start, norm_sums)
        if fused:
            # the kernel accumulates into the copy that lives next to its work buffer
            work_norm_sums[:] = norm_sums
            result = per_sample.train_epoch_per_sample(
                X, Y, theta, velocity, order, shuffle_seed, *layout_args, loss_code,
                opt_code, schedule_code, learning_rate, schedule_b, momentum, clip_norm or 0.0,
                t_start, work_norm_sums, block_X, block_Y, block_order, work)
            norm_sums[:] = work_norm_sums
            return result
        return kernels.train_epoch(
            X, Y, theta, velocity, lookahead, grad, order, shuffle_seed, *layout_args,
            loss_code, acts, deltas, chunk, opt_code, schedule_code, learning_rate,
            schedule_b, momentum, clip_value or 0.0, clip_norm or 0.0, l1, l2, batch, t_start,
            norm_sums)

    def full_data_loss(Xd, Yd, buffers, thread_buffers, with_grad, penalties):
        c, a, d, s, g = buffers
        if thread_buffers is not None:
            value = parallel.loss_and_gradient(net, theta, Xd, Yd, *penalties, with_grad,
                                               thread_buffers, g)
        else:
            value = kernels.loss_and_gradient(theta, Xd, Yd, *layout_args, loss_code, a, d, g,
                                              s, c, *penalties, with_grad)
        return value, g

    history = History(net.layout.n_layers)
    best_monitored = np.inf  # validation loss if given, else training loss: best_epoch
    best_stopping = np.inf  # the loss the stopping rule watches (see tol)
    stale_epochs = 0
    threshold = tol if tol is not None else 0.0
    t = 0
    try:
        for epoch in range(epochs):
            np.copyto(start_theta, theta)
            np.copyto(start_velocity, velocity)
            norm_sums = np.zeros(net.layout.n_layers)
            shuffle_seed = int(rng.integers(0, 2**32 - 1)) if shuffle else -1
            began = time.perf_counter()
            loss_sum, rows, updates, status, alpha = run_epoch(shuffle_seed, t, norm_sums)
            if status != OK:
                np.copyto(theta, start_theta)
                np.copyto(velocity, start_velocity)
                history.stop_reason = "diverged"
                what = "the loss" if status == LOSS_NOT_FINITE else "a parameter"
                restored = ("the best validation epoch's" if early_stopping
                            and history.best_epoch is not None else
                            f"those after epoch {epoch}" if epoch else
                            "those the fit started from")
                raise DivergenceError(
                    f"training diverged in epoch {epoch + 1}: {what} became NaN or inf after "
                    f"{updates} of the epoch's updates (step size {alpha:.3g}). The "
                    f"parameters were restored to {restored}. Lower learning_rate, or bound "
                    "the steps with clip_norm / clip_value.", epoch, history)
            t += updates
            epoch_loss = loss_sum / rows
            val_loss = None
            if validation_data is not None:
                val_loss = float(full_data_loss(Xv, Yv, val_buffers, val_thread_buffers, False,
                                                (0.0, 0.0))[0])
            history.append(epoch_loss, alpha, norm_sums / updates,
                           time.perf_counter() - began, val_loss)

            monitored = val_loss if val_loss is not None else epoch_loss
            if monitored < best_monitored:
                best_monitored = monitored
                history.best_epoch = epoch
                if early_stopping:
                    np.copyto(best_theta, theta)
            watched = val_loss if early_stopping else epoch_loss
            if watched < best_stopping - threshold:
                stale_epochs = 0
            else:
                stale_epochs += 1
            best_stopping = min(best_stopping, watched)
            if verbose:
                _print_epoch(epoch, epochs, history)

            if early_stopping and stale_epochs >= n_iter_no_change:
                history.stop_reason = "early_stopping"
                break
            if not early_stopping and tol is not None and stale_epochs >= n_iter_no_change:
                history.stop_reason = "tol"
                break
            if grad_tol is not None:
                _, g = full_data_loss(X, Y, full_buffers, full_thread_buffers, True, (l1, l2))
                if np.linalg.norm(g) < grad_tol:
                    history.stop_reason = "grad_tol"
                    break
            if callback is not None and callback(epoch, history) is False:
                history.stop_reason = "callback"
                break
    finally:
        # whatever ended the fit (its last epoch, a stopping rule, divergence, an exception
        # from the callback), early stopping leaves the best validation epoch's parameters
        if early_stopping and history.best_epoch is not None:
            np.copyto(theta, best_theta)
    return history


def _full_batch_step(net, X, Y, theta, velocity, lookahead, grad, thread_buffers, optimizer,
                     schedule, learning_rate, schedule_b, momentum, clip_value, clip_norm, l1,
                     l2, t_start, norm_sums):
    """One full-batch update with the gradient computed row-parallel: the steps of
    :func:`kernels.epochs.train_epoch` for a single batch, with the same return values
    (row order does not matter to a full-batch gradient, so nothing is shuffled)."""
    n = X.shape[0]
    alpha = step_size(schedule, learning_rate, schedule_b, t_start + 1)
    point = theta
    if optimizer == NESTEROV:
        inplace_lookahead(theta, velocity, momentum, lookahead)
        point = lookahead
    loss = parallel.loss_and_gradient(net, point, X, Y, l1, l2, True, thread_buffers, grad)
    if not np.isfinite(loss):
        return 0.0, 0, 0, LOSS_NOT_FINITE, learning_rate
    sizes, w_off, b_off = net._layout_args()[:3]
    if not inplace_step(theta, grad, velocity, sizes, w_off, b_off, norm_sums, clip_value,
                        clip_norm, optimizer, alpha, momentum):
        return 0.0, 0, 0, PARAMS_NOT_FINITE, alpha
    return loss * n, n, 1, OK, alpha


def _print_epoch(epoch: int, epochs: int, history: History) -> None:
    line = (f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  loss {history._loss[-1]:.6g}")
    if history._val_loss:
        line += f"  val_loss {history._val_loss[-1]:.6g}"
    line += (f"  lr {history._learning_rate[-1]:.3g}  "
             f"{history._epoch_time[-1] * 1e3:.1f} ms")
    print(line, flush=True)
