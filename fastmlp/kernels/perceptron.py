"""Rosenblatt's perceptron learning rule: one epoch over the rows, in place on the weights.

With the notes' convention x_0 = 1 and w_0 = -theta, a row x is classified
y = 1 if w_0 + sum_i w_i x_i >= 0 else 0, and a misclassified row moves the weights by
w <- w + eta (d - y) x (x_0 = 1 included), the rule whose convergence on linearly separable
data Rosenblatt proved. ``fastmlp.reference.perceptron_epoch`` is the NumPy twin.
"""

from ._jit import kernel


@kernel
def perceptron_epoch(X, d, order, w, eta):
    """Visit the rows ``X[order]`` (targets ``d`` in {0, 1}), updating ``w`` (n_inputs + 1,
    w_0 first) after each misclassified row; return how many rows were misclassified."""
    n_in = X.shape[1]
    errors = 0
    for k in range(order.shape[0]):
        row = order[k]
        g = w[0]
        for i in range(n_in):
            g += w[i + 1] * X[row, i]
        y = 1.0 if g >= 0.0 else 0.0
        if y != d[row]:
            errors += 1
            step = eta * (d[row] - y)
            w[0] += step
            for i in range(n_in):
                w[i + 1] += step * X[row, i]
    return errors
