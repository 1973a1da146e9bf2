"""Class labels at the API's boundary: arrays of labels checked for missing values, and the
``classes_`` a network names its outputs with.

A missing value is never a class. ``None`` in an object array, NaN among floats or in a
pandas Series of strings, ``pandas.NA`` and ``NaT`` are refused with the index of the first
one, instead of being trained as the classes ``"None"`` and ``"nan"``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_labels", "check_classes"]


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
