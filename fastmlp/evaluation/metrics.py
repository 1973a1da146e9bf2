"""Classification and regression metrics from the lecture notes.

All classification metrics are computed from the confusion matrix (rows are the actual
labels, columns the predicted ones). For one class taken as *positive*:

=============  ===============================  ======================================
metric         definition                       undefined (returned as 0.0) when
=============  ===============================  ======================================
accuracy       (TP + TN) / (TP + FP + FN + TN)  never (inputs must be non-empty)
precision      TP / (TP + FP)                   nothing was predicted as the class
recall         TP / (TP + FN)                   the class never occurs in ``y_true``
specificity    TN / (TN + FP)                   every row of ``y_true`` is the class
f1_score       2TP / (2TP + FP + FN)            the class occurs in neither array
=============  ===============================  ======================================

``sensitivity`` is another name for ``recall`` (the true-positive rate).

Averaging rule, shared by ``precision``, ``recall``, ``specificity`` and ``f1_score``:

* ``average="binary"`` (the default) scores the single class ``pos_label`` (default 1)
  against everything else. It needs at most two distinct labels in ``y_true`` and
  ``y_pred`` together, and ``pos_label`` must be one of them when there are two; otherwise
  a ``ValueError`` says which average to use instead. With string labels pass
  ``pos_label`` explicitly.
* ``average=None`` returns one score per class (one-vs-rest), in the order of ``labels``,
  by default the sorted union of the labels in ``y_true`` and ``y_pred``.
* ``"macro"`` is the unweighted mean of the per-class scores; ``"weighted"`` weights them
  by each class's support (its number of rows in ``y_true``); ``"micro"`` adds up TP, FP,
  FN and TN over the classes before dividing.

A score whose denominator is zero is mathematically undefined. It is returned as 0.0 and
an :class:`UndefinedMetricWarning` says which metric and which labels were affected, so a
macro average silently dragged down by an empty class does not go unnoticed. Silence it
with ``warnings.filterwarnings("ignore", category=UndefinedMetricWarning)``.

Labels may be numbers (integers, booleans or floats, compared exactly: 0.1 + 0.2 is not the
label 0.3) or strings, but ``y_true`` and ``y_pred`` must hold the same kind.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "UndefinedMetricWarning",
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "mean_squared_error",
    "precision",
    "recall",
    "sensitivity",
    "specificity",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


class UndefinedMetricWarning(UserWarning):
    """A metric's denominator was zero; the value 0.0 was returned in its place."""


# --------------------------------------------------------------------------- validation


def _label_kind(a: np.ndarray, name: str) -> str:
    """Return "number", "str" or "bytes" for an array of labels, rejecting anything else."""
    kind = a.dtype.kind
    if kind in "biuf":
        if kind == "f" and not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinity; labels must be finite")
        return "number"
    if kind == "U":
        return "str"
    if kind == "S":
        return "bytes"
    raise ValueError(
        f"{name} must hold integer, float, boolean or string labels, got dtype {a.dtype}"
    )


def _as_label_array(y: ArrayLike, name: str) -> tuple[np.ndarray, str]:
    """Convert labels to a 1-D NumPy array of one kind and report that kind."""
    a = np.asarray(y)
    # NumPy quietly turns ["a", 1] into ["a", "1"]; a label 1 that became "1" would then
    # never match an integer label elsewhere, so refuse the mixture instead.
    if (
        a.dtype.kind == "U"
        and not isinstance(y, np.ndarray)
        and not all(isinstance(v, str) for v in np.ravel(np.asarray(y, dtype=object)))
    ):
        raise ValueError(f"{name} mixes strings and numbers; use one kind of label")
    if a.dtype == object:
        # Object arrays arise from lists mixing Python types or from pandas; only accept them
        # when every element is a string or every element is a number, so that comparisons
        # and sorting below are well defined.
        items = a.ravel().tolist()
        if all(isinstance(v, str) for v in items):
            a = np.array(items, dtype=str).reshape(a.shape)
        elif all(isinstance(v, (int, float, np.number, bool)) for v in items):
            a = np.array(items).reshape(a.shape)
        else:
            odd = [v for v in items if not isinstance(v, (str, int, float, np.number))]
            what = (f"holds {type(odd[0]).__name__} values such as {odd[0]!r}" if odd
                    else "mixes strings and numbers")
            raise ValueError(f"{name} {what}; labels must be all numbers or all strings")
    if a.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of labels, got shape {a.shape}; convert one-hot "
            "targets or network outputs first with fastmlp.model_selection.as_labels"
        )
    return a, _label_kind(a, name)


def _check_targets(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray, str]:
    yt, kind_t = _as_label_array(y_true, "y_true")
    yp, kind_p = _as_label_array(y_pred, "y_pred")
    if yt.shape[0] != yp.shape[0]:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {yt.shape[0]} and {yp.shape[0]}"
        )
    if yt.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty; a metric needs at least one row")
    if kind_t != kind_p:
        raise ValueError(
            f"y_true holds {kind_t} labels but y_pred holds {kind_p} labels; they must match"
        )
    return yt, yp, kind_t


def _check_labels(labels: ArrayLike, kind: str) -> np.ndarray:
    lab, lab_kind = _as_label_array(labels, "labels")
    if lab.size == 0:
        raise ValueError("labels must not be empty")
    if lab_kind != kind:
        raise ValueError(f"labels holds {lab_kind} labels but y_true holds {kind} labels")
    if np.unique(lab).size != lab.size:
        raise ValueError("labels must not contain duplicates")
    return lab


def _check_average(average: Any) -> None:
    if average not in _AVERAGES:
        raise ValueError(
            f"average must be one of 'binary', 'micro', 'macro', 'weighted' or None, "
            f"got {average!r}"
        )


# ------------------------------------------------------------------------------- counting


def _union(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate([yt, yp]))


def _confusion(yt: np.ndarray, yp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Confusion matrix over ``labels`` (any order); rows whose labels are not listed are
    skipped."""
    n_labels = labels.size
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]

    def positions(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(sorted_labels, y)
        pos = np.minimum(pos, n_labels - 1)
        return order[pos], sorted_labels[pos] == y

    ti, t_found = positions(yt)
    pi, p_found = positions(yp)
    keep = t_found & p_found
    # One bincount over the flattened (actual, predicted) cell index avoids a Python loop.
    flat = ti[keep] * n_labels + pi[keep]
    return np.bincount(flat, minlength=n_labels * n_labels).reshape(n_labels, n_labels)


def _one_vs_rest_counts(
    yt: np.ndarray, yp: np.ndarray, kind: str, labels: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class TP, FP, FN, TN (one-vs-rest) for ``labels``, counted over every row.

    Counting over all rows (not only those whose labels are listed) keeps, for example, a
    prediction of class ``a`` for a row of an unlisted class ``c`` a false positive of ``a``.
    """
    present = _union(yt, yp)
    if labels is None:
        chosen = present
        all_labels = present
        index = np.arange(present.size)
    else:
        chosen = _check_labels(labels, kind)
        all_labels = np.unique(np.concatenate([present, chosen]))
        index = np.searchsorted(all_labels, chosen)
    cm = _confusion(yt, yp, all_labels)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = yt.shape[0] - tp - fp - fn
    return chosen, tp[index], fp[index], fn[index], tn[index]


def _binary_counts(
    yt: np.ndarray, yp: np.ndarray, kind: str, pos_label: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    present = _union(yt, yp)
    if present.size > 2:
        raise ValueError(
            f"average='binary' needs at most two distinct labels, but y_true and y_pred hold "
            f"{present.size}: {present.tolist()}; pass average='macro', 'micro', 'weighted' "
            "or None for multiclass labels"
        )
    pos_kind = _label_kind(np.asarray([pos_label]), "pos_label")
    if pos_kind != kind or (present.size == 2 and pos_label not in present.tolist()):
        raise ValueError(
            f"pos_label={pos_label!r} is not one of the labels {present.tolist()}; pass "
            "pos_label=<the positive class>"
        )
    is_pos_t = yt == pos_label
    is_pos_p = yp == pos_label
    tp = np.count_nonzero(is_pos_t & is_pos_p)
    fp = np.count_nonzero(~is_pos_t & is_pos_p)
    fn = np.count_nonzero(is_pos_t & ~is_pos_p)
    tn = yt.shape[0] - tp - fp - fn
    return (np.array([tp]), np.array([fp]), np.array([fn]), np.array([tn]))


# -------------------------------------------------------------------------------- scoring

# metric name -> (numerator, denominator) as functions of (tp, fp, fn, tn), and why the
# denominator can vanish, for the warning.
_RATIOS = {
    "precision": (
        lambda tp, fp, fn, tn: tp,
        lambda tp, fp, fn, tn: tp + fp,
        "no row was predicted as the label",
    ),
    "recall": (
        lambda tp, fp, fn, tn: tp,
        lambda tp, fp, fn, tn: tp + fn,
        "the label does not occur in y_true",
    ),
    "specificity": (
        lambda tp, fp, fn, tn: tn,
        lambda tp, fp, fn, tn: tn + fp,
        "every row of y_true has the label",
    ),
    "f1_score": (
        lambda tp, fp, fn, tn: 2 * tp,
        lambda tp, fp, fn, tn: 2 * tp + fp + fn,
        "the label occurs in neither y_true nor y_pred",
    ),
}


def _warn_undefined(metric: str, labels: list, stacklevel: int = 4) -> None:
    why = _RATIOS[metric][2]
    shown = ", ".join(repr(v) for v in labels)
    warnings.warn(
        f"{metric} is undefined (0/0) for label(s) {shown}: {why}; returning 0.0",
        UndefinedMetricWarning,
        stacklevel=stacklevel,
    )


def _divide(metric: str, num: np.ndarray, den: np.ndarray, labels: list, warn: bool) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    zero = den == 0
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=~zero)
    if warn and zero.any():
        _warn_undefined(metric, [lab for lab, z in zip(labels, zero) if z], stacklevel=5)
    return out


def _score(
    metric: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    average: str | None,
    pos_label: Any,
    labels: ArrayLike | None,
) -> float | np.ndarray:
    _check_average(average)
    yt, yp, kind = _check_targets(y_true, y_pred)
    num_of, den_of, _ = _RATIOS[metric]
    if average == "binary":
        counts = _binary_counts(yt, yp, kind, pos_label)
        return float(_divide(metric, num_of(*counts), den_of(*counts), [pos_label], True)[0])
    chosen, tp, fp, fn, tn = _one_vs_rest_counts(yt, yp, kind, labels)
    if average == "micro":
        num = num_of(tp.sum(), fp.sum(), fn.sum(), tn.sum())
        den = den_of(tp.sum(), fp.sum(), fn.sum(), tn.sum())
        return float(_divide(metric, np.array([num]), np.array([den]),
                             ["all (micro average)"], True)[0])
    per_class = _divide(
        metric, num_of(tp, fp, fn, tn), den_of(tp, fp, fn, tn), chosen.tolist(), True
    )
    if average is None:
        return per_class
    if average == "macro":
        return float(per_class.mean())
    support = tp + fn
    if support.sum() == 0:
        warnings.warn(
            f"weighted {metric} is undefined because none of the labels occurs in y_true; "
            "returning 0.0",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return 0.0
    return float(np.average(per_class, weights=support))


# ---------------------------------------------------------------------------- public API


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None
) -> np.ndarray:
    """Count how often each actual label was predicted as each label.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Actual labels (numbers or strings, see the module docstring).
    y_pred : array-like of shape (n,)
        Predicted labels, of the same kind as ``y_true``.
    labels : array-like of shape (k,), optional
        Labels indexing the rows and columns, in this order. Rows of ``y_true`` or
        ``y_pred`` with a label not listed are left out. By default the sorted union of the
        labels in ``y_true`` and ``y_pred``.

    Returns
    -------
    ndarray of shape (k, k), int64
        ``C[i, j]`` is the number of rows whose actual label is ``labels[i]`` and whose
        predicted label is ``labels[j]``: rows are actual, columns predicted. For two labels
        ``[negative, positive]`` this is ``[[TN, FP], [FN, TP]]``.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 1], [0, 1, 0, 1])
    array([[1, 0],
           [1, 2]])
    """
    yt, yp, kind = _check_targets(y_true, y_pred)
    lab = _union(yt, yp) if labels is None else _check_labels(labels, kind)
    return _confusion(yt, yp, lab).astype(np.int64)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of rows whose predicted label equals the actual one.

    ``(TP + TN) / (TP + FP + FN + TN)`` in the binary case. Note that accuracy can be
    misleading when the classes are very unbalanced; look at recall and specificity too.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind, n >= 1.

    Returns
    -------
    float
        A value in [0, 1].
    """
    yt, yp, _ = _check_targets(y_true, y_pred)
    return float(np.mean(yt == yp))


def precision(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: ArrayLike | None = None,
) -> float | np.ndarray:
    """Precision (positive predictive value): TP / (TP + FP).

    Of the rows predicted as the class, the fraction that really are.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind, n >= 1.
    average : {"binary", "macro", "micro", "weighted"} or None, default "binary"
        ``"binary"`` scores only ``pos_label`` and needs at most two distinct labels;
        ``None`` returns the one-vs-rest score of every class; ``"macro"`` is their plain
        mean, ``"weighted"`` their mean weighted by support, ``"micro"`` pools the counts
        of all classes first. See :mod:`fastmlp.metrics`.
    pos_label : int, float, bool or str, default 1
        The positive class when ``average="binary"``; ignored otherwise.
    labels : array-like, optional
        Classes to report (``average=None``) or average over, in this order; ignored when
        ``average="binary"``. By default the sorted union of labels in ``y_true`` and
        ``y_pred``.

    Returns
    -------
    float, or ndarray of shape (k,) when ``average=None``

    Raises
    ------
    ValueError
        For mismatched lengths or label kinds, an unknown ``average``, more than two labels
        with ``average="binary"``, or a ``pos_label`` that is not one of two labels.

    Warns
    -----
    UndefinedMetricWarning
        When nothing was predicted as a class; its precision is returned as 0.0.
    """
    return _score("precision", y_true, y_pred, average, pos_label, labels)


def recall(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: ArrayLike | None = None,
) -> float | np.ndarray:
    """Recall, also called sensitivity or true-positive rate: TP / (TP + FN).

    Of the rows that really are the class, the fraction predicted as it; high recall means
    few false negatives. ``sensitivity`` is the same function.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind, n >= 1.
    average : {"binary", "macro", "micro", "weighted"} or None, default "binary"
        As for :func:`precision`. ``"micro"`` recall and ``"weighted"`` recall over all
        classes both equal the accuracy.
    pos_label : int, float, bool or str, default 1
        The positive class when ``average="binary"``; ignored otherwise.
    labels : array-like, optional
        Classes to report or average over, in this order; ignored when
        ``average="binary"``.

    Returns
    -------
    float, or ndarray of shape (k,) when ``average=None``

    Raises
    ------
    ValueError
        As for :func:`precision`.

    Warns
    -----
    UndefinedMetricWarning
        When a class does not occur in ``y_true``; its recall is returned as 0.0.
    """
    return _score("recall", y_true, y_pred, average, pos_label, labels)


#: The notes' name for recall (the true-positive rate).
sensitivity = recall


def specificity(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: ArrayLike | None = None,
) -> float | np.ndarray:
    """Specificity, the true-negative rate: TN / (TN + FP).

    Of the rows that are not the class, the fraction not predicted as it; high specificity
    means few false positives. With several classes each class in turn is the positive one
    against all the others (one-vs-rest), and the results are averaged as for the other
    metrics (``"weighted"`` weights by each class's support in ``y_true``, like them).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind, n >= 1.
    average : {"binary", "macro", "micro", "weighted"} or None, default "binary"
        As for :func:`precision`.
    pos_label : int, float, bool or str, default 1
        The positive class when ``average="binary"``; ignored otherwise.
    labels : array-like, optional
        Classes to report or average over, in this order; ignored when
        ``average="binary"``.

    Returns
    -------
    float, or ndarray of shape (k,) when ``average=None``

    Raises
    ------
    ValueError
        As for :func:`precision`.

    Warns
    -----
    UndefinedMetricWarning
        When every row of ``y_true`` is of the class (there are no negatives); its
        specificity is returned as 0.0.
    """
    return _score("specificity", y_true, y_pred, average, pos_label, labels)


def f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: str | None = "binary",
    pos_label: Any = 1,
    labels: ArrayLike | None = None,
) -> float | np.ndarray:
    """F1 score, the harmonic mean of precision and recall: 2TP / (2TP + FP + FN).

    Computed from the counts directly, so it is defined (and 0.0) even when precision or
    recall alone is undefined, as long as the class occurs in either array.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind, n >= 1.
    average : {"binary", "macro", "micro", "weighted"} or None, default "binary"
        As for :func:`precision`. ``"micro"`` F1 over all classes equals the accuracy.
    pos_label : int, float, bool or str, default 1
        The positive class when ``average="binary"``; ignored otherwise.
    labels : array-like, optional
        Classes to report or average over, in this order; ignored when
        ``average="binary"``.

    Returns
    -------
    float, or ndarray of shape (k,) when ``average=None``

    Raises
    ------
    ValueError
        As for :func:`precision`.

    Warns
    -----
    UndefinedMetricWarning
        When a class occurs in neither array; its F1 is returned as 0.0.
    """
    return _score("f1_score", y_true, y_pred, average, pos_label, labels)


def _values(values: ArrayLike, name: str) -> np.ndarray:
    """``values`` as an array of real numbers, or a TypeError naming ``name`` (strings,
    even numeric ones, are labels here, not values)."""
    array = np.asarray(values)
    if array.dtype.kind in "USO":
        try:
            if array.dtype.kind != "O" or any(isinstance(v, (str, bytes))
                                              for v in array.ravel()):
                raise TypeError
            return array.astype(np.float64)
        except (TypeError, ValueError):
            what = "strings or objects" if array.dtype.kind == "O" else "strings"
            raise TypeError(f"{name} must hold numbers, got {what} (strings are class "
                            "labels: score them with accuracy or f1_score)") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of the squared differences over every element.

    For targets of shape (n, k) this is ``(1/(n k)) sum (o - d)^2``: the mean over outputs
    as well as rows, so it is the ``"mse"`` training loss divided by k.

    Parameters
    ----------
    y_true : array-like of shape (n,) or (n, k)
        Targets.
    y_pred : array-like of the same shape
        Predictions. A column (n, 1) is accepted against targets of shape (n,) and the
        other way round.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For empty inputs, mismatched shapes or values that are NaN or infinite.
    """
    yt = np.asarray(_values(y_true, "y_true"), dtype=np.float64)
    yp = np.asarray(_values(y_pred, "y_pred"), dtype=np.float64)
    # A single-output network returns (n, 1) while targets are often (n,); treat them alike.
    if yt.ndim == 1 and yp.ndim == 2 and yp.shape[1] == 1:
        yp = yp[:, 0]
    elif yp.ndim == 1 and yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {yt.shape} and {yp.shape}"
        )
    if yt.size == 0:
        raise ValueError("y_true and y_pred are empty; a metric needs at least one value")
    for name, a in (("y_true", yt), ("y_pred", yp)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinity")
    return float(np.mean((yt - yp) ** 2))


def classification_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    labels: ArrayLike | None = None,
    digits: int = 3,
) -> str:
    """Format precision, recall, specificity, F1 and support per class as a text table.

    Below the per-class rows come the accuracy and the macro and weighted averages.
    Undefined ratios print as 0 and are reported in a single
    :class:`UndefinedMetricWarning`.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        Actual and predicted labels, of the same kind.
    labels : array-like, optional
        Classes to list, in this order; by default the sorted union of both arrays.
    digits : int, default 3
        Decimal places of the scores.

    Returns
    -------
    str
        The table, lines separated by ``"\\n"``.

    Examples
    --------
    >>> print(classification_report(["cat", "dog", "dog"], ["cat", "dog", "cat"]))
    ... # doctest: +NORMALIZE_WHITESPACE
                  precision  recall  specificity  f1_score  support
             cat      0.500   1.000        0.500     0.667        1
             dog      1.000   0.500        1.000     0.667        2
    <BLANKLINE>
        accuracy                                     0.667        3
       macro avg      0.750   0.750        0.750     0.667        3
    weighted avg      0.833   0.667        0.833     0.667        3
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)):
        raise TypeError(f"digits must be an integer, got {digits!r}")
    if digits < 0:
        raise ValueError(f"digits must be non-negative, got {digits}")
    yt, yp, kind = _check_targets(y_true, y_pred)
    chosen, tp, fp, fn, tn = _one_vs_rest_counts(yt, yp, kind, labels)
    names = chosen.tolist()
    columns = {}
    undefined = []
    for metric in ("precision", "recall", "specificity", "f1_score"):
        num_of, den_of, _ = _RATIOS[metric]
        den = den_of(tp, fp, fn, tn)
        columns[metric] = _divide(metric, num_of(tp, fp, fn, tn), den, names, warn=False)
        undefined += [f"{metric} of {lab!r}" for lab, d in zip(names, den) if d == 0]
    support = tp + fn
    if undefined:
        warnings.warn(
            "undefined (0/0) scores shown as 0: " + ", ".join(undefined),
            UndefinedMetricWarning,
            stacklevel=2,
        )

    headers = ["precision", "recall", "specificity", "f1_score", "support"]
    row_names = [str(v) for v in names] + ["accuracy", "macro avg", "weighted avg"]
    name_width = max(len(s) for s in row_names)
    widths = [max(len(h), digits + 2) for h in headers[:-1]]
    widths.append(max(len(headers[-1]), len(str(yt.shape[0]))))

    def fmt(values: list[float], n: int) -> str:
        cells = [f"{v:>{w}.{digits}f}" for v, w in zip(values, widths)]
        return "  ".join(cells + [f"{n:>{widths[-1]}d}"])

    lines = [" " * name_width + "  " + "  ".join(f"{h:>{w}}" for h, w in zip(headers, widths))]
    for i, name in enumerate(names):
        vals = [columns[m][i] for m in ("precision", "recall", "specificity", "f1_score")]
        lines.append(f"{name!s:>{name_width}}  " + fmt(vals, int(support[i])))
    lines.append("")
    n = yt.shape[0]
    # Accuracy has no per-class meaning, so it sits alone in the F1 column, as is customary.
    cells = [" " * w for w in widths[:3]]
    cells.append(f"{float(np.mean(yt == yp)):>{widths[3]}.{digits}f}")
    cells.append(f"{n:>{widths[4]}d}")
    lines.append(f"{'accuracy':>{name_width}}  " + "  ".join(cells))
    macro = [float(columns[m].mean()) for m in columns]
    total = int(support.sum())
    weighted = [float(np.average(columns[m], weights=support)) if total else 0.0 for m in columns]
    lines.append(f"{'macro avg':>{name_width}}  " + fmt(macro, total))
    lines.append(f"{'weighted avg':>{name_width}}  " + fmt(weighted, total))
    return "\n".join(lines)
