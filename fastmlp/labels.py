"""Class labels at the API's boundary: arrays of labels checked for missing values, and the
``classes_`` a network names its outputs with.

A missing value is never a class. ``None`` in an object array, NaN among floats or in a
pandas Series of strings, ``pandas.NA`` and ``NaT`` are refused with the index of the first
one, instead of being trained as the classes ``"None"`` and ``"nan"``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._validation import as_sample_weight

__all__ = ["as_labels", "check_classes", "class_sample_weight", "encode_labels", "labels_given",
           "with_class_weight"]


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return bool(np.isnan(float(value)))
    # pandas.NA, pandas.NaT, numpy datetimes' NaT: without importing pandas
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return value != value  # NaN-like objects (Decimal("NaN"), NaT) differ from themselves
    except Exception:  # an object whose comparison raises or is ambiguous
        return False


def as_labels(labels, name: str = "y") -> np.ndarray:
    """``labels`` as a 1-D array of class labels: numbers or strings (objects become
    strings), or a ValueError naming ``name`` and the first missing value.

    Parameters
    ----------
    labels : array-like (n,)
        A list, array or pandas Series of labels.
    name : str
        The argument's name in error messages.

    Returns
    -------
    ndarray (n,)
        Of a numeric, boolean or string dtype.
    """
    if hasattr(labels, "to_numpy") and not isinstance(labels, np.ndarray):
        labels = labels.to_numpy()  # pandas: a nullable dtype's missing values become NA
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row), got shape {array.shape}")
    if array.dtype.kind == "O":
        for index, value in enumerate(array):
            if _is_missing(value):
                raise ValueError(f"{name} holds a missing value ({value!r}) at index {index}; "
                                 "a missing label is not a class: drop or impute those rows")
        kinds = {type(v) for v in array}
        if not (all(issubclass(k, (numbers.Real, np.bool_)) for k in kinds) and array.size):
            return array.astype(str)
        # numbers in an object array: checked below as numbers are (an infinite one too)
        array = array.astype(np.float64) if any(
            not issubclass(k, (numbers.Integral, np.bool_)) for k in kinds) \
            else array.astype(np.int64)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        index = int(np.argmin(np.isfinite(array)))
        raise ValueError(f"{name} holds {array[index]!r} at index {index}; a missing or "
                         "infinite label is not a class: drop or impute those rows")
    if array.dtype.kind in "mMcV":
        raise TypeError(f"{name} must hold class labels (numbers or strings), got dtype "
                        f"{array.dtype}")
    return array


def check_classes(classes, expected: int, name: str = "classes_") -> np.ndarray:
    """``classes`` as ``expected`` distinct labels (numbers or strings, none missing), or a
    ValueError naming ``name``."""
    array = np.asarray(classes)
    if (array.ndim != 1 or len(array) != expected or array.dtype.kind not in "biufU"
            or (array.dtype.kind == "f" and not np.isfinite(array).all())
            or len(np.unique(array)) != expected):
        raise ValueError(f"{name} must be {expected} distinct labels (numbers or strings, "
                         f"none NaN), one per output"
                         f"{' (negative, positive)' if expected == 2 else ''}; got {classes!r}")
    return array


def class_sample_weight(class_weight, labels: np.ndarray, name: str = "class_weight"
                        ) -> np.ndarray:
    """Each row's weight from its class: ``class_weight="balanced"`` gives class c the
    weight n / (k * n_c) for n rows of k classes, n_c of them of class c (scikit-learn's
    ``compute_class_weight``); a dict maps labels to weights (classes not in it weigh 1).

    Parameters
    ----------
    class_weight : "balanced" or dict
    labels : ndarray (n,)
        The rows' labels, as :func:`as_labels` returns them.
    name : str
        The argument's name in error messages.

    Returns
    -------
    ndarray (n,) of float64
    """
    found, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"{name} must be 'balanced', a dict of label -> weight or None, "
                             f"got {class_weight!r}")
        per_class = len(labels) / (len(found) * counts.astype(np.float64))
    elif isinstance(class_weight, dict):
        unknown = [key for key in class_weight if key not in set(found.tolist())]
        if unknown:
            raise ValueError(f"{name} names labels that are not among the targets' labels "
                             f"{found.tolist()}: {unknown[:5]}")
        per_class = np.ones(len(found))
        for i, label in enumerate(found.tolist()):
            if label in class_weight:
                value = class_weight[label]
                if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                        or not math.isfinite(float(value)) or value < 0):
                    raise ValueError(f"{name}[{label!r}] must be a non-negative finite "
                                     f"number, got {value!r}")
                per_class[i] = float(value)
    else:
        raise TypeError(f"{name} must be 'balanced', a dict of label -> weight or None, got "
                        f"{type(class_weight).__name__}")
    return per_class[codes.reshape(-1)]


# ------------------------------------------------ a network's targets from its labels
def labels_given(net, Y) -> bool:
    """Whether ``Y`` holds class labels to encode rather than target values: a 1-D Y
    for softmax outputs, or a 1-D Y of non-numbers (or of the network's classes_) for a
    single sigmoid output."""
    if not net._is_classifier() or not hasattr(Y, "__len__") or isinstance(Y, str):
        return False
    labels = np.asarray(Y)
    if labels.ndim != 1:
        return False
    if net.loss_name == "cross_entropy":
        return True
    if net.layer_sizes[-1] != 1:
        return False
    return labels.dtype.kind in "USOb" or bool(
        net._classes is not None and np.isin(labels, net._classes).all()
        and not np.isin(net._classes, (0, 1)).all())


def encode_labels(net, Y, name: str) -> np.ndarray:
    """Class labels -> one-hot rows (softmax) or 0/1 targets (a single sigmoid output),
    setting the network's ``classes_`` from the labels the first time."""
    labels = as_labels(Y, name)
    n_out = net.layer_sizes[-1]
    classes = net._classes
    if classes is None:
        found = np.unique(labels)
        if n_out > 1 and labels.dtype.kind in "iu" and found.size and found.min() >= 0 \
                and found.max() < n_out:
            classes = np.arange(n_out)  # integer labels 0..K-1 name their columns
        elif len(found) == max(n_out, 2):
            classes = found
        else:
            raise ValueError(
                f"{name} holds {len(found)} distinct labels but the network has "
                f"{n_out} output(s) (for {max(n_out, 2)} classes); set net.classes_ to "
                "the full list of labels first to say which output is which")
        net.classes_ = classes
    unknown = np.setdiff1d(labels, classes)
    if unknown.size:
        raise ValueError(f"{name} has labels not in classes_ {classes.tolist()}: "
                         f"{unknown[:5].tolist()}")
    order = np.argsort(classes)
    codes = order[np.searchsorted(classes[order], labels)]
    if n_out == 1:
        return (codes == 1).astype(np.float64).reshape(-1, 1)
    return np.eye(n_out)[codes]


def with_class_weight(net, Y, sample_weight, class_weight) -> np.ndarray:
    """``sample_weight`` (or ones) times each row's class weight (``class_weight`` of
    :meth:`fastmlp.MLP.fit`)."""
    if Y is None or not net._is_classifier() or np.ndim(Y) != 1:
        raise ValueError("class_weight needs class labels in memory: a 1-D Y (not chunks) "
                         "and a classification loss (cross_entropy or "
                         "binary_cross_entropy)")
    weights = class_sample_weight(class_weight, as_labels(Y, "Y"))
    if sample_weight is None:
        return weights
    given = as_sample_weight(sample_weight, len(weights), np.dtype(np.float64),
                             "sample_weight")
    return given * weights
