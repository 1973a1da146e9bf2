"""Activation functions and their derivatives, selected by integer code.

Kernels receive an activation as an ``int`` code rather than a function object: one compiled
kernel then serves every activation (a function argument would force one compilation per
function and defeat ``cache=True``).

Each formula appears twice, on purpose. :func:`activation_value` and :func:`derivative_value`
take one value and test the code on every call: the per-sample kernel and the output stage use
them unit by unit, keeping each value in a register. The array functions test the code once per
layer and row range, never per element, so each of their loops is a single formula that LLVM
vectorizes. Routing those loops through the one-value functions instead (same speed) added
seconds to the cold compile of the first fit (bench/README.md), so they
stay written out; tests check both against each other and against ``fastmlp.reference``.

Every derivative is written in terms of the activation's *output* ``a = f(z)``; the backward
pass then needs only the stored activations, not the pre-activations. Sigmoid and softmax use
the vectorizable exp of :mod:`fastmlp.kernels.fastexp`.

========== ================================ ==========================================
code       f(z)                             f'(z) written with a = f(z)
========== ================================ ==========================================
IDENTITY   z                                1
SIGMOID    1 / (1 + exp(-z))                a (1 - a)
TANH       tanh z                           1 - a^2
ARCTAN     arctan z                         cos^2 a          (since z = tan a)
SOFTSIGN   z / (1 + |z|)                    (1 - |a|)^2      (since 1 - |a| = 1/(1+|z|))
RELU       max(0, z)                        1 if a > 0 else 0
LEAKY_RELU z if z > 0 else s z  (s >= 0)    1 if a > 0 else s
ELU        z if z > 0 else alpha (e^z - 1)  1 if a > 0 else a + alpha
STEP       1 if z >= 0 else 0               (zero almost everywhere: forward only)
SOFTMAX    exp(z_k) / sum_j exp(z_j)        handled per row by the output stage
EXP        exp z                            handled with the Poisson loss by the output
                                            stage
========== ================================ ==========================================

SOFTMAX and EXP are output activations only, each trained with the loss it is the canonical
link of (cross-entropy, Poisson), whose output stage computes the outputs and the deltas
itself. So the one-value functions, which the per-sample kernel copies in for every hidden
unit, leave them out (one branch less to compile there); the array functions apply EXP for
inference, with ``np.exp`` rather than the saturating fast exp: its outputs are unbounded,
and an overflow must give inf, as in scikit-learn.
"""

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import inlined, internal
from .fastexp import fast_exp

IDENTITY = 0
SIGMOID = 1
TANH = 2
ARCTAN = 3
SOFTSIGN = 4
RELU = 5
LEAKY_RELU = 6
ELU = 7
STEP = 8
SOFTMAX = 9
EXP = 10


def same_type(x, value):
    """``value`` converted to the floating type of ``x`` (compiled code only): float32
    kernels then compute in float32 instead of promoting to float64 at every literal."""
    return value


@overload(same_type)
def _same_type(x, value):
    if x == types.float32:
        return lambda x, value: np.float32(value)
    if x == types.float64:
        return lambda x, value: np.float64(value)
    return None


@internal
def activation_value(code, param, z):
    """f(z) for one value and an element-wise code (``param``: leaky-ReLU slope or ELU
    alpha, in z's type)."""
    one = same_type(z, 1.0)
    zero = same_type(z, 0.0)
    if code == SIGMOID:
        return one / (one + fast_exp(-z))
    elif code == TANH:
        return np.tanh(z)
    elif code == ARCTAN:
        return np.arctan(z)
    elif code == SOFTSIGN:
        return z / (one + abs(z))
    elif code == RELU:
        return max(z, zero)
    elif code == LEAKY_RELU:
        return z if z > zero else param * z
    elif code == ELU:
        return z if z > zero else param * np.expm1(z)
    elif code == STEP:
        return one if z >= zero else zero
    return z


@internal
def derivative_value(code, param, a):
    """f'(z) written with the output a = f(z) (see the table above). STEP has no usable
    derivative (zero almost everywhere): the API refuses to train through it, and here it
    gives 0, its derivative wherever it exists."""
    one = same_type(a, 1.0)
    zero = same_type(a, 0.0)
    if code == IDENTITY:
        return one
    elif code == SIGMOID:
        return a * (one - a)
    elif code == TANH:
        return one - a * a
    elif code == ARCTAN:
        c = np.cos(a)
        return c * c
    elif code == SOFTSIGN:
        s = one - abs(a)
        return s * s
    elif code == RELU:
        return one if a > zero else zero
    elif code == LEAKY_RELU:
        return one if a > zero else param
    elif code == ELU:
        return one if a > zero else a + param
    return zero


@internal
def inplace_activate(code, param, buf, start, stop):
    """Replace ``buf[start:stop]`` (pre-activations z) by f(z) for an element-wise code.

    ``param`` is the leaky-ReLU slope or the ELU alpha; other codes ignore it. EXP (an
    output activation) is here for inference; training computes it in the output stage.
    SOFTMAX is not element-wise: see :func:`inplace_activate_rows`.
    """
    # Loops run over a view from index 0: with ``buf[start + i]`` Numba must allow for a
    # negative index, and the wraparound test keeps LLVM from vectorizing (bench/README.md,
    # "Loops over views indexed from 0").
    z = buf[start:stop]
    one = buf.dtype.type(1.0)
    zero = buf.dtype.type(0.0)
    p = buf.dtype.type(param)
    if code == IDENTITY:
        return
    elif code == SIGMOID:
        for i in range(z.shape[0]):
            z[i] = one / (one + fast_exp(-z[i]))
    elif code == TANH:
        for i in range(z.shape[0]):
            z[i] = np.tanh(z[i])
    elif code == ARCTAN:
        for i in range(z.shape[0]):
            z[i] = np.arctan(z[i])
    elif code == SOFTSIGN:
        for i in range(z.shape[0]):
            z[i] = z[i] / (one + abs(z[i]))
    elif code == RELU:
        for i in range(z.shape[0]):
            z[i] = max(z[i], zero)
    elif code == LEAKY_RELU:
        for i in range(z.shape[0]):
            z[i] = z[i] if z[i] > zero else p * z[i]
    elif code == ELU:
        for i in range(z.shape[0]):
            z[i] = z[i] if z[i] > zero else p * np.expm1(z[i])
    elif code == STEP:
        for i in range(z.shape[0]):
            z[i] = one if z[i] >= zero else zero
    elif code == EXP:
        for i in range(z.shape[0]):
            z[i] = np.exp(z[i])


@internal
def inplace_multiply_derivative(code, param, acts, a_start, delta, d_start, count):
    """Multiply ``delta[d_start:d_start+count]`` by f'(z), computed from the outputs
    ``a = acts[a_start:a_start+count]``.

    STEP has no usable derivative (zero almost everywhere); the API refuses to train through
    it, and here it zeroes the deltas, which is its derivative wherever it exists.
    """
    a = acts[a_start : a_start + count]
    d = delta[d_start : d_start + count]
    one = delta.dtype.type(1.0)
    zero = delta.dtype.type(0.0)
    p = delta.dtype.type(param)
    if code == IDENTITY:
        return
    elif code == SIGMOID:
        for i in range(count):
            d[i] *= a[i] * (one - a[i])
    elif code == TANH:
        for i in range(count):
            d[i] *= one - a[i] * a[i]
    elif code == ARCTAN:
        for i in range(count):
            c = np.cos(a[i])
            d[i] *= c * c
    elif code == SOFTSIGN:
        for i in range(count):
            s = one - abs(a[i])
            d[i] *= s * s
    elif code == RELU:
        for i in range(count):
            d[i] = d[i] if a[i] > zero else zero
    elif code == LEAKY_RELU:
        for i in range(count):
            d[i] = d[i] if a[i] > zero else p * d[i]
    elif code == ELU:
        for i in range(count):
            d[i] = d[i] if a[i] > zero else (a[i] + p) * d[i]
    else:
        for i in range(count):
            d[i] = zero


@internal
def inplace_activate_rows(code, param, buf, start, n_units, m):
    """Apply an output activation to a row-major block of ``m`` rows x ``n_units`` at
    ``buf[start]`` (the inference layout): element-wise codes directly, SOFTMAX along each
    row."""
    if code != SOFTMAX:
        inplace_activate(code, param, buf, start, start + n_units * m)
        return
    one = buf.dtype.type(1.0)
    for r in range(m):
        z = buf[start + r * n_units : start + (r + 1) * n_units]
        zmax = z[0]
        for k in range(1, n_units):
            zmax = max(zmax, z[k])
        total = buf.dtype.type(0.0)
        for k in range(n_units):
            e = fast_exp(z[k] - zmax)
            z[k] = e
            total += e
        inv = one / total
        for k in range(n_units):
            z[k] *= inv


#: The one-value functions copied into their caller (IR-level inlining). The per-sample kernel
#: calls them for every unit of every row: copied in, its hidden-layer activation no longer
#: calls inplace_activate and its output no longer calls activation_value (bench/README.md,
#: "Per-sample: activations copied in per unit").
activation_value_inlined = inlined(activation_value.py_func)
derivative_value_inlined = inlined(derivative_value.py_func)
