"""fastmlp.metrics against scikit-learn (the oracle) and against hand computations."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.exceptions import UndefinedMetricWarning as SklearnUndefinedMetricWarning

from fastmlp import metrics as fm
from fastmlp.metrics import UndefinedMetricWarning

AVERAGES = ["macro", "micro", "weighted", None]
PAIRS = [
    (fm.precision, skm.precision_score),
    (fm.recall, skm.recall_score),
    (fm.f1_score, skm.f1_score),
]


def call_recording(func, *args, **kwargs):
    """Call func and return (value, list of warning categories it emitted)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = func(*args, **kwargs)
    return value, [w.category for w in caught]


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings():  # the 0/0 cases warn, as documented (tested apart)
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # fastmlp's
        warnings.simplefilter("ignore", SklearnUndefinedMetricWarning)  # scikit-learn's
        return func(*args, **kwargs)


def specificity_by_hand(y_true, y_pred, labels=None):
    """Per-class TN / (TN + FP) read off scikit-learn's confusion matrix, plus support."""
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    cm = skm.confusion_matrix(y_true, y_pred, labels=labels)
    n = len(y_true)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = n - tp - fp - fn
    with np.errstate(invalid="ignore", divide="ignore"):
        spec = np.where(tn + fp > 0, tn / (tn + fp), 0.0)
    return spec, tp + fn, tn, fp


def random_labels(seed, n_classes, n=None):
    rng = np.random.default_rng(seed)
    n = n if n is not None else int(rng.integers(5, 60))
    y_true = rng.integers(0, n_classes, size=n)
    # Mostly right, sometimes wrong: realistic confusion matrices with empty cells.
    noise = rng.integers(0, n_classes, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, noise)
    return y_true, y_pred


# ------------------------------------------------------------------ against scikit-learn


@pytest.mark.parametrize("seed", range(12))
def test_multiclass_metrics_equal_sklearn_on_random_labels(seed):
    n_classes = 2 + seed % 5
    y_true, y_pred = random_labels(seed, n_classes)
    assert fm.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(
        fm.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    for ours, theirs in PAIRS:
        for average in AVERAGES:
            got, got_warnings = call_recording(ours, y_true, y_pred, average=average)
            want, want_warnings = call_recording(theirs, y_true, y_pred, average=average)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, err_msg=f"{ours} {average}")
            # Undefined values are flagged exactly when scikit-learn flags them.
            assert bool(got_warnings) == bool(want_warnings), (ours, average)
            assert all(c is UndefinedMetricWarning for c in got_warnings)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("pos_label", [0, 1])
def test_binary_metrics_equal_sklearn_on_random_labels(seed, pos_label):
    y_true, y_pred = random_labels(100 + seed, 2)
    for ours, theirs in PAIRS:
        got = quiet(ours, y_true, y_pred, pos_label=pos_label)
        want = quiet(theirs, y_true, y_pred, pos_label=pos_label)
        assert isinstance(got, float)
        assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_metrics_with_explicit_labels_equal_sklearn(seed):
    # A subset of the classes, in a non-sorted order, plus a label that never occurs.
    y_true, y_pred = random_labels(200 + seed, 4, n=40)
    labels = [3, 1, 7]
    for ours, theirs in PAIRS:
        for average in AVERAGES:
            got = quiet(ours, y_true, y_pred, average=average, labels=labels)
            want = quiet(theirs, y_true, y_pred, average=average, labels=labels)
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=f"{ours} {average}")
    np.testing.assert_array_equal(
        fm.confusion_matrix(y_true, y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


@pytest.mark.parametrize("seed", range(8))
def test_specificity_matches_hand_computation_from_sklearn_confusion_matrix(seed):
    n_classes = 2 + seed % 4
    y_true, y_pred = random_labels(300 + seed, n_classes)
    spec, support, tn, fp = specificity_by_hand(y_true, y_pred)
    np.testing.assert_allclose(quiet(fm.specificity, y_true, y_pred, average=None), spec)
    assert quiet(fm.specificity, y_true, y_pred, average="macro") == pytest.approx(spec.mean())
    assert quiet(fm.specificity, y_true, y_pred, average="weighted") == pytest.approx(
        np.average(spec, weights=support)
    )
    assert fm.specificity(y_true, y_pred, average="micro") == pytest.approx(
        tn.sum() / (tn.sum() + fp.sum())
    )


@pytest.mark.parametrize("seed", range(6))
def test_binary_specificity_is_recall_of_the_negative_class(seed):
    y_true, y_pred = random_labels(400 + seed, 2)
    cm = skm.confusion_matrix(y_true, y_pred, labels=[0, 1])
    (tn, fp), _ = cm
    got = quiet(fm.specificity, y_true, y_pred)
    assert got == pytest.approx(tn / (tn + fp) if tn + fp else 0.0)
    assert got == pytest.approx(quiet(skm.recall_score, y_true, y_pred, pos_label=0))


def test_sensitivity_is_recall():
    assert fm.sensitivity is fm.recall
    assert fm.sensitivity([1, 1, 0, 1], [1, 0, 0, 1]) == pytest.approx(2 / 3)


def test_lecture_formulas_on_a_hand_made_confusion_matrix():
    # TP = 3, FN = 1, FP = 2, TN = 4
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0]
    np.testing.assert_array_equal(fm.confusion_matrix(y_true, y_pred), [[4, 2], [1, 3]])
    assert fm.accuracy(y_true, y_pred) == pytest.approx(7 / 10)
    assert fm.precision(y_true, y_pred) == pytest.approx(3 / 5)
    assert fm.recall(y_true, y_pred) == pytest.approx(3 / 4)
    assert fm.specificity(y_true, y_pred) == pytest.approx(4 / 6)
    assert fm.f1_score(y_true, y_pred) == pytest.approx(6 / 9)


# ----------------------------------------------------------------------------- edge cases


def test_class_absent_from_predictions():
    y_true = np.array([0, 1, 2, 2, 1, 0])
    y_pred = np.array([0, 1, 1, 1, 1, 0])  # class 2 is never predicted
    with pytest.warns(UndefinedMetricWarning, match="precision.*2"):
        per_class = fm.precision(y_true, y_pred, average=None)
    np.testing.assert_allclose(per_class, quiet(skm.precision_score, y_true, y_pred, average=None))
    assert per_class[2] == 0.0
    for ours, theirs in PAIRS:
        for average in AVERAGES:
            np.testing.assert_allclose(
                quiet(ours, y_true, y_pred, average=average),
                quiet(theirs, y_true, y_pred, average=average),
            )
    # Recall, F1 and specificity of class 2 are defined, so no warning for them.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fm.recall(y_true, y_pred, average=None)[2] == 0.0
        assert fm.f1_score(y_true, y_pred, average=None)[2] == 0.0
        assert fm.specificity(y_true, y_pred, average=None)[2] == 1.0


@pytest.mark.parametrize("labels", [[0, 1, 2, 0, 2], ["a", "b", "b", "c", "a"]])
def test_all_correct(labels):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fm.accuracy(labels, labels) == 1.0
        for func in (fm.precision, fm.recall, fm.specificity, fm.f1_score):
            for average in ("macro", "micro", "weighted"):
                assert func(labels, labels, average=average) == 1.0
    cm = fm.confusion_matrix(labels, labels)
    np.testing.assert_array_equal(cm, np.diag(np.diag(cm)))


def test_all_wrong():
    y_true = [0, 0, 1, 1, 1]
    y_pred = [1, 1, 0, 0, 0]
    assert fm.accuracy(y_true, y_pred) == 0.0
    for ours, theirs in PAIRS:
        for average in ["binary", *AVERAGES]:
            np.testing.assert_allclose(
                ours(y_true, y_pred, average=average),
                theirs(y_true, y_pred, average=average),
            )
    assert fm.specificity(y_true, y_pred) == 0.0
    np.testing.assert_array_equal(fm.confusion_matrix(y_true, y_pred), [[0, 2], [3, 0]])


def test_all_wrong_multiclass_equals_sklearn():
    y_true = [0, 1, 2, 0, 1, 2]
    y_pred = [1, 2, 0, 2, 0, 1]
    for ours, theirs in PAIRS:
        for average in AVERAGES:
            np.testing.assert_allclose(
                ours(y_true, y_pred, average=average), theirs(y_true, y_pred, average=average)
            )
    assert fm.accuracy(y_true, y_pred) == 0.0


def test_string_labels_equal_sklearn():
    rng = np.random.default_rng(5)
    names = np.array(["cat", "dog", "emu"])
    y_true = names[rng.integers(0, 3, 50)]
    y_pred = np.where(rng.random(50) < 0.5, y_true, names[rng.integers(0, 3, 50)])
    assert fm.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(
        fm.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
    )
    for ours, theirs in PAIRS:
        for average in AVERAGES:
            np.testing.assert_allclose(
                ours(y_true, y_pred, average=average), theirs(y_true, y_pred, average=average)
            )
    # Plain Python lists of strings behave like arrays.
    assert fm.f1_score(list(y_true), list(y_pred), average="macro") == pytest.approx(
        skm.f1_score(y_true, y_pred, average="macro")
    )


def test_binary_string_labels_need_pos_label():
    y_true = ["no", "yes", "yes", "no", "yes"]
    y_pred = ["no", "yes", "no", "no", "yes"]
    for ours, theirs in PAIRS:
        assert ours(y_true, y_pred, pos_label="yes") == pytest.approx(
            theirs(y_true, y_pred, pos_label="yes")
        )
    assert fm.specificity(y_true, y_pred, pos_label="yes") == 1.0
    with pytest.raises(ValueError, match="pos_label"):
        fm.precision(y_true, y_pred)  # default pos_label=1 is not a label here


def test_confusion_matrix_rows_are_actual_columns_predicted():
    cm = fm.confusion_matrix(["a", "a", "b"], ["b", "b", "b"])
    np.testing.assert_array_equal(cm, [[0, 2], [0, 1]])
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(
        fm.confusion_matrix([0, 1, 2], [0, 2, 2], labels=[2, 0]), [[1, 0], [0, 1]]
    )


# --------------------------------------------------------------------------- zero division


def test_zero_division_returns_zero_with_a_fastmlp_warning():
    assert issubclass(UndefinedMetricWarning, UserWarning)
    with pytest.warns(UndefinedMetricWarning, match="precision"):
        assert fm.precision([0, 1, 0], [0, 0, 0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="recall"):
        assert fm.recall([0, 0, 0], [0, 1, 0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="specificity"):
        assert fm.specificity([1, 1, 1], [1, 0, 1]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="f1_score"):
        assert fm.f1_score([0, 0], [0, 0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match="micro"):
        assert fm.precision([0, 0], [0, 0], labels=[1], average="micro") == 0.0
    # No row of y_true has label 1: both its recall and the support weights are undefined.
    value, categories = call_recording(fm.recall, [0, 0], [1, 1], labels=[1], average="weighted")
    assert value == 0.0
    assert categories == [UndefinedMetricWarning, UndefinedMetricWarning]


def test_defined_values_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fm.precision([0, 1, 1], [0, 1, 0])
        fm.specificity([0, 1, 1], [0, 1, 0], average="macro")


# ----------------------------------------------------------------------------- validation


def test_binary_average_rejects_multiclass_labels():
    with pytest.raises(ValueError, match="average='binary'.*3"):
        fm.recall([0, 1, 2], [0, 1, 2])


def test_invalid_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="average"):
        fm.precision([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="same length"):
        fm.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="empty"):
        fm.accuracy([], [])
    with pytest.raises(ValueError, match="y_true holds str.*y_pred holds number"):
        fm.accuracy(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="mixes strings and numbers"):
        fm.accuracy(["a", 1], ["a", 1])
    with pytest.raises(ValueError, match="y_true holds NoneType values such as None"):
        fm.accuracy([None, 1], [1, 1])
    with pytest.raises(ValueError, match="1-D.*as_labels"):
        fm.accuracy(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        fm.accuracy([0.0, np.nan], [0.0, 1.0])
    with pytest.raises(ValueError, match="duplicates"):
        fm.confusion_matrix([0, 1], [0, 1], labels=[0, 0])
    with pytest.raises(ValueError, match="labels holds str"):
        fm.confusion_matrix([0, 1], [0, 1], labels=["a"])


# ---------------------------------------------------------------------- mean squared error


@pytest.mark.parametrize("shape", [(20,), (20, 1), (20, 3)])
def test_mean_squared_error_equals_sklearn(shape):
    rng = np.random.default_rng(7)
    y_true = rng.normal(size=shape)
    y_pred = rng.normal(size=shape)
    assert fm.mean_squared_error(y_true, y_pred) == pytest.approx(
        skm.mean_squared_error(y_true, y_pred), rel=1e-12
    )


def test_mean_squared_error_accepts_column_against_vector_and_rejects_bad_input():
    assert fm.mean_squared_error([1.0, 2.0], [[1.0], [4.0]]) == pytest.approx(2.0)
    assert fm.mean_squared_error([[0.0], [0.0]], [1.0, 3.0]) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="same shape"):
        fm.mean_squared_error(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="y_pred contains NaN"):
        fm.mean_squared_error([1.0], [np.nan])
    with pytest.raises(ValueError, match="empty"):
        fm.mean_squared_error([], [])


# ------------------------------------------------------------------- classification report


def test_classification_report_lists_every_class_with_the_metric_values():
    y_true = np.array(["cat", "dog", "dog", "emu", "emu", "emu"])
    y_pred = np.array(["cat", "dog", "emu", "emu", "emu", "dog"])
    report = fm.classification_report(y_true, y_pred)
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "specificity", "f1_score", "support"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.strip()}
    for i, label in enumerate(["cat", "dog", "emu"]):
        values = [float(v) for v in rows[label][:4]]
        expected = [
            fm.precision(y_true, y_pred, average=None)[i],
            fm.recall(y_true, y_pred, average=None)[i],
            fm.specificity(y_true, y_pred, average=None)[i],
            fm.f1_score(y_true, y_pred, average=None)[i],
        ]
        np.testing.assert_allclose(values, expected, atol=5e-4)
        assert int(rows[label][4]) == np.sum(y_true == label)
    assert float(rows["accuracy"][0]) == pytest.approx(fm.accuracy(y_true, y_pred), abs=5e-4)
    macro = [float(v) for v in rows["macro"][1:5]]  # "macro avg" splits into two words
    assert macro[0] == pytest.approx(fm.precision(y_true, y_pred, average="macro"), abs=5e-4)
    assert macro[2] == pytest.approx(fm.specificity(y_true, y_pred, average="macro"), abs=5e-4)
    weighted = [float(v) for v in rows["weighted"][1:5]]
    assert weighted[3] == pytest.approx(fm.f1_score(y_true, y_pred, average="weighted"), abs=5e-4)


def test_classification_report_warns_once_for_undefined_scores_and_honours_digits():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = fm.classification_report([0, 1, 2], [0, 0, 0], digits=5)
    assert [w.category for w in caught] == [UndefinedMetricWarning]
    assert "precision of 1" in str(caught[0].message)
    assert "0.33333" in report
    with pytest.raises(ValueError, match="digits"):
        fm.classification_report([0], [0], digits=-1)
