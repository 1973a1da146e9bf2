"""A network's outputs for rows already in the kernels' layout, with no per-call cost that
does not depend on the rows.

:class:`fastmlp.full_data.FullDataPass` allocates a whole workspace (activations, deltas, a
gradient vector), splits the rows across threads where that pays and, before the first call,
waits for a background compile and arms the compile notice. A service that predicts one row
at a time paid all of that on every request: 60-100 us around a compiled pass of about 3 us
(bench/README.md, "One-row inference"). Here the first call with a dtype goes through it
(the waiting and the notice are for that call); every later call with fewer rows than two
threads would take allocates the one activation buffer the forward pass reads and calls the
compiled pass directly -- through its remembered entry point when the arrays are of the
types it was compiled for, since Numba's dispatcher typed the two named tuples of arrays on
every call. Both run the same kernel on the same chunks, so the outputs are the same bits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _validation as check
from .full_data import FullDataPass
from .kernels import passes
from .kernels.structs import Chunk, Data, Network
from .parallel import MIN_ROWS_PER_THREAD
from .workspace import CHUNK_ROWS, Workspace

#: Below this many rows a pass runs on one thread whatever the thread count
#: (:func:`fastmlp.parallel.threads_for` gives 1), so the split need not be asked for.
SERIAL_ROWS = 2 * MIN_ROWS_PER_THREAD

#: dtypes whose inference kernel has run in this process: compiled or loaded, so there is
#: nothing left to wait for or to announce.
_ready: set[np.dtype] = set()

#: Per dtype, the zero-length buffer passed for the chunk's fields the forward pass never
#: reads (deltas, gradient, look-ahead): the same array types as a workspace's, so the call
#: matches the kernel already compiled, and nothing is ever written into them.
_UNUSED: dict[np.dtype, np.ndarray] = {np.dtype(np.float32): np.empty(0, np.float32),
                                        np.dtype(np.float64): np.empty(0, np.float64)}


def forward(params: np.ndarray, network: Network, X: np.ndarray, out: np.ndarray,
            name: str = "X") -> np.ndarray:
    """The network's outputs for every row of ``X`` into ``out`` (n, n_outputs).

    Parameters
    ----------
    params : ndarray (n_params,)
        The flat parameter vector; its dtype is the network's.
    network : Network
        The kernels' description of the network.
    X : ndarray (n, n_inputs)
        C-contiguous, writeable, of ``params``' dtype, at least one row (the kernels'
        layout: :func:`fastmlp._validation.as_features` makes it).
    out : ndarray (n, n_outputs)
        C-contiguous, of ``params``' dtype; overwritten.
    name : str
        The rows' name in the error message.

    Returns
    -------
    ndarray
        ``out``.

    Raises
    ------
    ValueError
        Naming ``name`` and the first bad index, when ``X`` holds a NaN or inf (tested by
        the compiled pass as it reads the rows).
    """
    dtype = params.dtype
    if not serial(dtype, X.shape[0]):
        FullDataPass(Workspace(network, dtype),
                     Data(X, np.empty((X.shape[0], 0), dtype), _UNUSED[dtype])
                     ).forward(params, out, name)
        _ready.add(dtype)
    elif not serial_forward(params, network, X, out):
        check.require_finite(X, name)
    return out


def serial(dtype: np.dtype, n_rows: int) -> bool:
    """Whether :func:`serial_forward` may run ``n_rows`` rows of ``dtype``: fewer rows than
    two threads would take, and the kernel already run once in this process with this
    dtype."""
    return n_rows < SERIAL_ROWS and dtype in _ready


def serial_forward(params: np.ndarray, network: Network, X: np.ndarray,
                   out: np.ndarray) -> bool:
    """The outputs of :func:`forward` in one compiled call on this thread, for callers that
    checked :func:`serial`; returns whether every value of ``X`` was finite (when not,
    ``out`` holds garbage and the caller words the error)."""
    dtype = params.dtype
    unused = _UNUSED[dtype]
    rows = min(X.shape[0], CHUNK_ROWS)  # Workspace.chunk's chunk: the same blocks, same bits
    buf = Chunk(np.empty(rows * int(network.u_off[-1]), dtype), unused, unused, unused, rows)
    plain = _plain(params, 1, dtype) and _plain(X, 2, dtype) and _plain(out, 2, dtype)
    known = _entries.get((id(network), dtype)) if plain else None
    if known is not None and known[0] is network:
        return bool(known[1](params, X, network, buf, out))
    finite = bool(passes.forward(params, X, network, buf, out))
    if plain:
        _remember(network, dtype, (params, X, network, buf, out))
    return finite


#: (id of a network, dtype) -> (the network, the inference kernel's compiled entry point for
#: plain arrays of that dtype and that network's field types). The network is held, so its
#: id is not reused while the entry is kept; at most _ENTRIES_KEPT are.
_entries: dict[tuple[int, np.dtype], tuple[Network, Callable[..., bool]]] = {}
_ENTRIES_KEPT = 256


def _plain(a: np.ndarray, ndim: int, dtype: np.dtype) -> bool:
    """Whether ``a`` is what the kernel's remembered entry point was compiled for: a plain
    ndarray (not a subclass) of ``ndim`` dimensions and ``dtype``, C-contiguous, writeable
    and aligned (each of which Numba types apart)."""
    if type(a) is not np.ndarray or a.ndim != ndim or a.dtype != dtype:
        return False
    flags = a.flags
    return flags.c_contiguous and flags.writeable and flags.aligned


def _remember(network: Network, dtype: np.dtype, args: tuple) -> None:
    """Keep the compiled entry point that ``passes.forward(*args)`` just ran.

    The dispatcher works out the Numba type of every argument on every call: for the two
    named tuples of arrays that took 3-7 us, more than the one-row pass itself
    (bench/README.md, "One-row inference"). The argument types of a later call with plain
    arrays (:func:`_plain`) of the same dtype, the same network and a chunk built as here are
    the same, so its entry point can be called directly."""
    dispatcher = passes.forward
    try:
        signature = tuple(dispatcher.typeof_pyval(a) for a in args)
        entry = dispatcher.overloads[signature].entry_point
    except (AttributeError, KeyError):  # another Numba's internals: keep to the dispatcher
        return
    if len(_entries) >= _ENTRIES_KEPT:
        _entries.clear()
    _entries[(id(network), dtype)] = (network, entry)
