"""scikit-learn's "lbfgs" solver: ``scipy.optimize.minimize(method="L-BFGS-B")`` over
fastmlp's compiled full-data loss and gradient (rows split across threads where that pays).

The optimizer sees the parameters in scikit-learn's packing -- every layer's weights, then
every layer's biases -- so that its iterates are scikit-learn's, value for value; the
objective is scikit-learn's: the weighted mean loss plus alpha/2 ||W||^2 over the total
weight.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from ..full_data import FullDataPass
from ..kernels.structs import Data
from ..workspace import Workspace


def sklearn_packing(layout) -> np.ndarray:
    """Index array ``p`` such that ``flat[p]`` is scikit-learn's packed vector
    (all coefficients, then all intercepts) of fastmlp's flat vector ``flat``."""
    weights = [np.arange(layout.n_params)[layout.weight_slice(l)]
               for l in range(layout.n_layers)]
    biases = [np.arange(layout.n_params)[layout.bias_slice(l)] for l in range(layout.n_layers)]
    return np.concatenate(weights + biases)


def fit_lbfgs(network, layout, feed, state, options, verbose=False) -> None:
    """Minimize in place on ``state.params``; sets ``state.n_iter`` and ``state.loss``.
    Warns ConvergenceWarning as scikit-learn does when L-BFGS stops without converging."""
    dtype = feed.dtype
    X = feed.X.toarray() if feed.sparse else feed.X
    data = Data(np.ascontiguousarray(X, dtype=dtype), feed.Y, feed.weights)
    full = FullDataPass(Workspace(network, dtype), data)
    total_weight = float(feed.weights.sum()) if feed.weighted else float(feed.n_rows)
    l2 = options["alpha"] / total_weight if total_weight > 0 else 0.0
    packing = sklearn_packing(layout)
    params = state.params

    def loss_and_gradient(x):
        params[packing] = x
        loss, grad, _ = full.loss_and_gradient(params, 0.0, l2)
        return loss, grad[packing].astype(np.float64)

    callback = None
    if verbose:
        def callback(intermediate_result):
            print(f"L-BFGS iteration, loss = {intermediate_result.fun:.8f}")
    result = scipy.optimize.minimize(
        loss_and_gradient, params[packing].astype(np.float64), method="L-BFGS-B", jac=True,
        callback=callback, options={"maxfun": options["max_fun"],
                                    "maxiter": options["max_iter"], "gtol": options["tol"]})
    if result.status != 0:
        message = result.message
        if isinstance(message, bytes):
            message = message.decode("latin1")
        warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) "
                      f"(status={result.status}):\n{message}\n\nIncrease the number of "
                      "iterations to improve the convergence (max_iter="
                      f"{options['max_iter']}).\nYou might also want to scale the data as "
                      "shown in:\n    https://scikit-learn.org/stable/modules/"
                      "preprocessing.html", ConvergenceWarning, stacklevel=4)
    params[packing] = result.x
    state.n_iter = min(result.nit, options["max_iter"])
    state.loss = float(result.fun)
