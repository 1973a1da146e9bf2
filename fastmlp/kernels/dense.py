"""Dense layers over a chunk of rows: forward pass, output stage (loss and output delta), and
delta backpropagation into a flat gradient.

Memory layout shared by every kernel (built once by :mod:`fastmlp.layout`):

* ``theta`` -- the flat parameter vector. Layer ``l`` (1..L) owns the weights
  ``theta[w_off[l-1] : w_off[l-1] + n_in*n_out]`` (row-major, shape (n_in, n_out), so
  ``w_ij`` joins node i of layer l-1 to node j of layer l) followed by the biases
  ``theta[b_off[l-1] : b_off[l-1] + n_out]``. Gradients and velocities use the same layout.
* ``acts`` -- one flat buffer for the activations of a chunk of at most ``chunk`` rows. Layer l
  starts at ``chunk * u_off[l]`` and holds ``m`` rows of ``sizes[l]`` values (row-major), so a
  layer's block is contiguous for any ``m <= chunk`` and can be handed to BLAS as it is.
* ``deltas`` -- same shape and offsets as ``acts``; layer 0's block is unused.

Small products run as plain loops, large ones through ``np.dot`` (SciPy's BLAS): a BLAS call
costs a fixed overhead that the loops beat on tiny layers (see bench/README.md).
"""

import numpy as np
from ._jit import kernel

from .activations import (
    SIGMOID,
    SOFTMAX,
    inplace_activate,
    inplace_multiply_derivative,
    softmax_row_stats,
)

MSE = 0
HALF_MSE = 1
CROSS_ENTROPY = 2
BINARY_CROSS_ENTROPY = 3

#: Multiply-adds (rows * n_in * n_out) from which a product goes to BLAS instead of loops.
BLAS_MIN_MACS = 8192


@kernel
def gather_rows(X, order, first, m, acts):
    """Copy rows ``X[order[first:first+m]]`` into the input block of ``acts`` (offset 0)."""
    n_in = X.shape[1]
    for r in range(m):
        row = order[first + r]
        base = r * n_in
        for i in range(n_in):
            acts[base + i] = X[row, i]


@kernel
def dense_forward(A, a0, W, w0, b0, Z, z0, m, n_in, n_out):
    """Z[m, n_out] = A[m, n_in] @ W[n_in, n_out] + b, all blocks of flat arrays
    (W and b both live in the parameter vector W, at offsets w0 and b0)."""
    if m * n_in * n_out >= BLAS_MIN_MACS:
        a2 = A[a0 : a0 + m * n_in].reshape(m, n_in)
        w2 = W[w0 : w0 + n_in * n_out].reshape(n_in, n_out)
        z2 = Z[z0 : z0 + m * n_out].reshape(m, n_out)
        np.dot(a2, w2, z2)
        for r in range(m):
            base = z0 + r * n_out
            for j in range(n_out):
                Z[base + j] += W[b0 + j]
        return
    for r in range(m):
        base = z0 + r * n_out
        for j in range(n_out):
            Z[base + j] = W[b0 + j]
        for i in range(n_in):
            a = A[a0 + r * n_in + i]
            wrow = w0 + i * n_out
            for j in range(n_out):
                Z[base + j] += a * W[wrow + j]


@kernel
def forward_chunk(theta, sizes, w_off, b_off, u_off, codes, act_params, acts, m, chunk):
    """Forward pass of ``m`` rows already gathered into the input block of ``acts``.

    Hidden layers end activated; the output block is left as pre-activations z^(L), because
    the losses are evaluated stably from z (log-sum-exp, softplus). Apply the output activation
    with :func:`fastmlp.kernels.activations.inplace_activate_rows` or :func:`output_stage`.
    """
    n_layers = sizes.shape[0] - 1
    for l in range(1, n_layers + 1):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        a0 = chunk * u_off[l - 1]
        z0 = chunk * u_off[l]
        dense_forward(acts, a0, theta, w_off[l - 1], b_off[l - 1], acts, z0, m, n_in, n_out)
        if l < n_layers:
            inplace_activate(codes[l - 1], act_params[l - 1], acts, z0, z0 + m * n_out)


@kernel
def output_stage(acts, z0, deltas, Y, order, first, m, n_out, code, param, loss_code, scale):
    """Loss and output deltas of ``m`` rows whose pre-activations start at ``acts[z0]``.

    Targets are ``Y[order[first + r]]``. Writes the activated outputs over z, and
    ``scale * dE_r/dz`` (scale = 1/batch rows: the gradient of the *mean* loss) into
    ``deltas`` at the same offset. Returns the *sum* of the rows' losses
    (``mse``: sum_k (o-d)^2; ``half_mse``: half that; ``cross_entropy``: -sum_k d log p;
    ``binary_cross_entropy``: -sum_k [d log o + (1-d) log(1-o)]).
    """
    zero = acts.dtype.type(0.0)
    one = acts.dtype.type(1.0)
    s = acts.dtype.type(scale)
    coef = acts.dtype.type(2.0) if loss_code == MSE else one
    total = 0.0
    for r in range(m):
        row = order[first + r]
        base = z0 + r * n_out
        if loss_code == BINARY_CROSS_ENTROPY:
            # -[d log S(z) + (1-d) log(1-S(z))] = max(z,0) - d z + log(1 + exp(-|z|))
            for k in range(n_out):
                z = acts[base + k]
                d = Y[row, k]
                total += max(z, zero) - d * z + np.log1p(np.exp(-abs(z)))
                o = one / (one + np.exp(-z))
                acts[base + k] = o
                deltas[base + k] = s * (o - d)
        elif code == SOFTMAX:
            zmax, expsum = softmax_row_stats(acts, base, n_out)
            log_norm = zmax + np.log(expsum)
            inv = one / expsum
            if loss_code == CROSS_ENTROPY:
                dsum = zero
                for k in range(n_out):
                    d = Y[row, k]
                    dsum += d
                    if d != zero:
                        total -= d * (acts[base + k] - log_norm)
                # dE/dz_k = p_k * sum_j d_j - d_k  (= p - d for one-hot targets)
                for k in range(n_out):
                    p = np.exp(acts[base + k] - zmax) * inv
                    acts[base + k] = p
                    deltas[base + k] = s * (p * dsum - Y[row, k])
            else:
                # squared error through the softmax Jacobian: dE/dz_k = p_k (g_k - sum_j g_j p_j)
                gp = zero
                for k in range(n_out):
                    p = np.exp(acts[base + k] - zmax) * inv
                    acts[base + k] = p
                    diff = p - Y[row, k]
                    total += diff * diff
                    gp += coef * diff * p
                for k in range(n_out):
                    p = acts[base + k]
                    deltas[base + k] = s * p * (coef * (p - Y[row, k]) - gp)
        else:
            inplace_activate(code, param, acts, base, base + n_out)
            for k in range(n_out):
                diff = acts[base + k] - Y[row, k]
                total += diff * diff
                deltas[base + k] = s * coef * diff
            inplace_multiply_derivative(code, param, acts, base, deltas, base, n_out)
    if loss_code == HALF_MSE:
        total *= 0.5
    return total


@kernel
def dense_backward(A, a0, D, d0, G, w0, b0, m, n_in, n_out, overwrite, scratch):
    """Accumulate dE/dW = A^T D into ``G[w0:...]`` and dE/db = sum_rows D into ``G[b0:...]``.

    With ``overwrite`` the products replace what the gradient held (first chunk of a batch),
    which lets BLAS write straight into the gradient; later chunks go through ``scratch``.
    """
    if m * n_in * n_out >= BLAS_MIN_MACS:
        a2 = A[a0 : a0 + m * n_in].reshape(m, n_in)
        d2 = D[d0 : d0 + m * n_out].reshape(m, n_out)
        if overwrite:
            np.dot(a2.T, d2, G[w0 : w0 + n_in * n_out].reshape(n_in, n_out))
        else:
            np.dot(a2.T, d2, scratch[: n_in * n_out].reshape(n_in, n_out))
            for i in range(n_in * n_out):
                G[w0 + i] += scratch[i]
    else:
        if overwrite:
            for i in range(n_in * n_out):
                G[w0 + i] = 0.0
        for r in range(m):
            drow = d0 + r * n_out
            for i in range(n_in):
                a = A[a0 + r * n_in + i]
                grow = w0 + i * n_out
                for j in range(n_out):
                    G[grow + j] += a * D[drow + j]
    if overwrite:
        for j in range(n_out):
            G[b0 + j] = 0.0
    for r in range(m):
        drow = d0 + r * n_out
        for j in range(n_out):
            G[b0 + j] += D[drow + j]


@kernel
def delta_backward(D, d0, W, w0, P, p0, m, n_in, n_out):
    """P[m, n_in] = D[m, n_out] @ W[n_in, n_out]^T: deltas carried back one layer."""
    if m * n_in * n_out >= BLAS_MIN_MACS:
        d2 = D[d0 : d0 + m * n_out].reshape(m, n_out)
        w2 = W[w0 : w0 + n_in * n_out].reshape(n_in, n_out)
        np.dot(d2, w2.T, P[p0 : p0 + m * n_in].reshape(m, n_in))
        return
    for r in range(m):
        drow = d0 + r * n_out
        for i in range(n_in):
            wrow = w0 + i * n_out
            acc = P.dtype.type(0.0)
            for j in range(n_out):
                acc += D[drow + j] * W[wrow + j]
            P[p0 + r * n_in + i] = acc


@kernel
def backward_chunk(
    theta, sizes, w_off, b_off, u_off, codes, act_params, acts, deltas, grad, m, chunk,
    overwrite, scratch,
):
    """Backpropagate the output deltas of ``m`` rows (set by :func:`output_stage`) by the delta
    rule, adding the chunk's share of dE/dtheta into ``grad`` (or writing it, see
    :func:`dense_backward`)."""
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers, 0, -1):
        n_in = sizes[l - 1]
        n_out = sizes[l]
        a0 = chunk * u_off[l - 1]
        d0 = chunk * u_off[l]
        dense_backward(acts, a0, deltas, d0, grad, w_off[l - 1], b_off[l - 1], m, n_in, n_out,
                       overwrite, scratch)
        if l > 1:
            delta_backward(deltas, d0, theta, w_off[l - 1], deltas, a0, m, n_in, n_out)
            inplace_multiply_derivative(codes[l - 2], act_params[l - 2], acts, a0, deltas, a0,
                                        m * n_in)
