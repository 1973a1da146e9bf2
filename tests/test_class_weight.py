"""class_weight in MLP.fit: scikit-learn's "balanced" definition or a dict, multiplying
sample_weight; the oracle is scikit-learn's own compute_sample_weight."""

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_sample_weight

import fastmlp
from fastmlp.labels import class_sample_weight


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.array(["rare"] * (n // 6) + ["common"] * (n - n // 6 - n // 4) + ["mid"] * (n // 4))
    return X, y


def softmax_net():
    return fastmlp.MLP((4, 5, 3), "tanh", "softmax", "cross_entropy", seed=0)


@pytest.mark.parametrize("class_weight", ["balanced", {"rare": 5.0, "mid": 0.5}])
def test_class_sample_weight_is_scikit_learns(class_weight):
    _, y = data()
    np.testing.assert_allclose(class_sample_weight(class_weight, y),
                               compute_sample_weight(class_weight, y), rtol=1e-15)


@pytest.mark.parametrize("batch_size", [1, 8, None])
def test_balanced_is_fitting_with_scikit_learns_sample_weights(batch_size):
    X, y = data()
    a, b = softmax_net(), softmax_net()
    a.fit(X, y, class_weight="balanced", batch_size=batch_size, epochs=2, seed=1)
    b.fit(X, y, sample_weight=compute_sample_weight("balanced", y), batch_size=batch_size,
          epochs=2, seed=1)
    np.testing.assert_array_equal(a.params, b.params)
    c = softmax_net()
    c.fit(X, y, batch_size=batch_size, epochs=2, seed=1)
    # the weights did something -- except with batch size 1, where a batch's weighted mean
    # loss is its one row's loss whatever the weight (a weight only says whether it counts)
    assert np.array_equal(a.params, c.params) == (batch_size == 1)


def test_class_weight_multiplies_sample_weight():
    X, y = data()
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    a, b = softmax_net(), softmax_net()
    a.fit(X, y, class_weight={"rare": 3.0}, sample_weight=w, batch_size=None, epochs=2, seed=0)
    b.fit(X, y, sample_weight=w * np.where(y == "rare", 3.0, 1.0), batch_size=None, epochs=2,
          seed=0)
    np.testing.assert_array_equal(a.params, b.params)


def test_binary_targets_of_a_sigmoid_output_are_its_classes():
    X, _ = data()
    y = (X[:, 0] > 0.8).astype(float)
    a = fastmlp.MLP((4, 3, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=0)
    b = a.copy()
    a.fit(X, y, class_weight="balanced", batch_size=8, epochs=1, seed=0)
    b.fit(X, y, sample_weight=compute_sample_weight("balanced", y), batch_size=8, epochs=1,
          seed=0)
    np.testing.assert_array_equal(a.params, b.params)


def test_bad_class_weights_are_refused_before_anything_changes():
    X, y = data()
    net = softmax_net()
    before = net.params.copy()
    with pytest.raises(ValueError, match="class_weight must be 'balanced'"):
        net.fit(X, y, class_weight="balance")
    with pytest.raises(ValueError, match=r"not among the targets' labels .*\['rar'\]"):
        net.fit(X, y, class_weight={"rar": 2.0})
    with pytest.raises(ValueError, match=r"class_weight\['rare'\] must be a non-negative"):
        net.fit(X, y, class_weight={"rare": -1.0})
    with pytest.raises(TypeError, match="class_weight must be"):
        net.fit(X, y, class_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="class_weight needs class labels"):
        fastmlp.MLP((4, 3), seed=0).fit(X, X[:, :3], class_weight="balanced")
    with pytest.raises(ValueError, match="class_weight needs class labels"):
        net.fit(lambda: iter([(X, np.eye(3)[[0, 1, 2] * 40])]), class_weight="balanced",
                batch_size=8)
    np.testing.assert_array_equal(net.params, before)
    assert net.classes_ is None
