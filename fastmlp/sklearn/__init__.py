"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor``, trained by fastmlp's compiled
engines: change one import line and get the same model, faster. Needs scikit-learn
(``pip install fastmlp[sklearn]``).

>>> from fastmlp.sklearn import MLPClassifier   # instead of sklearn.neural_network

**The same.** The constructor takes scikit-learn's parameters with its defaults and meaning
(``solver`` "adam" / "sgd" / "lbfgs", ``alpha``, ``batch_size="auto"``, ``learning_rate``
"constant" / "invscaling" / "adaptive", ``max_iter``, ``early_stopping``, ``warm_start``,
...), invalid values get scikit-learn's errors, and the fitted attributes are its own
(``coefs_``, ``intercepts_``, ``loss_curve_``, ``n_iter_``, ``t_``, ...). Training follows
scikit-learn's algorithm step for step -- its Glorot initialization from the same
``random_state``, its validation split, its shuffles and batches, its loss and penalty
scaling, its Nesterov and Adam forms, its stopping rules and warnings -- so with the same
seed and data the fitted parameters agree with scikit-learn's to rounding
(``tests/test_sklearn_agreement.py``).

**What fastmlp adds.** Every batch of an epoch runs in one compiled call (whole-batch
products through BLAS, the rows of a full batch split across threads); the lecture notes'
further activations ("arctan", "softsign", "leaky_relu", "elu"); gradient clipping
(``clip_value``, ``clip_norm``); a ``dtype`` of its own; a fit that raises leaves the
estimator exactly as it was. Sparse X is densified a block of batches at a time (the
"lbfgs" solver densifies it whole).

Module layout: ``_estimators`` (the two classes), ``_base`` (parameters, initialization, the
fit as a transaction, the forward pass), ``_stochastic`` ("sgd" / "adam": scikit-learn's
epoch loop over fastmlp's engines), ``_lbfgs`` (scipy's L-BFGS-B over the compiled loss and
gradient), ``_state`` (what carries over between fits).
"""

from ._estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "register_onnx_converters"]


def register_onnx_converters() -> None:
    """Register the estimators with skl2onnx, so ``skl2onnx.to_onnx`` converts them (alone
    or in a Pipeline); see ``fastmlp.sklearn._onnx``. Needs ``pip install fastmlp[onnx]``."""
    from ._onnx import register_onnx_converters as register

    register()
