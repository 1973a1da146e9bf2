"""The epoch loop: validate -> workspace -> for each epoch: engine -> history -> stopping
rules -> restore on divergence. Everything per update happens inside the engine's compiled
epoch (:mod:`fastmlp.engines`)."""

from __future__ import annotations

import signal
import sys
import threading
import time

import numpy as np

from . import _validation as check
from .checkpoint import Checkpoint
from .compiling import compile_seconds, notice_if_compiling
from .config import FitConfig
from .epochs import EpochRunner
from .full_data import FullDataPass
from .history import DivergenceError, History
from .kernels.optimizers import LOSS_NOT_FINITE, OK
from .kernels.structs import Data
from .schedules import ReduceOnPlateau
from .state import OptimizerState
from .stopping import StoppingMonitor
from .threads import get_num_threads
from .workspace import Workspace


def train(net, feed, config: FitConfig, state: OptimizerState,
          validation: Data | None = None, seed=None, *, on_rollback=None,
          checkpoint: Checkpoint | None = None) -> History:
    """Train ``net`` in place on the rows of ``feed`` (:mod:`fastmlp.feeds`) for up to
    ``config.epochs`` epochs, continuing ``state`` (updated in place); ``seed`` seeds the row
    orders. The inputs are already validated (see :meth:`fastmlp.MLP.fit`, which documents
    the options, the history and the errors; ``grad_tol`` needs an in-memory feed).

    A fit is a transaction against failures of its data: an exception raised while an epoch
    reads or trains on its rows (a block of a memory map holding NaN, a chunk source raising
    OSError, a chunk of another width) puts the parameters and ``state`` back to what they
    were when this call began, calls ``on_rollback()`` (the caller restores what else it
    changed) and propagates. A second Ctrl-C (KeyboardInterrupt) puts them back to the end
    of the last completed epoch instead, like the first Ctrl-C and an exception from the
    callback, which keep the completed epochs. ``checkpoint`` (:mod:`fastmlp.checkpoint`)
    resumes a fit it recorded and records this one every few epochs."""
    params = net.params
    work = Workspace(net.network, net.dtype)
    epochs = EpochRunner(work, feed, config, get_num_threads())
    validation_pass = FullDataPass(work, validation) if validation is not None else None
    gradient_pass = FullDataPass(work, feed.data) if config.grad_tol is not None else None
    history = History(net.layout.n_layers)
    monitor = StoppingMonitor.for_config(config)
    plateau = ReduceOnPlateau.for_config(config)
    rng = check.random_generator(seed, "seed")
    call_params, call_state = params.copy(), state.copy()
    start_params, start_state = params.copy(), state.copy()
    best_params = params.copy() if config.early_stopping else None
    first_epoch = 0
    if checkpoint is not None:
        first_epoch = checkpoint.resume(params, state, history, monitor, rng, best_params,
                                        epochs, plateau)
    rolled_back = False
    progress = _progress_bar(config) if config.verbose == 1 else None
    if progress is not None and first_epoch:
        progress.update(first_epoch)
    interrupt = _Interrupt()
    epoch_seconds = 0.0
    try:
        for epoch in range(first_epoch, config.epochs):
            np.copyto(start_params, params)
            start_state.restore(state)
            norm_sums = np.zeros(net.layout.n_layers)
            began = time.perf_counter()
            compile_start = compile_seconds()
            background = interrupt.active and (
                epoch_seconds >= BACKGROUND_EPOCH_SECONDS if epoch > first_epoch
                else _first_epoch_work(feed, net, config) >= BACKGROUND_FIRST_EPOCH_WORK)
            try:
                with notice_if_compiling(epochs.kernel() if epoch == first_epoch else None,
                                         "training"):
                    result = (_run_in_background(epochs, params, state, rng, norm_sums)
                              if background else epochs.run(params, state, rng, norm_sums))
            except Exception:
                np.copyto(params, call_params)
                state.restore(call_state)
                rolled_back = True
                if on_rollback is not None:
                    on_rollback()
                raise
            except KeyboardInterrupt:
                np.copyto(params, start_params)
                state.restore(start_state)
                raise
            if result.status != OK:
                np.copyto(params, start_params)
                state.restore(start_state)
                history.stop_reason = "diverged"
                raise _divergence(epoch, result, history, config)
            epoch_seconds = time.perf_counter() - began
            val_loss = (None if validation_pass is None
                        else validation_pass.loss_and_gradient(params, need_grad=False)[0])
            loss = result.loss_sum / result.weight_sum
            history.append(loss, result.learning_rate, norm_sums / result.updates,
                           time.perf_counter() - began, val_loss)
            if monitor.update(epoch, loss, val_loss) and best_params is not None:
                np.copyto(best_params, params)
            if plateau is not None:
                lowered = plateau.update(loss, val_loss)
                if lowered is not None:
                    epochs.set_learning_rate(lowered)
            history.best_epoch = monitor.best_epoch
            compiled = compile_seconds() - compile_start  # in this epoch (and its validation)
            if progress is not None:
                _exclude_from_clock(progress, compiled)
                progress.set_postfix(_postfix(history), refresh=False)
                progress.update()
            elif config.verbose == 2:
                _print_epoch(epoch, config.epochs, history, compiled)
            if config.callback is not None:  # what the callback may change: checked below
                np.copyto(start_params, params)
            reason = monitor.stop_reason() or _other_stop(epoch, history, params, config,
                                                          gradient_pass)
            if config.callback is not None and not np.isfinite(params).all():
                np.copyto(params, start_params)
                history.stop_reason = "callback"
                raise ValueError(
                    f"the callback wrote NaN or inf into the parameters after epoch "
                    f"{epoch + 1}; they were restored to that epoch's values")
            if reason is None and interrupt.requested:
                reason = "interrupted"
            if checkpoint is not None and (reason == "interrupted" or (
                    reason is None and checkpoint.due(epoch + 1, config.epochs))):
                # Ctrl-C too: the script rerun continues from here
                checkpoint.write(epoch + 1, params, state, history, monitor, rng, best_params,
                                 epochs, plateau)
            if reason is not None:
                history.stop_reason = reason
                break
    finally:
        interrupt.restore()
        if progress is not None:
            progress.close()
        # whatever ended the fit (its last epoch, a stopping rule, divergence, an exception
        # from the callback), early stopping leaves the best validation epoch's parameters;
        # not when a failure of the data rolled the whole call back
        if best_params is not None and monitor.best_epoch is not None and not rolled_back:
            np.copyto(params, best_params)
    if checkpoint is not None and history.stop_reason != "interrupted":
        checkpoint.remove()  # finished: a rerun trains afresh
    return history


#: An epoch expected to take longer than this (the last one did) runs in a worker thread,
#: so that a second Ctrl-C stops the fit at once: a compiled epoch holds the main thread,
#: and Python runs signal handlers only between its bytecodes. Shorter epochs run in the
#: main thread (a thread costs tens of microseconds, a fair share of a small epoch).
BACKGROUND_EPOCH_SECONDS = 0.2
#: Rows x parameters from which the first epoch (no time measured yet) runs in a worker
#: thread: about 20 ms of per-sample updates.
BACKGROUND_FIRST_EPOCH_WORK = 20_000_000
#: A batched epoch's rows x parameters cost about this many times less than per-sample
#: ones (3.1 ns against 0.15 ns per row and parameter here: a 300,000-row 20-96-10 per-sample
#: epoch in 2.8 s, a 20,000-row 64-32-10 /32 one in 7 ms), so they count that much less
#: towards BACKGROUND_FIRST_EPOCH_WORK: a 7 ms epoch in a thread was 4% slower.
BATCHED_WORK_DIVISOR = 20


def _first_epoch_work(feed, net, config) -> int:
    """Rows x parameters of an epoch, divided by :data:`BATCHED_WORK_DIVISOR` unless it
    trains one row per update."""
    work = (feed.n_rows or 0) * net.n_params
    return work if config.batch_size == 1 else work // BATCHED_WORK_DIVISOR


def _run_in_background(epochs, params, state, rng, norm_sums):
    """``epochs.run`` in a worker thread on copies of the parameters and the optimizer
    state, copied back when it completes. The compiled kernels release the GIL, so the main
    thread waits in ``join``, where a second Ctrl-C raises KeyboardInterrupt at once; the
    abandoned epoch then finishes in the background on its copies (they are discarded) and
    the fit's parameters are those of the last completed epoch. The result does not depend
    on which thread ran the epoch: the same kernels on the same arrays."""
    work_params, work_state = params.copy(), state.copy()
    outcome: dict = {}

    def epoch():
        try:
            outcome["result"] = epochs.run(work_params, work_state, rng, norm_sums)
        except BaseException as error:  # handed to the main thread
            outcome["error"] = error

    worker = threading.Thread(target=epoch, name="fastmlp-epoch", daemon=True)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    np.copyto(params, work_params)
    state.restore(work_state)
    return outcome["result"]


try:  # the C function under signal.signal, without its enum conversions (~10 us a call, a
    # fair share of a small fit's fixed cost)
    from _signal import signal as _set_handler
except ImportError:  # pragma: no cover
    _set_handler = signal.signal


class _Interrupt:
    """Ctrl-C during a fit (SIGINT in the main thread) asks it to stop at the end of the
    current epoch, keeping the model and the history of the completed epochs
    (``stop_reason="interrupted"``); a second Ctrl-C interrupts at once, also during a long
    compiled epoch (:func:`_run_in_background`), with the parameters of the completed
    epochs. Elsewhere (other threads, platforms without signals) it does nothing."""

    def __init__(self):
        self.requested = False
        self._previous = None
        #: Whether this handler is installed (the main thread, on a platform with signals).
        self.active = False
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            self._previous = _set_handler(signal.SIGINT, self._handle)
            self.active = True
        except (ValueError, OSError):  # no signals here
            self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("fastmlp: stopping at the end of this epoch (Ctrl-C again to stop now)",
              file=sys.stderr, flush=True)

    def restore(self) -> None:
        if self._previous is not None:
            _set_handler(signal.SIGINT, self._previous)
            self._previous = None


def _progress_bar(config):
    from tqdm.auto import tqdm

    return tqdm(total=config.epochs, unit="epoch", desc="fit", leave=True, dynamic_ncols=True)


def _exclude_from_clock(progress, seconds: float) -> None:
    """Move the bar's clock on by ``seconds`` spent compiling, so that its elapsed time,
    rate and ETA count the training only (tqdm takes both from these two times)."""
    if seconds > 0:
        progress.start_t += seconds
        progress.last_print_t += seconds


def _postfix(history) -> dict:
    values = {"loss": f"{history._loss[-1]:.4g}"}
    if history._val_loss:
        values["val_loss"] = f"{history._val_loss[-1]:.4g}"
    return values


def _other_stop(epoch, history, params, config, gradient_pass) -> str | None:
    """The stopping rules that do not watch a loss: ``grad_tol`` and the callback."""
    if gradient_pass is not None:
        _, grad, _ = gradient_pass.loss_and_gradient(params, config.l1, config.l2)
        if np.linalg.norm(grad) < config.grad_tol:
            return "grad_tol"
    if config.callback is not None:
        answer = config.callback(epoch, history)
        # False stops, NumPy's False too (a comparison such as h.loss[-1] > 10 returns one)
        if answer is False or (isinstance(answer, np.bool_) and not answer):
            return "callback"
    return None


def _divergence(epoch: int, result, history: History, config) -> DivergenceError:
    what = "the loss" if result.status == LOSS_NOT_FINITE else "a parameter"
    restored = ("the best validation epoch's" if config.early_stopping
                and history.best_epoch is not None else
                f"those after epoch {epoch}" if epoch else "those the fit started from")
    return DivergenceError(
        f"training diverged in epoch {epoch + 1}: {what} became NaN or inf after "
        f"{result.updates} of the epoch's updates (step size {result.learning_rate:.3g}). The "
        f"parameters were restored to {restored}. Lower learning_rate, or bound the steps "
        "with clip_norm / clip_value.", epoch, history)


def _print_epoch(epoch: int, epochs: int, history: History, compiled: float = 0.0) -> None:
    line = (f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  loss {history._loss[-1]:.6g}")
    if history._val_loss:
        line += f"  val_loss {history._val_loss[-1]:.6g}"
    line += (f"  lr {history._learning_rate[-1]:.3g}  "
             f"{history._epoch_time[-1] * 1e3:.1f} ms")
    if compiled >= 0.05:  # the epoch's time includes it: say how much
        line += f" (of which {compiled:.1f} s compiling)"
    print(line, flush=True)
