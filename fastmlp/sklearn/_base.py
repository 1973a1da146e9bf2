"""What the classifier and the regressor share: scikit-learn's parameters and their
validation, initialization, the fit (first, warm-started or incremental) as one transaction,
and the forward pass behind ``predict``."""

from __future__ import annotations

import dataclasses
import operator
import os
import warnings
import weakref
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as _SklearnMLPClassifier
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import inference
from ..kernels.losses import (
    POISSON,
    SKLEARN_BINARY_LOG_LOSS,
    SKLEARN_LOG_LOSS,
    SKLEARN_SQUARED_ERROR,
)
from ..layout import Layout
from ..schedules import ReduceOnPlateau
from ._checkpoint import EstimatorCheckpoint, estimator_identity
from ._lbfgs import _full_data_loss, fit_lbfgs
from ._state import TrainingState
from ._stochastic import (
    FASTMLP_SCHEDULES,
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

#: The input dtypes that predict passes to the kernels without scikit-learn's checks.
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))



class _PredictionMemo:
    """What :meth:`BaseMLP._prediction_inputs` found for one estimator: the network's
    description for a layout and activations, and the parameter vector whose views
    ``views`` (the arrays of ``coefs_`` then ``intercepts_``) were found to be."""

    __slots__ = ("layout", "kind", "network", "shapes", "params", "views")

    def __init__(self, layout: Layout, kind: tuple, network):
        self.layout, self.kind, self.network = layout, kind, network
        weights, biases = layout.unflatten(np.empty(layout.n_params))
        self.shapes = tuple(a.shape for a in weights + biases)
        self.params: np.ndarray | None = None
        self.views: tuple = ()


#: Per fitted estimator, its :class:`_PredictionMemo`. Kept beside the estimators rather
#: than in them: it is no fitted attribute, and pickled its arrays would come back as copies
#: that view nothing.
_PREDICTION_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

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
    # fastmlp's schedules (MLP.fit's "cosine" and "plateau", with its option names)
    constraints["learning_rate"] = [StrOptions({"constant", "invscaling", "adaptive",
                                                *FASTMLP_SCHEDULES})]
    constraints["warmup_steps"] = [Interval(Integral, 0, None, closed="left")]
    constraints["decay_steps"] = [Interval(Integral, 1, None, closed="left"), None]
    constraints["min_learning_rate"] = [Interval(Real, 0, None, closed="left")]
    constraints["plateau_factor"] = [Interval(Real, 0, 1, closed="neither")]
    constraints["plateau_patience"] = [Interval(Integral, 1, None, closed="left")]
    constraints["plateau_min_delta"] = [Interval(Real, 0, None, closed="left")]
    constraints["checkpoint"] = [str, os.PathLike, None]
    constraints["checkpoint_every"] = [Interval(Integral, 1, None, closed="left")]
    constraints["dropout"] = [Interval(Real, 0, 1, closed="left"), "array-like"]
    return constraints


def _numeric_sample_weight(sample_weight):
    """``sample_weight`` unchanged when it holds numbers (or is one), else a ValueError
    naming it: scikit-learn's own check converts numeric strings ("1") silently and fails on
    others with "could not convert string to float", which does not say what was wrong."""
    if isinstance(sample_weight, (str, bytes)):
        raise ValueError(f"sample_weight must be a number or an array of numbers (one per "
                         f"row), got a string: {sample_weight!r:.60}")
    if isinstance(sample_weight, (dict, set)):
        raise ValueError(f"sample_weight must be a number or an array of numbers (one per "
                         f"row), got a {type(sample_weight).__name__}")
    try:
        values = np.asarray(sample_weight)
    except Exception:  # ragged: scikit-learn's check says so
        return sample_weight
    kind = values.dtype.kind
    if kind == "O":
        strange = next((v for v in values.ravel() if v is not None and not isinstance(
            v, (Real, np.number, np.bool_))), None)
        if strange is not None:
            raise ValueError(f"sample_weight must hold numbers, got a "
                             f"{type(strange).__name__} ({strange!r:.40})")
    elif kind in "USV" or kind in "mM" or kind == "c":
        what = {"U": "strings", "S": "bytes", "V": "records", "m": "timedeltas",
                "M": "datetimes", "c": "complex numbers"}[kind]
        raise ValueError(f"sample_weight must hold real numbers, got {what} (dtype "
                         f"{values.dtype})")
    return sample_weight


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
                 clip_value=None, clip_norm=None, dtype=None, warmup_steps=0,
                 decay_steps=None, min_learning_rate=0.0, plateau_factor=0.1,
                 plateau_patience=10, plateau_min_delta=1e-4, checkpoint=None,
                 checkpoint_every=1, dropout=0.0):
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
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self.min_learning_rate = min_learning_rate
        self.plateau_factor = plateau_factor
        self.plateau_patience = plateau_patience
        self.plateau_min_delta = plateau_min_delta
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
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
        stochastic = self.solver in ("sgd", "adam")
        if self.checkpoint is not None and not stochastic:
            raise ValueError(f"checkpoint needs solver 'sgd' or 'adam' (it records epochs); "
                             f"solver={self.solver!r} runs in one call")
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:  # float64 until scaled into the network's range
            sample_weight = _check_sample_weight(_numeric_sample_weight(sample_weight), X,
                                                 dtype=np.float64)
        class_rows = self._class_row_weights(y, incremental)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_pass:  # a continued fit keeps the network's dtype, as scikit-learn's
            dtype = self._state.params.dtype
        else:
            dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        sample_weight, options = self._scaled_weights(sample_weight, dtype, X.dtype)
        sizes = [X.shape[1], *hidden, Y.shape[1]]
        rng = check_random_state(self.random_state)
        if first_pass:
            state = self._initialize(sizes, dtype, rng)
        else:
            state = self._continued_state(sizes, dtype)
        network = self._network()
        if stochastic:
            start = None if first_pass else state.params.copy()
            self._fit_stochastic(network, state, X, Y, sample_weight, class_rows, rng,
                                 incremental, start, options)
        else:
            fit_lbfgs(network, self._layout,
                      RowFeed(X, Y, _weighted(sample_weight, class_rows), dtype), state,
                      options, verbose=bool(self.verbose))
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

    def _scaled_weights(self, sample_weight, dtype, x_dtype):
        """``sample_weight`` in ``x_dtype`` (as scikit-learn converts it), and the solver's
        options (``get_params()``).

        Valid but extreme weights (1e307 each: their sums overflow; 5e-324 each: the
        products with the losses underflow) are first scaled by a power of two 2^-e into a
        range where the network's ``dtype`` holds their sums, and ``alpha`` by the same
        2^-e. scikit-learn's loss of a batch is sum(w E) / sum(w) plus alpha/2 ||W||^2 /
        sum(w): both terms are unchanged by the scaling, exactly (a power of two), so the fit
        is that of the weights given. Weights in the ordinary range are left alone.
        """
        options = self.get_params()
        if sample_weight is None:
            return None, options
        largest = float(np.max(np.abs(sample_weight), initial=0.0))
        info = np.finfo(dtype)
        n = sample_weight.shape[0]
        if largest == 0.0 or (largest * n <= float(info.max) * 2.0 ** -20
                              and largest >= float(info.tiny) * 2.0 ** 40):
            return sample_weight.astype(x_dtype, copy=False), options
        exponent = int(np.frexp(largest)[1])  # largest = m 2^exponent, m in [0.5, 1)
        with np.errstate(under="ignore", over="ignore"):
            sample_weight = np.ldexp(sample_weight, -exponent)
            alpha = float(np.ldexp(float(options["alpha"]), -exponent))
        if not np.isfinite(alpha):
            raise ValueError(
                f"sample_weight is so small (largest {largest!r}) that scikit-learn's penalty "
                f"alpha / sum(sample_weight) overflows with alpha={options['alpha']!r}: "
                "scale the weights up (only their ratios and their size against alpha count)")
        options["alpha"] = alpha
        return sample_weight.astype(x_dtype, copy=False), options

    def _class_row_weights(self, Y, incremental) -> np.ndarray | None:
        """Each row's class weight (``class_weight``, MLPClassifier), or None."""
        return None

    def _fit_stochastic(self, network, state, X, Y, sample_weight, class_rows, rng,
                        incremental, start_params, options):
        if not incremental or state.optimizer is None:
            state.optimizer = new_optimizer(options, self._layout.n_params, state.params.dtype)
            state.learning_rate = float(self.learning_rate_init)
            state.optimizer_options = {k: options[k] for k in OPTIMIZER_OPTIONS}
            state.plateau = None
            if self.learning_rate == "plateau":
                state.plateau = ReduceOnPlateau(
                    float(self.learning_rate_init), float(self.plateau_factor),
                    int(self.plateau_patience), float(self.plateau_min_delta),
                    float(self.min_learning_rate))
        else:
            # scikit-learn's partial_fit keeps the optimizer of its first call, settings and
            # all, whatever set_params changed since
            options.update(state.optimizer_options)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        weights = _weighted(sample_weight, class_rows)
        checkpoint = saved = None
        if self.checkpoint is not None and not incremental:
            checkpoint = EstimatorCheckpoint(
                self.checkpoint, self.checkpoint_every,
                estimator_identity(self, self._layout.sizes, state.params.dtype, start_params,
                                   X, Y, weights))
            saved = checkpoint.load(X.shape[0])
        score = validation_loss = None
        if self.early_stopping:
            stratify = Y if self._is_classifier and Y.shape[1] == 1 else None
            # the split of train_test_split(X, Y, ...), as indices: a checkpoint keeps them
            train, val = train_test_split(np.arange(X.shape[0]), random_state=rng,
                                          test_size=self.validation_fraction,
                                          stratify=stratify)
            if saved is not None:
                if saved["split"] is None:
                    raise checkpoint.file.refusal("it holds no validation split")
                train, val = saved["split"]
            if checkpoint is not None:
                checkpoint.split = (train, val)
            X, X_val = _safe_indexing(X, train), _safe_indexing(X, val)
            Y, Y_val = _safe_indexing(Y, train), _safe_indexing(Y, val)
            # the validation score weighs rows by sample_weight only, as scikit-learn's
            # SGDClassifier: class_weight changes the training loss, not what is measured
            weight_val = None if sample_weight is None else sample_weight[val]
            weights = None if weights is None else weights[train]
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

            if state.plateau is not None:  # Keras' semantics: it watches the validation loss
                val_loss = _full_data_loss(network, RowFeed(X_val, Y_val, weight_val,
                                                            state.params.dtype))

                def validation_loss(params):
                    return float(val_loss(params, 0.0)[0])
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped", stacklevel=4)
            batch_size = int(np.clip(self.batch_size, 1, n))
        decay_steps = _decay_steps(options, n, batch_size, incremental)
        feed = RowFeed(X, Y, weights, state.params.dtype)
        solver = StochasticSolver(network, feed, options, batch_size, decay_steps)
        state.n_iter = 0
        sample_idx = None
        if saved is not None:
            sample_idx = checkpoint.restore(saved, state, rng)
        fit_stochastic(solver, state, rng, incremental, score, verbose=bool(self.verbose),
                       validation_loss=validation_loss, checkpoint=checkpoint,
                       sample_idx=sample_idx)

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
        ready = self._ready_rows(X)
        if ready is not None:
            params, network, rows = ready
            out = np.empty((rows.shape[0], self.n_outputs_), params.dtype)
            if inference.serial_forward(params, network, rows, out):
                return out
            # a NaN or inf: scikit-learn's checks below refuse it in its words
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._forward_params(X, self._packed_params())

    def _ready_rows(self, X):
        """``(params, network, rows)`` when scikit-learn's checks of ``X`` could only pass it
        unchanged -- the estimator is fitted without feature names, ``X`` is a plain
        C-contiguous ndarray of float32 or float64 with ``n_features_in_`` columns and a few
        rows (:func:`fastmlp.inference.serial`) -- leaving the finiteness test, which the
        compiled pass makes as it reads them; else None (the full checks then run).

        Those checks cost ten to a hundred times a one-row pass (bench/README.md,
        "One-row inference"). ``rows`` is ``X`` in the network's dtype, the conversion
        :meth:`_forward_params` makes."""
        if type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in _FLOATS:
            return None
        fitted = self._prediction_inputs()
        if fitted is None or "feature_names_in_" in self.__dict__:
            return None  # not fitted, or names to compare: a warning to give (validate_data)
        params, network = fitted
        n, width = X.shape
        flags = X.flags
        if (width != self.n_features_in_ or n == 0 or not flags.c_contiguous
                or not inference.serial(params.dtype, n)):
            return None
        if X.dtype != params.dtype:
            with np.errstate(over="ignore"):  # inf: the full path's cast warns of it
                X = np.ascontiguousarray(X, dtype=params.dtype)
        elif not flags.writeable:  # a read-only array is another type to the kernel
            return None
        return params, network, X

    def _prediction_inputs(self):
        """``(params, network)`` for predicting with a fitted estimator, or None (not fitted,
        or arrays of another shape or dtype than their layer's put into ``coefs_`` /
        ``intercepts_``: the full path packs them as it always did).

        While ``coefs_`` and ``intercepts_`` are the views of the fitted parameter vector,
        ``params`` is that vector; arrays put there instead are packed into a new one.
        What was found is remembered (:class:`_PredictionMemo`) until the arrays, the fit,
        the layout or the activations change, so a prediction neither rebuilds the
        network's description nor compares every array's memory each time."""
        state = self.__dict__.get("_state")
        coefs = self.__dict__.get("coefs_")
        intercepts = self.__dict__.get("intercepts_")
        if state is None or coefs is None or intercepts is None:
            return None
        arrays = (*coefs, *intercepts)
        # the fitted output activation, not the current loss's (as _network)
        kind = (self.activation, self.out_activation_, self.n_layers_)
        memo = _PREDICTION_MEMOS.get(self)
        if memo is None or memo.layout is not self._layout or memo.kind != kind:
            memo = _PredictionMemo(self._layout, kind, self._network())
            _PREDICTION_MEMOS[self] = memo
        params = state.params
        if (memo.params is params and len(arrays) == len(memo.views)
                and all(map(operator.is_, arrays, memo.views))):
            return params, memo.network
        shapes = memo.shapes
        if len(arrays) != len(shapes) or not all(
                type(a) is np.ndarray and a.dtype == params.dtype and a.shape == shape
                for a, shape in zip(arrays, shapes)):
            return None
        if all(a.base is params for a in arrays) and self._packed_params() is params:
            memo.params, memo.views = params, arrays
            return params, memo.network
        # arrays of the user's: packed in the layout's order (each layer's weights, row by
        # row, then its biases), the values _packed_params copies
        n = len(coefs)
        return np.concatenate([part for l in range(n) for part in
                               (arrays[l].ravel(), arrays[n + l])]), memo.network

    def __setstate__(self, state):
        super().__setstate__(state)
        self._bind_views()

    def _bind_views(self) -> None:
        """After unpickling: make ``coefs_`` and ``intercepts_`` views of the parameter
        vector again (pickle stores them as copies), holding the values they held, so that
        ``predict`` reads them without packing them on each call. Left as they are when an
        array's shape or dtype differs from its layer's (set by hand before pickling)."""
        state = self.__dict__.get("_state")
        coefs = self.__dict__.get("coefs_")
        intercepts = self.__dict__.get("intercepts_")
        layout = self.__dict__.get("_layout")
        if state is None or coefs is None or intercepts is None or layout is None:
            return
        params = np.empty(state.params.shape, state.params.dtype)  # not a memmap's subclass
        weights, biases = layout.unflatten(params)
        current = list(coefs) + list(intercepts)
        if len(current) != len(weights) + len(biases) or not all(
                isinstance(a, np.ndarray) and a.shape == v.shape and a.dtype == v.dtype
                for a, v in zip(current, weights + biases)):
            return
        for target, source in zip(weights + biases, current):
            target[...] = source
        # a copy of the state: copy.copy of an estimator shares it with the original
        self._state = dataclasses.replace(state, params=params)
        self.coefs_, self.intercepts_ = list(weights), list(biases)

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
            # a value beyond the network's dtype becomes inf here, which the pass refuses
            # with its own error: numpy's overflow warning would only say it twice
            with np.errstate(over="ignore"):
                rows = np.ascontiguousarray(rows.toarray() if sparse else rows, dtype=dtype)
            inference.forward(params, network, rows, out[start:start + step])
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


def _weighted(sample_weight, class_rows):
    """The rows' training weights: ``sample_weight`` times the class weights (either may be
    None: every row weighs 1)."""
    if class_rows is None:
        return sample_weight
    if sample_weight is None:
        return class_rows
    return sample_weight * class_rows


def _decay_steps(options: dict, n_rows: int, batch_size: int, incremental: bool):
    """The cosine schedule's T: ``decay_steps``, or the updates the fit plans (``max_iter``
    epochs of ceil(n / batch_size) batches, as :meth:`fastmlp.MLP.fit`); None for the
    other schedules. Checks the schedule's options against each other first."""
    if options["learning_rate"] != "cosine":
        return None
    if options["min_learning_rate"] > options["learning_rate_init"]:
        raise ValueError(f"min_learning_rate ({options['min_learning_rate']!r}) must not "
                         f"exceed learning_rate_init ({options['learning_rate_init']!r}) "
                         "with learning_rate='cosine'")
    decay, warmup = options["decay_steps"], options["warmup_steps"]
    if decay is not None:
        if decay <= warmup:
            raise ValueError(f"decay_steps ({decay}) must be larger than warmup_steps "
                             f"({warmup})")
        return int(decay)
    if incremental:
        raise ValueError("learning_rate='cosine' in partial_fit needs decay_steps: the total "
                         "number of updates of all the calls (each call is one epoch)")
    per_epoch = -(-n_rows // batch_size)
    return max(int(options["max_iter"]) * per_epoch, int(warmup) + 1)
