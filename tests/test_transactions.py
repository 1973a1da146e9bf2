"""A fit or partial_fit that raises leaves the network exactly as it was: parameters,
optimizer state and classes_ (issue 28, items 1 and 2); the message names the block or
chunk that failed."""

import numpy as np
import pytest
from helpers import feed_dataset as dataset

import fastmlp


def net(seed=0):
    return fastmlp.MLP((6, 5, 2), "tanh", "sigmoid", "binary_cross_entropy", seed=seed)


def snapshot(model):
    state = model._optimizer_state
    return (model.params.copy(), None if state is None else state.copy(),
            None if model.classes_ is None else model.classes_.copy())


def assert_unchanged(model, before):
    params, state, classes = before
    np.testing.assert_array_equal(model.params, params)  # bit for bit
    now = model._optimizer_state
    if state is None:
        assert now is None
    else:
        assert now.optimizer == state.optimizer and now.t == state.t
        np.testing.assert_array_equal(now.slots, state.slots)
    if classes is None:
        assert model.classes_ is None
    else:
        np.testing.assert_array_equal(model.classes_, classes)


def test_a_memmap_with_nan_in_a_late_block_changes_nothing_and_names_the_block(
        tmp_path, small_blocks):
    X, Y = dataset()
    X[450, 3] = np.nan  # block 4 of 6 (rows 384 to 479)
    np.save(tmp_path / "X.npy", X)
    Xm = np.load(tmp_path / "X.npy", mmap_mode="r")
    model = net()
    model.partial_fit(X[:100], Y[:100], optimizer="adam", batch_size=16, learning_rate=0.01)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"block 4 of 6 \(rows 384 to 479\): X contains NaN"):
        model.fit(Xm, Y, optimizer="momentum", batch_size=32, epochs=2, shuffle=False)
    assert_unchanged(model, before)
    # partial_fit: Adam's moments and t are those of before the call
    with pytest.raises(ValueError, match="block 4 of 6"):
        model.partial_fit(Xm, Y, optimizer="adam", batch_size=16, learning_rate=0.01,
                          shuffle=False)
    assert_unchanged(model, before)


def test_a_failure_in_a_later_epoch_rolls_back_the_whole_call(tmp_path, small_blocks):
    """Two good epochs, then the chunk source fails: the parameters are those before the
    call, not after epoch 2."""
    X, Y = dataset()
    calls = []

    def source():
        calls.append(1)
        for start in range(0, 500, 100):
            if len(calls) == 3 and start == 300:
                raise OSError(5, "Input/output error")
            yield X[start:start + 100], Y[start:start + 100]

    model = net()
    before = snapshot(model)
    with pytest.raises(OSError, match=r"chunk 3 \(while the chunk source produced it\): "
                                      "Input/output error"):
        model.fit(source, None, batch_size=10, epochs=4)
    assert len(calls) == 3
    assert_unchanged(model, before)


@pytest.mark.parametrize("bad_chunk, message", [
    ((np.ones((10, 5)), np.ones((10, 2))), "chunk 2: X has 5 columns"),
    ((np.ones((0, 6)), np.ones((0, 2))), "chunk 2: X is empty"),
    ((np.ones((10, 6)), np.ones((10, 2)), np.ones(10)), "chunk 2 has sample weights"),
    ((np.full((10, 6), np.inf), np.ones((10, 2))), "chunk 2: X contains NaN or inf"),
], ids=["width", "empty", "weights-for-some", "inf"])
def test_a_bad_chunk_mid_epoch_changes_nothing(bad_chunk, message):
    X, Y = dataset()
    chunks = [(X[:100], Y[:100]), (X[100:200], Y[100:200]), bad_chunk]
    model = net()
    model.partial_fit(X, Y, optimizer="adam", batch_size=8, learning_rate=0.01)
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.partial_fit(chunks, optimizer="adam", batch_size=8, learning_rate=0.01)
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match=message):
        model.fit(chunks, batch_size=8, epochs=3)
    assert_unchanged(model, before)


def test_an_error_of_another_type_from_the_chunk_source_keeps_its_type_and_says_where():
    class SourceGone(Exception):
        pass

    X, Y = dataset()

    def source():
        yield X[:100], Y[:100]
        raise SourceGone("the bucket went away")

    model = net()
    before = snapshot(model)
    with pytest.raises(SourceGone) as raised:
        model.fit(source, batch_size=10, epochs=2)
    assert any("chunk 1" in note for note in raised.value.__notes__)
    assert_unchanged(model, before)


def test_a_chunks_callable_returning_none_is_named():
    model = net()
    with pytest.raises(TypeError, match="chunks callable .* must return an iterable .* got "
                                        "NoneType"):
        model.fit(lambda: None, batch_size=10, epochs=1)


def label_data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, np.array(["cat", "dog", "eel"])[np.argmax(X[:, :3], axis=1)]


def softmax_net():
    return fastmlp.MLP((4, 6, 3), "tanh", "softmax", "cross_entropy", seed=0)


def bad_nan(X, y):
    X = X.copy()
    X[5, 1] = np.nan
    return dict(X=X, Y=y)


@pytest.mark.parametrize("make, message", [
    (bad_nan, "X contains NaN"),
    (lambda X, y: dict(X=X, Y=y[:-1]), "Y has 89 rows"),
    (lambda X, y: dict(X=X, Y=y, sample_weight=-np.ones(len(y))), "sample_weight must be"),
    (lambda X, y: dict(X=X, Y=y, validation_data=(X, np.where(y == "cat", "cow", y))),
     "validation_data.1. has labels not in classes_"),
], ids=["nan-X", "length", "weight", "validation-label"])
def test_a_failed_label_fit_leaves_classes_unset(make, message):
    X, y = label_data()
    model = softmax_net()
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.fit(batch_size=8, epochs=1, **make(X, y))
    assert_unchanged(model, before)
    # and the next fit, on other labels, is accepted
    other = np.array(["ant", "bee", "cow"])[np.argmax(X[:, :3], axis=1)]
    model.fit(X, other, batch_size=8, epochs=1)
    assert model.classes_.tolist() == ["ant", "bee", "cow"]


def test_a_failed_loss_call_on_labels_leaves_classes_unset():
    X, y = label_data()
    model = softmax_net()
    with pytest.raises(ValueError, match="Y has 89 rows"):
        model.loss(X, y[:-1])
    assert model.classes_ is None


def test_a_streamed_label_fit_that_fails_later_restores_classes():
    X, y = label_data()
    chunks = [(X[:45], y[:45]), (X[45:], np.where(y[45:] == "cat", "cow", y[45:]))]
    model = softmax_net()
    before = snapshot(model)
    with pytest.raises(ValueError, match="chunk 1: Y has labels not in classes_"):
        model.fit(chunks, batch_size=8, epochs=1)
    assert_unchanged(model, before)


@pytest.mark.parametrize("labels", [
    np.array(["cat", None, "dog", "eel"] * 10, dtype=object),
    np.array([0.0, 1.0, np.nan, 2.0] * 10),
    np.array(["cat", "dog", np.nan, "eel"] * 10, dtype=object),
], ids=["None", "float-nan", "object-nan"])
def test_missing_labels_are_refused_not_trained_as_classes(labels):
    X = np.random.default_rng(0).normal(size=(40, 4))
    model = softmax_net()
    with pytest.raises(ValueError, match="missing|nan"):
        model.fit(X, labels, batch_size=8, epochs=1)
    assert model.classes_ is None


def test_missing_labels_in_a_pandas_series_are_refused():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).normal(size=(40, 4))
    y = pd.Series(["cat", "dog", None, "eel"] * 10)
    model = softmax_net()
    with pytest.raises(ValueError, match="missing value .* at index 2"):
        model.fit(X, y, batch_size=8, epochs=1)
    sigmoid = fastmlp.MLP((4, 3, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    with pytest.raises(ValueError, match="missing value"):
        sigmoid.fit(X, pd.Series(["yes", "no", float("nan"), "no"] * 10), epochs=1)
    assert model.classes_ is None and sigmoid.classes_ is None


def test_classes_cannot_hold_nan():
    model = fastmlp.MLP((4, 3, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    with pytest.raises(ValueError, match="classes_ must be 2 distinct labels"):
        model.classes_ = [0.0, np.nan]


def test_classes_with_nan_in_a_model_file_are_refused(tmp_path):
    model = fastmlp.MLP((4, 3, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    model._classes = np.array([0.0, np.nan])  # as a hostile or old file would hold them
    model.save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="classes_ must be"):
        fastmlp.MLP.load(tmp_path / "m.npz")
