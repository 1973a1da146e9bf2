"""scikit-learn estimators around :class:`fastmlp.MLP`, for pipelines, grid searches and the
rest of scikit-learn's model selection. Needs scikit-learn (``pip install fastmlp[sklearn]``).

:class:`MLPClassifier` and :class:`MLPRegressor` follow scikit-learn's conventions: the
constructor only stores its arguments (so ``clone``, ``get_params`` and ``set_params`` work),
``fit(X, y)`` builds and trains a fresh :class:`fastmlp.MLP`, and learned state ends in an
underscore (``net_``, ``history_``, ``classes_``, ``n_features_in_``). The training options
are those of :meth:`fastmlp.MLP.fit`; the wrapper adds no algorithm of its own: the network it
trains equals one built and fitted directly with the same seeds.

The output layer and loss follow from the task:

=============== ================================ =================================
estimator       targets                          output layer, loss
=============== ================================ =================================
MLPClassifier   two classes (any labels)         one sigmoid unit, binary cross-entropy
MLPClassifier   three or more classes            softmax, cross-entropy (one-hot)
MLPRegressor    y (n,) or Y (n, k)               identity, mse
=============== ================================ =================================
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .model_selection import holdout_split
from .network import MLP

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # older releases: the same check as a method
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

__all__ = ["MLPClassifier", "MLPRegressor"]

#: Input dtypes passed through as they are; anything else is converted to float64 by
#: scikit-learn's checks (which also refuse sparse, complex and empty input, record
#: ``n_features_in_`` and feature names, and check them again at prediction).
_FLOATS = [np.float64, np.float32]


class _MLPEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, seeding, the fit call."""

    def __init__(self, hidden_layer_sizes=(32,), activation="sigmoid", *, optimizer="sgd",
                 learning_rate=0.1, momentum=0.9, batch_size=32, epochs=50, shuffle=True,
                 schedule="constant", schedule_b=1.0, clip_value=None, clip_norm=None,
                 l1=0.0, l2=0.0, tol=None, n_iter_no_change=10, early_stopping=False,
                 validation_fraction=0.1, init="xavier", dtype="float64",
                 random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.epochs = epochs
        self.shuffle = shuffle
        self.schedule = schedule
        self.schedule_b = schedule_b
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.l1 = l1
        self.l2 = l2
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.init = init
        self.dtype = dtype
        self.random_state = random_state

    def _seeds(self):
        """(initialization seed, shuffling seed, validation split seed), all from
        ``random_state``: one int gives a reproducible fit."""
        if isinstance(self.random_state, np.random.Generator):
            rng = self.random_state
        else:
            rng = np.random.default_rng(self.random_state)
        return tuple(int(s) for s in rng.integers(0, 2**63 - 1, size=3))

    def _fit_network(self, X, Y, output_activation, loss, stratify=None):
        """Build a fresh MLP for the checked (X, Y) and train it; sets ``net_``,
        ``history_`` and ``n_iter_``."""
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if np.isscalar(hidden) else tuple(hidden)
        init_seed, shuffle_seed, split_seed = self._seeds()
        net = MLP((X.shape[1], *hidden, Y.shape[1]), activation=self.activation,
                  output_activation=output_activation, loss=loss, dtype=self.dtype,
                  init=self.init, seed=init_seed)
        options = dict(optimizer=self.optimizer, learning_rate=self.learning_rate,
                       momentum=self.momentum, batch_size=self.batch_size, epochs=self.epochs,
                       shuffle=self.shuffle, seed=shuffle_seed, schedule=self.schedule,
                       schedule_b=self.schedule_b, clip_value=self.clip_value,
                       clip_norm=self.clip_norm, l1=self.l1, l2=self.l2, tol=self.tol,
                       n_iter_no_change=self.n_iter_no_change)
        if self.early_stopping:
            fraction = self.validation_fraction
            if (isinstance(fraction, bool) or not isinstance(fraction, numbers.Real)
                    or not 0 < fraction < 1):
                raise ValueError(f"validation_fraction must be in (0, 1), got {fraction!r}")
            train, held_out = next(iter(holdout_split(
                X.shape[0], test_size=self.validation_fraction, stratify=stratify,
                seed=split_seed)))
            options.update(validation_data=(X[held_out], Y[held_out]), early_stopping=True)
            X, Y = X[train], Y[train]
        self.history_ = net.fit(X, Y, **options)
        self.net_ = net
        self.n_iter_ = self.history_.epochs_run
        return self

    def _outputs(self, X):
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        return self.net_.predict(X)

    @property
    def loss_curve_(self) -> np.ndarray:
        """Mean training loss of each epoch (``history_.loss``)."""
        check_is_fitted(self, "net_")
        return self.history_.loss


class MLPClassifier(ClassifierMixin, _MLPEstimator):
    """A multilayer perceptron classifier trained by fastmlp, as a scikit-learn estimator.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (32,)
        Units of each hidden layer; ``()`` gives a network without hidden layers (logistic
        or softmax regression).
    activation : str or list of str, default "sigmoid"
        Hidden activation(s), as for :class:`fastmlp.MLP`.
    optimizer, learning_rate, momentum, batch_size, epochs, shuffle, schedule, schedule_b, \
clip_value, clip_norm, l1, l2, tol, n_iter_no_change
        As for :meth:`fastmlp.MLP.fit` (``batch_size=None`` is full-batch descent).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training rows (stratified by class), stop
        when their loss stalls and keep the best epoch's parameters.
    validation_fraction : float, default 0.1
    init : str, default "xavier"
        Weight initialization, as for :class:`fastmlp.MLP`.
    dtype : {"float64", "float32"}, default "float64"
    random_state : int, numpy.random.Generator or None
        Seeds initialization, shuffling and the validation split: an int makes fits
        reproducible.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
        The labels seen in ``fit``, sorted; ``predict`` returns them.
    net_ : fastmlp.MLP
        The trained network (sigmoid output for two classes, softmax for more).
    history_ : fastmlp.History
    loss_curve_ : ndarray (n_iter_,)
    n_features_in_, n_iter_ : int

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline                       # doctest: +SKIP
    >>> from sklearn.preprocessing import StandardScaler                 # doctest: +SKIP
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(random_state=0))  # doctest: +SKIP
    >>> model.fit(X_train, y_train).score(X_test, y_test)                # doctest: +SKIP
    """

    def fit(self, X, y) -> "MLPClassifier":
        """Train a fresh network on features ``X`` (n, d) and class labels ``y`` (n,)."""
        X, y = validate_data(self, X, y, dtype=_FLOATS, multi_output=True)
        if y.ndim == 2 and y.shape[1] != 1:
            raise ValueError(f"y must be 1-D class labels (n_samples,), got shape {y.shape}")
        y = column_or_1d(y, warn=True)  # a column vector works, with a DataConversionWarning
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        n_classes = self.classes_.size
        if n_classes < 2:
            raise ValueError(f"MLPClassifier needs at least 2 classes in y, got {n_classes} "
                             "class")
        if n_classes == 2:
            Y = codes.reshape(-1, 1).astype(np.float64)
            return self._fit_network(X, Y, "sigmoid", "binary_cross_entropy", codes)
        Y = np.eye(n_classes)[codes]
        return self._fit_network(X, Y, "softmax", "cross_entropy", codes)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes), columns in the order of ``classes_``."""
        out = self._outputs(X)
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        return out

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row (ties go to the first in ``classes_``)."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]


class MLPRegressor(RegressorMixin, _MLPEstimator):
    """A multilayer perceptron regressor (identity output, mean squared error) trained by
    fastmlp, as a scikit-learn estimator.

    Parameters are those of :class:`MLPClassifier` (the validation split is not
    stratified). ``predict`` returns (n,) when ``fit`` was given a 1-D ``y`` and (n, k) for a
    2-D one; ``score`` is R^2.
    """

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # older releases
        return {"multioutput": True}

    def fit(self, X, y) -> "MLPRegressor":
        """Train a fresh network on features ``X`` (n, d) and targets ``y`` (n,) or (n, k)."""
        X, y = validate_data(self, X, y, dtype=_FLOATS, multi_output=True, y_numeric=True)
        self._one_target = y.ndim == 1
        Y = y.reshape(-1, 1) if self._one_target else y
        return self._fit_network(X, Y, "identity", "mse")

    def predict(self, X) -> np.ndarray:
        """Predicted targets, (n,) or (n, k) as in ``fit``."""
        out = self._outputs(X)
        return out[:, 0] if self._one_target else out
