"""The workspace: every buffer one fit (or one loss, gradient or forward call) needs,
allocated once, before the first epoch, and handed to the kernels as the named tuples of
:mod:`fastmlp.kernels.structs`."""

from __future__ import annotations

import numpy as np

from .kernels.structs import Chunk, Dropout, Network, PerSampleBlock

#: Rows per chunk in the chunked kernels' buffers: large enough for efficient BLAS calls,
#: small enough that memory stays flat in the number of rows.
CHUNK_ROWS = 256


class Workspace:
    """Allocates and owns the buffers of one fit for a network.

    Parameters
    ----------
    network : Network
        The network's kernel description (:attr:`fastmlp.MLP.network`).
    dtype : numpy dtype
        The network's dtype: every buffer but the float64 norm sums has it.
    """

    def __init__(self, network: Network, dtype):
        self.network = network
        self.dtype = np.dtype(dtype)
        self.n_params = int(network.b_off[-1] + network.sizes[-1])
        self.n_units = int(network.u_off[-1])
        self.n_layers = int(network.sizes.shape[0] - 1)
        self.buffers: list[np.ndarray] = []

    def _new(self, size: int, dtype=None, fill=None) -> np.ndarray:
        buf = np.empty(size, self.dtype if dtype is None else dtype)
        if fill is not None:
            buf.fill(fill)
        self.buffers.append(buf)
        return buf

    def vector(self) -> np.ndarray:
        """A vector in the parameters' layout (n_params,)."""
        return self._new(self.n_params)

    def chunk(self, n_rows: int, lookahead: bool = False) -> Chunk:
        """Buffers for chunked passes over batches of up to ``n_rows`` rows (with room for
        Nesterov's look-ahead point when ``lookahead``)."""
        rows = max(1, min(n_rows, CHUNK_ROWS))
        return Chunk(self._new(rows * self.n_units), self._new(rows * self.n_units),
                     self.vector(), self._new(self.n_params if lookahead else 0), int(rows))

    def per_sample(self, block_rows: int, n_in: int, n_out: int) -> PerSampleBlock:
        """Buffers for the per-sample engine: a block of ``block_rows`` rows, and the one
        block of memory (parameters, slots, look-ahead, one row's activations and deltas,
        then the norm sums) that its loop writes for every row."""
        work_bytes = (4 * self.n_params + 2 * self.n_units) * self.dtype.itemsize
        norms_at = -(-work_bytes // 8) * 8  # float64-aligned (NumPy's allocations are 16-aligned)
        memory = self._new(norms_at + 8 * self.n_layers, np.uint8, 0)
        return PerSampleBlock(
            self._new(block_rows * n_in).reshape(block_rows, n_in),
            self._new(block_rows * n_out).reshape(block_rows, n_out),
            memory[:work_bytes].view(self.dtype),
            memory[norms_at:].view(np.float64),
        )

    def dropout(self, rates, rows: int, row_offset: int = 0) -> Dropout | None:
        """The kernels' ``dropout`` argument (:class:`fastmlp.kernels.structs.Dropout`, seed
        0 until a pass sets it) for passes over up to ``rows`` rows at a time whose data starts
        at row ``row_offset``; None when ``rates`` (per hidden layer, each in [0, 1)) is."""
        if rates is None:
            return None
        if len(rates) != self.n_layers - 1:
            raise ValueError(f"dropout needs {self.n_layers - 1} rates (one per hidden layer), "
                             f"got {len(rates)}")
        drop_below = np.zeros(self.n_layers, np.uint64)
        scale = np.ones(self.n_layers)
        for l, p in enumerate(rates):
            drop_below[l] = int(p * 2.0**64)  # exact: p < 1 is a binary fraction
            scale[l] = 1.0 / (1.0 - p)
        return Dropout(0, int(row_offset), self.n_units, drop_below, scale,
                       self._new(max(1, rows) * self.n_units))

    @property
    def nbytes(self) -> int:
        """Bytes allocated so far."""
        return sum(buf.nbytes for buf in self.buffers)

    def __repr__(self) -> str:
        return f"Workspace({len(self.buffers)} buffers, {self.nbytes} bytes)"
