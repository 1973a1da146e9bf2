"""Input checks shared by the API: each failure is a specific exception naming the argument."""

from __future__ import annotations

import math
import numbers
from typing import overload

import numpy as np


def as_features(X, n_features: int, dtype: np.dtype, name: str = "X",
                finite: bool = True) -> np.ndarray:
    """``X`` as a C-contiguous (n, n_features) array of ``dtype``, or a clear error.

    ``finite=False`` leaves out the test for NaN and inf, for callers whose compiled pass
    makes it (:func:`fastmlp.inference.forward`)."""
    if in_kernel_layout(X, n_features, dtype):
        # what the checks below would return unchanged, found without them: they cost
        # several times a one-row prediction (bench/README.md, "One-row inference")
        if finite:
            require_finite(X, name)
        return X
    X = _as_float_array(X, name)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, {n_features}), got shape {X.shape}; use "
            f"{name}.reshape(1, -1) for a single sample or {name}.reshape(-1, 1) for a single "
            "feature")
    if X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} columns but the network has {n_features} "
                         "inputs (layer_sizes[0])")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no rows")
    X = _kernel_layout(X, dtype)
    if finite:
        require_finite(X, name)
    return X


def in_kernel_layout(X, n_features: int, dtype: np.dtype) -> bool:
    """Whether ``X`` is already what :func:`as_features` makes of valid input (finiteness
    aside): a plain ndarray -- not a subclass, whose conversion may differ -- of ``dtype``,
    (n >= 1, n_features), C-contiguous and writeable."""
    if type(X) is not np.ndarray or X.dtype != dtype or X.ndim != 2:
        return False
    n, width = X.shape
    flags = X.flags
    return width == n_features and n > 0 and flags.c_contiguous and flags.writeable


def as_targets(Y, n_rows: int, n_outputs: int, dtype: np.dtype, loss: str,
               name: str = "Y", rows_name: str = "X") -> np.ndarray:
    """``Y`` as a C-contiguous (n_rows, n_outputs) array of ``dtype``, or a clear error.

    A 1-D ``Y`` is accepted when the network has a single output.
    """
    Y = _as_float_array(Y, name)
    if Y.ndim == 1 and n_outputs == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        hint = (" (one-hot encode class labels with fastmlp.datasets.one_hot)"
                if Y.ndim == 1 else "")
        raise ValueError(f"{name} must have shape (n_samples, {n_outputs}) to match the "
                         f"network's outputs, got {Y.shape}{hint}")
    if Y.shape[0] != n_rows:
        raise ValueError(f"{name} has {Y.shape[0]} rows but {rows_name} has {n_rows}")
    Y = _kernel_layout(Y, dtype)
    require_finite(Y, name)
    if loss == "binary_cross_entropy" and (Y.min() < 0 or Y.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1] for loss='binary_cross_entropy'")
    if loss == "cross_entropy" and Y.min() < 0:
        raise ValueError(f"{name} must be non-negative (class probabilities or one-hot rows) "
                         "for loss='cross_entropy'")
    if loss == "poisson" and Y.min() < 0:
        raise ValueError(f"{name} must be non-negative (counts or rates) for loss='poisson'")
    return Y


def _kernel_layout(A: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``A`` as the one layout the kernels are compiled for: C-contiguous, ``dtype`` and
    writeable. Numba types a read-only array (a memory map opened with mode "r", an array
    after ``setflags(write=False)``) as a different type, so passing one through would
    compile every kernel a second time (seconds each: bench/README.md); it is copied."""
    with np.errstate(over="ignore"):  # overflow becomes inf, which require_finite reports
        A = np.ascontiguousarray(A, dtype=dtype)
    return A if A.flags.writeable else A.copy()


def _as_float_array(A, name: str) -> np.ndarray:
    """``A`` as an array of real numbers (booleans count as 0 and 1), or a TypeError that
    says what it holds instead. pandas objects (nullable dtypes included: missing values
    become NaN, which the finiteness check then reports) are converted."""
    if hasattr(A, "tocsr") and hasattr(A, "nnz"):
        raise TypeError(f"{name} is a scipy.sparse matrix; fastmlp.MLP takes dense arrays: "
                        f"pass {name}.toarray() (fastmlp.sklearn's estimators take sparse "
                        "input and densify it a block at a time)")
    if hasattr(A, "to_numpy") and not isinstance(A, np.ndarray):
        try:
            A = A.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            A = A.to_numpy()
    try:
        A = np.asarray(A)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be converted to an array: {exc}") from None
    if A.dtype == bool:
        return A
    if A.dtype.kind in "mM":  # timedelta64 counts as an integer type in NumPy
        what = "timedeltas" if A.dtype.kind == "m" else "datetimes"
        raise TypeError(f"{name} holds {what} (dtype {A.dtype}), not numbers; convert them "
                        "first (e.g. to seconds)")
    if A.dtype.kind == "O":
        try:
            return np.asarray(A, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    if not np.issubdtype(A.dtype, np.number) or np.issubdtype(A.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {A.dtype}")
    return A


#: Values whose finiteness is tested at a time: np.isfinite writes a boolean array as large
#: as its input, so a million-row X is tested block by block (memory flat in the rows).
FINITE_BLOCK = 1 << 20


def require_finite(A: np.ndarray, name: str) -> None:
    """Raise ValueError naming ``name`` and the first bad index if ``A`` holds a NaN or
    inf."""
    rows = A.reshape(1, -1) if A.ndim < 2 else A
    step = max(1, FINITE_BLOCK // max(1, rows[0].size)) if rows.shape[0] else 1
    for start in range(0, rows.shape[0], step):
        finite = np.isfinite(rows[start:start + step])
        if not finite.all():
            bad = np.argwhere(~finite)[0]
            bad[0] += start
            index = np.unravel_index(np.ravel_multi_index(tuple(bad), rows.shape), A.shape)
            raise ValueError(
                f"{name} contains NaN or inf (first at index {tuple(int(i) for i in index)}"
                "; values beyond the dtype's range also become inf)")


@overload
def positive_number(value, name: str) -> float: ...
@overload
def positive_number(value, name: str, allow_none: bool) -> float | None: ...


def positive_number(value, name: str, allow_none: bool = False) -> float | None:
    """A finite real number > 0 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not (_finite_real(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def non_negative_number(value, name: str) -> float:
    """A finite real number >= 0."""
    if not (_finite_real(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return float(value)


def _finite_real(value) -> bool:
    """Whether ``value`` is a finite real number (not a bool). Python's own float and int
    are tested without the ``numbers.Real`` check, which costs a microsecond or two (a fit
    checks a dozen such options)."""
    if type(value) is float or type(value) is int:
        return math.isfinite(value)
    return (not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)
            and bool(np.isfinite(float(value))))


@overload
def positive_int(value, name: str) -> int: ...
@overload
def positive_int(value, name: str, allow_none: bool) -> int | None: ...


def positive_int(value, name: str, allow_none: bool = False) -> int | None:
    """An integer >= 1 (or None when allowed)."""
    if value is None and allow_none:
        return None
    if type(value) is int:  # the common case, without the numbers.Integral check
        if value >= 1:
            return value
    elif not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) >= 1:
        return int(value)
    raise ValueError(f"{name} must be a positive integer, got {value!r}")


def random_generator(seed, name: str = "seed") -> np.random.Generator:
    """A NumPy Generator from ``seed``: None (fresh entropy), an int >= 0, a SeedSequence
    or a Generator; anything else is an error naming the argument."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, a non-negative integer, a "
                        f"numpy.random.SeedSequence or Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be non-negative, got {seed!r}")
    return np.random.default_rng(int(seed))


def verbosity(value, name: str = "verbose") -> int:
    """0 (silent), 1 (a progress bar) or 2 (a line per epoch); False / True are 0 / 1."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not isinstance(value, numbers.Integral) or value not in (0, 1, 2):
        raise ValueError(f"{name} must be 0, 1 or 2 (or False / True), got {value!r}")
    return int(value)


def flag(value, name: str) -> bool:
    """A bool (NumPy's included): a string such as ``"no"`` is an error, not True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def as_sample_weight(sample_weight, n_rows: int, dtype: np.dtype,
                     name: str = "sample_weight") -> np.ndarray:
    """``sample_weight`` as a C-contiguous (n_rows,) array of ``dtype``, non-negative, finite
    and not all zero; None gives the empty array that means "every row weighs 1"."""
    if sample_weight is None:
        return np.empty(0, dtype)
    w = _as_float_array(sample_weight, name)
    if w.ndim != 1 or w.shape[0] != n_rows:
        raise ValueError(f"{name} must be 1-D with one weight per row ({n_rows}), got shape "
                         f"{w.shape}")
    w = np.asarray(w, dtype=np.float64)
    require_finite(w, name)
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative (first negative weight at index "
                         f"{int(np.argmax(w < 0))})")
    if not (w > 0).any():
        raise ValueError(f"{name} is all zero: no row would count")
    return _kernel_layout(_in_safe_range(w, n_rows, np.dtype(dtype)), dtype)


def _in_safe_range(w: np.ndarray, n_rows: int, dtype: np.dtype) -> np.ndarray:
    """Valid but extreme weights scaled by a power of two into a range where their sum
    and their products with the losses stay finite and normal in ``dtype`` (1e307 each: the
    sum overflows; 5e-324 each: subnormal products round to 0). The loss of a batch,
    sum w E / sum w, does not change with the scale, and a power of two scales exactly,
    so the fit is that of the weights given. Weights in the ordinary range are returned
    as they are."""
    largest = float(w.max())
    info = np.finfo(dtype)
    if largest * n_rows <= float(info.max) * 2.0 ** -20 and largest >= float(info.tiny) * 2.0 ** 40:
        return w
    exponent = int(np.frexp(largest)[1])  # largest = m 2^exponent, m in [0.5, 1)
    with np.errstate(under="ignore"):
        return np.ldexp(w, -exponent)
