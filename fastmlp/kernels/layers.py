"""Dense layers over a chunk of rows: gathering the rows, the forward pass, and delta
backpropagation into a flat gradient (the output stage between them is in
:mod:`fastmlp.kernels.losses`).

Memory layout shared by the kernels (:class:`fastmlp.kernels.structs.Network`, built once by
:mod:`fastmlp.layout`):

* ``theta`` -- the flat parameter vector. Layer ``l`` (1..L) owns the weights
  ``theta[w_off[l-1] : w_off[l-1] + n_in*n_out]`` (row-major, shape (n_in, n_out), so
  ``w_ij`` joins node i of layer l-1 to node j of layer l) followed by the biases
  ``theta[b_off[l-1] : b_off[l-1] + n_out]``. Gradients and velocities use the same layout.
* ``acts`` -- one flat buffer for the activations of a chunk of at most ``chunk`` rows. Layer
  l's block starts at ``chunk * u_off[l]`` and is *unit-major*: value (unit u, row r) sits at
  ``u * m + r`` for a chunk of m rows. Every inner loop then runs over rows, contiguous and
  long enough to vectorize, and each block is contiguous for BLAS. One exception: when the
  first layer's product goes to BLAS, the input block (layer 0) holds the rows as they are,
  row-major, and BLAS reads it transposed (see :func:`gather_rows`).
* ``deltas`` -- same shape and offsets as ``acts``; layer 0's block is unused.

Small products run as loops, large ones through BLAS (:func:`fastmlp.kernels.blas.gemm`), which
has a fixed cost per call that loops beat on tiny layers (see bench/README.md). Loops run over views
indexed from 0, which Numba compiles without negative-index tests, so LLVM can vectorize them.

:func:`forward_chunk` and :func:`backward_chunk` are compiled once, as functions of their own
that the training epoch and the loss-and-gradient pass both call (one call per chunk): copied
into each caller, they were compiled again for each of them and for each variant of the
epoch (Adam's, clipped, scikit-learn's), which cost a cold program seconds per path
(bench/README.md, "Cold start: shared kernels").
"""


from ._jit import inlined, internal
from .activations import inplace_activate, inplace_multiply_derivative
from .blas import gemm
from .dropout import inplace_dropout
from .indexing import prefetch

#: Multiply-adds (rows * n_in * n_out) from which a product goes to BLAS instead of loops.
BLAS_MIN_MACS = 8192


@internal
def gather_rows(X, order, first, m, acts, row_major):
    """Copy rows ``X[order[first:first+m]]`` into the input block at ``acts[0]``.

    The block is unit-major like every other layer's, except when the first layer's product
    goes to BLAS (``row_major``, see :func:`input_row_major`): then the rows are copied as
    they are, contiguously, and BLAS reads them transposed. Transposing a wide input here
    would cost as much as the matrix product itself.
    """
    n_in = X.shape[1]
    if row_major:
        for r in range(m):
            src = X[order[first + r]]
            dst = acts[r * n_in : (r + 1) * n_in]
            for i in range(n_in):
                dst[i] = src[i]
    else:
        for r in range(m):
            row = order[first + r]
            for i in range(n_in):
                acts[i * m + r] = X[row, i]


@inlined
def prefetch_rows(A, order, first, m):
    """Start loading rows ``A[order[first:first+m]]`` (``m`` clipped to the rows of
    ``order``) into the cache, without waiting for them."""
    line = max(1, 64 // A.itemsize)  # values per 64-byte cache line
    for r in range(first, min(first + m, order.shape[0])):
        row = order[r]
        for i in range(0, A.shape[1], line):
            prefetch(A, row, i)


@inlined
def input_row_major(sizes, m):
    """Whether a chunk of m rows keeps its input block row-major: exactly when the first
    layer's products go to BLAS."""
    return m * sizes[0] * sizes[1] >= BLAS_MIN_MACS


@internal
def forward_chunk(theta, net, acts, m, chunk, dropout, order, first):
    """Forward pass of ``m`` rows already gathered into the input block of ``acts``.

    Hidden layers end activated; the output block is left as pre-activations z^(L), because
    the losses are evaluated stably from z (log-sum-exp, softplus): the output stage
    (:func:`fastmlp.kernels.losses.output_stage`) applies the output activation.

    ``dropout`` is the training mode: None (inference, and fits without dropout: this
    function is then compiled without the masking code) or a
    :class:`fastmlp.kernels.structs.Dropout`, which masks each hidden layer after its
    activation (:func:`fastmlp.kernels.dropout.inplace_dropout`; row r of the chunk is data
    row ``order[first + r]``) and leaves the backward factors for :func:`backward_chunk`.
    """
    sizes, w_off, b_off, u_off = net.sizes, net.w_off, net.b_off, net.u_off
    n_layers = sizes.shape[0] - 1
    for l in range(1, n_layers + 1):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        a0 = chunk * u_off[l - 1]
        z0 = chunk * u_off[l]
        w0 = w_off[l - 1]
        b0 = b_off[l - 1]
        # z (n_out, m) = W^T a + b, unit-major
        if m * n_in * n_out >= BLAS_MIN_MACS:
            # W is stored n_in x n_out: transposed. The input block is row-major (m x n_in,
            # transposed too) when the first layer goes to BLAS (see gather_rows).
            gemm(True, l == 1, n_out, m, n_in, theta[w0 : w0 + n_in * n_out],
                 acts[a0 : a0 + n_in * m], 0.0, acts[z0 : z0 + n_out * m])
            for j in range(n_out):
                b = theta[b0 + j]
                z = acts[z0 + j * m : z0 + (j + 1) * m]
                for r in range(m):
                    z[r] += b
        else:
            # views indexed from 0 keep the row loops vectorizable (see activations.py)
            for j in range(n_out):
                z = acts[z0 + j * m : z0 + (j + 1) * m]
                b = theta[b0 + j]
                for r in range(m):
                    z[r] = b
                for i in range(n_in):
                    w = theta[w0 + i * n_out + j]
                    a = acts[a0 + i * m : a0 + (i + 1) * m]
                    for r in range(m):
                        z[r] += w * a[r]
        if l < n_layers:
            inplace_activate(net.codes[l - 1], net.act_params[l - 1], acts, z0, z0 + m * n_out)
            if dropout is not None:
                inplace_dropout(dropout, l, net.codes[l - 1], net.act_params[l - 1], acts, z0,
                                u_off[l], n_out, m, order, first)


@internal
def dense_rows(theta, w0, b0, a, m, n_in, n_out, z):
    """z = a W + b for ``m`` rows, row-major: ``a`` holds the rows' inputs (m x n_in) and
    ``z`` receives their pre-activations (m x n_out), both flat blocks starting at 0.

    The inference layout (:func:`fastmlp.kernels.passes.forward`): W is stored n_in x n_out,
    so this product needs no transpose, and the input can be the rows of X themselves.
    """
    if m * n_in * n_out >= BLAS_MIN_MACS:
        gemm(False, False, m, n_out, n_in, a, theta[w0 : w0 + n_in * n_out], 0.0, z)
        b = theta[b0 : b0 + n_out]
        for r in range(m):
            row = z[r * n_out : (r + 1) * n_out]
            for j in range(n_out):
                row[j] += b[j]
        return
    for r in range(m):
        row = z[r * n_out : (r + 1) * n_out]
        for j in range(n_out):
            row[j] = theta[b0 + j]
        for i in range(n_in):
            x = a[r * n_in + i]
            w = theta[w0 + i * n_out : w0 + (i + 1) * n_out]
            for j in range(n_out):
                row[j] += x * w[j]


@internal
def backward_chunk(theta, net, acts, deltas, grad, m, chunk, overwrite, dropout):
    """Backpropagate the output deltas of ``m`` rows (set by the output stage) by the delta
    rule, adding the chunk's share of dE/dtheta into ``grad`` -- or writing it when
    ``overwrite`` (the first chunk of a batch). With ``dropout`` (the one given to
    :func:`forward_chunk`), a hidden layer's deltas are multiplied by the factors its
    forward pass left (mask times f') instead of by f'."""
    sizes, w_off, u_off = net.sizes, net.w_off, net.u_off
    zero = grad.dtype.type(0.0)
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers, 0, -1):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        a0 = chunk * u_off[l - 1]
        d0 = chunk * u_off[l]
        w0 = w_off[l - 1]
        b0 = net.b_off[l - 1]
        blas = m * n_in * n_out >= BLAS_MIN_MACS
        # dE/dW (n_in, n_out) = a delta^T: written by the batch's first chunk (``overwrite``),
        # added into by the later ones (beta = 1)
        if blas:
            gemm(l == 1, True, n_in, n_out, m, acts[a0 : a0 + n_in * m],
                 deltas[d0 : d0 + n_out * m], 0.0 if overwrite else 1.0,
                 grad[w0 : w0 + n_in * n_out])
        else:
            for i in range(n_in):
                a = acts[a0 + i * m : a0 + (i + 1) * m]
                for j in range(n_out):
                    d = deltas[d0 + j * m : d0 + (j + 1) * m]
                    acc = zero
                    for r in range(m):
                        acc += a[r] * d[r]
                    if overwrite:
                        grad[w0 + i * n_out + j] = acc
                    else:
                        grad[w0 + i * n_out + j] += acc
        # dE/db = row sums of delta
        for j in range(n_out):
            d = deltas[d0 + j * m : d0 + (j + 1) * m]
            acc = zero
            for r in range(m):
                acc += d[r]
            if overwrite:
                grad[b0 + j] = acc
            else:
                grad[b0 + j] += acc
        if l == 1:
            break
        # delta^(l-1) (n_in, m) = W delta^(l), then times f'(z^(l-1))
        if blas:
            gemm(False, False, n_in, m, n_out, theta[w0 : w0 + n_in * n_out],
                 deltas[d0 : d0 + n_out * m], 0.0, deltas[a0 : a0 + n_in * m])
        else:
            for i in range(n_in):
                p = deltas[a0 + i * m : a0 + (i + 1) * m]
                for r in range(m):
                    p[r] = zero
                for j in range(n_out):
                    w = theta[w0 + i * n_out + j]
                    d = deltas[d0 + j * m : d0 + (j + 1) * m]
                    for r in range(m):
                        p[r] += w * d[r]
        if dropout is None:
            inplace_multiply_derivative(net.codes[l - 2], net.act_params[l - 2], acts, a0,
                                        deltas, a0, m * n_in)
        else:
            factors = dropout.factors[a0 : a0 + m * n_in]
            d = deltas[a0 : a0 + m * n_in]
            for i in range(m * n_in):
                d[i] *= factors[i]
