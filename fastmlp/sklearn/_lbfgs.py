"""scikit-learn's "lbfgs" solver: ``scipy.optimize.minimize(method="L-BFGS-B")`` over
fastmlp's compiled full-data loss and gradient (rows split across threads where that pays).

The optimizer sees the parameters in scikit-learn's packing -- every layer's weights, then
every layer's biases -- so that its iterates are scikit-learn's, value for value; the
objective is scikit-learn's: the weighted mean loss plus alpha/2 ||W||^2 over the total
weight. Sparse X is densified a block of rows at a time in every evaluation.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from sklearn.utils.optimize import _check_optimize_result

from ..config import dropout_rates
from ..full_data import FullDataPass
from ..kernels.optimizers import inplace_add_penalty
from ..kernels.structs import Data
from ..workspace import Workspace
from ._stochastic import NON_FINITE, sparse_block_rows


def sklearn_packing(layout) -> np.ndarray:
    """Index array ``p`` such that ``flat[p]`` is scikit-learn's packed vector
    (all coefficients, then all intercepts) of fastmlp's flat vector ``flat``."""
    weights = [np.arange(layout.n_params)[layout.weight_slice(l)]
               for l in range(layout.n_layers)]
    biases = [np.arange(layout.n_params)[layout.bias_slice(l)] for l in range(layout.n_layers)]
    return np.concatenate(weights + biases)


def _full_data_loss(network, feed):
    """A function (params, l2) -> (loss, gradient) over every row of ``feed``: one
    compiled pass for dense X; for sparse X a pass per block of rows densified in turn
    (never the whole matrix), combined in proportion to the blocks' weights."""
    dtype = feed.dtype
    if not feed.sparse:
        full = FullDataPass(Workspace(network, dtype), Data(feed.X, feed.Y, feed.weights))

        def dense(params, l2):
            loss, grad, _ = full.loss_and_gradient(params, 0.0, l2)
            return loss, grad
        return dense
    step = sparse_block_rows(feed.X.shape[1], dtype)
    buffer = np.empty(network.b_off[-1] + network.sizes[-1], dtype)

    def blockwise(params, l2):
        loss, total, grad = 0.0, 0.0, buffer
        grad.fill(0)
        for start in range(0, feed.n_rows, step):
            rows = slice(start, start + step)
            data = Data(np.ascontiguousarray(feed.X[rows].toarray(), dtype=dtype),
                        feed.Y[rows], feed.weights[rows] if feed.weighted else feed.weights)
            part, part_grad, weight = FullDataPass(Workspace(network, dtype),
                                                   data).loss_and_gradient(params)
            loss += part * weight
            grad += part_grad * dtype.type(weight)
            total += weight
        if total > 0:
            loss /= total
            grad /= dtype.type(total)
        return loss + inplace_add_penalty(params, grad, network, 0.0, l2), grad
    return blockwise


def fit_lbfgs(network, layout, feed, state, options, verbose=False) -> None:
    """Minimize in place on ``state.params``; sets ``state.n_iter`` and ``state.loss``.
    Warns ConvergenceWarning as scikit-learn does when L-BFGS stops without converging."""
    if any(dropout_rates(options["dropout"], layout.n_layers - 1)):
        raise ValueError(f"dropout={options['dropout']!r} needs a stochastic solver ('sgd' or "
                         "'adam'): L-BFGS minimizes the deterministic full-data loss")
    total_weight = float(feed.weights.sum()) if feed.weighted else float(feed.n_rows)
    l2 = options["alpha"] / total_weight if total_weight > 0 else 0.0
    packing = sklearn_packing(layout)
    params = state.params
    full_data = _full_data_loss(network, feed)

    def loss_and_gradient(x):
        params[packing] = x
        loss, grad = full_data(params, l2)
        return loss, grad[packing].astype(np.float64)

    callback = None
    if verbose:
        def callback(intermediate_result):
            print(f"L-BFGS iteration, loss = {intermediate_result.fun:.8f}")
    result = scipy.optimize.minimize(
        loss_and_gradient, params[packing].astype(np.float64), method="L-BFGS-B", jac=True,
        callback=callback, options={"maxfun": options["max_fun"],
                                    "maxiter": options["max_iter"], "gtol": options["tol"]})
    if not (np.isfinite(result.fun) and np.isfinite(result.x).all()):
        # the stochastic solvers' guarantee (and scikit-learn's message): never a "fitted"
        # model with a NaN loss; the estimator puts its attributes back
        raise ValueError(NON_FINITE)
    # scikit-learn's own check: the same ConvergenceWarning, word for word
    state.n_iter = _check_optimize_result("lbfgs", result, options["max_iter"])
    params[packing] = result.x
    state.loss = np.float64(result.fun)
