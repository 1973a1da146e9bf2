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

__all__ = ["as_labels", "check_classes", "class_sample_weight"]


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
        if all(issubclass(k, (numbers.Real, np.bool_)) for k in kinds) and array.size:
            return array.astype(np.float64) if any(
                not issubclass(k, (numbers.Integral, np.bool_)) for k in kinds) \
                else array.astype(np.int64)
        return array.astype(str)
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
