"""Small real datasets shipped inside the package, so examples and tests need no download."""

from __future__ import annotations

import gzip
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
    """Encode integer class labels 0..n_classes-1 as rows of a one-hot float64 matrix.

    Parameters
    ----------
    labels : array-like of shape (n,), integers
    n_classes : int, optional
        Number of columns; by default ``labels.max() + 1``.

    Returns
    -------
    ndarray of shape (n, n_classes)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("labels must be a 1-D array of integers")
    if labels.size and labels.min() < 0:
        raise ValueError("labels must be non-negative integers")
    if n_classes is None:
        n_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= n_classes:
        raise ValueError(f"label {int(labels.max())} does not fit n_classes={n_classes}")
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out
