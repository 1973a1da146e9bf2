"""What the classifier and the regressor share: scikit-learn's parameters and their
validation, initialization, the fit (first, warm-started or incremental) as one transaction,
and the forward pass behind ``predict``."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as _SklearnMLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ..full_data import FullDataPass
from ..kernels.losses import (
    POISSON,
    SKLEARN_BINARY_LOG_LOSS,
    SKLEARN_LOG_LOSS,
    SKLEARN_SQUARED_ERROR,
)
from ..kernels.structs import Data
from ..layout import Layout
from ..workspace import Workspace
from ._lbfgs import fit_lbfgs
from ._state import TrainingState
from ._stochastic import (
    NON_FINITE,
    OPTIMIZER_OPTIONS,
    RowFeed,
    StochasticSolver,
    fit_stochastic,
    new_optimizer,
    sparse_block_rows,
)

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # older releases: the same check as a method
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

#: scikit-learn's hidden activations, then the lecture notes' others that fastmlp adds.
SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
EXTRA_ACTIVATIONS = ("arctan", "softsign", "leaky_relu", "elu")

#: Default parameters of the notes' activations (as in :class:`fastmlp.MLP`).
_ACTIVATION_PARAMS = {"leaky_relu": 0.01, "elu": 1.0}


def _constraints() -> dict:
    """scikit-learn's own parameter constraints (so invalid values get its errors and
    messages), widened to fastmlp's activations and extended by its extra parameters."""
    constraints = dict(_SklearnMLPClassifier._parameter_constraints)
    constraints["activation"] = [StrOptions(set(SKLEARN_ACTIVATIONS + EXTRA_ACTIVATIONS))]
    constraints["clip_value"] = [Interval(Real, 0, None, closed="neither"), None]
    constraints["clip_norm"] = [Interval(Real, 0, None, closed="neither"), None]
    constraints["dtype"] = [StrOptions({"float32", "float64"}), None]
    constraints["dropout"] = [Interval(Real, 0, 1, closed="left"), "array-like"]
    return constraints


class BaseMLP(BaseEstimator):
    """Shared by :class:`~fastmlp.sklearn.MLPClassifier` and
    :class:`~fastmlp.sklearn.MLPRegressor`; not for direct use."""

    _parameter_constraints: dict = _constraints()

    #: Set by the subclasses: the loss name of fastmlp's kernels for an output activation.
    _is_classifier = False

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 clip_value=None, clip_norm=None, dtype=None, dropout=0.0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.dtype = dtype
        self.dropout = dropout

    # ----------------------------------------------------------------- fitting
    def _fit_transaction(self, fit, *args, **kwargs):
        """Run ``fit(*args, **kwargs)`` so that if it raises, the estimator is left exactly
        as it was: every attribute is put back (fits never change an attribute's value in
        place, they replace it, so a shallow copy of ``__dict__`` is the whole snapshot)."""
        saved = dict(self.__dict__)
        try:
            return fit(*args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self.hidden_layer_sizes
        hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
        if not all(isinstance(h, Integral) and not isinstance(h, bool) for h in hidden):
            raise TypeError(f"hidden_layer_sizes must hold integers, got {hidden}")
        hidden = [int(h) for h in hidden]
        if np.any(np.array(hidden) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden}.")
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_pass:  # a continued fit keeps the network's dtype, as scikit-learn's
            dtype = self._state.params.dtype
        else:
            dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        rng = check_random_state(self.random_state)
        if first_pass:
            state = self._initialize(sizes, dtype, rng)
        else:
            state = self._continued_state(sizes, dtype)
        network = self._network()
        stochastic = self.solver in ("sgd", "adam")
        if stochastic:
            self._fit_stochastic(network, state, X, Y, sample_weight, rng, incremental)
        else:
            fit_lbfgs(network, self._layout, RowFeed(X, Y, sample_weight, dtype), state,
                      self.get_params(), verbose=bool(self.verbose))
        if not np.isfinite(state.params).all():
            raise ValueError(NON_FINITE)
        self._commit(state)
        return self

    def _initialize(self, sizes, dtype, rng) -> TrainingState:
        """A fresh network: the output layer for the targets and scikit-learn's Glorot
        initialization, drawn from ``rng`` in its order (each layer's weights, then its
        biases; bound sqrt(6 / (fan_in + fan_out)), sqrt(2 / ...) for logistic)."""
        self._layout = Layout.from_sizes(sizes)
        self.n_layers_ = len(sizes)
        self.n_outputs_ = sizes[-1]
        self.out_activation_ = self._output_activation()
        params = np.empty(self._layout.n_params, dtype)
        weights, biases = self._layout.unflatten(params)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for W, b in zip(weights, biases):
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape[0])
        state = TrainingState(params)
        if self.solver in ("sgd", "adam"):
            state.loss_curve = []
            if self.early_stopping:
                state.validation_scores = []
                state.best_validation_score = -np.inf
            else:
                state.best_loss = np.inf
            state.best_params = params.copy()
        return state

    def _continued_state(self, sizes, dtype) -> TrainingState:
        """The state a warm-started fit or a ``partial_fit`` continues, with the parameters
        taken from ``coefs_`` / ``intercepts_`` (which a user may have changed)."""
        current = [int(n) for n in self._layout.sizes]
        if self.out_activation_ != self._output_activation():
            raise ValueError(
                f"the network has output activation {self.out_activation_!r} but "
                f"loss={getattr(self, 'loss', None)!r} needs {self._output_activation()!r}: "
                "warm_start and partial_fit continue the same network; set "
                "warm_start=False (or refit) to start a new one")
        if current != list(sizes):
            raise ValueError(
                f"the network has layer sizes {current} but this data and "
                f"hidden_layer_sizes need {list(sizes)}: warm_start and partial_fit continue "
                "the same network; set warm_start=False (or refit) to start a new one")
        state = self._state.copy()
        state.params = self._packed_params().astype(dtype, copy=True)
        if self.solver in ("sgd", "adam") and state.loss_curve is None:
            state.loss_curve = []  # continuing an lbfgs fit with a stochastic solver
            state.best_loss = np.inf
            state.best_params = state.params.copy()
        return state

    def _fit_stochastic(self, network, state, X, Y, sample_weight, rng, incremental):
        options = self.get_params()
        if not incremental or state.optimizer is None:
            state.optimizer = new_optimizer(options, self._layout.n_params, state.params.dtype)
            state.learning_rate = float(self.learning_rate_init)
            state.optimizer_options = {k: options[k] for k in OPTIMIZER_OPTIONS}
        else:
            # scikit-learn's partial_fit keeps the optimizer of its first call, settings and
            # all, whatever set_params changed since
            options.update(state.optimizer_options)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        score = None
        if self.early_stopping:
            stratify = Y if self._is_classifier and Y.shape[1] == 1 else None
            arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
            parts = train_test_split(*arrays, random_state=rng,
                                     test_size=self.validation_fraction, stratify=stratify)
            X, X_val = parts[0], parts[1]
            Y, Y_val = parts[2], parts[3]
            sample_weight, weight_val = (None, None) if sample_weight is None else parts[4:]
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            y_val = self._validation_targets(Y_val)
            if state.best_params is None:
                state.best_params = state.params.copy()
            if state.validation_scores is None:
                state.validation_scores, state.best_validation_score = [], -np.inf

            def score(params):
                return self._score_outputs(self._forward_params(X_val, params), y_val,
                                           weight_val)
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", stacklevel=4)
            batch_size = int(np.clip(self.batch_size, 1, n))
        feed = RowFeed(X, Y, sample_weight, state.params.dtype)
        solver = StochasticSolver(network, feed, options, batch_size)
        fit_stochastic(solver, state, rng, incremental, score, verbose=bool(self.verbose))

    def _commit(self, state: TrainingState) -> None:
        """Make ``state`` the estimator's: the fitted attributes are read from it."""
        self._state = state
        coefs, intercepts = self._layout.unflatten(state.params)
        self.coefs_, self.intercepts_ = list(coefs), list(intercepts)
        self.n_iter_, self.t_, self.loss_ = state.n_iter, state.t, state.loss
        for name in ("loss_curve", "best_loss", "validation_scores", "best_validation_score"):
            value = getattr(state, name)
            if state.loss_curve is None:  # lbfgs: scikit-learn sets none of them
                self.__dict__.pop(name + "_", None)
            else:
                setattr(self, name + "_", list(value) if isinstance(value, list) else value)

    def _network(self):
        """fastmlp's kernel description of the fitted network."""
        n_hidden = self.n_layers_ - 2
        # the fitted output activation, not the one the current ``loss`` would choose: a
        # set_params(loss=...) after fitting must not change what predict computes
        activations = [self.activation] * n_hidden + [self.out_activation_]
        act_params = [_ACTIVATION_PARAMS.get(a, 0.0) for a in activations]
        # scikit-learn's loss conventions are not among MLP's losses: the kernels' codes only
        # (fastmlp.kernels.losses), in a network otherwise built as MLP builds one. Its
        # poisson is MLP's: the sum over outputs of per-output means is the mean row loss
        code = {"identity": SKLEARN_SQUARED_ERROR, "softmax": SKLEARN_LOG_LOSS,
                "logistic": SKLEARN_BINARY_LOG_LOSS, "exp": POISSON}[activations[-1]]
        return self._layout.network(activations, act_params, "half_mse")._replace(loss=code)

    # ----------------------------------------------------------------- prediction
    def _packed_params(self) -> np.ndarray:
        """fastmlp's flat parameter vector of ``coefs_`` / ``intercepts_``: the fitted one
        while they are still its views, else packed from them."""
        params = self._state.params
        views_w, views_b = self._layout.unflatten(params)
        current = list(self.coefs_) + list(self.intercepts_)
        if all(a is not None and a.shape == v.shape and a.base is params
                and a.__array_interface__["data"][0] == v.__array_interface__["data"][0]
                for a, v in zip(current, views_w + views_b)):
            return params
        packed = np.empty_like(params)
        weights, biases = self._layout.unflatten(packed)
        for target, source in zip(weights + biases, current):
            target[...] = source
        return packed

    def _forward(self, X) -> np.ndarray:
        """The output layer's values (n, n_outputs_) for new rows."""
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._forward_params(X, self._packed_params())

    def _forward_params(self, X, params) -> np.ndarray:
        dtype = params.dtype
        network = self._network()
        out = np.empty((X.shape[0], self.n_outputs_), dtype)
        sparse = hasattr(X, "tocsr")
        if sparse:
            X = X.tocsr()
        step = sparse_block_rows(X.shape[1], dtype) if sparse else max(X.shape[0], 1)
        for start in range(0, X.shape[0], step):
            rows = X[start:start + step]
            rows = np.ascontiguousarray(rows.toarray() if sparse else rows, dtype=dtype)
            data = Data(rows, np.empty((rows.shape[0], 0), dtype), np.empty(0, dtype))
            FullDataPass(Workspace(network, dtype), data).forward(
                params, out[start:start + step])
        return out

    def _score_outputs(self, outputs, y, sample_weight) -> float:
        """The validation score of early stopping from the network's outputs: NaN when an
        output is not finite (as scikit-learn)."""
        if not np.isfinite(outputs).all():
            return np.nan
        return self._score_function(y, self._decode(outputs), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
