"""The per-sample engine: SGD with batch size 1 as one fused loop -- the lecture notes'
training loop (pick a row, predict, compute the loss, update) with nothing between the steps.

For one row the weight gradient of layer l is the outer product a^(l-1) delta^(l)^T, so it is
never stored: the update of ``W_ij`` is applied straight from ``a_i * delta_j``, and the
gradient's norm (for ``clip_norm`` and the per-layer norms of the history) is
``|a^(l-1)| * |delta^(l)|`` without a pass over the weights. Without ``clip_norm`` each
layer's backward step and update share one pass over its weights: row i of W gives delta_i of
the layer below (read before the row is updated), then is updated. Weight penalties and
component clipping change the outer-product structure, so this engine declines them (the
chunked engine runs those fits).

The loop works on one contiguous ``work`` buffer, into which the parameters and optimizer
slots are copied for the epoch, followed in memory by the per-layer norm sums
(:meth:`fastmlp.workspace.Workspace.per_sample`), so all that the loop writes for every row
sits in one block of memory. Inside the loop, arrays are borrowed (not reference-counted) and
indexed with unsigned integers instead of sliced into views (:mod:`fastmlp.kernels.indexing`).

Rows are visited through a block buffer: each block of rows is first copied in the epoch's
(shuffled) order, then trained on sequentially. The copy's loads are independent of each
other, so the CPU overlaps their cache misses; read one at a time inside the training loop, a
shuffled row of a large X costs a full memory latency per sample (bench/README.md).

The kernel is made by :func:`make_train_epoch`, for any network or for one network's sizes
(a tier that long fits switch to, :mod:`fastmlp.engines.specialize`). Both are compiled from
this source without fastmath (``kernels._jit.exact``), with the multiply-adds written as
fused ones (``kernels.fma``): without reassociation or contraction LLVM may not change any
rounding, whatever it knows about the sizes, so the two give the same bits.

Compile-time rules this module keeps (``tests/test_compile_rules.py`` checks them): each
layer pass has one call site, and a compiled kernel keeps one of them, so one is copied in;
parameters are copied with element loops, never slice assignments (which compile Numba's
shape-mismatch message).
"""

from __future__ import annotations

import numpy as np

from ..kernels._jit import exact, exact_internal, inlined
from ..kernels.activations import (
    activation_value_inlined,
    derivative_value,
    derivative_value_inlined,
)
from ..kernels.dropout import inplace_dropout
from ..kernels.fma import fma
from ..kernels.indexing import borrowed, prefetch, unsigned
from ..kernels.losses import output_row
from ..kernels.optimizers import (
    ADAMW,
    LOSS_NOT_FINITE,
    NESTEROV,
    OK,
    PARAMS_NOT_FINITE,
    SGD,
    bias_corrections,
    inplace_lookahead,
    step_size,
)
from ..kernels.rng import shuffle_rows_inlined
from ..kernels.structs import EpochResult
from ..rules import RULES
from . import specialize
from .base import Engine

#: Rows copied at a time, in visiting order (see the module docstring).
BLOCK_ROWS = 4096
#: How many rows ahead the block copy prefetches.
PREFETCH_AHEAD = 16


#: f' as the kernel calls it (clipped fits): compiled without fastmath, like the kernel.
exact_derivative_value = exact_internal(derivative_value.py_func)


@inlined
def layer_geometry(sizes, w_off, b_off, u_off, l):
    """Where layer l sits: (w0, b0, a0, z0, n_in, n_out) -- the start of its weights and
    biases in the parameters, of its inputs and outputs in a row's activations, and its unit
    counts. Plain integers: the helpers below get these, not the network's arrays, whose
    every read from a named tuple would add reference-count checks to the row loop."""
    return w_off[l - 1], b_off[l - 1], u_off[l - 1], u_off[l], sizes[l - 1], sizes[l]


@inlined
def forward_layer_row(W, geometry, acts, code, param, activate):
    """One layer of one row: acts[z0:z0+n_out] = f(a W + b) for the row a = acts[a0:a0+n_in]
    (see :func:`layer_geometry`); just a W + b when not ``activate`` (the output layer, whose
    activation belongs to the output stage)."""
    w0, b0, a0, z0, n_in, n_out = geometry
    for j in range(n_out):
        acts[unsigned(z0 + j)] = W[unsigned(b0 + j)]
    for i in range(n_in):
        a_i = acts[unsigned(a0 + i)]
        row = w0 + i * n_out
        for j in range(n_out):
            at = unsigned(z0 + j)
            acts[at] = fma(a_i, W[unsigned(row + j)], acts[at])
    if activate:
        p = acts.dtype.type(param)
        for j in range(n_out):
            at = unsigned(z0 + j)
            acts[at] = activation_value_inlined(code, p, acts[at])


@inlined
def squared_norm(v, start, count):
    """The squared norm of v[start:start+count]."""
    total = 0.0
    for i in range(count):
        x = v[unsigned(start + i)]
        total += x * x
    return total


@inlined
def weighted_delta_sum(W, row, deltas, d0, n_out):
    """sum_j w_ij delta_j for unit i in the layer below, from row i of W (at ``W[row]``) and
    the deltas deltas[d0:d0+n_out] of the layer: delta_i before the factor f'(z_i)."""
    acc = deltas.dtype.type(0.0)
    for j in range(n_out):
        acc = fma(W[unsigned(row + j)], deltas[unsigned(d0 + j)], acc)
    return acc


@inlined
def backprop_row(W, geometry, code, param, acts, deltas, factors):
    """The deltas of the layer below from those of this layer: (W delta) * f'(z), f' taken
    from the activations below -- or, with dropout, (W delta) times the factors (mask times
    f') its forward pass left in ``factors`` (None without dropout). Only clipped fits use
    it: f' is called rather than copied in, to keep the kernel's compile short."""
    w0, b0, p0, d0, n_in, n_out = geometry
    p = deltas.dtype.type(param)
    for i in range(n_in):
        at = unsigned(p0 + i)
        # the expression without dropout as it was before dropout existed: written with a
        # variable for the sum, it changed clipped fits' last bits (LLVM's code for it
        # differed, although no fastmath flag allows a different rounding)
        if factors is None:
            deltas[at] = (weighted_delta_sum(W, w0 + i * n_out, deltas, d0, n_out)
                          * exact_derivative_value(code, p, acts[at]))
        else:
            deltas[at] = weighted_delta_sum(W, w0 + i * n_out, deltas, d0, n_out) * factors[at]


def _make_layer_pass(adam):
    """The layer pass for the rules with moment estimates (``adam``: Adam, AdamW) or for
    sgd / momentum / Nesterov (see :func:`make_train_epoch`)."""

    def layer_pass(point, params, slots, rule, coefs, geometry, code, param, acts, deltas,
                   propagate, factors):
        """A layer's backward step and update, in one pass over its weights.

        With the layer's :func:`layer_geometry`, its inputs are a = acts[a0:a0+n_in], its
        deltas d = deltas[z0:z0+n_out], and its gradient g = s a d^T for W and s d for b, s
        being the clipping factor. When ``propagate``, row i of W (read at ``point``: params,
        or Nesterov's look-ahead) first gives the delta of unit i below, into deltas[a0 + i],
        times f'(z_i) of the layer below (``code``, ``param``) -- with dropout, times its
        factor m_i f'(z_i) in ``factors`` (None without) --, before the row is updated.
        ``coefs`` = (step, s, c1, c2, alpha): sgd and momentum take the step ``step`` =
        alpha_t * s along a d^T; Adam its moments of g (slot 0 at ``slots[at]``, slot 1 at
        ``slots[n_params + at]``) with bias corrections c1, c2 and step size alpha, AdamW
        the same after shrinking the parameter by 1 - alpha * weight_decay (see
        :mod:`fastmlp.kernels.optimizers` for the rules).

        Returns (finite, |a|^2, |d|^2); finite is False when a new value is not finite
        (``x * 0`` is 0 exactly for a finite x; an and of flags, unlike a sum of ``x * 0``,
        needs no reassociation to run in parallel).
        """
        n_params = params.shape[0]
        w0, b0, a0, d0, n_in, n_out = geometry
        zero = params.dtype.type(0.0)
        one = params.dtype.type(1.0)
        p = params.dtype.type(param)
        finite = True
        a_sq = 0.0
        d_sq = squared_norm(deltas, d0, n_out)
        # rows 0..n_in-1 hold the weights (input a_i), row n_in the biases (input 1)
        for i in range(n_in + 1):
            weights = i < n_in
            a_i = acts[unsigned(a0 + i)] if weights else one
            row = w0 + i * n_out if weights else b0
            if propagate and weights:
                # (as in backprop_row: the expression without dropout kept as it was)
                if factors is None:
                    deltas[unsigned(a0 + i)] = (
                        weighted_delta_sum(point, row, deltas, d0, n_out)
                        * derivative_value_inlined(code, p, a_i))
                else:
                    deltas[unsigned(a0 + i)] = (
                        weighted_delta_sum(point, row, deltas, d0, n_out)
                        * factors[unsigned(a0 + i)])
            if weights:
                a_sq += a_i * a_i
            if adam:
                sa = params.dtype.type(coefs[1]) * a_i
                b1 = params.dtype.type(rule.beta_1)
                b2 = params.dtype.type(rule.beta_2)
                eps = params.dtype.type(rule.epsilon)
                alpha = params.dtype.type(coefs[4])
                m_hat = params.dtype.type(coefs[2])
                v_hat = params.dtype.type(coefs[3])
                decoupled = rule.optimizer == ADAMW
                keep = one - alpha * params.dtype.type(rule.weight_decay)
                for j in range(n_out):
                    at = unsigned(row + j)
                    second = unsigned(n_params + row + j)
                    grad = sa * deltas[unsigned(d0 + j)]
                    m = b1 * slots[at] + (one - b1) * grad
                    v = b2 * slots[second] + (one - b2) * (grad * grad)
                    slots[at] = m
                    slots[second] = v
                    p_old = params[at] * keep if decoupled else params[at]
                    t = p_old - alpha * (m * m_hat) / (np.sqrt(v * v_hat) + eps)
                    params[at] = t
                    finite &= (t * zero == zero) & (v * zero == zero)
            elif rule.optimizer == SGD:
                ca = params.dtype.type(coefs[0]) * a_i
                for j in range(n_out):
                    at = unsigned(row + j)
                    t = fma(-ca, deltas[unsigned(d0 + j)], params[at])
                    params[at] = t
                    finite &= t * zero == zero
            else:
                ca = params.dtype.type(coefs[0]) * a_i
                g = params.dtype.type(rule.momentum)
                for j in range(n_out):
                    at = unsigned(row + j)
                    v = fma(g, slots[at], ca * deltas[unsigned(d0 + j)])
                    slots[at] = v
                    t = params[at] - v
                    params[at] = t
                    finite &= (t * zero == zero) & (v * zero == zero)
        return finite, a_sq, d_sq

    return layer_pass


#: The two layer passes, copied into the kernel (one of them per compiled kernel).
layer_pass = inlined(_make_layer_pass(False))
adam_layer_pass = inlined(_make_layer_pass(True))


def make_train_epoch(shape=None):
    """The epoch kernel: for any network (``shape`` None: the layer sizes are read from the
    network at run time), or for one network's layout (``shape``, see :func:`network_shape`),
    whose sizes and offsets are then constants of the compiled code. Both are compiled from
    this one source without fastmath (:data:`fastmlp.kernels._jit.exact`), so they give the
    same results to the bit; Numba caches each shape's kernel apart (a closure's values are
    part of its cache key)."""

    @exact
    def train_epoch(data, params, slots, order, shuffle_seed, net, rule, clip, t_start,
                    norm_sums, block, sample_weight, moments, dropout):
        """One epoch of per-sample SGD / momentum / Nesterov / Adam, in place on ``params`` and
        ``slots``.

        Arguments and result are those of :func:`fastmlp.engines.chunked._train_epoch` (without
        penalties, component clipping, batch size and the chunk buffers), plus ``block``, the
        :class:`fastmlp.kernels.structs.PerSampleBlock` buffers, and ``sample_weight``: the
        rows' weights, or an empty array when every row weighs 1 -- batch size 1 only asks
        whether a row counts (weight 0: skipped), and the epoch's loss is their weighted
        mean. The weights are a run-time choice (a test per row, and 1.0 * loss is loss to
        the bit): a kernel variant of their own cost a whole compile of this kernel, for
        code that does not depend on them. Clipping is a run-time choice too: ``clip`` is
        (0.0, clip_norm), or (0.0, 0.0) when the fit does not clip (the per-sample engine
        declines clip_value); the clipped step computes every delta before any update, the
        unclipped one propagates them during the update, each with its own operations in its
        own order, whichever is compiled beside it. ``moments`` says which family of
        layer pass the rule needs: True for the rules with moment estimates (Adam, AdamW),
        None for sgd / momentum / Nesterov;
        each compiles a kernel with only its family's pass (inlining both made the first
        compile a third longer), and within it the rule is chosen by its code. ``dropout``
        is None (no masking code compiled) or the
        :class:`fastmlp.kernels.structs.Dropout` of the epoch, for one row's units: each
        hidden layer's outputs are masked after its activation (the masks keyed by the row's
        index in ``data``, as in every engine), and the backward pass takes the factors the
        forward pass left.
        """
        # arrays passed into the inlined helpers, borrowed: no reference counting per row
        # (see fastmlp.kernels.indexing)
        work = borrowed(block.work)
        Xb = borrowed(block.X)
        Yb = borrowed(block.Y)
        block_norms = block.norm_sums
        if shape is None:
            # the network's arrays, read for every layer of every row, taken out of their
            # tuple once
            sizes = borrowed(net.sizes)
            w_off = borrowed(net.w_off)
            b_off = borrowed(net.b_off)
            u_off = borrowed(net.u_off)
        else:
            sizes, w_off, b_off, u_off = shape
        codes = borrowed(net.codes)
        act_params = borrowed(net.act_params)
        factors = None if dropout is None else borrowed(dropout.factors)
        clipping = clip[1] > 0.0
        X, Y = data.X, data.Y
        n = X.shape[0]
        n_layers = len(sizes) - 1
        n_out = sizes[n_layers]
        output = (n_out, codes[n_layers - 1], net.loss)
        n_params = b_off[n_layers - 1] + n_out
        n_units = u_off[n_layers + 1]
        # the epoch runs on copies in one contiguous buffer (see the module docstring)
        theta = work[:n_params]
        state = work[n_params : 3 * n_params]  # the slots, flat: slot k at k * n_params
        lookahead = work[3 * n_params : 4 * n_params]
        acts = work[4 * n_params : 4 * n_params + n_units]
        deltas = work[4 * n_params + n_units : 4 * n_params + 2 * n_units]
        # element loops, not ``theta[:] = params``: a slice assignment compiles Numba's shape-
        # mismatch error message (bench/README.md, "Cold start: three cuts")
        for i in range(n_params):
            theta[i] = params[i]
        for k in range(slots.shape[0]):  # the rule's slot vectors, one after the other
            for i in range(n_params):
                state[k * n_params + i] = slots[k, i]
        for l in range(n_layers):
            block_norms[l] = norm_sums[l]

        shuffle_rows_inlined(order, shuffle_seed)
        weighted = sample_weight.shape[0] > 0
        loss_sum = 0.0
        weight_sum = 0.0
        updates = 0
        status = OK
        alpha = rule.learning_rate
        size = Xb.shape[0]
        row = size - 1  # position in the block buffer (a counter: no division per sample)
        for s in range(n):
            row += 1
            if row == size:
                row = 0
                count = min(size, n - s)
                for r in range(count):
                    # start loading a row PREFETCH_AHEAD copies ahead: the rows are scattered
                    # over X and Y, and on large data each one is a cache and TLB miss that the
                    # copy would otherwise wait out (bench/README.md, "Scaling in N")
                    if r + PREFETCH_AHEAD < count:
                        ahead = order[s + r + PREFETCH_AHEAD]
                        prefetch(X, ahead, 0)
                        prefetch(Y, ahead, 0)
                    source = order[s + r]
                    for i in range(sizes[0]):
                        Xb[r, i] = X[source, i]
                    for k in range(n_out):
                        Yb[r, k] = Y[source, k]
            weight = 1.0
            if weighted:
                weight = sample_weight[order[s]]
                if weight == 0.0:
                    continue
            point = theta
            if rule.optimizer == NESTEROV:
                inplace_lookahead(theta, state[:n_params], rule.momentum, lookahead)
                point = lookahead
            for i in range(sizes[0]):
                acts[i] = Xb[unsigned(row), i]
            for l in range(1, n_layers + 1):
                forward_layer_row(point, layer_geometry(sizes, w_off, b_off, u_off, l), acts,
                                  codes[l - 1], act_params[l - 1], l < n_layers)
                if dropout is not None:
                    if l < n_layers:
                        # one row (np.int64: a literal 1 would compile the masking kernel
                        # a second time, apart from the chunked engines' variant)
                        inplace_dropout(dropout, l, codes[l - 1], act_params[l - 1], acts,
                                        u_off[l], u_off[l], sizes[l], np.int64(1), order, s)
            loss = output_row(acts, u_off[n_layers], deltas, Yb, row, output,
                              act_params[n_layers - 1])
            if not np.isfinite(loss):
                status = LOSS_NOT_FINITE
                break
            t = t_start + updates + 1
            alpha = step_size(rule, t)
            c1, c2 = 1.0, 1.0
            if moments is not None:
                c1, c2 = bias_corrections(rule, t)
            coefs = (alpha, 1.0, c1, c2, alpha)
            if clipping:
                # |a delta^T|_F = |a| |delta|; the whole gradient adds the bias part |delta|^2.
                # The step needs the norm before any update, so every delta comes first (and the
                # layer pass below does not propagate them again).
                for l in range(n_layers, 1, -1):
                    backprop_row(point, layer_geometry(sizes, w_off, b_off, u_off, l), codes[l - 2],
                                 act_params[l - 2], acts, deltas, factors)
                total_sq = 0.0
                for l in range(1, n_layers + 1):
                    a_sq = squared_norm(acts, u_off[l - 1], sizes[l - 1])
                    d_sq = squared_norm(deltas, u_off[l], sizes[l])
                    block_norms[l - 1] += np.sqrt(a_sq * d_sq)
                    total_sq += (a_sq + 1.0) * d_sq
                if np.sqrt(total_sq) > clip[1]:
                    factor = clip[1] / np.sqrt(total_sq)
                    coefs = (alpha * factor, factor, c1, c2, alpha)
            finite = True
            for l in range(n_layers, 0, -1):
                geometry = layer_geometry(sizes, w_off, b_off, u_off, l)
                below = max(l - 2, 0)  # the layer below's activation (unused for l = 1)
                # One call site per family: each inlined copy adds to the compile time.
                if moments is not None:
                    ok, a_sq, d_sq = adam_layer_pass(
                        point, theta, state, rule, coefs, geometry, codes[below],
                        act_params[below], acts, deltas, l > 1 and not clipping, factors)
                else:
                    ok, a_sq, d_sq = layer_pass(
                        point, theta, state, rule, coefs, geometry, codes[below],
                        act_params[below], acts, deltas, l > 1 and not clipping, factors)
                if not clipping:
                    block_norms[l - 1] += np.sqrt(a_sq * d_sq)
                finite = finite and ok
            if not finite:
                status = PARAMS_NOT_FINITE
                break
            loss_sum += weight * loss
            weight_sum += weight
            updates += 1
        for i in range(n_params):
            params[i] = theta[i]
        for k in range(slots.shape[0]):
            for i in range(n_params):
                slots[k, i] = state[k * n_params + i]
        for l in range(n_layers):
            norm_sums[l] = block_norms[l]
        return loss_sum, weight_sum, updates, status, alpha

    return train_epoch


_train_epoch = make_train_epoch()


def network_shape(net) -> tuple:
    """The layout a kernel is specialized on: (sizes, w_off, b_off, u_off) of the
    :class:`fastmlp.kernels.structs.Network` ``net``, as tuples of Python ints."""
    return tuple(tuple(a.tolist()) for a in (net.sizes, net.w_off, net.b_off, net.u_off))


class PerSampleEngine(Engine):
    """Batch size 1 without weight penalties or component clipping: the fused loop of the
    module docstring."""

    name = "per_sample"
    kernel = staticmethod(_train_epoch)

    @classmethod
    def unsupported(cls, config, n_rows, threads, weighted=False):
        if config.batch_size != 1:
            return "it trains with batch_size=1 only"
        if config.l1 or config.l2:
            return "weight penalties (l1, l2) break the per-row outer-product update"
        if config.clip_value is not None:
            return "component clipping (clip_value) breaks the per-row outer-product update"
        if config.convention != "notes":
            return "it runs the lecture notes' update rules only"
        return None

    def __init__(self, work, data, config):
        super().__init__(work, data, config)
        self.block = work.per_sample(min(data.X.shape[0], BLOCK_ROWS), data.X.shape[1],
                                     data.Y.shape[1])
        self.order = np.arange(data.X.shape[0], dtype=np.int64)
        self.dropout = work.dropout(config.dropout, 1)
        # the specialized kernel (fastmlp.engines.specialize): looked up, or compiled, once
        # this kind of fit has run, or is about to run, enough updates in this process
        self._kind = None
        self._asks = 0
        self._specialization = None
        if specialize.enabled():
            kind = (network_shape(work.network), data.X.dtype.str,
                    RULES[config.optimizer].moments, self.dropout is not None)
            self._asks = specialize.count(kind, config.epochs * data.X.shape[0])
            if self._asks:
                self._kind = kind

    def set_order(self, order):
        np.copyto(self.order, order)

    def run_epoch(self, params, state, shuffle_seed, norm_sums, mask_seed=-1):
        args = (self.data, params, state.slots, self.order, shuffle_seed, self.work.network,
                self.rule, self.clip_bounds, state.t, norm_sums, self.block,
                self.data.sample_weight,
                self.moments, self.masks(mask_seed))
        if self._kind is not None:
            if self._specialization is None:
                self._specialization = specialize.request(
                    self._kind, args, self._asks == specialize.COMPILE, make_train_epoch)
            kernel = self._specialization.ready()
            if kernel is not None:
                try:
                    return EpochResult(*kernel(*args))
                except TypeError as error:  # arguments it was not compiled for: not run
                    if "No matching definition" not in str(error):
                        raise
                    self._specialization.give_up()
            elif not self._specialization.pending():
                self._kind = None  # not in the cache, and not being compiled
        return EpochResult(*_train_epoch(*args))
