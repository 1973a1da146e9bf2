"""Copies, pickles and saved files keep weights/biases as views into params."""

import pickle

import numpy as np
import pytest
from helpers import make_data

import fastmlp


def net():
    return fastmlp.MLP((3, 5, 2), activation=["leaky_relu"], output_activation="softmax",
                       loss="cross_entropy", dtype="float32", leaky_relu_slope=0.2, seed=4)


def assert_views_intact(model):
    model.params[:] = 0.5
    assert all(np.all(w == 0.5) for w in model.weights)
    assert all(np.all(b == 0.5) for b in model.biases)


@pytest.mark.parametrize("clone", [lambda m: m.copy(),
                                   lambda m: pickle.loads(pickle.dumps(m))])
def test_copies_are_independent_and_keep_their_views(clone):
    original = net()
    before = original.params.copy()
    other = clone(original)
    np.testing.assert_array_equal(other.params, before)
    assert_views_intact(other)
    np.testing.assert_array_equal(original.params, before)
    X, Y = make_data(other, n=6)
    other.fit(X, Y, epochs=1)  # trains through the rebuilt views
    assert not np.array_equal(other.params, before)
    np.testing.assert_array_equal(other.weights[0].ravel(), other.params[: other.weights[0].size])
    np.testing.assert_array_equal(original.params, before)


def test_save_and_load_round_trip(tmp_path):
    original = net()
    X, Y = make_data(original, n=6)
    original.fit(X, Y, epochs=2, seed=0)
    path = tmp_path / "model.npz"
    original.save(path)
    loaded = fastmlp.MLP.load(path)
    assert loaded.config() == original.config()
    assert loaded.params.dtype == np.float32
    np.testing.assert_array_equal(loaded.params, original.params)
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    assert_views_intact(loaded)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no temp file left


def test_saved_file_gets_the_permissions_of_any_new_file(tmp_path):
    # (a private 0600 file, as tempfile.mkstemp makes, could not be loaded by other users)
    net().save(tmp_path / "model.npz")
    (tmp_path / "plain.txt").write_text("x")
    mode = (tmp_path / "model.npz").stat().st_mode & 0o777
    assert mode == (tmp_path / "plain.txt").stat().st_mode & 0o777


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    original = net()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        original.save(tmp_path / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_load_rejects_other_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, something=np.zeros(3))
    with pytest.raises(ValueError, match="not a file written by MLP.save"):
        fastmlp.MLP.load(path)
