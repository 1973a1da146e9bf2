"""Parameter updates on the flat vector: weight penalties, gradient clipping, step-size
schedules, and the update rules -- the lecture notes' sgd / momentum / Nesterov, and Adam.

Optimizer state lives in ``slots``, a 2-D array (n_slots, n_params) whose rows are in the
parameters' layout: no rows for sgd, the velocity v for momentum and Nesterov, Adam's (and
AdamW's) moments m and v. The rule is chosen by its integer code (``rule.optimizer``) at run
time, never by the type of its arguments. The kernels take one compile-time argument for the
rule's family, ``moments`` (True for the rules with moment estimates, None for the others,
from :data:`fastmlp.rules.RULES`): Numba prunes the other family's loops, so a first fit
compiles only what its rule can run, and every rule of a family shares one compiled kernel.
The update count t that the schedules and Adam's bias correction read is kept by the caller.
Which rules exist, with their names, slot counts and hyperparameters, is
:data:`fastmlp.rules.RULES`.

====================== =========================================================
rule                   update with gradient g of the batch loss, step size alpha_t
====================== =========================================================
SGD                    theta <- theta - alpha g
MOMENTUM               v <- gamma v + alpha g;  theta <- theta - v
NESTEROV               as MOMENTUM with g taken at theta - gamma v
ADAM (Kingma & Ba)     m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
                       theta <- theta - alpha (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
ADAMW (Loshchilov &    theta <- theta - alpha lambda theta, then ADAM's step (decoupled
Hutter 2019)           weight decay lambda, on weights and biases, as torch.optim.AdamW)
NESTEROV_SKLEARN       v <- gamma v + alpha g;  theta <- theta - (gamma v + alpha g), g at
                       theta (the reformulation of Bengio et al. 2013 that scikit-learn uses)
ADAM_SKLEARN           m, v as ADAM;  alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t);
                       theta <- theta - alpha_t m / (sqrt(v) + eps)  (Kingma & Ba's
                       "efficient" ordering, eps outside the bias correction: scikit-learn's)
====================== =========================================================

The two ``_SKLEARN`` rules exist for :mod:`fastmlp.sklearn`, whose estimators reproduce
scikit-learn's arithmetic; :class:`fastmlp.MLP` keeps the lecture notes' forms. The kernels
take an argument ``sklearn``, None or True: with None their scikit-learn branches are pruned
at compile time (like ``clip``), so a fit in the notes' forms never compiles them
(bench/README.md, "scikit-learn's forms as a compile-time switch"). Momentum needs
no variant: scikit-learn's v <- mu v - eta g, theta <- theta + v is MOMENTUM with the sign of
v flipped, value for value.

How a batch enters the epoch, by the same argument ``sklearn``:

================= ==================================================================
None (the notes)  the penalty is added once to the batch's weighted mean loss; the
                  epoch loss weighs each batch by its total weight
True              the penalty is divided by the batch's total weight (scikit-learn's
                  alpha / n_batch); the epoch loss weighs each batch by its row count
================= ==================================================================

A "weight range" is ``[w_off[l], w_off[l] + sizes[l]*sizes[l+1])``: biases are never
penalized.
"""

import numpy as np

from ._jit import inlined, internal, kernel

SGD = 0
MOMENTUM = 1
NESTEROV = 2
ADAM = 3
NESTEROV_SKLEARN = 4
ADAM_SKLEARN = 5
ADAMW = 6

CONSTANT = 0
INVERSE = 1
INVERSE_SQRT = 2
COSINE = 3

#: ``status`` values returned by the epoch kernels.
OK = 0
LOSS_NOT_FINITE = 1  # stopped before updating: the parameters are the last finite state
PARAMS_NOT_FINITE = 2  # the last update wrote a NaN or inf: the caller restores


@kernel
def inplace_add_penalty(theta, grad, net, l1, l2):
    """Add the gradient of l1 * sum|W| + (l2/2) * sum W^2 to ``grad`` and return the penalty.

    The l1 term uses the subgradient sign(W), with sign(0) = 0.
    """
    penalty = 0.0
    if l1 == 0.0 and l2 == 0.0:
        return penalty
    sizes, w_off = net.sizes, net.w_off
    c1 = grad.dtype.type(l1)
    c2 = grad.dtype.type(l2)
    zero = grad.dtype.type(0.0)
    one = grad.dtype.type(1.0)
    sq = 0.0
    ab = 0.0
    for l in range(sizes.shape[0] - 1):
        start = w_off[l]
        stop = start + sizes[l] * sizes[l + 1]
        W = theta[start:stop]  # views from 0 keep the loop vectorizable
        G = grad[start:stop]
        for i in range(stop - start):
            w = W[i]
            sq += w * w
            ab += abs(w)
            sign = one if w > zero else (-one if w < zero else zero)
            G[i] += c2 * w + c1 * sign
    penalty = l1 * ab + 0.5 * l2 * sq
    return penalty


@inlined
def step_size(rule, t):
    """alpha_t of update number t (t = 1 at the first update): constant a, inverse
    a / (b + t), inverse_sqrt a / sqrt(t), or cosine: a t / T_w for t <= T_w (linear
    warmup), then a_min + (a - a_min) (1 + cos(pi (t - T_w) / (T - T_w))) / 2 up to
    update T, and a_min after it (T_w = ``rule.warmup_steps``, T = ``rule.decay_steps``,
    a_min = ``rule.min_learning_rate``)."""
    a = rule.learning_rate
    if rule.schedule == INVERSE:
        return a / (rule.schedule_b + t)
    elif rule.schedule == INVERSE_SQRT:
        return a / np.sqrt(t)
    elif rule.schedule == COSINE:
        if t <= rule.warmup_steps:
            return a * t / rule.warmup_steps
        if t >= rule.decay_steps:
            return rule.min_learning_rate
        progress = (t - rule.warmup_steps) / (rule.decay_steps - rule.warmup_steps)
        return rule.min_learning_rate + (a - rule.min_learning_rate) * 0.5 * (
            1.0 + np.cos(np.pi * progress))
    return a


@inlined
def bias_corrections(rule, t):
    """Adam's factors 1 / (1 - beta_1^t) and 1 / (1 - beta_2^t) for update t, in float64
    whatever the parameters' dtype."""
    return 1.0 / (1.0 - rule.beta_1 ** t), 1.0 / (1.0 - rule.beta_2 ** t)


@inlined
def inplace_lookahead(theta, v, gamma, out):
    """out = theta - gamma * v (v: the velocity, slot 0): the point where Nesterov takes its
    gradient."""
    g = theta.dtype.type(gamma)
    for i in range(theta.shape[0]):
        out[i] = theta[i] - g * v[i]


@internal
def inplace_update_range(theta, grad, slots, start, stop, rule, sklearn, alpha, c1, c2,
                         moments):
    """Update ``theta[start:stop]`` from ``grad`` by ``rule`` (see the module's table) and
    return (finite, sum of g^2). ``alpha`` is the step size alpha_t (for ADAM_SKLEARN its
    bias-corrected alpha_t); ``c1``, ``c2`` are ADAM's (and ADAMW's) bias corrections (1
    for ADAM_SKLEARN). ``moments``, True for the rules with moment estimates (Adam, AdamW,
    scikit-learn's Adam) and None for the others, compiles only that family's loops (see
    the module docstring).

    The finiteness test rides along the loop: ``x * 0`` is 0 for finite x and NaN for NaN or
    inf, so one sum tells whether anything overflowed (no branch per element).
    """
    a = theta.dtype.type(alpha)
    zero = theta.dtype.type(0.0)
    probe = zero
    sq = 0.0
    th = theta[start:stop]  # views from 0 keep the loop vectorizable
    gr = grad[start:stop]
    code = rule.optimizer
    if moments is not None:
        m = slots[0][start:stop]
        v = slots[1][start:stop]
        one = theta.dtype.type(1.0)
        b1 = theta.dtype.type(rule.beta_1)
        b2 = theta.dtype.type(rule.beta_2)
        eps = theta.dtype.type(rule.epsilon)
        # ADAM_SKLEARN arrives with c1 = c2 = 1 and alpha its alpha_t (see inplace_update):
        # multiplying by 1 is exact, so this one loop is both forms
        m_hat = theta.dtype.type(c1)
        v_hat = theta.dtype.type(c2)
        # AdamW first shrinks theta by alpha_t * lambda (its own branch: Adam's arithmetic
        # stays what it was, to the bit)
        keep = one - a * theta.dtype.type(rule.weight_decay)
        decoupled = code == ADAMW
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            mi = b1 * m[i] + (one - b1) * g
            vi = b2 * v[i] + (one - b2) * (g * g)
            m[i] = mi
            v[i] = vi
            p = th[i] * keep if decoupled else th[i]
            t = p - a * (mi * m_hat) / (np.sqrt(vi * v_hat) + eps)
            th[i] = t
            probe += t * zero + vi * zero
    elif code == SGD:
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            t = th[i] - a * g
            th[i] = t
            probe += t * zero
    elif sklearn is not None and code == NESTEROV_SKLEARN:
        c = theta.dtype.type(rule.momentum)
        ve = slots[0][start:stop]
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            v = c * ve[i] + a * g
            ve[i] = v
            t = th[i] - (c * v + a * g)
            th[i] = t
            probe += t * zero + v * zero
    else:
        c = theta.dtype.type(rule.momentum)
        ve = slots[0][start:stop]
        for i in range(stop - start):
            g = gr[i]
            sq += g * g
            v = c * ve[i] + a * g
            ve[i] = v
            t = th[i] - v
            th[i] = t
            probe += t * zero + v * zero
    return probe == zero, sq


#: :func:`inplace_update`'s ``clip`` when neither bound is set.
NO_CLIP = (0.0, 0.0)


@kernel
def inplace_update(theta, grad, slots, net, rule, clip, sklearn, t, norm_sums, moments):
    """Apply update number ``t`` (1-based) from the batch gradient ``grad``; return
    (finite, alpha_t), finite being True when every new parameter and slot value is.

    Each layer's weight-gradient L2 norm (before clipping) is added to ``norm_sums[l]``.
    ``clip`` is (clip_value, clip_norm): each component clipped to [-clip_value,
    clip_value], then the whole vector rescaled to L2 norm ``clip_norm`` if it is longer (a
    bound of 0 means that bound is not set; :data:`NO_CLIP` sets neither). Without
    clipping, norms and update share one pass over the parameters. Whether to clip is
    decided at run time: the clipping code is small, and a compiled variant without it
    would mean another compile of every epoch kernel that calls this one. ``sklearn`` is
    None (the notes' rules only) or True (the ``_SKLEARN`` rules too), and ``moments`` None
    or True (the rule's family), see the module docstring.
    """
    sizes, w_off, b_off = net.sizes, net.w_off, net.b_off
    alpha = step_size(rule, t)
    c1, c2 = 1.0, 1.0
    step = alpha
    if moments is not None:
        if sklearn is not None and rule.optimizer == ADAM_SKLEARN:
            # the bias corrections folded into the step
            step = alpha * np.sqrt(1.0 - rule.beta_2 ** t) / (1.0 - rule.beta_1 ** t)
        else:
            c1, c2 = bias_corrections(rule, t)
    finite = True
    n_layers = sizes.shape[0] - 1
    clip_value, clip_norm = clip
    if clip_value == 0.0 and clip_norm == 0.0:
        for l in range(n_layers):
            w_end = w_off[l] + sizes[l] * sizes[l + 1]
            ok_w, sq = inplace_update_range(theta, grad, slots, w_off[l], w_end, rule,
                                            sklearn, step, c1, c2, moments)
            ok_b, _ = inplace_update_range(theta, grad, slots, b_off[l],
                                           b_off[l] + sizes[l + 1], rule, sklearn, step,
                                           c1, c2, moments)
            norm_sums[l] += np.sqrt(sq)
            finite = finite and ok_w and ok_b
        return finite, alpha
    for l in range(n_layers):
        g = grad[w_off[l] : w_off[l] + sizes[l] * sizes[l + 1]]
        sq = 0.0
        for i in range(g.shape[0]):
            sq += g[i] * g[i]
        norm_sums[l] += np.sqrt(sq)
    if clip_value > 0.0:
        c = grad.dtype.type(clip_value)
        for i in range(grad.shape[0]):
            grad[i] = min(max(grad[i], -c), c)
    if clip_norm > 0.0:
        sq = 0.0
        for i in range(grad.shape[0]):
            sq += grad[i] * grad[i]
        norm = np.sqrt(sq)
        if norm > clip_norm:
            factor = grad.dtype.type(clip_norm / norm)
            for i in range(grad.shape[0]):
                grad[i] *= factor
    # w_off[0] is 0; a variable rather than the literal keeps one compiled signature
    finite, _ = inplace_update_range(theta, grad, slots, w_off[0], theta.shape[0], rule,
                                     sklearn, step, c1, c2, moments)
    return finite, alpha
