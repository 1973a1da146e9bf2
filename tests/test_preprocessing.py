"""The table preprocessing (fastmlp.preprocessing) and the table model that stores it
(fastmlp.table_model), in process: imputation, one-hot encoding, standardization, storage,
the task guess and the labels evaluate accepts."""

import warnings

import numpy as np
import pytest

import fastmlp
from fastmlp.preprocessing import (
    PreprocessingError,
    Preprocessor,
    UnknownCategoryWarning,
)
from fastmlp.table_model import TableModel, class_labels, guess_task


def columns():
    """Text cells as a CSV reader gives them: a numeric column with empty and 'NA' cells,
    a categorical one with a missing cell, a constant one."""
    return {
        "age": np.array(["30", "", "50", "NA", "70", "40"], dtype=object),
        "colour": np.array(["red", "blue", "red", "", "green", "red"], dtype=object),
        "const": np.array(["5", "5", "5", "5", "5", "5"], dtype=object),
    }


def test_fit_imputes_standardizes_and_one_hot_encodes():
    prep = Preprocessor.fit(columns())
    assert prep.numeric == ["age", "const"]
    assert [c.name for c in prep.categorical] == ["colour"]
    assert prep.categorical[0].categories == ["blue", "green", "red"]
    assert prep.categorical[0].fill == "red"  # the most frequent
    present = np.array([30.0, 50, 70, 40])
    np.testing.assert_allclose(prep.fill, [np.median(present), 5.0])
    np.testing.assert_allclose(prep.mean, [present.mean(), 5.0])
    np.testing.assert_allclose(prep.scale, [present.std(), 1.0])  # constant: scale 1

    X = prep.transform(columns())
    assert X.shape == (6, 2 + 3) and prep.output_names == [
        "age", "const", "colour=blue", "colour=green", "colour=red"]
    age = np.array([30, np.median(present), 50, np.median(present), 70, 40])
    np.testing.assert_allclose(X[:, 0], (age - present.mean()) / present.std())
    np.testing.assert_array_equal(X[:, 1], 0.0)  # constant: kept, at 0
    np.testing.assert_array_equal(X[:, 2:], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 1],
                                             [0, 1, 0], [0, 0, 1]])


def test_a_column_constant_up_to_rounding_is_kept_constant():
    value = 0.1 + 0.2  # the mean of many copies differs from it in the last bits
    prep = Preprocessor.fit({"x": np.full(1000, value)})
    assert prep.scale[0] == 1.0
    X = prep.transform({"x": [value, value + 1e-9]})
    assert abs(X[0, 0]) < 1e-12 and abs(X[1, 0] - 1e-9) < 1e-12


def test_missing_indicators_mark_the_columns_with_missing_cells():
    prep = Preprocessor.fit(columns(), missing_indicator=True)
    assert prep.indicators == ["age", "colour"]
    X = prep.transform(columns())
    assert prep.output_names[2:4] == ["age (missing)", "colour (missing)"]
    np.testing.assert_array_equal(X[:, 2], [0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(X[:, 3], [0, 0, 0, 1, 0, 0])


def test_columns_are_matched_by_name_and_unknown_categories_become_zeros():
    prep = Preprocessor.fit(columns())
    new = {"extra": ["x", "y"], "colour": ["purple", "blue"], "const": ["5", "5"],
           "age": ["30", "?"]}
    with pytest.warns(UnknownCategoryWarning, match="'colour': 1 row.*'purple'"):
        X = prep.transform(new)
    np.testing.assert_array_equal(X[0, 2:], [0, 0, 0])
    np.testing.assert_array_equal(X[1, 2:], [1, 0, 0])
    assert X[1, 0] == (prep.fill[0] - prep.mean[0]) / prep.scale[0]  # '?' is missing
    with pytest.raises(PreprocessingError, match="missing the column.*'age'"):
        prep.transform({"colour": ["red"], "const": ["5"]})
    with pytest.raises(PreprocessingError, match="'age' holds 'old', not a number") as info:
        prep.transform({"age": ["1", "old"], "colour": ["red", "red"], "const": ["5", "5"]})
    assert info.value.row == 1


def test_a_pandas_frame_with_nan_and_none_fits_like_text():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"age": [30, np.nan, 50, np.nan, 70, 40],
                          "colour": ["red", "blue", "red", None, "green", "red"],
                          "const": [5] * 6})
    from_frame, from_text = Preprocessor.fit(frame), Preprocessor.fit(columns())
    np.testing.assert_allclose(from_frame.transform(frame), from_text.transform(columns()))


def test_refusals_name_the_column_and_the_remedy():
    with pytest.raises(PreprocessingError, match="'id' holds 6 distinct strings") as info:
        Preprocessor.fit({"id": [f"u{i}" for i in range(6)]}, max_categories=5)
    assert info.value.remedies == {"drop": "id", "max_categories": 6}
    cells = [str(v) for v in range(40)] + ["unknown"]
    with pytest.raises(PreprocessingError, match="numbers but also 'unknown'") as info:
        Preprocessor.fit({"x": cells})
    assert info.value.row == 40 and info.value.remedies["missing_markers"] == "unknown"
    prep = Preprocessor.fit({"x": cells}, missing_markers=["", "unknown"])
    assert prep.numeric == ["x"]
    assert Preprocessor.fit({"x": cells}, categorical=["x"]).categorical[0].name == "x"
    with pytest.raises(PreprocessingError, match="'x' is empty in every training row"):
        Preprocessor.fit({"x": ["", "NA"], "y": ["1", "2"]})
    with pytest.raises(PreprocessingError, match="row 2: column 'x' holds inf"):
        Preprocessor.fit({"x": ["1", "inf"]})


def test_storage_round_trips_and_damage_is_named():
    prep = Preprocessor.fit(columns(), missing_indicator=True)
    again = Preprocessor.from_dict(prep.to_dict())
    np.testing.assert_array_equal(again.transform(columns()), prep.transform(columns()))
    for key in ("scale", "categorical", "fill"):
        damaged = prep.to_dict()
        del damaged[key]
        with pytest.raises(PreprocessingError, match=f"lacks {key}"):
            Preprocessor.from_dict(damaged)
    damaged = prep.to_dict()
    damaged["scale"] = [1.0]
    with pytest.raises(PreprocessingError, match="scale is not 2 finite numbers"):
        Preprocessor.from_dict(damaged)


@pytest.mark.parametrize("values, task", [
    (["a", "b", "a"], "classification"),
    ([0, 1, 1, 0], "classification"),
    ([1.5, 2.0, 3.0], "regression"),
    (list(range(25)) * 2, "regression"),     # 25 distinct > 20 and > 5% of 50 rows
    (list(range(25)) * 40, "classification"),  # 25 distinct but 2.5% of 1000 rows
    (list(range(20)) * 2, "classification"),   # 20 distinct: not more than 20
])
def test_the_task_guess(values, task):
    guessed, reason = guess_task([str(v) for v in values])
    assert guessed == task and reason


def test_class_labels_keep_whole_numbers_as_integers():
    assert class_labels(["1", "0", "1.0"]).dtype == np.int64
    assert class_labels(["yes", "no"]).tolist() == ["yes", "no"]


@pytest.mark.filterwarnings("ignore::fastmlp.CompileNotice")  # when the cache is cold
def test_a_table_model_saves_loads_and_predicts_the_same(tmp_path):
    rng = np.random.default_rng(0)
    n = 200
    size = rng.normal(50, 10, n)
    colour = rng.choice(["red", "blue"], n)
    price = np.round(3 * size + np.where(colour == "red", 40, 0) + rng.normal(0, 2, n))
    cols = {"size": size.astype(str).astype(object), "colour": colour.astype(object)}
    cols["size"][::17] = ""
    model, X, y = TableModel.build(cols, price.astype(str), target_name="price",
                                   task="regression", hidden=(8,), seed=0)
    np.testing.assert_allclose(y[:, 0] * model.y_scale + model.y_mean, price)
    model.net.fit(X, y, optimizer="adam", learning_rate=0.01, batch_size=16, epochs=60,
                  seed=0)
    model.save(tmp_path / "m.npz")
    again = TableModel.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(again.predict(cols), model.predict(cols))
    assert np.sqrt(np.mean((again.predict(cols) - price) ** 2)) < 0.5 * price.std()
    assert again.target == "price" and again.task == "regression"


def test_labels_the_model_does_not_know_are_refused_not_cut():
    net = fastmlp.MLP((1, 1), output_activation="sigmoid", loss="binary_cross_entropy")
    net.classes_ = np.array(["no", "yes"])
    model = TableModel(net, Preprocessor.fit({"a": ["1", "2"]}), "y", "classification")
    assert model.labels_of(["yes", " no"]).tolist() == ["yes", "no"]
    with pytest.raises(ValueError, match=r"2 label\(s\) the model does not know \('maybe', "
                                         r"'yesss'\); its classes are no, yes"):
        model.labels_of(["yesss", "maybe", "yes"])
    net.classes_ = np.array([0, 1])
    with pytest.raises(ValueError, match=r"does not know \('0.5', '7'\)"):
        model.labels_of(["0.5", "1", "7"])
    with pytest.raises(ValueError, match=r"does not know \('7'\)"):
        model.labels_of(["1", "7"])


def test_a_model_without_table_metadata_or_with_a_key_missing_is_refused(tmp_path):
    net = fastmlp.MLP((2, 1))
    net.save(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="plain.npz: saved by MLP.save, not by 'fastmlp "
                                         "train'"):
        TableModel.load(tmp_path / "plain.npz")
    model = TableModel(net, Preprocessor.fit({"a": ["1", "2"], "b": ["3", "4"]}), "y",
                       "regression", 1.0, 2.0)
    model.save(tmp_path / "ok.npz")
    assert TableModel.load(tmp_path / "ok.npz").y_scale == 2.0
    for key in ("task", "y_scale", "preprocessing"):
        meta = model.metadata()
        del meta[key]
        net.metadata = meta
        net.save(tmp_path / "damaged.npz")
        with pytest.raises(ValueError, match=f"damaged.npz: its table metadata lacks '{key}'"):
            TableModel.load(tmp_path / "damaged.npz")


def test_models_of_the_first_cli_format_still_load(tmp_path):
    net = fastmlp.MLP((2, 1), seed=0)
    net.metadata = {"format": "fastmlp-cli-1", "features": ["a", "b"], "target": "y",
                    "task": "regression", "x_mean": [1.0, 2.0], "x_scale": [2.0, 4.0],
                    "y_mean": 10.0, "y_scale": 5.0}
    net.save(tmp_path / "old.npz")
    model = TableModel.load(tmp_path / "old.npz")
    X = np.array([[3.0, 6.0], [1.0, 2.0]])
    expected = net.predict((X - [1.0, 2.0]) / [2.0, 4.0])[:, 0] * 5.0 + 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(model.predict({"b": X[:, 1], "a": X[:, 0]}), expected)
