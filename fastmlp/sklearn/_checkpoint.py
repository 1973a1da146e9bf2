"""Checkpoints of a scikit-learn estimator's stochastic fit: the ``checkpoint=`` /
``checkpoint_every=`` extras, with the semantics of :meth:`fastmlp.MLP.fit`'s
(:mod:`fastmlp.checkpoint`, whose file format and atomic writes these share).

Every ``checkpoint_every`` epochs the fit records everything its next epoch depends on: the
:class:`~fastmlp.sklearn._state.TrainingState` (parameters, optimizer slots and update count,
step size, scikit-learn's counters and curves, the best parameters of early stopping, the
reduce-on-plateau schedule), the ``RandomState`` that shuffles the rows, the current order of
the sample indices (each epoch shuffles the previous one) and the validation split. Running
the same ``fit`` again continues from there and ends with the bits of an uninterrupted fit,
whatever ``random_state`` is (the split and the random state come from the file). A
checkpoint of another estimator, other parameters or other data is refused with a
ValueError naming the file; a fit that finishes removes it.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..checkpoint import FORMAT, VERSION, Checkpoint, _number
from ._state import TrainingState

#: Parameters that do not change what a fit computes (so a rerun may change them).
_NOT_IDENTITY = ("verbose", "checkpoint", "checkpoint_every", "random_state")


def digest(*arrays) -> str:
    """A digest of arrays' shapes and bytes (dense, or a sparse matrix's parts)."""
    h = hashlib.blake2b(digest_size=16)
    for array in arrays:
        if array is None:
            h.update(b"None")
            continue
        if hasattr(array, "tocsr"):
            csr = array.tocsr()
            parts = [csr.data, csr.indices, csr.indptr]
            h.update(f"sparse{csr.shape}".encode())
        else:
            parts = [array]
        for part in parts:
            part = np.ascontiguousarray(part)
            h.update(f"{part.shape}{part.dtype.str}".encode())
            h.update(part.data)
    return h.hexdigest()


def estimator_identity(estimator, sizes, dtype, start_params, X, Y, weights) -> dict:
    """What a checkpoint belongs to: the estimator's class (the writer), layer sizes and
    dtype (and the parameters a warm start continues), its parameters but those that do
    not change the result, and the training data (X, the encoded targets, the rows'
    weights)."""
    params = estimator.get_params()
    seed = params["random_state"]
    return {
        "writer": type(estimator).__name__,
        "network": {"sizes": [int(n) for n in sizes],
                    "dtype": np.dtype(dtype).name,
                    "start": None if start_params is None else digest(start_params)},
        # repr: exact for floats, and defined for every value a parameter may take
        "options": {k: repr(v) for k, v in sorted(params.items()) if k not in _NOT_IDENTITY},
        "data": {"rows": int(X.shape[0]), "digest": digest(X, Y, weights)},
        "seed": (int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                 else None if seed is None else type(seed).__name__),
    }


class EstimatorCheckpoint:
    """The checkpoint file of one estimator fit.

    Parameters
    ----------
    path : str or os.PathLike
    every : int >= 1
        Write after every ``every``-th epoch of the fit.
    identity : dict
        :func:`estimator_identity`.
    """

    def __init__(self, path, every: int, identity: dict):
        self.file = Checkpoint(path, every, identity)
        #: (train indices, validation indices) of early stopping's split, or None
        self.split: tuple[np.ndarray, np.ndarray] | None = None

    def due(self, epochs_done: int, max_iter: int) -> bool:
        return self.file.due(epochs_done, max_iter)

    def remove(self) -> None:
        self.file.remove()

    def write(self, state: TrainingState, rng, sample_idx) -> None:
        """Record the fit after ``state.n_iter`` epochs."""
        kind, key, pos, has_gauss, gauss = rng.get_state()
        optimizer = state.optimizer
        # a stochastic fit's state after an epoch: all of these are set
        assert optimizer is not None and state.loss is not None
        assert state.loss_curve is not None
        meta = {
            "format": FORMAT, "version": VERSION, "identity": self.file.identity,
            "epochs_done": int(state.n_iter), "t": int(state.t),
            "optimizer": optimizer.optimizer, "updates": int(optimizer.t),
            "learning_rate": state.learning_rate, "loss": _number(float(state.loss)),
            "best_loss": None if state.best_loss is None else _number(float(state.best_loss)),
            "loss_curve": [_number(float(v)) for v in state.loss_curve],
            "validation_scores": (None if state.validation_scores is None else
                                  [_number(float(v)) for v in state.validation_scores]),
            "best_validation_score": (None if state.best_validation_score is None
                                      else _number(float(state.best_validation_score))),
            "no_improvement_count": int(state.no_improvement_count),
            "plateau": None if state.plateau is None else {
                "learning_rate": state.plateau.learning_rate,
                "best": _number(state.plateau.best), "wait": state.plateau.wait},
            "rng": {"kind": kind, "pos": int(pos), "has_gauss": int(has_gauss),
                    "gauss": float(gauss)},
        }
        arrays = {"params": state.params, "slots": optimizer.slots, "rng_key": key,
                  "sample_idx": sample_idx}
        if state.best_params is not None:
            arrays["best_params"] = state.best_params
        if self.split is not None:
            arrays["train_idx"], arrays["val_idx"] = self.split
        self.file.save(meta, arrays)

    def load(self, n_rows: int):
        """The saved fit, checked against this one: a dict with its arrays and meta, or
        None when there is no file."""
        loaded = self.file.load()
        if loaded is None:
            return None
        meta, arrays = loaded
        split = None
        if "train_idx" in arrays:
            split = arrays["train_idx"], arrays["val_idx"]
            joined = np.concatenate(split)
            if (joined.dtype.kind not in "iu" or joined.shape != (n_rows,)
                    or not np.array_equal(np.sort(joined), np.arange(n_rows))):
                raise self.file.refusal("its validation split is not a partition of the rows")
        return {"meta": meta, "arrays": arrays, "split": split}

    def restore(self, saved: dict, state: TrainingState, rng) -> np.ndarray:
        """Put the saved fit into ``state`` and ``rng`` (in place); returns the order of the
        sample indices the next epoch shuffles."""
        meta, arrays = saved["meta"], saved["arrays"]
        refuse = self.file.refusal
        params, slots = arrays["params"], arrays["slots"]
        optimizer = state.optimizer
        assert optimizer is not None  # made before the fit resumes
        if (params.shape != state.params.shape or params.dtype != state.params.dtype
                or slots.shape != optimizer.slots.shape or slots.dtype != optimizer.slots.dtype
                or meta["optimizer"] != optimizer.optimizer
                or ("best_params" in arrays) != (state.best_params is not None)):
            raise refuse("its arrays do not match this network and solver")
        if (state.plateau is None) != (meta["plateau"] is None):
            raise refuse("its learning-rate schedule differs")
        if not (np.isfinite(params).all() and np.isfinite(slots).all()):
            raise refuse("its parameters or optimizer state hold NaN or inf")
        order = arrays["sample_idx"]
        if (order.dtype.kind not in "iu" or order.ndim != 1
                or not np.array_equal(np.sort(order), np.arange(order.shape[0]))):
            raise refuse("its sample order is not a permutation of the rows")
        np.copyto(state.params, params)
        np.copyto(optimizer.slots, slots)
        optimizer.t = int(meta["updates"])
        if state.best_params is not None:
            np.copyto(state.best_params, arrays["best_params"])
        state.n_iter = int(meta["epochs_done"])
        state.t = int(meta["t"])
        state.learning_rate = meta["learning_rate"]
        state.loss = np.float64(meta["loss"])
        # the types the epoch loop gives them: the losses NumPy floats, the best loss too
        # once it has one, the validation scores (scikit-learn's metrics) Python floats
        best_loss = meta["best_loss"]
        state.best_loss = (None if best_loss is None else np.float64(best_loss)
                           if np.isfinite(float(best_loss)) else float(best_loss))
        state.loss_curve = [np.float64(v) for v in meta["loss_curve"]]
        if meta["validation_scores"] is not None:
            state.validation_scores = [float(v) for v in meta["validation_scores"]]
        if meta["best_validation_score"] is not None:
            state.best_validation_score = float(meta["best_validation_score"])
        state.no_improvement_count = int(meta["no_improvement_count"])
        if state.plateau is not None:
            state.plateau.restore(meta["plateau"])
        saved_rng = meta["rng"]
        rng.set_state((saved_rng["kind"], arrays["rng_key"], saved_rng["pos"],
                       saved_rng["has_gauss"], saved_rng["gauss"]))
        return order.astype(np.int64)

