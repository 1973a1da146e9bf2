"""Splitters, label conversion, cross_validate and the .632 bootstrap."""

import functools
import warnings

import numpy as np
import pytest
from joblib import parallel_config

import fastmlp
from fastmlp import datasets
from fastmlp import metrics as fm
from fastmlp import model_selection as ms

# ------------------------------------------------------------------------------ helpers


def assert_int64_indices(*arrays):
    for a in arrays:
        assert isinstance(a, np.ndarray)
        assert a.dtype == np.int64 and a.ndim == 1


def assert_partition(train, test, n):
    """train and test are disjoint, without repeats, and together are exactly range(n)."""
    assert_int64_indices(train, test)
    assert len(np.unique(train)) == len(train)
    assert len(np.unique(test)) == len(test)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))


def unbalanced_labels(seed, n=None):
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(20, 90))
    # Uneven class sizes, including a small class, so rounding actually matters.
    return rng.choice(np.array(["a", "b", "c", "d"]), size=n, p=[0.5, 0.3, 0.15, 0.05])


def assert_within_one_row_per_class(test, y, test_fraction):
    for c in np.unique(y):
        in_class = np.sum(y == c)
        share = in_class * test_fraction
        got = np.sum(y[test] == c)
        assert abs(got - share) < 1, (c, got, share)


class NearestCentroid:
    """A tiny deterministic classifier with the fit/predict protocol of fastmlp.MLP.

    Fitted on one-hot targets (n, K) it predicts (n, K) scores, the negative squared
    distance to each class centroid; fitted on labels (n,) it predicts labels.
    """

    def fit(self, X, Y, shrink=0.0):
        Y = np.asarray(Y)
        self.one_hot = Y.ndim == 2
        codes = np.argmax(Y, axis=1) if self.one_hot else Y
        self.classes = np.arange(Y.shape[1]) if self.one_hot else np.unique(Y)
        overall = X.mean(axis=0)
        centroids = []
        for c in self.classes:
            rows = X[codes == c]
            centre = rows.mean(axis=0) if len(rows) else overall
            centroids.append((1 - shrink) * centre + shrink * overall)
        self.centroids = np.array(centroids)
        return self

    def predict(self, X):
        scores = -((X[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return scores if self.one_hot else self.classes[np.argmax(scores, axis=1)]


class LeastSquares:
    """Linear regression by least squares, single output returned as a column (n, 1)."""

    def fit(self, X, Y):
        A = np.column_stack([X, np.ones(len(X))])
        self.coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
        return self

    def predict(self, X):
        return (np.column_stack([X, np.ones(len(X))]) @ self.coef).reshape(len(X), -1)


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits()
    return X, y, datasets.one_hot(y, 10)


@pytest.fixture(scope="module")
def small_digits(digits):
    X, y, Y = digits
    return X[:400], y[:400], Y[:400]


# ------------------------------------------------------------------------------ holdout


@pytest.mark.parametrize("n", [2, 3, 10, 101])
@pytest.mark.parametrize("test_size", [0.25, 0.5, 0.01, 1])
def test_holdout_split_partitions_the_rows(n, test_size):
    splits = ms.holdout_split(n, test_size, seed=n)
    assert len(splits) == 1
    [(train, test)] = splits
    assert_partition(train, test, n)
    expected = test_size if isinstance(test_size, int) else int(np.ceil(test_size * n))
    assert len(test) == min(max(expected, 1), n - 1)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("test_size", [0.2, 0.25, 0.37, 7])
def test_stratified_holdout_keeps_class_proportions(seed, test_size):
    y = unbalanced_labels(seed)
    [(train, test)] = ms.holdout_split(len(y), test_size, stratify=y, seed=seed)
    assert_partition(train, test, len(y))
    assert_within_one_row_per_class(test, y, len(test) / len(y))
    assert_within_one_row_per_class(train, y, len(train) / len(y))


def test_holdout_is_reproducible_and_reiterable():
    a = ms.holdout_split(50, seed=3)
    b = ms.holdout_split(50, seed=3)
    c = ms.holdout_split(50, seed=4)
    np.testing.assert_array_equal(a[0][1], b[0][1])
    np.testing.assert_array_equal(a[0][1], next(iter(a))[1])  # iterating again: same split
    assert not np.array_equal(a[0][1], c[0][1])
    unseeded = ms.holdout_split(50)
    np.testing.assert_array_equal(unseeded[0][1], unseeded[0][1])


def test_generator_seed_is_drawn_from_once_per_call():
    rng = np.random.default_rng(0)
    first = ms.holdout_split(40, seed=rng)
    second = ms.holdout_split(40, seed=rng)
    assert not np.array_equal(first[0][1], second[0][1])
    again = np.random.default_rng(0)
    np.testing.assert_array_equal(first[0][1], ms.holdout_split(40, seed=again)[0][1])


# ---------------------------------------------------------------------- random subsampling


def test_random_subsampling_repeats_independent_holdouts():
    splits = ms.random_subsampling(30, n_splits=6, test_size=0.3, seed=1)
    assert len(splits) == 6
    tests = []
    for train, test in splits:
        assert_partition(train, test, 30)
        assert len(test) == 9
        tests.append(np.sort(test))
    assert len({t.tobytes() for t in tests}) == 6  # all different


@pytest.mark.parametrize("seed", range(5))
def test_stratified_random_subsampling_keeps_class_proportions(seed):
    y = unbalanced_labels(seed + 20)
    for train, test in ms.random_subsampling(len(y), 4, 0.3, stratify=y, seed=seed):
        assert_partition(train, test, len(y))
        assert_within_one_row_per_class(test, y, len(test) / len(y))


# -------------------------------------------------------------------------------- k-fold


@pytest.mark.parametrize(("n", "k"), [(10, 2), (10, 3), (17, 5), (23, 10), (7, 7)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_k_fold_tests_every_row_exactly_once(n, k, shuffle):
    splits = ms.k_fold(n, k, shuffle=shuffle, seed=0)
    assert len(splits) == k
    tested = []
    sizes = []
    for train, test in splits:
        assert_partition(train, test, n)
        tested.append(test)
        sizes.append(len(test))
    np.testing.assert_array_equal(np.sort(np.concatenate(tested)), np.arange(n))
    assert max(sizes) - min(sizes) <= 1
    assert sum(sizes) == n


def test_unshuffled_k_fold_uses_consecutive_blocks():
    folds = [test for _, test in ms.k_fold(10, 3, shuffle=False)]
    expected = [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [f.tolist() for f in folds] == expected


@pytest.mark.parametrize("stratify", [None, np.arange(10) % 2])
def test_shuffled_k_fold_assigns_rows_to_folds_at_random(stratify):
    def folds(seed):
        return [t.tolist() for _, t in ms.k_fold(10, 5, stratify=stratify, seed=seed)]

    assert folds(3) == folds(3)
    assert folds(3) != folds(4)
    # over many seeds every row lands in the first fold about 1 time in 5
    counts = np.zeros(10)
    for seed in range(2000):
        counts[folds(seed)[0]] += 1
    # binomial(2000, 0.2): mean 400, standard deviation ~18; 5 deviations never happen
    assert np.all(np.abs(counts - 400) < 90), counts


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("shuffle", [True, False])
def test_stratified_k_fold_keeps_class_proportions(seed, k, shuffle):
    y = unbalanced_labels(seed + 40)
    folds = []
    for train, test in ms.k_fold(len(y), k, shuffle=shuffle, stratify=y, seed=seed):
        assert_partition(train, test, len(y))
        folds.append(test)
        for c in np.unique(y):
            # Each fold gets the floor or the ceiling of the class's exact share.
            assert abs(np.sum(y[test] == c) - np.sum(y == c) / k) < 1
    np.testing.assert_array_equal(np.sort(np.concatenate(folds)), np.arange(len(y)))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1


def test_leave_one_out_tests_each_row_alone():
    splits = ms.leave_one_out(6)
    assert len(splits) == 6
    for i, (train, test) in enumerate(splits):
        assert_partition(train, test, 6)
        assert test.tolist() == [i]


# ----------------------------------------------------------------------------- bootstrap


@pytest.mark.parametrize("n", [2, 5, 50, 300])
def test_bootstrap_out_of_bag_is_exactly_the_complement_of_the_sample(n):
    splits = ms.bootstrap(n, n_samples=25, seed=n)
    assert len(splits) == 25
    for train, test in splits:
        assert_int64_indices(train, test)
        assert len(train) == n
        assert train.min() >= 0 and train.max() < n
        np.testing.assert_array_equal(test, np.setdiff1d(np.arange(n), train))
        assert test.size > 0


def test_bootstrap_samples_with_replacement_and_leaves_about_a_third_out():
    splits = list(ms.bootstrap(500, n_samples=40, seed=0))
    assert all(len(np.unique(train)) < 500 for train, _ in splits)  # some rows repeat
    oob_fraction = np.mean([len(test) / 500 for _, test in splits])
    assert oob_fraction == pytest.approx((1 - 1 / 500) ** 500, abs=0.01)  # about 0.368


@pytest.mark.parametrize("seed", range(5))
def test_balanced_bootstrap_draws_equal_counts_per_class(seed):
    y = unbalanced_labels(seed + 60, n=80)
    classes = np.unique(y)
    per_class = len(y) // len(classes)
    for train, test in ms.balanced_bootstrap(y, n_samples=5, seed=seed):
        assert_int64_indices(train, test)
        counts = [np.sum(y[train] == c) for c in classes]
        assert counts == [per_class] * len(classes)
        np.testing.assert_array_equal(test, np.setdiff1d(np.arange(len(y)), train))
        assert test.size > 0


def test_balanced_bootstrap_rejects_data_with_nothing_to_leave_out():
    with pytest.raises(ValueError, match="at least two rows"):
        ms.balanced_bootstrap(["a", "b", "c"], 3)
    # One class of two rows is enough for out-of-bag rows to exist.
    for _, test in ms.balanced_bootstrap(["a", "a", "b"], 10, seed=0):
        assert set(test.tolist()) <= {0, 1}


# ---------------------------------------------------------------------------- validation


def test_splitters_validate_their_arguments():
    with pytest.raises(ValueError, match="n must be at least 2"):
        ms.holdout_split(1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        ms.k_fold(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        ms.leave_one_out(5.0)
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="test_size"):
            ms.holdout_split(10, bad)
    for bad in (0, 10, -1):
        with pytest.raises(ValueError, match="test_size"):
            ms.holdout_split(10, bad)
    with pytest.raises(TypeError, match="test_size"):
        ms.holdout_split(10, True)
    with pytest.raises(ValueError, match="k must be between 2 and 5"):
        ms.k_fold(5, k=6)
    with pytest.raises(ValueError, match="k must be between 2 and 5"):
        ms.k_fold(5, k=1)
    with pytest.raises(ValueError, match="n_splits"):
        ms.random_subsampling(10, 0, 0.5)
    with pytest.raises(ValueError, match="n_samples"):
        ms.bootstrap(10, 0)
    with pytest.raises(ValueError, match="stratify must be a 1-D array of 10"):
        ms.k_fold(10, 2, stratify=[0, 1])
    with pytest.raises(TypeError, match="seed"):
        ms.bootstrap(10, 2, seed="zero")
    with pytest.raises(ValueError, match="seed"):
        ms.bootstrap(10, 2, seed=-1)
    with pytest.raises(TypeError, match="shuffle"):
        ms.k_fold(10, 2, shuffle="yes")


def test_splits_repr_and_indexing():
    splits = ms.k_fold(12, 4, seed=0)
    assert "k_fold" in repr(splits) and "4 split" in repr(splits) and "12 rows" in repr(splits)
    np.testing.assert_array_equal(splits[-1][1], list(splits)[3][1])
    with pytest.raises(IndexError):
        splits[4]


# ----------------------------------------------------------------------------- as_labels


def test_as_labels_conversion_rule():
    one_hot = np.eye(3)[[2, 0, 1]]
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2]])
    y_true, y_pred = ms.as_labels(one_hot, probs)
    assert y_true.tolist() == [2, 0, 1] and y_pred.tolist() == [2, 0, 1]
    # A single sigmoid column: strictly above 0.5 is class 1; float 0/1 targets become ints.
    y_true, y_pred = ms.as_labels(np.array([[0.0], [1.0], [1.0]]), np.array([[0.2], [0.5], [0.9]]))
    assert y_true.tolist() == [0, 1, 1] and y_true.dtype == np.int64
    assert y_pred.tolist() == [0, 0, 1]
    # 1-D labels pass through, including strings.
    y_true, y_pred = ms.as_labels(np.array(["a", "b"]), np.array(["b", "b"]))
    assert y_true.tolist() == ["a", "b"] and y_pred.tolist() == ["b", "b"]
    with pytest.raises(ValueError, match="same number of rows"):
        ms.as_labels(np.zeros(3), np.zeros(2))


def test_single_output_is_thresholded_between_the_two_target_classes():
    # the perceptron's -1/+1 targets with a tanh output: the threshold is 0, not 0.5
    outputs = np.array([[-0.9], [-0.1], [0.2], [0.7]])
    y_true, y_pred = ms.as_labels(np.array([-1.0, 1.0, 1.0, 1.0]), outputs)
    assert y_true.tolist() == [-1, 1, 1, 1] and y_pred.tolist() == [-1, -1, 1, 1]
    # a test fold holding one class needs the classes of the whole data set
    _, y_pred = ms.as_labels(np.array([1.0, 1.0, 1.0, 1.0]), outputs, classes=(-1, 1))
    assert y_pred.tolist() == [-1, -1, 1, 1]
    _, y_pred = ms.as_labels(np.array([1.0, 1.0, 1.0, 1.0]), outputs)  # default (0, 1)
    assert y_pred.tolist() == [0, 0, 0, 1]


def test_cross_validate_scores_a_tanh_perceptron_on_plus_minus_one_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = np.where(X[:, 0] - 0.5 * X[:, 1] > 0, 1.0, -1.0)

    def make():
        return fastmlp.MLP((2, 1), output_activation="tanh", loss="mse", seed=0)

    fit_params = dict(learning_rate=0.1, epochs=20, batch_size=8, seed=0)
    splits = ms.k_fold(len(X), 5, seed=0)
    result = ms.cross_validate(make, X, y, splits, ["accuracy", "precision"],
                               fit_params=fit_params)
    sign_accuracy = []
    for train, test in splits:
        model = make()
        model.fit(X[train], y[train], **fit_params)
        sign_accuracy.append(np.mean(np.where(model.predict(X[test])[:, 0] > 0, 1, -1) ==
                                     y[test]))
    np.testing.assert_allclose(result["accuracy"], sign_accuracy)
    assert result.mean["accuracy"] > 0.9  # a separable problem: the fits did learn it
    # -1/+1 classes are scored like 0/1 ones: binary, class +1 positive
    precision = []
    for train, test in splits:
        model = make()
        model.fit(X[train], y[train], **fit_params)
        predicted = np.where(model.predict(X[test])[:, 0] > 0, 1, -1)
        precision.append(fm.precision(y[test].astype(int), predicted, average="binary",
                                      pos_label=1))
    np.testing.assert_allclose(result["precision"], precision)


# ------------------------------------------------------------------------ cross_validate


def manual_scores(make_model, X, Y, splits, metric, fit_params=None):
    out = []
    for train, test in splits:
        model = make_model()
        model.fit(X[train], Y[train], **(fit_params or {}))
        out.append(metric(*ms.as_labels(Y[test], model.predict(X[test]))))
    return np.array(out)


def test_cross_validate_scores_each_split_with_a_fresh_model(small_digits):
    X, y, Y = small_digits
    splits = ms.k_fold(len(X), 4, stratify=y, seed=0)
    result = ms.cross_validate(
        NearestCentroid,
        X,
        Y,
        splits,
        {"acc": fm.accuracy, "f1": functools.partial(fm.f1_score, average="macro")},
        fit_params={"shrink": 0.1},
    )
    acc = manual_scores(NearestCentroid, X, Y, splits, fm.accuracy, {"shrink": 0.1})
    np.testing.assert_array_equal(result.scores["acc"], acc)
    np.testing.assert_array_equal(result["acc"], acc)
    assert result.mean["acc"] == pytest.approx(acc.mean())
    assert result.std["acc"] == pytest.approx(acc.std())
    assert result.scores["f1"].shape == (4,)
    assert result.n_splits == 4 and result.fit_times.shape == (4,)
    assert 0.8 < result.mean["acc"] <= 1.0  # nearest centroid does well on digits
    # fit_params really reach fit: heavy shrinkage towards the mean changes the scores.
    shrunk = ms.cross_validate(
        NearestCentroid, X, Y, splits, ["accuracy"], fit_params={"shrink": 0.99}
    )
    assert not np.array_equal(shrunk["accuracy"], acc)
    text = repr(result)
    assert "4 splits" in text and "acc" in text and f"{result.mean['acc']:.4f}" in text


def test_pooled_scores_are_the_metric_over_all_test_predictions_together(small_digits):
    X, y, Y = small_digits
    is_three = (y == 3).astype(np.int64)
    names = ["accuracy", "precision", "recall", "specificity", "f1_score"]
    for splits in (ms.k_fold(len(X), 4, seed=0), ms.leave_one_out(60)):
        pairs = list(splits)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fm.UndefinedMetricWarning)  # 0/0 in one-row folds
            result = ms.cross_validate(NearestCentroid, X, is_three, pairs, names)
        tested = np.concatenate([test for _, test in pairs])
        predicted = np.concatenate([NearestCentroid().fit(X[train], is_three[train])
                                    .predict(X[test]) for train, test in pairs])
        for name in names:
            metric = getattr(fm, name)
            kwargs = {} if name == "accuracy" else dict(average="binary", pos_label=1)
            assert result.pooled[name] == pytest.approx(
                metric(is_three[tested], predicted, **kwargs)), name
        assert f"pooled {result.pooled['f1_score']:.4f}" in repr(result)
    # leave-one-out: a one-row fold's precision is 1 for a true positive and 0 otherwise
    # (0/0 included), so its mean is TP / n rather than TP / (TP + FP)
    true_positives = np.sum((predicted == 1) & (is_three[tested] == 1))
    assert result.mean["precision"] == pytest.approx(true_positives / 60)
    assert result.pooled["precision"] == pytest.approx(
        true_positives / np.sum(predicted == 1))
    assert result.pooled["precision"] > 2 * result.mean["precision"]


def test_named_metrics_use_macro_for_multiclass_and_binary_for_zero_one(small_digits):
    X, y, Y = small_digits
    splits = ms.k_fold(len(X), 3, seed=1)
    names = ["accuracy", "precision", "recall", "sensitivity", "specificity", "f1_score"]
    result = ms.cross_validate(NearestCentroid, X, Y, splits, names)
    for name in names[1:]:
        metric = functools.partial(getattr(fm, name), average="macro")
        np.testing.assert_allclose(
            result[name], manual_scores(NearestCentroid, X, Y, splits, metric)
        )
    np.testing.assert_array_equal(result["recall"], result["sensitivity"])

    # Digit 3 against the rest, labels 0/1 as a vector: binary scores of class 1.
    is_three = (y == 3).astype(np.int64)
    result = ms.cross_validate(NearestCentroid, X, is_three, splits, ["precision", "specificity"])
    for name in ("precision", "specificity"):
        metric = functools.partial(getattr(fm, name), average="binary", pos_label=1)
        np.testing.assert_allclose(
            result[name], manual_scores(NearestCentroid, X, is_three, splits, metric)
        )


def test_mean_squared_error_is_scored_on_raw_outputs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    Y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=60)).reshape(-1, 1)
    splits = ms.k_fold(60, 5, seed=0)
    mae = ms.on_outputs(lambda t, o: float(np.mean(np.abs(t - o))))
    result = ms.cross_validate(
        LeastSquares,
        X,
        Y,
        splits,
        {"mse": fm.mean_squared_error, "mae": mae, "named": "mean_squared_error"},
    )
    expected_mse, expected_mae = [], []
    for train, test in splits:
        out = LeastSquares().fit(X[train], Y[train]).predict(X[test])
        expected_mse.append(np.mean((Y[test] - out) ** 2))
        expected_mae.append(np.mean(np.abs(Y[test] - out)))
    np.testing.assert_allclose(result["mse"], expected_mse)
    np.testing.assert_allclose(result["named"], expected_mse)
    np.testing.assert_allclose(result["mae"], expected_mae)
    assert 0.03 < result.mean["mse"] < 0.2  # about the noise variance, 0.09


def test_n_jobs_does_not_change_the_scores(small_digits):
    X, y, Y = small_digits
    splits = ms.k_fold(len(X), 4, stratify=y, seed=2)
    args = (NearestCentroid, X, Y, splits, ["accuracy", "f1_score", "specificity"])
    serial = ms.cross_validate(*args, n_jobs=1)
    processes = ms.cross_validate(*args, n_jobs=2)
    with parallel_config(backend="threading"):
        threads = ms.cross_validate(*args, n_jobs=2)
    for name in serial.scores:
        np.testing.assert_array_equal(processes[name], serial[name])
        np.testing.assert_array_equal(threads[name], serial[name])


def test_n_jobs_does_not_change_the_mlp_scores(small_digits):
    # The MLP's kernels release the GIL, so threads run fits truly in parallel; they must
    # not share any state between models.
    X, y, Y = small_digits
    args = (
        lambda: fastmlp.MLP(
            (64, 16, 10), output_activation="softmax", loss="cross_entropy", seed=1
        ),
        X,
        Y,
        ms.k_fold(len(X), 4, stratify=y, seed=4),
        ["accuracy", "mean_squared_error"],
    )
    fit_params = {"batch_size": 8, "epochs": 3, "learning_rate": 0.3, "seed": 2}
    serial = ms.cross_validate(*args, fit_params=fit_params)
    processes = ms.cross_validate(*args, n_jobs=2, fit_params=fit_params)
    with parallel_config(backend="threading"):
        threads = ms.cross_validate(*args, n_jobs=4, fit_params=fit_params)
    for name in serial.scores:
        np.testing.assert_array_equal(processes[name], serial[name])
        np.testing.assert_array_equal(threads[name], serial[name])
    assert serial.mean["accuracy"] > 0.5  # chance is 0.1: the fits did learn something


def test_cross_validate_validates_its_arguments(small_digits):
    X, _, Y = small_digits
    splits = ms.k_fold(len(X), 2, seed=0)
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        ms.cross_validate(NearestCentroid, X, Y, splits, ["auc"])
    with pytest.raises(ValueError, match="at least one metric"):
        ms.cross_validate(NearestCentroid, X, Y, splits, [])
    with pytest.raises(TypeError, match="metrics entries"):
        ms.cross_validate(NearestCentroid, X, Y, splits, [3])
    with pytest.raises(ValueError, match="same number of rows"):
        ms.cross_validate(NearestCentroid, X, Y[:-1], splits, ["accuracy"])
    with pytest.raises(ValueError, match="splits is empty"):
        ms.cross_validate(NearestCentroid, X, Y, [], ["accuracy"])
    with pytest.raises(ValueError, match=r"splits\[0\]: test_idx .* outside"):
        ms.cross_validate(NearestCentroid, X, Y, [(np.arange(5), np.array([400]))], ["accuracy"])
    with pytest.raises(TypeError, match="make_model"):
        ms.cross_validate(NearestCentroid(), X, Y, splits, ["accuracy"])
    with pytest.raises(ValueError, match="n_jobs"):
        ms.cross_validate(NearestCentroid, X, Y, splits, ["accuracy"], n_jobs=0)


def test_cross_validate_with_the_mlp_on_digits(digits):
    X, y, Y = digits
    result = ms.cross_validate(
        lambda: fastmlp.MLP(
            (64, 32, 10), output_activation="softmax", loss="cross_entropy", seed=0
        ),
        X,
        Y,
        ms.k_fold(len(X), 5, stratify=y, seed=0),
        ["accuracy", "f1_score"],
        fit_params={"batch_size": 16, "epochs": 15, "learning_rate": 0.5, "seed": 0},
    )
    assert result.mean["accuracy"] > 0.9
    assert result["accuracy"].min() > 0.85
    assert result.mean["f1_score"] > 0.9


def test_nan_predictions_are_refused_not_scored_as_a_class(small_digits):
    X, y, Y = small_digits

    class PredictsNaN(NearestCentroid):
        def predict(self, X):
            out = super().predict(X).astype(float)
            out[0] = np.nan
            return out

    splits = ms.k_fold(len(X), 3, stratify=y, seed=3)
    with pytest.raises(ValueError, match=r"predicted NaN or inf for 1 of its \d+ test rows"):
        ms.cross_validate(PredictsNaN, X, Y, splits, ["accuracy"])


def test_cross_validate_on_a_dask_cluster_matches_serial(small_digits):
    distributed = pytest.importorskip("dask.distributed")
    X, y, Y = small_digits
    splits = ms.k_fold(len(X), 3, stratify=y, seed=3)
    metrics = ["accuracy", "f1_score"]
    serial = ms.cross_validate(NearestCentroid, X, Y, splits, metrics)

    class FitsOnAWorker(NearestCentroid):
        def fit(self, X, Y):
            distributed.get_worker()  # raises ValueError unless running on a dask worker
            return super().fit(X, Y)

    with warnings.catch_warnings():
        # On a shared machine another cluster may hold the default dashboard port: the
        # in-process cluster says so, and drops the socket of that attempt.
        warnings.filterwarnings("ignore", r"Port \d+ is already in use", UserWarning)
        warnings.filterwarnings("ignore", "unclosed <socket", ResourceWarning)
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
            parallel_config(backend="dask"),
        ):
            on_dask = ms.cross_validate(FitsOnAWorker, X, Y, splits, metrics, n_jobs=-1)
    for name in serial.scores:
        np.testing.assert_array_equal(on_dask[name], serial[name])


# ------------------------------------------------------------------------- bootstrap_632


def test_bootstrap_632_follows_its_definition(small_digits):
    X, _, Y = small_digits
    result = ms.bootstrap_632(NearestCentroid, X, Y, n_samples=8, metric="accuracy", seed=5)
    oob = manual_scores(NearestCentroid, X, Y, ms.bootstrap(len(X), 8, seed=5), fm.accuracy)
    model = NearestCentroid().fit(X, Y)
    resub = fm.accuracy(*ms.as_labels(Y, model.predict(X)))
    np.testing.assert_allclose(result.oob_scores, oob)
    assert result.resubstitution_score == pytest.approx(resub)
    expected = np.mean(0.632 * oob + 0.368 * resub)
    assert result.estimate == pytest.approx(expected)
    assert float(result) == result.estimate
    np.testing.assert_allclose(result.sample_estimates, 0.632 * oob + 0.368 * resub)
    # The blend lies between the pessimistic out-of-bag and the optimistic resubstitution.
    assert oob.mean() <= result.estimate <= resub
    assert "estimate=" in repr(result)


def test_bootstrap_632_is_deterministic_across_n_jobs(small_digits):
    X, _, Y = small_digits
    f1 = functools.partial(fm.f1_score, average="macro")
    a = ms.bootstrap_632(NearestCentroid, X, Y, 4, f1, seed=1, n_jobs=1)
    with parallel_config(backend="threading"):
        b = ms.bootstrap_632(NearestCentroid, X, Y, 4, f1, seed=1, n_jobs=2)
    np.testing.assert_array_equal(a.oob_scores, b.oob_scores)
    assert a.estimate == b.estimate
    with pytest.raises(TypeError, match="metric"):
        ms.bootstrap_632(NearestCentroid, X, Y, 4, {"acc": fm.accuracy})
