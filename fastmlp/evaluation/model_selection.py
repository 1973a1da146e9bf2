"""Estimating how well a model generalizes: resampling splitters and scoring loops.

The splitters implement the resampling methods of the lecture notes. Each returns a
:class:`Splits` object: a re-iterable sequence of ``(train_idx, test_idx)`` pairs of int64
row indices. Iterating it twice gives the same pairs (the random seed is fixed when the
splitter is called), and ``len()`` gives the number of pairs, so the same splits can be
reused to compare several models.

================================  ==========================================================
splitter                          test rows of each pair
================================  ==========================================================
:func:`holdout_split`             one random subset of ``test_size`` rows
:func:`random_subsampling`        ``n_splits`` independent holdout subsets (repeated holdout)
:func:`k_fold`                    one of ``k`` disjoint folds; every row is tested once
:func:`leave_one_out`             one row; ``k_fold`` with ``k = n``
:func:`bootstrap`                 the out-of-bag rows of a sample drawn with replacement
:func:`balanced_bootstrap`        the out-of-bag rows of a per-class balanced sample
================================  ==========================================================

:func:`cross_validate` fits a fresh model on every training set and scores it on the
matching test set; :func:`bootstrap_632` computes the .632 bootstrap estimate. Both can run
the fits in parallel through joblib, so ``joblib.parallel_config(backend="threading")`` or a
``"dask"`` / ``"ray"`` backend sends them wherever joblib can.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import metrics as _metrics

__all__ = [
    "Bootstrap632Result",
    "CVResult",
    "Splits",
    "as_labels",
    "balanced_bootstrap",
    "bootstrap",
    "bootstrap_632",
    "cross_validate",
    "holdout_split",
    "k_fold",
    "leave_one_out",
    "on_outputs",
    "random_subsampling",
]

Seed = int | np.random.Generator | np.random.SeedSequence | None
Split = tuple[np.ndarray, np.ndarray]

# A bootstrap sample whose out-of-bag set is empty cannot be scored and is drawn again; this
# bounds the retries for data where that keeps happening by chance.
_MAX_REDRAWS = 1000


# ---------------------------------------------------------------------------- validation


def _check_int(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def _check_n(n: Any, minimum: int = 2) -> int:
    n = _check_int(n, "n", 1)
    if n < minimum:
        raise ValueError(
            f"n must be at least {minimum} so that train and test are non-empty, got {n}"
        )
    return n


def _test_count(test_size: Any, n: int) -> int:
    """Number of test rows: a fraction of n rounded up, or a count; both sides non-empty."""
    if isinstance(test_size, bool):
        raise TypeError(
            f"test_size must be a float in (0, 1) or an integer count, got {test_size!r}"
        )
    if isinstance(test_size, (int, np.integer)):
        count = int(test_size)
        if not 1 <= count <= n - 1:
            raise ValueError(
                f"test_size as a count must be between 1 and n - 1 = {n - 1}, got {count}"
            )
        return count
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size}")
        # Rounding up keeps a small test set non-empty; clipping keeps the training set so.
        return min(max(int(np.ceil(test_size * n)), 1), n - 1)
    raise TypeError(f"test_size must be a float in (0, 1) or an integer count, got {test_size!r}")


def _seed_sequence(seed: Any) -> np.random.SeedSequence:
    """Fix the randomness of a splitter at call time so that iterating it is repeatable."""
    if isinstance(seed, np.random.Generator):
        # Draw from the caller's generator once, so that successive splitter calls sharing
        # one generator get different but reproducible splits.
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4))
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be None, a non-negative integer or a numpy.random.Generator, got {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.SeedSequence(int(seed))


def _class_codes(y: ArrayLike, n: int, name: str) -> np.ndarray:
    """Map class labels to codes 0..C-1, checking there is one label per row."""
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of {n} class labels, got shape {y.shape}")
    _, codes = np.unique(y, return_inverse=True)
    return codes.reshape(-1)


# ------------------------------------------------------------------------------- Splits


class Splits:
    """A re-iterable, lazily generated sequence of ``(train_idx, test_idx)`` pairs.

    Returned by every splitter. Pairs are generated when iterated (leave-one-out on large
    data would otherwise hold n² indices), from a seed fixed when the splitter was called,
    so every iteration yields the same pairs. Indexing ``splits[i]`` is supported but
    generates the pairs up to ``i``.

    Attributes
    ----------
    method : str
        Name of the splitter that made it.
    n : int
        Number of rows being split.
    """

    def __init__(
        self,
        method: str,
        n: int,
        n_splits: int,
        params: str,
        generate: Callable[[], Iterator[Split]],
    ) -> None:
        self.method = method
        self.n = n
        self._n_splits = n_splits
        self._params = params
        self._generate = generate

    def __iter__(self) -> Iterator[Split]:
        return self._generate()

    def __len__(self) -> int:
        return self._n_splits

    def __getitem__(self, index: int) -> Split:
        i = range(self._n_splits)[index]  # raises IndexError and handles negatives
        for j, pair in enumerate(self):
            if j == i:
                return pair
        raise IndexError(index)  # pragma: no cover - len() and the generator agree

    def __repr__(self) -> str:
        return f"<{self.method}({self._params}): {self._n_splits} split(s) of {self.n} rows>"


def _int64(a: ArrayLike) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _allocate(class_sizes: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` among classes in proportion to their sizes, each within one row.

    Largest-remainder rounding: every class gets the floor of its exact share, and the rows
    left over go to the classes with the largest fractional parts (ties broken at random so
    that no class is always favoured).
    """
    exact = class_sizes * (total / class_sizes.sum())
    counts = np.floor(exact).astype(np.int64)
    left = total - counts.sum()
    if left:
        fraction = exact - counts
        tiebreak = rng.random(class_sizes.size)
        order = np.lexsort((tiebreak, -fraction))
        counts[order[:left]] += 1
    return counts


def _random_holdout(
    n: int, n_test: int, codes: np.ndarray | None, rng: np.random.Generator
) -> Split:
    if codes is None:
        perm = rng.permutation(n)
        test = perm[:n_test]
        train = perm[n_test:]
    else:
        members = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]
        sizes = np.array([m.size for m in members])
        n_test_per_class = _allocate(sizes, n_test, rng)
        test_parts, train_parts = [], []
        for rows, t in zip(members, n_test_per_class):
            rows = rng.permutation(rows)
            test_parts.append(rows[:t])
            train_parts.append(rows[t:])
        # Shuffle across classes too, so training order is not grouped by class.
        test = rng.permutation(np.concatenate(test_parts))
        train = rng.permutation(np.concatenate(train_parts))
    return _int64(train), _int64(test)


# ----------------------------------------------------------------------------- splitters


def holdout_split(
    n: int,
    test_size: float = 0.25,
    stratify: ArrayLike | None = None,
    seed: Seed = None,
) -> Splits:
    """Divide the rows once into a training set and a test set (the holdout method).

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    test_size : float or int, default 0.25
        A fraction in (0, 1) of the rows, rounded up, or a count between 1 and n - 1.
    stratify : array-like of shape (n,), optional
        Class labels. When given, each class is split in the same proportion, so its number
        of test rows is within one row of its exact share.
    seed : int, numpy.random.Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Splits
        One ``(train_idx, test_idx)`` pair of int64 arrays, disjoint and together covering
        ``range(n)``, in random order. Unpack it with ``[(train, test)] = holdout_split(n)``.
    """
    n = _check_n(n)
    n_test = _test_count(test_size, n)
    codes = None if stratify is None else _class_codes(stratify, n, "stratify")
    seq = _seed_sequence(seed)

    def generate() -> Iterator[Split]:
        yield _random_holdout(n, n_test, codes, np.random.default_rng(seq))

    return Splits("holdout_split", n, 1, f"test_size={test_size!r}", generate)


def random_subsampling(
    n: int,
    n_splits: int,
    test_size: float,
    stratify: ArrayLike | None = None,
    seed: Seed = None,
) -> Splits:
    """Repeat the holdout method ``n_splits`` times with independent random splits.

    The lecture notes' overall score is the mean of the per-split scores. Unlike k-fold,
    a row may be tested several times or never.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    n_splits : int
        Number of repetitions, at least 1.
    test_size : float or int
        A fraction in (0, 1) of the rows, rounded up, or a count between 1 and n - 1.
    stratify : array-like of shape (n,), optional
        Class labels; each split keeps every class's test count within one row of its share.
    seed : int, numpy.random.Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Splits
        ``n_splits`` pairs of disjoint int64 index arrays, each pair covering ``range(n)``.
    """
    n = _check_n(n)
    n_splits = _check_int(n_splits, "n_splits", 1)
    n_test = _test_count(test_size, n)
    codes = None if stratify is None else _class_codes(stratify, n, "stratify")
    seq = _seed_sequence(seed)

    def generate() -> Iterator[Split]:
        rng = np.random.default_rng(seq)
        for _ in range(n_splits):
            yield _random_holdout(n, n_test, codes, rng)

    return Splits(
        "random_subsampling",
        n,
        n_splits,
        f"n_splits={n_splits}, test_size={test_size!r}",
        generate,
    )


def k_fold(
    n: int,
    k: int = 10,
    shuffle: bool = True,
    stratify: ArrayLike | None = None,
    seed: Seed = None,
) -> Splits:
    """Partition the rows into ``k`` disjoint folds and test on each fold in turn.

    Every row is tested exactly once and used for training ``k - 1`` times. Fold sizes
    differ by at most one row (the first ``n % k`` folds are one larger).

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    k : int, default 10
        Number of folds, between 2 and n. The notes report that 10 works well in practice.
    shuffle : bool, default True
        Assign rows to folds at random. When False ``seed`` is unused and the folds are
        consecutive blocks of rows, or, when stratified, each class's rows in their
        original order are dealt to the folds in turn.
    stratify : array-like of shape (n,), optional
        Class labels. When given, each fold receives the floor or the ceiling of
        ``count(class) / k`` rows of every class.
    seed : int, numpy.random.Generator or None
        Source of randomness for ``shuffle``; None draws fresh entropy.

    Returns
    -------
    Splits
        ``k`` pairs ``(train_idx, test_idx)``; the test sets partition ``range(n)``. Indices
        are sorted within each array.
    """
    n = _check_n(n)
    k = _check_int(k, "k", 2, n)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    codes = None if stratify is None else _class_codes(stratify, n, "stratify")
    seq = _seed_sequence(seed)

    def generate() -> Iterator[Split]:
        rng = np.random.default_rng(seq)
        fold_of = np.empty(n, dtype=np.int64)
        if codes is None:
            order = rng.permutation(n) if shuffle else np.arange(n)
            sizes = np.full(k, n // k)
            sizes[: n % k] += 1
            fold_of[order] = np.repeat(np.arange(k), sizes)
        else:
            # Line the rows up class by class and deal them out to the folds like cards:
            # every class then lands in each fold floor or ceil(count / k) times, and the
            # fold sizes still differ by at most one.
            order = rng.permutation(n) if shuffle else np.arange(n)
            order = order[np.argsort(codes[order], kind="stable")]
            fold_of[order] = np.arange(n) % k
        for f in range(k):
            in_fold = fold_of == f
            yield _int64(np.flatnonzero(~in_fold)), _int64(np.flatnonzero(in_fold))

    params = f"k={k}, shuffle={shuffle}" + (", stratified" if codes is not None else "")
    return Splits("k_fold", n, k, params, generate)


def leave_one_out(n: int) -> Splits:
    """Test on each row alone after training on all the others (k-fold with ``k = n``).

    Parameters
    ----------
    n : int
        Number of rows, at least 2.

    Returns
    -------
    Splits
        ``n`` pairs; pair i is ``(all rows but i, [i])``.
    """
    n = _check_n(n)

    def generate() -> Iterator[Split]:
        rows = np.arange(n, dtype=np.int64)
        for i in range(n):
            yield np.delete(rows, i), rows[i : i + 1].copy()

    return Splits("leave_one_out", n, n, "", generate)


def _out_of_bag(sample: np.ndarray, n: int) -> np.ndarray:
    return _int64(np.flatnonzero(np.bincount(sample, minlength=n) == 0))


def bootstrap(n: int, n_samples: int, seed: Seed = None) -> Splits:
    """Draw training sets of n rows with replacement; test on the rows never drawn.

    On average a bootstrap sample contains about 63.2% of the distinct rows
    (``1 - (1 - 1/n)^n``), which leaves about 36.8% out of bag for testing.

    Parameters
    ----------
    n : int
        Number of rows, at least 2.
    n_samples : int
        Number of bootstrap samples, at least 1.
    seed : int, numpy.random.Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Splits
        ``n_samples`` pairs. ``train_idx`` has length n, may repeat rows and is in drawing
        order; ``test_idx`` is exactly the sorted set of rows absent from ``train_idx``.
        A sample that happens to contain every row leaves nothing to test, so it is drawn
        again (likely only for very small n).
    """
    n = _check_n(n)
    n_samples = _check_int(n_samples, "n_samples", 1)
    seq = _seed_sequence(seed)

    def generate() -> Iterator[Split]:
        rng = np.random.default_rng(seq)
        for _ in range(n_samples):
            for _ in range(_MAX_REDRAWS):
                sample = rng.integers(0, n, size=n)
                oob = _out_of_bag(sample, n)
                if oob.size:
                    break
            else:  # pragma: no cover - probability n!/n^n per draw, 1/2 at worst (n = 2)
                raise RuntimeError("could not draw a bootstrap sample with out-of-bag rows")
            yield _int64(sample), oob

    return Splits("bootstrap", n, n_samples, f"n_samples={n_samples}", generate)


def balanced_bootstrap(y: ArrayLike, n_samples: int, seed: Seed = None) -> Splits:
    """Bootstrap samples with the same number of rows from every class.

    For highly unbalanced classes: each class contributes ``n // n_classes`` rows, drawn
    with replacement from that class, so minority classes are over-sampled and majority
    classes under-sampled, and the sample keeps about the size of the data.

    Parameters
    ----------
    y : array-like of shape (n,)
        Class labels, with at least two rows.
    n_samples : int
        Number of bootstrap samples, at least 1.
    seed : int, numpy.random.Generator or None
        Source of randomness; None draws fresh entropy.

    Returns
    -------
    Splits
        ``n_samples`` pairs. ``train_idx`` holds ``n_classes * (n // n_classes)`` rows,
        an equal count from each class, in random order; ``test_idx`` is exactly the sorted
        set of rows absent from it. Samples leaving nothing out of bag are drawn again.

    Raises
    ------
    ValueError
        If every class has a single row: every sample would then contain every row and
        leave nothing to test.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels, got shape {y.shape}")
    n = _check_n(y.shape[0])
    n_samples = _check_int(n_samples, "n_samples", 1)
    codes = _class_codes(y, n, "y")
    members = [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]
    if all(m.size == 1 for m in members):
        raise ValueError(
            "y must have a class with at least two rows, or no row is ever out of bag"
        )
    per_class = n // len(members)
    seq = _seed_sequence(seed)

    def generate() -> Iterator[Split]:
        rng = np.random.default_rng(seq)
        for _ in range(n_samples):
            for _ in range(_MAX_REDRAWS):
                sample = np.concatenate([rng.choice(rows, size=per_class) for rows in members])
                oob = _out_of_bag(sample, n)
                if oob.size:
                    break
            else:  # pragma: no cover - needs every class fully drawn, ~1000 times in a row
                raise RuntimeError(
                    "could not draw a balanced bootstrap sample with out-of-bag rows"
                )
            yield _int64(rng.permutation(sample)), oob

    return Splits(
        "balanced_bootstrap",
        n,
        n_samples,
        f"n_samples={n_samples}, per_class={per_class}",
        generate,
    )


# ------------------------------------------------------------------------------- scoring


def as_labels(
    Y: ArrayLike, outputs: ArrayLike, classes: tuple[float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Turn targets and network outputs into class labels for the classification metrics.

    The rule:

    * 2-D with more than one column (one-hot targets, softmax or per-class outputs): the
      label is the column index of the largest value (``argmax`` along axis 1).
    * 2-D with one column (a single sigmoid or tanh output, or two-class targets as a
      column): targets are taken as they are; a prediction is the upper of the two
      ``classes`` when the output is above their midpoint, else the lower. So 0/1 targets
      threshold a sigmoid at 0.5, and -1/+1 targets (the perceptron's) a tanh at 0.
    * 1-D: already labels, used as they are.

    Targets stored as floats holding whole numbers (0.0/1.0) become int64, so that they
    compare and print like the predicted labels.

    Parameters
    ----------
    Y : array-like of shape (n,) or (n, k)
        Targets.
    outputs : array-like of shape (n,) or (n, k)
        What the model's ``predict`` returned.
    classes : (low, high) or None
        The two classes of a single output. None takes them from ``Y`` when it holds
        exactly two numbers, else (0, 1). Pass them when ``Y`` is part of a larger data set
        (one test fold may hold a single class): :func:`cross_validate` and
        :func:`bootstrap_632` take them from all of ``Y``.

    Returns
    -------
    y_true, y_pred : ndarray of shape (n,)
    """
    Y = np.asarray(Y)
    out = np.asarray(outputs)
    if Y.shape[0] != out.shape[0]:
        raise ValueError(
            f"Y and outputs must have the same number of rows, got {Y.shape[0]} and {out.shape[0]}"
        )
    y_true = _target_labels(Y)
    if classes is None:
        classes = _two_classes(y_true)
    return y_true, _output_labels(out, classes)


def _target_labels(Y: np.ndarray) -> np.ndarray:
    if Y.ndim == 2 and Y.shape[1] > 1:
        return np.argmax(Y, axis=1)
    if Y.ndim == 2 and Y.shape[1] == 1:
        Y = Y[:, 0]
    if Y.ndim != 1:
        raise ValueError(f"Y must be 1-D or 2-D, got shape {Y.shape}")
    if Y.dtype.kind == "f" and np.all(np.isfinite(Y)) and np.all(Y == np.round(Y)):
        return Y.astype(np.int64)
    return Y


def _two_classes(labels: np.ndarray) -> tuple[float, float]:
    """The two numeric classes among ``labels``, low first, or (0, 1) when there are not
    exactly two."""
    if labels.dtype.kind in "biuf":
        found = np.unique(labels)
        if found.size == 2:
            return found[0].item(), found[1].item()
    return 0, 1


def _output_labels(out: np.ndarray, classes: tuple[float, float]) -> np.ndarray:
    if out.ndim == 2 and out.shape[1] > 1:
        return np.argmax(out, axis=1)
    if out.ndim == 2 and out.shape[1] == 1:
        # Strictly above: an undecided output (0.5 for a sigmoid) counts as the lower class.
        low, high = classes
        return np.where(out[:, 0] > (low + high) / 2, high, low)
    if out.ndim != 1:
        raise ValueError(f"model outputs must be 1-D or 2-D, got shape {out.shape}")
    return out


def on_outputs(
    metric: Callable[[np.ndarray, np.ndarray], float],
) -> Callable[[np.ndarray, np.ndarray], float]:
    """Mark a metric to receive the raw targets and model outputs instead of labels.

    :func:`cross_validate` and :func:`bootstrap_632` convert targets and outputs with
    :func:`as_labels` before calling a metric, which suits classification. A regression
    metric (say mean absolute error) needs the values themselves: wrap it with this.
    ``fastmlp.metrics.mean_squared_error`` is always given raw values and needs no wrapper.

    Parameters
    ----------
    metric : callable ``metric(Y_true, outputs) -> float``

    Returns
    -------
    callable
        The same metric, flagged.
    """

    @functools.wraps(metric)
    def wrapped(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return metric(y_true, y_pred)

    wrapped.fastmlp_on_outputs = True  # type: ignore[attr-defined]
    return wrapped


_NAMED_METRICS: dict[str, Callable[..., Any]] = {
    "accuracy": _metrics.accuracy,
    "precision": _metrics.precision,
    "recall": _metrics.recall,
    "sensitivity": _metrics.sensitivity,
    "specificity": _metrics.specificity,
    "f1_score": _metrics.f1_score,
    "mean_squared_error": _metrics.mean_squared_error,
}
_AVERAGED = {"precision", "recall", "sensitivity", "specificity", "f1_score"}


@dataclass(frozen=True)
class _Scorer:
    """A metric with its calling convention settled once, before any model is fitted."""

    func: Callable[..., Any]
    raw: bool
    classes: tuple[float, float]  # of a single output column: see as_labels
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, Y_true: np.ndarray, outputs: np.ndarray) -> float:
        if self.raw:
            return float(self.func(Y_true, outputs, **self.kwargs))
        y_true, y_pred = as_labels(Y_true, outputs, self.classes)
        return float(self.func(y_true, y_pred, **self.kwargs))


def _named_average(labels: np.ndarray) -> dict[str, Any]:
    """Averaging for named metrics, from the target labels: binary with pos_label 1 for 0/1
    and -1/+1 classes, else macro."""
    classes = np.unique(labels)
    if classes.dtype.kind in "biuf" and classes.tolist() in ([0, 1], [-1, 1]):
        return {"average": "binary", "pos_label": 1}
    return {"average": "macro"}


def _make_scorers(metrics: Any, Y: np.ndarray, arg: str) -> dict[str, _Scorer]:
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, Mapping):
        items = list(metrics.items())
    elif isinstance(metrics, Iterable):
        items = []
        for m in metrics:
            if isinstance(m, str):
                items.append((m, m))
            elif callable(m):
                items.append((getattr(m, "__name__", repr(m)), m))
            else:
                raise TypeError(f"{arg} entries must be metric names or callables, got {m!r}")
    else:
        raise TypeError(f"{arg} must be a dict name -> callable, a list of names, or one name")
    if not items:
        raise ValueError(f"{arg} must name at least one metric")
    labels = _target_labels(Y)
    classes = _two_classes(labels)
    average = _named_average(labels)
    scorers: dict[str, _Scorer] = {}
    for name, m in items:
        if isinstance(m, str):
            if m not in _NAMED_METRICS:
                raise ValueError(
                    f"unknown metric {m!r} in {arg}; choose from {sorted(_NAMED_METRICS)} "
                    "or pass a callable"
                )
            kwargs = average if m in _AVERAGED else {}
            func = _NAMED_METRICS[m]
            scorers[name] = _Scorer(func, func is _metrics.mean_squared_error, classes, kwargs)
        elif callable(m):
            raw = m is _metrics.mean_squared_error or getattr(m, "fastmlp_on_outputs", False)
            scorers[str(name)] = _Scorer(m, bool(raw), classes)
        else:
            raise TypeError(f"{arg}[{name!r}] must be a callable or a metric name, got {m!r}")
    return scorers


def _check_data(X: ArrayLike, Y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim < 1 or Y.ndim < 1:
        raise ValueError("X and Y must be arrays with one row per sample")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must have the same number of rows, got {X.shape[0]} and {Y.shape[0]}"
        )
    return X, Y


def _check_splits(splits: Any, n: int) -> list[Split]:
    if not isinstance(splits, Iterable):
        raise TypeError("splits must be an iterable of (train_idx, test_idx) pairs")
    checked = []
    for i, pair in enumerate(splits):
        try:
            train, test = pair
        except (TypeError, ValueError):
            raise ValueError(f"splits[{i}] must be a (train_idx, test_idx) pair") from None
        train = np.asarray(train)
        test = np.asarray(test)
        for name, idx in (("train_idx", train), ("test_idx", test)):
            if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
                raise ValueError(
                    f"splits[{i}]: {name} must be a non-empty 1-D array of integer row indices"
                )
            if idx.min() < -n or idx.max() >= n:
                raise ValueError(f"splits[{i}]: {name} has indices outside the {n} rows of X")
        checked.append((train, test))
    if not checked:
        raise ValueError("splits is empty; pass at least one (train_idx, test_idx) pair")
    return checked


def _fit_and_score(
    make_model: Callable[[], Any],
    X: np.ndarray,
    Y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    scorers: dict[str, _Scorer],
    fit_params: Mapping[str, Any],
) -> tuple[dict[str, float], float, np.ndarray]:
    start = time.perf_counter()
    model = make_model()
    model.fit(X[train], Y[train], **fit_params)
    elapsed = time.perf_counter() - start
    outputs = np.asarray(model.predict(X[test]))
    if np.issubdtype(outputs.dtype, np.number) and not np.isfinite(outputs).all():
        bad = int(np.sum(~np.isfinite(outputs).reshape(len(outputs), -1).all(axis=1)))
        raise ValueError(
            f"the model fitted on {len(train)} training rows predicted NaN or inf for {bad} "
            f"of its {len(test)} test rows; scoring them would count them as a class. Check "
            "the fit (a learning rate too large?) or the model's predict")
    outputs = _named_by_classes(model, Y, outputs)
    return {name: s(Y[test], outputs) for name, s in scorers.items()}, elapsed, outputs


def _named_by_classes(model: Any, Y: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Per-class outputs as the labels they stand for, when the model was fitted on labels:
    a network fitted on 1-D labels (strings, say) names its outputs with ``classes_``, and
    its probabilities must be scored against those labels, not against column indices.
    Outputs of models without ``classes_``, 1-D predictions (already labels) and targets
    that are not 1-D are returned as they are."""
    classes = getattr(model, "classes_", None)
    if classes is None or Y.ndim != 1 or outputs.ndim != 2:
        return outputs
    classes = np.asarray(classes)
    if outputs.shape[1] == len(classes) and outputs.shape[1] > 1:
        return classes[np.argmax(outputs, axis=1)]
    if outputs.shape[1] == 1 and len(classes) == 2:
        return classes[(outputs[:, 0] > 0.5).astype(np.int64)]
    return outputs


def _run(
    make_model: Callable[[], Any],
    X: np.ndarray,
    Y: np.ndarray,
    pairs: list[Split],
    scorers: dict[str, _Scorer],
    fit_params: Mapping[str, Any] | None,
    n_jobs: int | None,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[np.ndarray]]:
    """Fit and score every split; returns the per-split scores, fit times and the model
    outputs on each test set."""
    if not callable(make_model):
        raise TypeError("make_model must be a callable returning a fresh, unfitted model")
    if fit_params is None:
        fit_params = {}
    elif not isinstance(fit_params, Mapping):
        raise TypeError(
            f"fit_params must be a dict of keyword arguments for fit, got {fit_params!r}"
        )
    if n_jobs is not None:
        _check_int(n_jobs, "n_jobs", -(2**31))
        if n_jobs == 0:
            raise ValueError("n_jobs must be a positive count, -1 for all CPUs, or None; got 0")
    # Every split gets its own fresh model and its pair of indices, so results cannot depend
    # on scheduling: n_jobs and the joblib backend change speed, never the scores. Results
    # come back in the order of the splits.
    from joblib import Parallel, delayed  # imported on use: it lengthens `import fastmlp`

    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(make_model, X, Y, train, test, scorers, fit_params)
        for train, test in pairs
    )
    scores = {name: np.array([r[0][name] for r in results]) for name in scorers}
    fit_times = np.array([r[1] for r in results])
    return scores, fit_times, [r[2] for r in results]


class CVResult:
    """Scores of a cross-validation run.

    Attributes
    ----------
    scores : dict of str to ndarray of shape (n_splits,)
        Per-split scores, in the order of the splits.
    mean : dict of str to float
        Mean score over the splits (the notes' ``acc_sub = sum(acc_i) / k``).
    std : dict of str to float
        Standard deviation over the splits (population, ``ddof=0``).
    pooled : dict of str to float
        Each metric once over the test predictions of all splits together: the notes'
        cross-validation total, "summing the errors of all k runs". For k-fold and
        leave-one-out, where every row is tested once, this is the score of the
        out-of-fold predictions. Prefer it when test sets are small: a leave-one-out split
        tests one row, so its own precision, recall, specificity or F1 is mostly 0/0
        (reported as 0 with an UndefinedMetricWarning), and their mean says little.
    fit_times : ndarray of shape (n_splits,)
        Seconds spent building and fitting each model.

    ``result["accuracy"]`` is a shorthand for ``result.scores["accuracy"]``.
    """

    def __init__(
        self,
        scores: dict[str, np.ndarray],
        fit_times: np.ndarray,
        pooled: dict[str, float] | None = None,
    ) -> None:
        self.scores = scores
        self.mean = {k: float(v.mean()) for k, v in scores.items()}
        self.std = {k: float(v.std()) for k, v in scores.items()}
        self.pooled = dict(pooled) if pooled is not None else {}
        self.fit_times = fit_times

    @property
    def n_splits(self) -> int:
        """Number of splits scored."""
        return int(self.fit_times.size)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.scores[name]

    def __repr__(self) -> str:
        width = max(len(k) for k in self.scores)
        lines = [f"CVResult({self.n_splits} splits, {self.fit_times.sum():.2f} s fitting)"]
        for k, v in self.scores.items():
            shown = " ".join(f"{x:.4f}" for x in v[:10]) + (" ..." if v.size > 10 else "")
            pooled = f"  pooled {self.pooled[k]:.4f}" if k in self.pooled else ""
            lines.append(
                f"  {k:<{width}}  mean {self.mean[k]:.4f}  std {self.std[k]:.4f}{pooled}"
                f"  [{shown}]"
            )
        return "\n".join(lines)


def cross_validate(
    make_model: Callable[[], Any],
    X: ArrayLike,
    Y: ArrayLike,
    splits: Iterable[Split],
    metrics: Mapping[str, Callable[..., float]] | Sequence[str] | str,
    n_jobs: int | None = 1,
    fit_params: Mapping[str, Any] | None = None,
) -> CVResult:
    """Fit a fresh model on every training set and score it on the matching test set.

    For each ``(train_idx, test_idx)`` in ``splits``: ``model = make_model()``,
    ``model.fit(X[train_idx], Y[train_idx], **fit_params)``, then every metric is applied
    to ``Y[test_idx]`` and ``model.predict(X[test_idx])``.

    Metrics receive labels, not raw outputs: both arguments go through :func:`as_labels`
    (argmax of one-hot targets and multi-column outputs; a single output column thresholded
    halfway between the two classes of ``Y``, 0.5 for 0/1 targets and 0 for -1/+1). The
    exceptions are ``mean_squared_error`` and metrics wrapped with
    :func:`on_outputs`, which receive the raw targets and outputs.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a new, unfitted model with ``fit(X, Y, **fit_params)`` and
        ``predict(X)``. Give it a fixed seed for reproducible scores.
    X : array-like of shape (n, n_features)
    Y : array-like of shape (n,) or (n, k)
        Targets in the form ``fit`` expects (one-hot for a softmax network).
    splits : iterable of (train_idx, test_idx)
        For example ``k_fold(n, 10, seed=0)``; read once, before any fitting.
    metrics : dict, list or str
        A dict ``name -> metric(y_true, y_pred)``, or names of functions of
        :mod:`fastmlp.metrics` (``"accuracy"``, ``"precision"``, ``"recall"``,
        ``"sensitivity"``, ``"specificity"``, ``"f1_score"``, ``"mean_squared_error"``), or a
        single name. Named precision, recall, specificity and F1 use ``average="binary"``
        with ``pos_label=1`` when the classes of ``Y`` are exactly 0 and 1, and
        ``average="macro"`` otherwise. Callables are called with their defaults; use
        ``functools.partial`` to set an average.
    n_jobs : int or None, default 1
        Fits to run at once through :class:`joblib.Parallel`; -1 uses every CPU. 1 runs them
        one after another in this process. None defers to an enclosing
        ``joblib.parallel_config(n_jobs=...)``; the backend, too, comes from
        ``parallel_config`` (``"loky"`` processes by default, ``"threading"``, ``"dask"``,
        ``"ray"``, ...). The scores do not depend on it.
    fit_params : dict, optional
        Keyword arguments for every ``fit`` call (epochs, learning rate, seed, ...).

    Returns
    -------
    CVResult
        Per-split scores (``result.scores[name]``), their ``mean`` and ``std``, the
        ``pooled`` score over all test predictions together, fit times.

    Examples
    --------
    >>> from fastmlp import MLP, datasets                                 # doctest: +SKIP
    >>> X, y = datasets.load_digits()                                     # doctest: +SKIP
    >>> Y = datasets.one_hot(y, 10)                                       # doctest: +SKIP
    >>> result = cross_validate(                                          # doctest: +SKIP
    ...     lambda: MLP((64, 32, 10), output_activation="softmax",
    ...                 loss="cross_entropy", seed=0),
    ...     X, Y, k_fold(len(X), 5, stratify=y, seed=0),
    ...     ["accuracy", "f1_score"], fit_params=dict(epochs=15, batch_size=16))
    >>> result.mean["accuracy"]                                           # doctest: +SKIP
    """
    X, Y = _check_data(X, Y)
    pairs = _check_splits(splits, X.shape[0])
    scorers = _make_scorers(metrics, Y, "metrics")
    scores, fit_times, outputs = _run(make_model, X, Y, pairs, scorers, fit_params, n_jobs)
    tested = Y[np.concatenate([test for _, test in pairs])]
    all_outputs = np.concatenate(outputs)
    pooled = {name: scorer(tested, all_outputs) for name, scorer in scorers.items()}
    return CVResult(scores, fit_times, pooled)


class Bootstrap632Result:
    """Outcome of :func:`bootstrap_632`.

    Attributes
    ----------
    estimate : float
        The .632 bootstrap estimate.
    oob_scores : ndarray of shape (n_samples,)
        Score of each bootstrap model on its out-of-bag rows.
    resubstitution_score : float
        Score of one model trained and evaluated on all the data.
    sample_estimates : ndarray of shape (n_samples,)
        ``0.632 * oob_scores + 0.368 * resubstitution_score``; ``estimate`` is their mean.
    """

    def __init__(self, oob_scores: np.ndarray, resubstitution_score: float) -> None:
        self.oob_scores = oob_scores
        self.resubstitution_score = float(resubstitution_score)
        self.sample_estimates = 0.632 * oob_scores + 0.368 * self.resubstitution_score
        self.estimate = float(self.sample_estimates.mean())

    def __float__(self) -> float:
        return self.estimate

    def __repr__(self) -> str:
        return (
            f"Bootstrap632Result(estimate={self.estimate:.4f}, "
            f"mean oob={self.oob_scores.mean():.4f} over {self.oob_scores.size} samples, "
            f"resubstitution={self.resubstitution_score:.4f})"
        )


def bootstrap_632(
    make_model: Callable[[], Any],
    X: ArrayLike,
    Y: ArrayLike,
    n_samples: int,
    metric: Callable[..., float] | str,
    seed: Seed = None,
    fit_params: Mapping[str, Any] | None = None,
    n_jobs: int | None = 1,
) -> Bootstrap632Result:
    """The .632 bootstrap estimate of a model's score.

    A model trained on a bootstrap sample sees only about 63.2% of the distinct rows, so
    its out-of-bag score is pessimistic; the score of a model trained and tested on all the
    data (the resubstitution score) is optimistic. The .632 bootstrap blends them::

        estimate = mean over b of (0.632 * oob_score_b + 0.368 * resubstitution_score)

    where ``oob_score_b`` is the score, on the rows left out of bootstrap sample b, of a
    fresh model fitted on that sample (see :func:`bootstrap`), and
    ``resubstitution_score`` is the score of one more fresh model fitted on all rows and
    evaluated on all rows (fitted once, shared by every b).

    Parameters
    ----------
    make_model : callable
        ``make_model()`` returns a new, unfitted model with ``fit`` and ``predict``.
    X : array-like of shape (n, n_features)
    Y : array-like of shape (n,) or (n, k)
    n_samples : int
        Number of bootstrap samples, at least 1.
    metric : callable or str
        One metric, as one entry of ``metrics`` in :func:`cross_validate` (same label
        conversion and averaging rules). The formula is applied to it whatever it measures,
        score or error.
    seed : int, numpy.random.Generator or None
        Randomness of the bootstrap samples (the model's own seed is up to ``make_model``).
    fit_params : dict, optional
        Keyword arguments for every ``fit`` call.
    n_jobs : int or None, default 1
        Parallel fits through joblib, as in :func:`cross_validate`.

    Returns
    -------
    Bootstrap632Result
        ``estimate`` plus the per-sample out-of-bag scores and the resubstitution score;
        ``float(result)`` is the estimate.
    """
    X, Y = _check_data(X, Y)
    if isinstance(metric, Mapping) or not (isinstance(metric, str) or callable(metric)):
        raise TypeError(f"metric must be one metric name or callable, got {metric!r}")
    scorers = _make_scorers([metric], Y, "metric")
    n = X.shape[0]
    pairs = list(bootstrap(n, n_samples, seed))
    everything = np.arange(n, dtype=np.int64)
    pairs.append((everything, everything))
    scores, _, _ = _run(make_model, X, Y, pairs, scorers, fit_params, n_jobs)
    (values,) = scores.values()
    return Bootstrap632Result(values[:-1], values[-1])
