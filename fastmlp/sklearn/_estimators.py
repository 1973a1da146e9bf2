"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators of the same names, with
fastmlp's compiled engines doing the training."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d

from ..labels import class_sample_weight
from ._base import BaseMLP, validate_data


def _stochastic_solver(estimator) -> bool:
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                             f"{estimator.solver} is not stochastic.")
    return True


_DOC_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate_init, \
power_t, max_iter, shuffle, random_state, tol, verbose, warm_start, \
momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2, epsilon, \
n_iter_no_change, max_fun
        scikit-learn's parameters, with its defaults and meaning (``sklearn.neural_network``).
        ``activation`` also takes the lecture notes' "arctan", "softsign", "leaky_relu"
        (slope 0.01) and "elu" (alpha 1).
    clip_value, clip_norm : float or None, default None
        fastmlp's gradient clipping (stochastic solvers): each component to
        [-clip_value, clip_value], then the whole gradient to L2 norm ``clip_norm``.
    dtype : {"float32", "float64"} or None, default None
        The network's dtype; None follows X (float32 X trains a float32 network).
    learning_rate : {"constant", "invscaling", "adaptive", "cosine", "plateau"}
        scikit-learn's three (solver "sgd" only), and fastmlp's schedules of
        :meth:`fastmlp.MLP.fit`, for "sgd" and "adam" alike (Adam's bias correction then
        scales the scheduled step): "cosine" warms up linearly from 0 to
        ``learning_rate_init`` over ``warmup_steps`` updates, then decays along a cosine to
        ``min_learning_rate`` at update ``decay_steps``; "plateau" multiplies the step by
        ``plateau_factor`` (not below ``min_learning_rate``) after ``plateau_patience``
        epochs in a row whose loss did not improve on its best by more than
        ``plateau_min_delta`` -- the loss on the validation split with
        ``early_stopping=True`` (its data loss, without the ``alpha`` penalty), else the
        training loss (``loss_curve_``) -- Keras' ReduceLROnPlateau. The stopping rule of
        ``tol`` / ``n_iter_no_change`` still applies: give ``n_iter_no_change`` more
        epochs than ``plateau_patience`` to let a lowered step act.
    warmup_steps : int >= 0, default 0
    decay_steps : int > warmup_steps or None, default None
        None: the updates the fit plans (``max_iter`` epochs of ceil(n / batch_size)
        batches, n the training rows); ``partial_fit`` needs it given (its calls continue
        the update count).
    min_learning_rate : float >= 0, default 0.0
    plateau_factor : float in (0, 1), default 0.1
    plateau_patience : int >= 1, default 10
    plateau_min_delta : float >= 0, default 1e-4
        As the options of the same names of :meth:`fastmlp.MLP.fit`.
    checkpoint : str, os.PathLike or None, default None
        A file in which ``fit`` (solver "sgd" or "adam") records itself every
        ``checkpoint_every`` epochs, atomically: parameters, optimizer state, the curves
        and counters, the random state and the validation split. If the file exists when
        ``fit`` starts, the fit continues from it, so rerunning a killed script ends with
        the coefficients, bit for bit, of a fit never interrupted. A checkpoint of another
        estimator, other parameters or other data is refused (ValueError naming the
        file); a fit that finishes removes it (Ctrl-C keeps it). ``partial_fit`` (one epoch
        per call) does not use it; "lbfgs" refuses it.
    checkpoint_every : int >= 1, default 1
        Epochs between checkpoints.
"""

_DOC_CLASS_WEIGHT = """    class_weight : "balanced", dict or None, default None
        Weigh each training row by its class: "balanced" gives class c the weight
        n / (k * n_c) (scikit-learn's ``compute_class_weight``: k classes, n_c of the n rows
        in class c), a dict maps labels to weights (other classes weigh 1). It multiplies
        ``sample_weight`` in the training loss; early stopping's validation score stays
        weighted by ``sample_weight`` only. Not for multilabel targets, and
        ``partial_fit`` takes a dict only ("balanced" would weigh each batch by its own
        counts).
"""

_DOC_ATTRIBUTES = """
    Attributes
    ----------
    coefs_, intercepts_ : lists of ndarray
        Layer i's weights (n_in, n_out) and biases (n_out,): views into the one parameter
        vector the kernels train.
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_, t_, \
n_iter_, n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_
        As in scikit-learn.
"""


def _decoded(binarizer: LabelBinarizer, outputs: np.ndarray) -> np.ndarray | None:
    """What ``binarizer.inverse_transform(outputs)`` returns, for the encodings the
    classifier fits (a default ``LabelBinarizer`` on dense labels: multiclass, two classes,
    multilabel indicators), computed as it computes them without the checks and array-API
    dispatch around them (which cost more than a one-row prediction); None for any other
    binarizer (a single class, sparse labels), which the caller hands to
    ``inverse_transform`` itself."""
    if (binarizer.neg_label != 0 or binarizer.pos_label != 1 or binarizer.sparse_output
            or getattr(binarizer, "sparse_input_", True)):
        return None
    classes = binarizer.classes_
    kind = binarizer.y_type_
    if kind == "multiclass" and outputs.ndim == 2 and outputs.shape[1] == classes.shape[0]:
        return classes[outputs.argmax(axis=1)]
    # the threshold halfway between the labels, 0 and 1; the indicator as an index type
    if kind == "binary" and outputs.ndim == 1 and classes.shape[0] == 2:
        return classes[(outputs > 0.5).astype(np.intp)]
    if (kind == "multilabel-indicator" and outputs.ndim == 2
            and outputs.shape[1] == classes.shape[0]):
        return (outputs > 0.5).astype(np.intp)
    return None


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = ("""A multilayer perceptron classifier: scikit-learn's ``MLPClassifier``, trained
    by fastmlp's compiled engines.

    Two classes train one logistic output, more a softmax, indicator targets (multilabel)
    one logistic output per label, all on the log-loss; with the same ``random_state`` and
    data the fitted parameters are scikit-learn's to rounding.
""" + _DOC_PARAMETERS + _DOC_ATTRIBUTES + """
    classes_ : ndarray
        The class labels (``predict`` returns them).
""").replace("    clip_value, clip_norm :", _DOC_CLASS_WEIGHT + "    clip_value, clip_norm :")

    _parameter_constraints: dict = {**BaseMLP._parameter_constraints,
                                    "class_weight": [StrOptions({"balanced"}), dict, None]}
    _is_classifier = True
    _score_function = staticmethod(accuracy_score)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 clip_value=None, clip_norm=None, dtype=None, warmup_steps=0,
                 decay_steps=None, min_learning_rate=0.0, plateau_factor=0.1,
                 plateau_patience=10, plateau_min_delta=1e-4, checkpoint=None,
                 checkpoint_every=1, class_weight=None):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, clip_value=clip_value, clip_norm=clip_norm, dtype=dtype,
            warmup_steps=warmup_steps, decay_steps=decay_steps,
            min_learning_rate=min_learning_rate, plateau_factor=plateau_factor,
            plateau_patience=plateau_patience, plateau_min_delta=plateau_min_delta,
            checkpoint=checkpoint, checkpoint_every=checkpoint_every)
        self.class_weight = class_weight

    def _output_activation(self) -> str:
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _class_row_weights(self, Y, incremental) -> np.ndarray | None:
        """Each row's weight from its class (``class_weight``), from the binarized targets
        ``Y``; None without class weights."""
        if self.class_weight is None:
            return None
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight weighs each row by its one class; multilabel "
                             "targets (an indicator matrix) have several per row: give "
                             "sample_weight instead")
        if incremental and isinstance(self.class_weight, str):
            raise ValueError("class_weight='balanced' is not supported by partial_fit: it "
                             "would weigh each batch by its own class counts. Compute the "
                             "weights of the whole data once (sklearn.utils.class_weight."
                             "compute_class_weight) and pass them as a dict")
        # the column of each row's class in classes_ (LabelBinarizer: one 0/1 column for
        # two classes, the second class's)
        index = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0].astype(np.intp)
        if isinstance(self.class_weight, str):  # "balanced" over this fit's rows
            weights = class_sample_weight(self.class_weight, index)
        else:  # a dict, checked against every class (a batch may lack some)
            weights = class_sample_weight(self.class_weight, self.classes_)[index]
        if not (weights > 0).any():
            raise ValueError("class_weight gives every row a weight of 0")
        return weights

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.dtype == object:  # scikit-learn's check fails on None sorting the labels
            missing = [i for i, v in enumerate(y.ravel()) if v is None]
            if missing:
                raise ValueError(f"y contains a missing value (None) at index {missing[0]}: "
                                 "a label is needed for every row")
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        # bool like scikit-learn's (its stratified split sorts these values); the row feed
        # converts them to the network's dtype
        return X, self._label_binarizer.transform(y).astype(bool)

    def _validation_targets(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _decode(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        binarizer = self._label_binarizer
        labels = _decoded(binarizer, outputs)
        return binarizer.inverse_transform(outputs) if labels is None else labels

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "MLPClassifier":
        """Fit the model to data X (n, d), dense or sparse, and labels y (n,) or a label
        indicator matrix (n, n_labels); ``sample_weight`` (n,) weighs the rows."""
        return self._fit_transaction(self._fit, X, y, sample_weight, incremental=False)

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None) -> "MLPClassifier":
        """One epoch over (X, y); ``classes`` (every label of the whole data) is needed on
        the first call."""

        def first_call_then_fit():
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight=sample_weight, incremental=True)

        return self._fit_transaction(first_call_then_fit)

    def predict(self, X) -> np.ndarray:
        """The predicted class of each row (or label indicators, multilabel)."""
        return self._decode(self._forward(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in the order of ``classes_`` (for
        multilabel targets: each label's probability, (n, n_labels)).

        A logistic output's probabilities are kept inside the open interval (0, 1): where
        scikit-learn's round to exactly 1 (or below the normal floats), these are the
        nearest floats inside, 1 - 2^-53 (or the smallest normal float) in float64 -- so
        each is a probability of either outcome, and nothing else changes.
        """
        outputs = self._forward(X)
        if self.out_activation_ != "logistic":
            return outputs
        info = np.finfo(outputs.dtype)
        np.clip(outputs, info.tiny, 1 - info.epsneg, out=outputs)
        if self.n_outputs_ == 1:
            p = outputs.ravel()
            return np.vstack([np.minimum(1 - p, 1 - info.epsneg), p]).T
        return outputs

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))``."""
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = ("""A multilayer perceptron regressor: scikit-learn's ``MLPRegressor``
    (identity output and half squared error, or exp output and half Poisson deviance),
    trained by fastmlp's compiled engines.
""" + _DOC_PARAMETERS.replace(
        "    hidden_layer_sizes,",
        "    loss : {\"squared_error\", \"poisson\"}, default \"squared_error\"\n"
        "        As in scikit-learn (1.7 added \"poisson\"): half the squared error with an\n"
        "        identity output, or half the Poisson deviance with an exp output (log\n"
        "        link; y must be >= 0).\n"
        "    hidden_layer_sizes,") + _DOC_ATTRIBUTES)

    _parameter_constraints: dict = {**BaseMLP._parameter_constraints,
                                    "loss": [StrOptions({"squared_error", "poisson"})]}
    _score_function = staticmethod(r2_score)

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 clip_value=None, clip_norm=None, dtype=None, warmup_steps=0,
                 decay_steps=None, min_learning_rate=0.0, plateau_factor=0.1,
                 plateau_patience=10, plateau_min_delta=1e-4, checkpoint=None,
                 checkpoint_every=1):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, clip_value=clip_value, clip_norm=clip_norm, dtype=dtype,
            warmup_steps=warmup_steps, decay_steps=decay_steps,
            min_learning_rate=min_learning_rate, plateau_factor=plateau_factor,
            plateau_patience=plateau_patience, plateau_min_delta=plateau_min_delta,
            checkpoint=checkpoint, checkpoint_every=checkpoint_every)
        self.loss = loss

    def _output_activation(self) -> str:
        return "exp" if self.loss == "poisson" else "identity"

    def _validate_input(self, X, y, incremental, reset):
        # scikit-learn's y_numeric converts object arrays of numeric strings ("1") to
        # numbers and lets string arrays through: a regressor's targets are numbers
        if hasattr(y, "dtype") or isinstance(y, (list, tuple)):
            kind = np.asarray(y).dtype.kind
            if kind in "US" or (kind == "O" and any(
                    isinstance(v, (str, bytes)) for v in np.asarray(y, dtype=object).ravel())):
                raise ValueError("y must hold numbers for a regressor, got strings; convert "
                                 "them (or use MLPClassifier for class labels)")
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # scikit-learn documents y >= 0 but fits anyway, to NaN losses: refused here
        if self.loss == "poisson" and y.size and np.min(y) < 0:
            raise ValueError("y must be non-negative (counts or rates) for loss='poisson', "
                             f"got a minimum of {np.min(y)!r}")
        return X, y

    def _validation_targets(self, Y_val):
        return Y_val

    def _decode(self, outputs):
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> "MLPRegressor":
        """Fit the model to data X (n, d), dense or sparse, and targets y (n,) or (n, k);
        ``sample_weight`` (n,) weighs the rows."""
        return self._fit_transaction(self._fit, X, y, sample_weight, incremental=False)

    @available_if(_stochastic_solver)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None) -> "MLPRegressor":
        """One epoch over (X, y)."""
        return self._fit_transaction(self._fit, X, y, sample_weight, incremental=True)

    def predict(self, X) -> np.ndarray:
        """Predicted targets, (n,) for one output, else (n, ``n_outputs_``)."""
        return self._decode(self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
