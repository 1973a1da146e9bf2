"""Copies, pickles and saved files keep weights/biases as views into params; the model file's
versioned format (fastmlp.persistence) loads every earlier format and refuses what it does not
define."""

import inspect
import json
import os
import pickle

import numpy as np
import pytest
from helpers import make_data

import fastmlp
from fastmlp import persistence


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


# ------------------------------------------------------------- the versioned file format

OLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "v0_1_0")


def rewritten(source, target, **changes):
    """A copy of the model file ``source`` at ``target`` with arrays replaced, added or
    (given None) removed."""
    with np.load(source, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key, value in changes.items():
        if value is None:
            arrays.pop(key, None)
        else:
            arrays[key] = value
    np.savez(target, **arrays)
    return target


def expected_outputs(name):
    with np.load(os.path.join(OLD, f"{name}.expected.npz"), allow_pickle=False) as data:
        return data["X"], data["predict"]


def test_the_schema_describes_what_mlp_config_returns():
    # a constructor argument added to MLP.config() without a schema field would write files
    # that load refuses: this fails first, pointing at fastmlp.persistence
    assert set(net().config()) == {field.name for field in persistence.CONFIG_FIELDS}
    for field in persistence.CONFIG_FIELDS + persistence.ARRAYS:
        assert 1 <= field.since <= persistence.FORMAT_VERSION, field
        if field.since > 1:  # files older than the field must get a value for it
            assert field.default is not persistence.REQUIRED, field


def test_a_saved_file_says_its_format_and_writer(tmp_path):
    net().save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as data:
        assert int(data["format_version"]) == persistence.FORMAT_VERSION == 3
        assert str(data["fastmlp_version"]) == fastmlp.__version__
        assert json.loads(str(data["config"])) == net().config()


class WithNoise(fastmlp.MLP):
    """A subclass whose constructor has an argument MLP's files do not store."""

    def __init__(self, layer_sizes, *args, input_noise=0.25, **kwargs):
        super().__init__(layer_sizes, *args, **kwargs)
        self.input_noise = input_noise


def test_load_does_not_require_the_constructor_to_match_the_stored_fields():
    # MLP.load compared the stored keys with MLP.__init__'s parameters: a new defaulted
    # argument (dropout= was the first) made every earlier file unloadable
    X, expected = expected_outputs("elu_leaky_relu")
    loaded = WithNoise.load(os.path.join(OLD, "elu_leaky_relu.npz"))
    assert type(loaded) is WithNoise and loaded.input_noise == 0.25
    assert (loaded.leaky_relu_slope, loaded.elu_alpha) == (0.23, 0.65)
    np.testing.assert_array_equal(loaded.predict(X), expected)


def test_a_constructor_argument_added_to_mlp_itself_keeps_old_files_loadable(monkeypatch,
                                                                            tmp_path):
    original = fastmlp.MLP.__init__
    seen = []

    def with_noise(self, layer_sizes, *args, input_noise=0.0, **kwargs):
        seen.append(input_noise)
        original(self, layer_sizes, *args, **kwargs)

    monkeypatch.setattr(fastmlp.MLP, "__init__", with_noise)
    assert "input_noise" in inspect.signature(fastmlp.MLP.__init__).parameters
    X, expected = expected_outputs("softmax_cross_entropy")
    loaded = fastmlp.MLP.load(os.path.join(OLD, "softmax_cross_entropy.npz"))
    np.testing.assert_array_equal(loaded.predict(X), expected)
    assert loaded.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    net().save(tmp_path / "current.npz")
    fastmlp.MLP.load(tmp_path / "current.npz")
    assert seen == [0.0] * 3  # (the network net() built, then both loads)


class Stored(fastmlp.MLP):
    """MLP with an ``input_noise`` argument that it saves, as a next format of the schema
    would."""

    def __init__(self, layer_sizes, *args, input_noise=0.5, **kwargs):
        super().__init__(layer_sizes, *args, **kwargs)
        self.input_noise = input_noise

    def config(self):
        return {**super().config(), "input_noise": self.input_noise}


def test_a_field_newer_than_a_file_takes_its_default(tmp_path, monkeypatch):
    fastmlp.MLP((3, 4, 2), seed=0).save(tmp_path / "f3.npz")
    # before format 4 exists, a network whose config has input_noise cannot be saved
    with pytest.raises(ValueError, match=r"unknown: \['input_noise'\]"):
        Stored((3, 4, 2), seed=0).save(tmp_path / "refused.npz")
    assert not (tmp_path / "refused.npz").exists()

    monkeypatch.setattr(persistence, "FORMAT_VERSION", 4)
    monkeypatch.setattr(persistence, "CONFIG_FIELDS", persistence.CONFIG_FIELDS
                        + (persistence.Field("input_noise", 4, 0.0),))
    X, expected = expected_outputs("regression_float64")
    old = Stored.load(os.path.join(OLD, "regression_float64.npz"))  # format 1
    assert old.input_noise == 0.0  # the schema's default, not the constructor's 0.5
    np.testing.assert_array_equal(old.predict(X), expected)
    assert Stored.load(tmp_path / "f3.npz").input_noise == 0.0  # format 3
    Stored((3, 4, 2), input_noise=0.3, seed=0).save(tmp_path / "f4.npz")
    with np.load(tmp_path / "f4.npz") as data:
        assert int(data["format_version"]) == 4
    assert Stored.load(tmp_path / "f4.npz").input_noise == 0.3
    # a format that predates the field cannot hold it
    rewritten(tmp_path / "f4.npz", tmp_path / "bad.npz", format_version=np.int64(3))
    with pytest.raises(ValueError, match=r"fields \['input_noise'\], which model format 3 "
                                         "does not define"):
        Stored.load(tmp_path / "bad.npz")


def test_format_3_added_dropout_and_earlier_files_train_without_it(tmp_path):
    # MLP(dropout=) is the field format 3 added: a format-2 file (written before it) loads
    # with dropout 0.0, and cannot hold the field
    fastmlp.MLP((3, 4, 2), seed=0, dropout=0.3).save(tmp_path / "f3.npz")
    config = json.loads(str(np.load(tmp_path / "f3.npz")["config"]))
    assert config["dropout"] == 0.3
    del config["dropout"]
    rewritten(tmp_path / "f3.npz", tmp_path / "f2.npz", format_version=np.int64(2),
              config=np.str_(json.dumps(config)))
    assert fastmlp.MLP.load(tmp_path / "f2.npz").dropout == (0.0,)
    rewritten(tmp_path / "f3.npz", tmp_path / "bad.npz", format_version=np.int64(2))
    with pytest.raises(ValueError, match=r"fields \['dropout'\], which model format 2 does "
                                         "not define"):
        fastmlp.MLP.load(tmp_path / "bad.npz")


def test_a_newer_format_is_refused_naming_the_path_and_the_writer(tmp_path):
    net().save(tmp_path / "model.npz")
    future = rewritten(tmp_path / "model.npz", tmp_path / "future.npz",
                       format_version=np.int64(persistence.FORMAT_VERSION + 1),
                       fastmlp_version=np.str_("9.1.0"), optimizer_state=np.zeros(3))
    with pytest.raises(ValueError) as error:
        fastmlp.MLP.load(future)
    message = str(error.value)
    assert str(future) in message
    assert f"model format {persistence.FORMAT_VERSION + 1} is newer" in message
    assert "written by fastmlp 9.1.0" in message and "upgrade fastmlp" in message
    # without the writer's name (or an unreadable one), the same refusal
    for writer in (None, np.zeros(3)):
        rewritten(future, tmp_path / "anonymous.npz", fastmlp_version=writer)
        with pytest.raises(ValueError, match="is newer than the formats 1 to 3") as error:
            fastmlp.MLP.load(tmp_path / "anonymous.npz")
        assert "written by fastmlp" not in str(error.value)


@pytest.mark.parametrize("changes, reason", [
    (dict(optimizer_state=np.zeros(3)), r"it holds the arrays .*'optimizer_state'"),
    (dict(format_version=None), "no format_version"),
    (dict(format_version=np.int64(0)), "is not a format number"),
    (dict(format_version=np.float64(2.0)), "is not a format number"),
    (dict(format_version=np.array([2])), "is not a format number"),
    (dict(params=None), r"of which \['config', 'format_version', 'params'\] are required"),
    (dict(fastmlp_version=np.int64(3)),
     r"fastmlp_version \(int64 of shape \(\)\) is not a version"),
    (dict(config=np.str_(json.dumps({**net().config(), "input_noise": 0.1}))),
     r"its config has the fields \['input_noise'\], which model format 3 does not define"),
    (dict(config=np.str_(json.dumps({k: v for k, v in net().config().items()
                                     if k != "dtype"}))),
     r"lacks the fields \['dtype'\], which model format 3 requires"),
    (dict(config=np.str_(json.dumps({**net().config(), "layer_sizes": [3, True, 2]}))),
     "is not a list of at least two positive ints"),
    (dict(config=np.str_(json.dumps({**net().config(), "layer_sizes": [3, 10**30, 2]}))),
     r"declares layers \[3, 1000000000000000000000000000000, 2\] \(6000000000000000000000000"
     r"000002 parameters\) but it stores 32"),
])
def test_load_refuses_what_the_format_does_not_define(tmp_path, changes, reason):
    net().save(tmp_path / "model.npz")
    bad = rewritten(tmp_path / "model.npz", tmp_path / "bad.npz", **changes)
    with pytest.raises(ValueError, match=reason) as error:
        fastmlp.MLP.load(bad)
    assert str(error.value).startswith(f"{str(bad)!r} is not a file written by MLP.save")


def test_a_format_1_file_cannot_hold_what_format_2_added(tmp_path):
    old = rewritten(os.path.join(OLD, "regression_float64.npz"), tmp_path / "old.npz",
                    fastmlp_version=np.str_("0.1.0"))
    with pytest.raises(ValueError, match=r"model format 1 has \['classes', 'config', "
                                         r"'format_version', 'metadata', 'params'\]"):
        fastmlp.MLP.load(old)
