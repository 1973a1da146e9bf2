"""Dense layers over a chunk of rows: forward pass, output stage (loss and output deltas),
and delta backpropagation into a flat gradient.

Memory layout shared by the kernels (built once by :mod:`fastmlp.layout`):

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
"""

import numpy as np

from ._jit import inlined, kernel
from .activations import (
    SOFTMAX,
    activation_value_inlined,
    derivative_value_inlined,
    inplace_activate,
    inplace_multiply_derivative,
)
from .blas import gemm
from .fastexp import fast_exp
from .indexing import prefetch, unsigned

MSE = 0
HALF_MSE = 1
CROSS_ENTROPY = 2
BINARY_CROSS_ENTROPY = 3

#: Multiply-adds (rows * n_in * n_out) from which a product goes to BLAS instead of loops.
BLAS_MIN_MACS = 8192


@kernel
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


@kernel
def input_row_major(sizes, m):
    """Whether a chunk of m rows keeps its input block row-major: exactly when the first
    layer's products go to BLAS."""
    return m * sizes[0] * sizes[1] >= BLAS_MIN_MACS


@inlined
def splitmix64(state):
    """One step of the SplitMix64 generator (Steele, Lea & Flood 2014): returns
    (new state, 64 random bits). All arithmetic is uint64 and wraps."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@kernel
def shuffle_rows(order, seed):
    """Fisher-Yates shuffle of ``order`` in place, seeded by ``seed`` (nothing happens when
    seed < 0).

    Each swap index is uniform on 0..i by Lemire's multiply-shift with rejection (exact for
    i < 2^32) over SplitMix64 bits: 1-2 ns per row instead of the 13 ns of Numba's
    ``np.random.randint`` (measured on 20,000 rows), which mattered next to per-sample SGD's
    ~140 ns per row. It also leaves Numba's global generator alone.
    """
    if seed < 0:
        return
    state = np.uint64(seed)
    low_mask = np.uint64(0xFFFFFFFF)
    for i in range(order.shape[0] - 1, 0, -1):
        span = np.uint64(i + 1)
        state, bits = splitmix64(state)
        product = (bits >> np.uint64(32)) * span  # a 32-bit draw times span: fits 64 bits
        low = product & low_mask
        if low < span:
            # reject the draws that would make some results one draw likelier than others
            threshold = (np.uint64(0x100000000) - span) % span
            while low < threshold:
                state, bits = splitmix64(state)
                product = (bits >> np.uint64(32)) * span
                low = product & low_mask
        j = np.int64(product >> np.uint64(32))
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


@inlined
def forward_chunk(theta, sizes, w_off, b_off, u_off, codes, act_params, acts, m, chunk):
    """Forward pass of ``m`` rows already gathered into the input block of ``acts``.

    Hidden layers end activated; the output block is left as pre-activations z^(L), because
    the losses are evaluated stably from z (log-sum-exp, softplus). Apply the output activation
    with :func:`fastmlp.kernels.activations.inplace_activate_block` or :func:`output_stage`.
    """
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
            inplace_activate(codes[l - 1], act_params[l - 1], acts, z0, z0 + m * n_out)


def _make_output_stage(one_value_path):
    """The output stage, with or without its one-row path (``one_value_path``, a constant
    that Numba prunes on): only the per-sample kernel gains from that path, and leaving it out
    of the chunk drivers keeps their cold compile about 0.4 s shorter."""

    def _output_stage(acts, z0, deltas, Y, order, first, m, n_out, code, param, loss_code, scale):
        """Loss and output deltas of ``m`` rows whose pre-activations z (unit-major, so output k
        of row r is at ``z0 + k*m + r``) start at ``acts[z0]``.

        Targets are ``Y[order[first + r]]``. Writes the activated outputs over z, and
        ``scale * dE_r/dz`` (scale = 1/batch rows: the gradient of the *mean* loss) into
        ``deltas`` at the same offsets. Returns the *sum* of the rows' losses
        (``mse``: sum_k (o-d)^2; ``half_mse``: half that; ``cross_entropy``: -sum_k d log p;
        ``binary_cross_entropy``: -sum_k [d log o + (1-d) log(1-o)]).
        """
        zero = acts.dtype.type(0.0)
        one = acts.dtype.type(1.0)
        s = acts.dtype.type(scale)
        coef = acts.dtype.type(2.0) if loss_code == MSE else one
        total = 0.0
        if loss_code == BINARY_CROSS_ENTROPY:
            # -[d log S(z) + (1-d) log(1-S(z))] = max(z,0) - d z + log(1 + exp(-|z|))
            for r in range(m):
                row = order[first + r]
                for k in range(n_out):
                    at = z0 + k * m + r
                    z = acts[at]
                    d = Y[row, k]
                    total += max(z, zero) - d * z + np.log1p(fast_exp(-abs(z)))
                    o = one / (one + fast_exp(-z))
                    acts[at] = o
                    deltas[at] = s * (o - d)
        elif code == SOFTMAX:
            for r in range(m):
                row = order[first + r]
                zmax = acts[z0 + r]
                for k in range(1, n_out):
                    zmax = max(zmax, acts[z0 + k * m + r])
                # exp(z - max) parks in deltas until z itself is no longer needed
                expsum = zero
                for k in range(n_out):
                    at = z0 + k * m + r
                    e = fast_exp(acts[at] - zmax)
                    deltas[at] = e
                    expsum += e
                inv = one / expsum
                if loss_code == CROSS_ENTROPY:
                    # log p_k = z_k - max - log(sum exp(z - max)): finite even where p underflows
                    log_norm = zmax + np.log(expsum)
                    dsum = zero
                    for k in range(n_out):
                        d = Y[row, k]
                        dsum += d
                        if d != zero:
                            total -= d * (acts[z0 + k * m + r] - log_norm)
                    # dE/dz_k = p_k * sum_j d_j - d_k  (= p - d for one-hot targets)
                    for k in range(n_out):
                        at = z0 + k * m + r
                        p = deltas[at] * inv
                        acts[at] = p
                        deltas[at] = s * (p * dsum - Y[row, k])
                else:
                    # squared error through the softmax Jacobian:
                    # dE/dz_k = p_k (g_k - sum_j g_j p_j)
                    gp = zero
                    for k in range(n_out):
                        at = z0 + k * m + r
                        p = deltas[at] * inv
                        acts[at] = p
                        diff = p - Y[row, k]
                        total += diff * diff
                        gp += coef * diff * p
                    for k in range(n_out):
                        at = z0 + k * m + r
                        p = acts[at]
                        deltas[at] = s * p * (coef * (p - Y[row, k]) - gp)
        elif one_value_path and m == 1:
            # one row (the per-sample kernel): activation, loss and delta value by value, each
            # kept in a register; unsigned indices skip the negative-index tests
            p = acts.dtype.type(param)
            row = unsigned(order[first])
            for k in range(n_out):
                at = unsigned(z0 + k)
                o = activation_value_inlined(code, p, acts[at])
                diff = o - Y[row, k]
                total += diff * diff
                acts[at] = o
                deltas[at] = s * coef * diff * derivative_value_inlined(code, p, o)
        else:
            # whole-layer passes, each a single vectorizable formula (the one-value form above
            # tests the code per value: measured 6-9% slower on full-batch 3-4-2 / 64-32-10)
            inplace_activate(code, param, acts, z0, z0 + n_out * m)
            for k in range(n_out):
                for r in range(m):
                    at = z0 + k * m + r
                    diff = acts[at] - Y[order[first + r], k]
                    total += diff * diff
                    deltas[at] = s * coef * diff
            inplace_multiply_derivative(code, param, acts, z0, deltas, z0, n_out * m)
        if loss_code == HALF_MSE:
            total *= 0.5
        return total

    return _output_stage


output_stage = kernel(_make_output_stage(False))
#: With the one-row path, copied into its caller: the per-sample kernel, where a call per row
#: costs a measurable share of the row's time.
output_stage_inlined = inlined(_make_output_stage(True))


@inlined
def backward_chunk(
    theta, sizes, w_off, b_off, u_off, codes, act_params, acts, deltas, grad, m, chunk,
    overwrite,
):
    """Backpropagate the output deltas of ``m`` rows (set by :func:`output_stage`) by the delta
    rule, adding the chunk's share of dE/dtheta into ``grad`` -- or writing it when
    ``overwrite`` (the first chunk of a batch)."""
    zero = grad.dtype.type(0.0)
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers, 0, -1):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        a0 = chunk * u_off[l - 1]
        d0 = chunk * u_off[l]
        w0 = w_off[l - 1]
        b0 = b_off[l - 1]
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
        inplace_multiply_derivative(codes[l - 2], act_params[l - 2], acts, a0, deltas, a0,
                                    m * n_in)
