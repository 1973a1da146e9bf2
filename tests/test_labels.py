"""Class labels in the core API: fit on labels (strings or ints), classes_ saved and loaded,
predict_proba / predict_classes."""

import numpy as np
import pytest

import fastmlp


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, np.array(["cat", "dog", "eel"])[np.argmax(X[:, :3], axis=1)]


def softmax_net(seed=0):
    return fastmlp.MLP((4, 8, 3), "tanh", "softmax", "cross_entropy", seed=seed)


def test_string_labels_train_what_their_one_hot_rows_train():
    X, y = data()
    a, b = softmax_net(), softmax_net()
    a.fit(X, y, batch_size=16, epochs=5, seed=1)
    b.fit(X, fastmlp.one_hot(y), batch_size=16, epochs=5, seed=1)  # sorted: cat, dog, eel
    np.testing.assert_array_equal(a.params, b.params)
    assert a.classes_.tolist() == ["cat", "dog", "eel"]
    assert set(a.predict_classes(X)) <= {"cat", "dog", "eel"}
    np.testing.assert_allclose(a.predict_proba(X).sum(axis=1), 1.0)


def test_integer_labels_name_their_columns_even_when_one_is_missing():
    X, _ = data()
    y = np.where(X[:, 0] > 0, 2, 0)  # class 1 never appears
    net = softmax_net()
    net.fit(X, y, batch_size=16, epochs=3)
    assert net.classes_.tolist() == [0, 1, 2]
    assert set(net.predict_classes(X)) <= {0, 1, 2}


def test_two_labels_on_one_sigmoid_output():
    X, _ = data()
    y = np.where(X[:, 0] > 0, "yes", "no")
    net = fastmlp.MLP((4, 6, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    net.fit(X, y, batch_size=16, epochs=40, learning_rate=0.5)
    assert net.classes_.tolist() == ["no", "yes"]
    assert (net.predict_classes(X) == y).mean() > 0.9
    assert net.predict_proba(X).shape == (120, 2)
    # soft 0/1 targets are still targets, not labels
    net.fit(X, (X[:, 0] > 0).astype(float), batch_size=16, epochs=1)


def test_classes_and_metadata_are_saved(tmp_path):
    X, y = data()
    net = softmax_net()
    net.fit(X, y, batch_size=16, epochs=3)
    net.metadata = {"features": ["a", "b", "c", "d"], "scale": [1.0, 2.0, 3.0, 4.0]}
    net.save(tmp_path / "m.npz")
    back = fastmlp.MLP.load(tmp_path / "m.npz")
    assert back.classes_.tolist() == ["cat", "dog", "eel"] and back.metadata == net.metadata
    np.testing.assert_array_equal(back.predict_classes(X), net.predict_classes(X))


def test_label_errors():
    X, y = data()
    net = softmax_net()
    with pytest.raises(ValueError, match="2 distinct labels but the network has 3"):
        net.fit(X, np.where(y == "cat", "cat", "dog"), epochs=1)
    net.classes_ = ["cat", "dog", "eel"]
    net.fit(X, np.where(y == "cat", "cat", "dog"), epochs=1)  # a subset is fine now
    with pytest.raises(ValueError, match="labels not in classes_"):
        net.fit(X, np.where(y == "cat", "cow", y), epochs=1)
    with pytest.raises(ValueError, match="classes_ must be 3 distinct labels"):
        net.classes_ = ["a", "a", "b"]
    with pytest.raises(ValueError, match="predict_proba needs a classification loss"):
        fastmlp.MLP((4, 2)).predict_proba(X)
    with pytest.raises(ValueError, match="metadata must be JSON-serializable"):
        net.metadata = {"x": object()}
        net.save("unused.npz")


def test_fit_warns_about_unscaled_inputs_and_saturated_units():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)) * 1000
    Y = fastmlp.one_hot((X[:, 0] > 0).astype(int), 2)
    net = fastmlp.MLP((5, 8, 2), "tanh", "softmax", "cross_entropy", seed=0)
    # both warnings asserted (pytest.warns passes on the warnings it does not match)
    with pytest.warns(UserWarning, match="inputs look unscaled"), \
            pytest.warns(UserWarning, match="after training.* units are saturated"):
        net.fit(X, Y, epochs=2, batch_size=16)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # standardized inputs: no guard-rail warning
        fastmlp.MLP((5, 8, 2), "tanh", "softmax", "cross_entropy", seed=0).fit(
            X / X.std(axis=0), Y, epochs=2, batch_size=16)


@pytest.mark.parametrize("outputs", [1, 3])
def test_an_infinite_number_among_object_labels_is_refused_naming_y(outputs):
    # Hypothesis found it: numbers in an object array skipped the finiteness check that a
    # float array gets, and the binary fit then blamed classes_
    X = np.random.default_rng(0).normal(size=(8, 4))
    y = np.array([0, float("inf")] * 4, dtype=object)
    net = fastmlp.MLP((4, 5, outputs), "tanh", "softmax" if outputs > 1 else "sigmoid",
                      "cross_entropy" if outputs > 1 else "binary_cross_entropy", seed=0)
    before = net.params.copy()
    with pytest.raises(ValueError, match=r"Y holds .*inf.* at index 1"):
        net.fit(X, y, epochs=1, batch_size=4, seed=0)
    np.testing.assert_array_equal(net.params, before)
    assert net.classes_ is None
