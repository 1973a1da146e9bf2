"""Checkpoints of a running fit, so that a long fit survives a crash:
``net.fit(..., checkpoint=path, checkpoint_every=N)``.

Every N epochs the fit writes everything its next epoch depends on -- the parameters, the
optimizer state (slots and update count), the history so far, the stopping rules' state,
the best validation epoch's parameters under early stopping, the state of the random
generator that orders the rows, and the number of epochs done -- to ``path``, atomically
(a temporary file, flushed to disk, then renamed over ``path``: a crash during the write
leaves the previous checkpoint whole). Running the same ``fit`` call again with the same
``checkpoint`` continues from it -- the semantics of Keras' ``BackupAndRestore``: a killed
script is simply run again -- and ends with the same bits as a fit that was never
interrupted (``tests/test_checkpoint.py`` kills one with SIGKILL). A fit that finishes
removes its checkpoint; one stopped by Ctrl-C keeps it, so the rerun continues.

A checkpoint records what it belongs to: the network's architecture, the fit's options
(all but ``callback`` and ``verbose``), the integer ``seed`` if one was given, and the
training data's shape (and, for arrays in memory, a digest of their bytes). A checkpoint of
another network, configuration or data set is refused with a ValueError that says what
differs and names the file, rather than silently continuing some other fit.

The file is an ``.npz`` read without unpickling anything; it is not a model file (load a
trained model from :meth:`fastmlp.MLP.save`'s files).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os

import numpy as np

from . import _validation as check

#: Written into every checkpoint; a file with another value is refused.
FORMAT = "fastmlp-fit-checkpoint"
VERSION = 1


class Checkpoint:
    """The checkpoint file of one fit.

    Parameters
    ----------
    path : str or os.PathLike
        The file (conventionally ``*.npz``); its directory must exist.
    every : int >= 1
        Write after every ``every``-th epoch (counting from the fit's first) and when Ctrl-C
        stops the fit.
    identity : dict
        JSON-serializable description of the network, options and data the checkpoint
        belongs to (:func:`identity`).
    """

    def __init__(self, path, every: int, identity: dict):
        try:
            self.path = os.fspath(path)
        except TypeError:
            raise TypeError(f"checkpoint must be a path (str or os.PathLike), got "
                            f"{path!r}") from None
        if not isinstance(self.path, str) or not self.path or os.path.isdir(self.path):
            raise ValueError(f"checkpoint must name a file, got {path!r}")
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise ValueError(f"checkpoint {self.path!r}: its directory {directory!r} does not "
                             "exist")
        self.every = check.positive_int(every, "checkpoint_every")
        self.identity = json.loads(json.dumps(identity))  # what reading it back will give
        self._tmp = self.path + ".tmp"

    # ------------------------------------------------------------------ writing
    def due(self, epochs_done: int, epochs: int) -> bool:
        """Whether to write after ``epochs_done`` epochs (not after the last: the fit is
        about to finish and remove the file)."""
        return epochs_done % self.every == 0 and epochs_done < epochs

    def write(self, epochs_done, params, state, history, monitor, rng, best_params,
              runner, plateau=None) -> None:
        """Record the fit after ``epochs_done`` epochs, atomically (``runner``: the
        :class:`fastmlp.epochs.EpochRunner`, whose engines' row orders the next shuffles
        start from)."""
        meta = {
            "format": FORMAT, "version": VERSION, "identity": self.identity,
            "epochs_done": int(epochs_done), "optimizer": state.optimizer, "t": int(state.t),
            "rng": rng.bit_generator.state,
            "history": {"loss": history._loss, "val_loss": history._val_loss,
                        "learning_rate": history._learning_rate,
                        "epoch_time": history._epoch_time, "best_epoch": history.best_epoch},
            "monitor": {"best_epoch": monitor.best_epoch,
                        "best_monitored": _number(monitor._best_monitored),
                        "best_watched": _number(monitor._best_watched),
                        "stale": monitor._stale},
        }
        if plateau is not None:  # fastmlp.schedules.ReduceOnPlateau
            meta["plateau"] = {"learning_rate": plateau.learning_rate,
                               "best": _number(plateau.best), "wait": plateau.wait}
        arrays = {"params": params, "slots": state.slots,
                  "grad_norms": np.array(history._grad_norms, dtype=np.float64).reshape(
                      len(history._grad_norms), -1)}
        if best_params is not None:
            arrays["best_params"] = best_params
        for n, order in runner.row_orders().items():
            arrays[f"order_{n}"] = order
        self.save(meta, arrays)

    def save(self, meta: dict, arrays: dict) -> None:
        """Write ``arrays`` and the JSON ``meta`` (which must hold the format, version and
        identity) atomically: a temporary file, flushed to disk, renamed over the path."""
        arrays = {"meta": np.array(json.dumps(meta)), **arrays}
        try:
            with open(self._tmp, "wb") as fh:
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(self._tmp, self.path)
            _sync_directory(os.path.dirname(os.path.abspath(self.path)))
        except OSError as error:
            raise OSError(error.errno, f"cannot write the checkpoint {self.path!r}: "
                          f"{error.strerror}") from error

    def remove(self) -> None:
        """Delete the checkpoint (and a temporary file a crash may have left)."""
        for name in (self.path, self._tmp):
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------------ reading
    def refusal(self, reason: str) -> ValueError:
        """The error refusing this file, naming it and saying why."""
        return ValueError(f"checkpoint {self.path!r} cannot continue this fit: {reason}. "
                          "Delete it to start afresh, or pass another checkpoint path")

    def load(self) -> tuple[dict, dict] | None:
        """(meta, arrays) of the file, checked to be a checkpoint of this format and
        version written by the fit of :attr:`identity` (else a ValueError naming the file);
        None when there is no file."""
        if not os.path.exists(self.path):
            return None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            meta = json.loads(str(arrays.pop("meta")))
        except Exception as error:  # not an npz, truncated, no meta, bad JSON
            raise self.refusal(f"it is not a checkpoint file ({type(error).__name__}: "
                               f"{error})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise self.refusal("it is not a fastmlp fit checkpoint")
        if meta.get("version") != VERSION:
            raise self.refusal(f"it has format version {meta.get('version')!r}, this fastmlp "
                               f"reads {VERSION}")
        if meta.get("identity") != self.identity:
            raise self.refusal("it was written by " + _difference(meta.get("identity") or {},
                                                                   self.identity))
        return meta, arrays

    def resume(self, params, state, history, monitor, rng, best_params, runner,
               plateau=None) -> int:
        """Load the checkpoint into the fit's objects (in place) and return the epochs it
        had done; 0, touching nothing, when there is no checkpoint file."""
        loaded = self.load()
        if loaded is None:
            return 0
        meta, arrays = loaded
        refuse = self.refusal
        saved_params, slots = arrays["params"], arrays["slots"]
        if (saved_params.shape != params.shape or saved_params.dtype != params.dtype
                or slots.shape != state.slots.shape or slots.dtype != state.slots.dtype
                or meta["optimizer"] != state.optimizer
                or ("best_params" in arrays) != (best_params is not None)):
            raise refuse("its arrays do not match this network and optimizer")
        if not (np.isfinite(saved_params).all() and np.isfinite(slots).all()):
            raise refuse("its parameters or optimizer state hold NaN or inf")
        np.copyto(params, saved_params)
        np.copyto(state.slots, slots)
        state.t = int(meta["t"])
        if best_params is not None:
            np.copyto(best_params, arrays["best_params"])
        orders = {int(name[6:]): order for name, order in arrays.items()
                  if name.startswith("order_")}
        if any(o.shape != (n,) or o.dtype.kind not in "iu" or not np.array_equal(
                np.sort(o), np.arange(n)) for n, o in orders.items()):
            raise refuse("its row orders are not permutations of the blocks' rows")
        runner.set_row_orders(orders)
        rng.bit_generator.state = meta["rng"]
        saved = meta["history"]
        history._loss = [float(v) for v in saved["loss"]]
        history._val_loss = [float(v) for v in saved["val_loss"]]
        history._learning_rate = [float(v) for v in saved["learning_rate"]]
        history._epoch_time = [float(v) for v in saved["epoch_time"]]
        history._grad_norms = [row.copy() for row in arrays["grad_norms"]]
        history.best_epoch = saved["best_epoch"]
        watched = meta["monitor"]
        monitor.best_epoch = watched["best_epoch"]
        monitor._best_monitored = float(watched["best_monitored"])
        monitor._best_watched = float(watched["best_watched"])
        monitor._stale = int(watched["stale"])
        if plateau is not None and "plateau" in meta:
            plateau.restore(meta["plateau"])
            runner.set_learning_rate(plateau.learning_rate)
        return int(meta["epochs_done"])


def identity(net, config, feed, seed) -> dict:
    """What a checkpoint belongs to: the architecture, the fit's options but the callback
    and verbosity (they do not change the result), an integer seed, and the data's shape
    (plus a digest of arrays in memory)."""
    options = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
               if f.name not in ("callback", "verbose")}
    data: dict = {"kind": type(feed).__name__, "rows": feed.n_rows}
    held = getattr(feed, "data", None)
    if held is not None:
        digest = hashlib.blake2b(digest_size=16)
        for array in (held.X, held.Y, held.sample_weight):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).data)
        data["digest"] = digest.hexdigest()
    return {"network": net.config(), "options": options, "data": data,
            "seed": int(seed) if isinstance(seed, (int, np.integer)) else None}


def _difference(saved: dict, current: dict) -> str:
    """Which part of the identity differs, in words."""
    if saved.get("writer") != current.get("writer"):  # MLP.fit's have none; an estimator's
        def by(writer) -> str:  # its class's name
            return "fastmlp.MLP.fit" if writer is None else f"{writer}.fit"
        return f"{by(saved.get('writer'))}, not by {by(current.get('writer'))}"
    for key, words in (("network", "another network"), ("options", "a fit with other options"),
                       ("data", "a fit on other data"), ("seed", "a fit with another seed")):
        a, b = saved.get(key), current.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                parts = [f"{k}: {a.get(k)!r} there, {b.get(k)!r} here" for k in keys[:3]]
                return f"{words} ({'; '.join(parts)})"
            return f"{words} ({a!r} there, {b!r} here)"
    return "another fit"


def _number(value: float) -> float | str:
    """JSON has no infinity: the stopping rules start from +inf."""
    return value if math.isfinite(value) else repr(value)


def _sync_directory(directory: str) -> None:
    """Make the rename durable (POSIX: the directory entry is flushed separately)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
