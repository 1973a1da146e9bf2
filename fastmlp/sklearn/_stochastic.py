"""scikit-learn's stochastic solvers ("sgd", "adam") with fastmlp's compiled engines doing
every batch.

The epoch loop follows scikit-learn's documented algorithm (``MLPClassifier``'s
``_fit_stochastic``) step for step: the same shuffles of the sample indices from the same
``RandomState``, batches of ``batch_size`` consecutive indices, the loss and step of every
batch in scikit-learn's conventions (``FitConfig(convention="scikit-learn")``,
:mod:`fastmlp.kernels.optimizers`), the epoch's loss, the ``tol`` / ``n_iter_no_change``
test, the "invscaling" and "adaptive" step sizes between epochs, early stopping on the
validation score with the best parameters restored, and the same warnings and messages. Only
the per-epoch bookkeeping runs in Python; a whole epoch runs in one compiled call (a few for
sparse input, see :class:`RowFeed`).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .. import _validation as check
from ..config import FitConfig
from ..epochs import EpochRunner
from ..kernels.optimizers import OK
from ..kernels.structs import Data
from ..state import OptimizerState
from ..threads import get_num_threads
from ..workspace import Workspace

#: Bytes of dense rows made at a time from a sparse X (rounded to whole batches): the memory
#: a sparse fit adds is one such block, whatever the number of rows.
SPARSE_BLOCK_BYTES = 32 * 2**20


def sparse_block_rows(n_features: int, dtype, batch_size: int = 1) -> int:
    """Rows per densified block of a sparse X: whole batches, about SPARSE_BLOCK_BYTES."""
    rows = SPARSE_BLOCK_BYTES // max(1, n_features * np.dtype(dtype).itemsize)
    return max(batch_size, rows // batch_size * batch_size)

#: The settings scikit-learn's optimizer objects take when made (SGDOptimizer, AdamOptimizer),
#: and fastmlp's schedule extras, which partial_fit keeps with them.
OPTIMIZER_OPTIONS = ("solver", "learning_rate_init", "learning_rate", "momentum",
                     "nesterovs_momentum", "power_t", "beta_1", "beta_2", "epsilon",
                     "warmup_steps", "decay_steps", "min_learning_rate", "plateau_factor",
                     "plateau_patience", "plateau_min_delta")

#: fastmlp's step-size schedules among ``learning_rate``'s values (scikit-learn's own --
#: "constant", "invscaling", "adaptive" -- are its per-epoch rules of solver "sgd"); they
#: apply to both stochastic solvers, with :meth:`fastmlp.MLP.fit`'s meaning.
FASTMLP_SCHEDULES = ("cosine", "plateau")

NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large "
              "values and need to be preprocessed.")


class DivergedError(ValueError):
    """An epoch reached a NaN or inf (scikit-learn's message): the fit fails, unless early
    stopping keeps the best parameters, which are finite (:func:`fit_stochastic`)."""

    def __init__(self):
        super().__init__(NON_FINITE)


class RowFeed:
    """The training rows, handed to a compiled engine one epoch at a time in a given order.

    A dense X is one block: the engine visits its rows in the epoch's order directly. A
    sparse X (CSR or CSC) is densified a block of whole batches at a time, in the epoch's
    order, so that memory grows with the block (SPARSE_BLOCK_BYTES), not with the rows.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix (n, d)
    Y : ndarray (n, k) of ``dtype``
    sample_weight : ndarray (n,) of ``dtype`` or None
    dtype : the network's dtype
    """

    def __init__(self, X, Y, sample_weight, dtype):
        self.sparse = hasattr(X, "tocsr")
        self.X = X.tocsr() if self.sparse else np.ascontiguousarray(X, dtype=dtype)
        self.Y = np.ascontiguousarray(Y, dtype=dtype)
        self.weights = (np.empty(0, dtype) if sample_weight is None
                        else np.ascontiguousarray(sample_weight, dtype=dtype))
        self.dtype = np.dtype(dtype)
        self.n_rows = self.Y.shape[0]
        self._dense = None if self.sparse else Data(self.X, self.Y, self.weights)

    @property
    def weighted(self) -> bool:
        return self.weights.shape[0] > 0

    def blocks(self, order: np.ndarray, batch_size: int):
        """(Data, order within it) pairs that together visit the rows in ``order``, each
        holding whole batches (the last may end with a short one)."""
        if not self.sparse:
            yield self._dense, order
            return
        rows = sparse_block_rows(self.X.shape[1], self.dtype, batch_size)
        for start in range(0, self.n_rows, rows):
            take = order[start:start + rows]
            X = np.ascontiguousarray(self.X[take].toarray(), dtype=self.dtype)
            weights = self.weights[take] if self.weighted else self.weights
            yield (Data(X, np.ascontiguousarray(self.Y[take]), weights),
                   np.arange(take.shape[0], dtype=np.int64))


class StochasticSolver:
    """Runs epochs of scikit-learn's "sgd" or "adam" on a :class:`RowFeed`.

    Parameters
    ----------
    network : fastmlp.kernels.structs.Network
    feed : RowFeed
    options : dict
        The estimator's parameters (``get_params()``).
    batch_size : int
        The resolved batch size (scikit-learn's "auto" and clipping already applied).
    decay_steps : int or None
        The cosine schedule's T (``learning_rate="cosine"``), resolved by the caller.
    """

    def __init__(self, network, feed: RowFeed, options: dict, batch_size: int,
                 decay_steps: int | None = None):
        self.network = network
        self.feed = feed
        self.options = options
        self.batch_size = batch_size
        # sparse blocks change from epoch to epoch: the general engine runs them
        self.config = fit_config(options, batch_size,
                                 engine="chunked" if feed.sparse else None,
                                 decay_steps=decay_steps)
        # an engine per block length, each given the next block of that length
        self._runner = EpochRunner(Workspace(network, feed.dtype), feed, self.config,
                                   get_num_threads())

    def run_epoch(self, params, optimizer: OptimizerState, order, learning_rate) -> float:
        """One epoch over the rows in ``order`` at step size ``learning_rate``, in place on
        ``params`` and ``optimizer``; returns scikit-learn's epoch loss (the batches' losses
        weighted by their rows). Raises scikit-learn's ValueError when a value becomes NaN or
        inf (the caller's state copy is then discarded)."""
        norm_sums = np.zeros(self.network.sizes.shape[0] - 1)
        loss_sum = 0.0
        for data, block_order in self.feed.blocks(order, self.batch_size):
            engine = self._runner.engine_for(data)
            engine.set_learning_rate(learning_rate)
            engine.set_order(block_order)
            result = engine.run_epoch(params, optimizer, -1, norm_sums)
            if result.status != OK:
                raise DivergedError()
            optimizer.t += result.updates
            loss_sum += result.loss_sum
        return loss_sum / self.feed.n_rows


def fit_config(options: dict, batch_size: int, engine: str | None = None,
               decay_steps: int | None = None) -> FitConfig:
    """The engines' configuration for scikit-learn's solver options (``engine`` forces
    one, as in ``MLP.fit``; ``decay_steps``: the cosine schedule's T, resolved by the
    caller when the option is None)."""
    if options["solver"] == "adam":
        rule = dict(optimizer="adam", beta_1=options["beta_1"], beta_2=options["beta_2"],
                    epsilon=options["epsilon"])
    else:
        nesterov = options["nesterovs_momentum"] and options["momentum"] > 0
        # momentum 1 is allowed by scikit-learn; the kernels' momentum lives in [0, 1)
        rule = dict(optimizer="nesterov" if nesterov else "momentum",
                    momentum=min(float(options["momentum"]), np.nextafter(1.0, 0.0)))
    # by scikit-learn's names: partial_fit after the first call skips its parameter checks
    # (as scikit-learn's does), and FitConfig would name them l2 and learning_rate
    check.non_negative_number(options["alpha"], "alpha")
    check.positive_number(options["learning_rate_init"], "learning_rate_init")
    schedule = options["learning_rate"]
    if schedule not in FASTMLP_SCHEDULES:
        schedule = "constant"  # scikit-learn's rules change the base step between epochs
    elif schedule == "cosine":
        rule.update(warmup_steps=options["warmup_steps"], decay_steps=decay_steps,
                    min_learning_rate=options["min_learning_rate"])
    return FitConfig.from_options(
        **rule, learning_rate=options["learning_rate_init"], batch_size=batch_size,
        shuffle=False, l2=options["alpha"], clip_value=options["clip_value"],
        clip_norm=options["clip_norm"], convention="scikit-learn", engine=engine,
        schedule=schedule)


def new_optimizer(options: dict, n_params: int, dtype) -> OptimizerState:
    """Fresh optimizer state for the solver (scikit-learn starts one in every ``fit``)."""
    name = "adam" if options["solver"] == "adam" else "momentum"
    return OptimizerState.fresh(name, n_params, dtype)


def fit_stochastic(solver: StochasticSolver, state, rng, incremental: bool, score=None,
                   verbose=False, validation_loss=None, checkpoint=None,
                   sample_idx=None) -> None:
    """scikit-learn's epoch loop, in place on ``state`` (a TrainingState copy).

    Parameters
    ----------
    solver : StochasticSolver
    state : fastmlp.sklearn._state.TrainingState
        Its ``n_iter`` epochs are already done (0, unless resumed from a checkpoint).
    rng : numpy.random.RandomState
        Shuffles the sample indices each epoch (the estimator's ``random_state``).
    incremental : bool
        ``partial_fit``: one epoch, no convergence warning.
    score : callable(params) -> float, or None
        The validation score (early stopping); None stops on the training loss.
    verbose : bool
    validation_loss : callable(params) -> float, or None
        The loss on the validation rows, which reduce-on-plateau (``state.plateau``)
        watches when given (early stopping); else it watches the training loss.
    checkpoint : fastmlp.sklearn._checkpoint.EstimatorCheckpoint or None
        Written every few epochs with the state and ``sample_idx``; removed when the loop
        ends (not when Ctrl-C or an exception ends it: the fit run again continues).
    sample_idx : int64 ndarray or None
        The order of the sample indices that the next epoch shuffles (None: in order).
    """
    o = solver.options
    tol, patience = o["tol"], o["n_iter_no_change"]
    if sample_idx is None:
        sample_idx = np.arange(solver.feed.n_rows, dtype=np.int64)
    diverged = False
    try:
        for _ in range(o["max_iter"] - state.n_iter):
            if o["shuffle"]:
                sample_idx = shuffled(sample_idx, rng)
            if not diverged:
                try:
                    loss = solver.run_epoch(state.params, state.optimizer, sample_idx,
                                            state.learning_rate)
                except DivergedError:
                    if score is None:
                        raise
                    # scikit-learn trains on from NaN parameters (NaN losses and scores,
                    # which never count as no improvement) to max_iter, then restores the
                    # best ones: the same here, without running the NaN epochs
                    diverged = True
            if diverged:
                state.params.fill(np.nan)
                loss = np.nan
            state.loss = np.float64(loss)
            state.n_iter += 1
            state.t += solver.feed.n_rows
            state.loss_curve.append(state.loss)
            if verbose:
                print("Iteration %d, loss = %.8f" % (state.n_iter, state.loss))
            _count_no_improvement(state, tol, score, verbose)
            if o["solver"] == "sgd" and o["learning_rate"] == "invscaling":
                state.learning_rate = (float(o["learning_rate_init"])
                                       / (state.t + 1) ** o["power_t"])
            if state.plateau is not None:
                _reduce_on_plateau(state, validation_loss, verbose)
            if state.no_improvement_count > patience:
                what = ("Validation score" if score is not None else "Training loss")
                msg = (f"{what} did not improve more than tol={tol:f} for {patience} "
                       "consecutive epochs.")
                if _should_stop(state, o, msg, verbose):
                    break
                state.no_improvement_count = 0
            if incremental:
                break
            if (checkpoint is not None and not diverged
                    and checkpoint.due(state.n_iter, o["max_iter"])):
                checkpoint.write(state, rng, sample_idx)
            if state.n_iter == o["max_iter"]:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({o['max_iter']}) "
                              "reached and the optimization hasn't converged yet.",
                              ConvergenceWarning, stacklevel=4)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=4)
    else:
        if checkpoint is not None:
            checkpoint.remove()  # finished: a rerun trains afresh
    if score is not None:
        np.copyto(state.params, state.best_params)


def _reduce_on_plateau(state, validation_loss, verbose) -> None:
    """Keras' ReduceLROnPlateau after an epoch: the validation loss is watched when there is
    one (early stopping), else the training loss (:class:`fastmlp.schedules.ReduceOnPlateau`)."""
    val_loss = None if validation_loss is None else validation_loss(state.params)
    lowered = state.plateau.update(float(state.loss), val_loss)
    if lowered is not None:
        state.learning_rate = lowered
        if verbose:
            watched = "Validation loss" if val_loss is not None else "Training loss"
            print(f"{watched} did not improve more than plateau_min_delta="
                  f"{state.plateau.min_delta:f} for {state.plateau.patience} consecutive "
                  f"epochs. Setting learning rate to {lowered:f}")


def shuffled(sample_idx: np.ndarray, rng) -> np.ndarray:
    """``sklearn.utils.shuffle(sample_idx, random_state=rng)``: the same permutation, drawn
    the same way (``rng.shuffle`` of arange(n)), without its per-call argument validation,
    which costs as much as a small network's whole compiled epoch."""
    permutation = np.arange(sample_idx.shape[0])
    rng.shuffle(permutation)
    return sample_idx[permutation]


def _count_no_improvement(state, tol, score, verbose) -> None:
    """Update the no-improvement count from this epoch's validation score (early stopping,
    keeping the best parameters) or training loss."""
    if score is not None:
        value = score(state.params)
        state.validation_scores.append(value)
        if verbose:
            print("Validation score: %f" % value)
        if value < state.best_validation_score + tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if value > state.best_validation_score:
            state.best_validation_score = value
            np.copyto(state.best_params, state.params)
        return
    if state.loss_curve[-1] > state.best_loss - tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if state.loss_curve[-1] < state.best_loss:
        state.best_loss = state.loss_curve[-1]


def _should_stop(state, options, msg, verbose) -> bool:
    """After ``n_iter_no_change`` epochs without improvement: stop, or for "sgd" with
    ``learning_rate="adaptive"`` divide the step size by 5 (stopping once it is at most
    1e-6)."""
    if options["solver"] != "sgd" or options["learning_rate"] != "adaptive":
        if verbose:
            print(msg + " Stopping.")
        return True
    if state.learning_rate <= 1e-6:
        if verbose:
            print(msg + " Learning rate too small. Stopping.")
        return True
    state.learning_rate /= 5.0
    if verbose:
        print(msg + " Setting learning rate to %f" % state.learning_rate)
    return False
