"""Feeds: where a fit's rows come from, handed to the engines one block at a time.

:class:`InMemory` is one block, the whole checked dataset: the engines visit its rows in the
epoch's order directly. The other two keep memory bounded by a block, not by the data:

================ ==========================================================================
feed             rows, and what "shuffle" means
================ ==========================================================================
InMemory         arrays in memory; every epoch visits all rows in a fresh random order
FileBlocks       an ``np.memmap`` (or ``np.load(path, mmap_mode="r")``) of any size, read
                 through its file a block of whole batches at a time (``os.pread``: the
                 process holds one block, not the mapped file); shuffling permutes the
                 order of the blocks and the rows within each block -- rows never move
                 between blocks, so it is not a global shuffle
Chunks           an iterable of ``(X, Y)`` or ``(X, Y, sample_weight)`` chunks, iterated
                 again every epoch (e.g. pieces read from CSV or Parquet); chunks come in
                 the iterable's order, shuffling permutes the rows within each chunk
================ ==========================================================================

A batch never spans two blocks: ``FileBlocks`` cuts blocks of whole batches, so with
``shuffle=False`` training over a file equals training on the same rows in memory, update for
update (``tests/test_feeds.py``); a chunk's last batch may be short.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn

import numpy as np

from .kernels.structs import Data

#: Bytes of X (and Y) read per block of a FileBlocks feed.
BLOCK_BYTES = 64 * 2**20


class InMemory:
    """The whole dataset as one block."""

    streamed = False

    def __init__(self, data: Data):
        self.data = data
        self.n_rows = data.X.shape[0]
        self.weighted = data.sample_weight.shape[0] > 0

    def blocks(self, rng, shuffle: bool) -> Iterator[Data]:
        yield self.data


class FileBlocks:
    """Blocks of consecutive rows of arrays too large for memory (see the module docstring).

    Parameters
    ----------
    X, Y : ndarray or np.memmap, (n, d) and (n, k) or (n,)
        Rows are read block by block; a C-ordered memmap through its file, anything else
        by slicing.
    sample_weight : array (n,) or None
    convert : callable(X, Y, sample_weight) -> Data
        Checks one block and converts it to the network's dtype (``MLP._data``).
    batch_size : int
        Blocks hold whole batches of this many rows.
    """

    streamed = True

    def __init__(self, X, Y, sample_weight, convert: Callable, batch_size: int):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y has {Y.shape[0]} rows but X has {X.shape[0]}")
        if sample_weight is not None and np.shape(sample_weight) != (X.shape[0],):
            raise ValueError(f"sample_weight must have shape ({X.shape[0]},), got "
                             f"{np.shape(sample_weight)}")
        if X.shape[0] == 0:
            raise ValueError("X is empty: it has no rows")
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.convert = convert
        self.n_rows = X.shape[0]
        self.weighted = sample_weight is not None
        row_bytes = X.dtype.itemsize * X.shape[1] + Y.dtype.itemsize * int(np.prod(Y.shape[1:]))
        rows = max(1, BLOCK_BYTES // max(row_bytes, 1))
        self.block_rows = max(batch_size, rows // batch_size * batch_size)

    def blocks(self, rng, shuffle: bool) -> Iterator[Data]:
        starts = np.arange(0, self.n_rows, self.block_rows)
        if shuffle:
            starts = rng.permutation(starts)
        n_blocks = len(starts)
        for start in starts.tolist():
            stop = min(start + self.block_rows, self.n_rows)
            where = (f"block {start // self.block_rows} of {n_blocks} (rows {start} to "
                     f"{stop - 1})")
            try:
                weights = (None if self.sample_weight is None
                           else np.asarray(self.sample_weight[start:stop]))
                data = self.convert(read_rows(self.X, start, stop),
                                    read_rows(self.Y, start, stop), weights)
            except Exception as error:
                raise_located(error, where)
            yield data


class Chunks:
    """(X, Y[, sample_weight]) chunks from an iterable, checked one at a time.

    Parameters
    ----------
    source : iterable, or a callable returning an iterator
        Iterated once per epoch: a list of chunks, an object whose ``__iter__`` starts
        over, or a function that opens the data again. A one-shot iterator (a generator
        object) can serve a single epoch only.
    convert : callable(X, Y, sample_weight) -> Data
    epochs : int
        Epochs the fit will run (a one-shot iterator is refused for more than one).
    """

    streamed = True

    def __init__(self, source, convert: Callable, epochs: int):
        if not callable(source) and not isinstance(source, Iterable):
            raise TypeError("the chunks must be an iterable of (X, Y) or (X, Y, "
                            f"sample_weight) tuples, or a callable returning one; got "
                            f"{type(source).__name__}")
        if not callable(source) and iter(source) is source and epochs > 1:
            raise ValueError(
                "the chunks are a one-shot iterator (a generator?), which cannot be iterated "
                f"again for each of {epochs} epochs; pass a list, a re-iterable object, or a "
                "function returning a fresh iterator")
        self.source = source
        self.convert = convert
        self.n_rows: int | None = None  # not known before the first epoch
        self.weighted: bool | None = None

    def blocks(self, rng, shuffle: bool) -> Iterator[Data]:
        chunks = self.source() if callable(self.source) else self.source
        if not isinstance(chunks, Iterable):
            raise TypeError(f"the chunks callable {self.source!r} must return an iterable of "
                            f"(X, Y) or (X, Y, sample_weight) tuples, got "
                            f"{type(chunks).__name__}")
        chunks = iter(chunks)
        n_rows = 0
        i = 0
        while True:
            where = f"chunk {i}"
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except Exception as error:  # the source failed (a file gone, a network error)
                raise_located(error, f"{where} (while the chunk source produced it)")
            if not isinstance(chunk, (tuple, list)) or len(chunk) not in (2, 3):
                raise ValueError(f"{where} must be a tuple (X, Y) or (X, Y, sample_weight), "
                                 f"got {type(chunk).__name__}")
            try:
                data = self.convert(*chunk, *([None] * (3 - len(chunk))))
            except Exception as error:
                raise_located(error, where)
            weighted = data.sample_weight.shape[0] > 0
            if self.weighted is None:
                self.weighted = weighted
            elif weighted != self.weighted:
                raise ValueError(f"{where} {'has' if weighted else 'lacks'} sample weights "
                                 "unlike the first chunk: give them for every chunk or none")
            n_rows += data.X.shape[0]
            i += 1
            yield data
        if n_rows == 0:
            raise ValueError("the chunks yielded no rows")
        self.n_rows = n_rows


def raise_located(error: Exception, where: str) -> NoReturn:
    """Raise ``error`` saying where in a streamed dataset it arose: a ValueError, TypeError
    or OSError of the same type whose message starts with ``where`` (chained to the
    original), or, for another type (whose constructor may take other arguments), the error
    itself with ``where`` added as a note."""
    if type(error) in (ValueError, TypeError):
        raise type(error)(f"{where}: {error}") from error
    if isinstance(error, OSError) and error.errno is not None and error.strerror:
        # OSError(errno, ...) picks the subclass (FileNotFoundError, ...) from the errno
        raise OSError(error.errno, f"{where}: {error.strerror}", error.filename) from error
    note = f"fastmlp: raised in {where}"
    if hasattr(error, "add_note"):  # Python 3.11+
        error.add_note(note)
    else:  # Python 3.10: the notes' attribute, which tracebacks there do not print
        error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]
    raise error


def read_rows(A, start: int, stop: int) -> np.ndarray:
    """Rows ``A[start:stop]`` as a new in-memory array. A C-ordered ``np.memmap`` is read
    through its file (``os.pread``), so its pages are not mapped into this process: memory
    holds the block, not the pages of every block read so far."""
    # mode "c" (copy-on-write) keeps its writes in private pages the file does not see
    if (isinstance(A, np.memmap) and A.flags.c_contiguous and getattr(A, "filename", None)
            and A.base is not None and A.mode != "c"):
        row = A.itemsize * int(np.prod(A.shape[1:], dtype=np.int64))
        out = np.empty((stop - start,) + A.shape[1:], A.dtype)
        start_byte = _memmap_offset(A) + start * row
        with open(str(A.filename), "rb") as f:
            view = out.reshape(-1).view(np.uint8).data
            done = 0
            while done < view.nbytes:
                got = os.preadv(f.fileno(), [view[done:]], start_byte + done)
                if got == 0:
                    raise ValueError(f"{A.filename} ended before row {stop}")
                done += got
        return out
    return np.array(A[start:stop])


def _memmap_offset(A: np.memmap) -> int:
    """Byte offset of ``A[0]`` in its file: the memmap's own offset plus where a view (a
    row slice of a larger memmap) starts inside the mapping."""
    base = A
    while isinstance(base.base, np.memmap):
        base = base.base
    start_in_mapping = (A.__array_interface__["data"][0]
                        - base.__array_interface__["data"][0])
    return int(base.offset) + int(start_in_mapping)
