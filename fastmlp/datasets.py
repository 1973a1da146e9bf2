"""Small real datasets shipped inside the package, so examples and tests need no download."""

from __future__ import annotations

import gzip
import numbers
from importlib import resources

import numpy as np

__all__ = ["load_digits", "one_hot"]


def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the UCI optical handwritten digits (8x8 images, 1797 samples, 10 classes).

    Source: E. Alpaydin and C. Kaynak (1998), Optical Recognition of Handwritten Digits,
    UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, CC BY 4.0.

    Parameters
    ----------
    scale : bool, default True
        Divide the pixel counts (0..16) by 16 so that features lie in [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
        Pixel counts, row-major over the 8x8 image.
    y : ndarray of shape (1797,), int64
        Digit labels 0..9.
    """
    with resources.files("fastmlp.data").joinpath("digits.csv.gz").open("rb") as raw:
        with gzip.open(raw, "rt") as text:
            table = np.loadtxt(text, delimiter=",", dtype=np.float64)
    X = table[:, :-1]
    y = table[:, -1].astype(np.int64)
    if scale:
        X = X / 16.0
    return np.ascontiguousarray(X), y


def one_hot(labels, n_classes: int | None = None) -> np.ndarray:
    """Encode class labels as rows of a one-hot float64 matrix.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Integers 0..n_classes-1 (column k is label k), or any other labels -- strings,
        non-integral numbers, objects -- whose columns follow their sorted order
        (``numpy.unique(labels)``).
    n_classes : int, optional
        Number of columns; by default one per label up to the largest integer label, or one
        per distinct label.

    Returns
    -------
    ndarray of shape (n, n_classes)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D (one label per row), got shape {labels.shape}")
    if n_classes is not None and (isinstance(n_classes, bool)
                                  or not isinstance(n_classes, numbers.Integral)
                                  or n_classes < 1):
        raise ValueError(f"n_classes must be a positive integer or None, got {n_classes!r}")
    integral = (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool
                or (np.issubdtype(labels.dtype, np.floating) and labels.size
                    and np.isfinite(labels).all() and (labels == np.round(labels)).all()
                    and labels.min() >= 0))
    if integral:
        codes = labels.astype(np.int64)
        if codes.size and codes.min() < 0:
            raise ValueError("integer labels must be non-negative (column k is label k); "
                             f"got {int(codes.min())}")
        needed = int(codes.max()) + 1 if codes.size else 0
    else:
        try:
            _, codes = np.unique(labels, return_inverse=True)
        except TypeError as exc:
            raise ValueError(f"labels must be sortable to give their columns an order: "
                             f"{exc}") from None
        needed = int(codes.max()) + 1 if codes.size else 0
    if n_classes is None:
        n_classes = needed
    elif needed > n_classes:
        raise ValueError(f"the labels need {needed} classes but n_classes={n_classes}")
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), codes] = 1.0
    return out
