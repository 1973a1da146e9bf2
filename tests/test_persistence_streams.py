"""Model files through file objects, and metadata that save and load agree on (issue 28,
item 9)."""

import io
import json

import numpy as np
import pytest

import fastmlp


def trained():
    net = fastmlp.MLP((3, 4, 2), "tanh", "softmax", "cross_entropy", seed=0)
    X = np.random.default_rng(0).normal(size=(40, 3))
    net.fit(X, np.array(["a", "b"] * 20), batch_size=8, epochs=2, seed=0)
    net.metadata = {"source": "test", "rows": 40}
    return net, X


def test_save_and_load_through_a_stream():
    net, X = trained()
    stream = io.BytesIO()
    net.save(stream)
    stream.seek(0)
    back = fastmlp.MLP.load(stream)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    assert back.classes_.tolist() == ["a", "b"] and back.metadata == net.metadata


@pytest.mark.parametrize("metadata", [["a", "list"], "a string", 3])
def test_metadata_that_load_would_refuse_is_refused_by_save(tmp_path, metadata):
    net, _ = trained()
    net.metadata = metadata
    with pytest.raises(ValueError, match="metadata must be a dict"):
        net.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_bad_metadata_in_a_file_is_named(tmp_path):
    net, _ = trained()
    stream = io.BytesIO()
    net.save(stream)
    stream.seek(0)
    with np.load(stream) as data:
        arrays = {name: data[name] for name in data.files}
    for bad, reason in (("{not json", "metadata is not valid JSON"),
                        (json.dumps([1, 2]), "metadata is not a JSON object")):
        arrays["metadata"] = np.array(bad)
        path = tmp_path / "bad.npz"
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=f"bad.npz.*{reason}"):
            fastmlp.MLP.load(path)
