"""Model files written by fastmlp 0.1.0 load, and predict the bits they predicted then, for good.

The files in tests/data/v0_1_0 were written at commit 79bca8b (fastmlp 0.1.0, model format 1)
by tests/data/make_v0_1_0_models.py, with their predictions on fixed inputs beside them.

The expected bits were computed on an x86-64 CPU with AVX-512, and are reproduced exactly with
the kernels compiled for AVX2 (``NUMBA_CPU_NAME=haswell``). Compiled for a CPU without fused
multiply-add (``NUMBA_CPU_NAME=generic``: x86-64 before Haswell), the inference kernel's
multiply-adds round twice and the outputs differ in the last bits (measured: at most 2 units
of the dtype's epsilon times the outputs' scale); there, and only there, the comparison
allows 4.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastmlp
from fastmlp import persistence

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "v0_1_0")
MODELS = ["binary_strings_with_metadata", "deep", "elu_leaky_relu", "regression_float32",
          "regression_float64", "softmax_cross_entropy", "step_untrained"]
CLASSIFIERS = {"binary_strings_with_metadata": ["jamón", "spam"],
               "softmax_cross_entropy": ["setosa", "versicolor", "virginica"]}
METADATA = {
    "binary_strings_with_metadata": {
        "format": "fastmlp-cli-1", "features": ["length", "links", "caps"], "target": "kind",
        "task": "classification", "x_mean": [0.1, -0.2, 0.3], "x_scale": [1.5, 2.0, 0.5],
        "note": {"nested": [1, 2.5, None, True], "text": "ünïcode"}},
    "softmax_cross_entropy": {"source": "synthetic", "epochs": 25},
}


def fuses_multiply_adds() -> bool:
    """Whether code Numba compiles here (for this CPU, or NUMBA_CPU_NAME's) turns a * b + c
    into one fused multiply-add, as the kernels that wrote the expected outputs did."""
    from numba import njit

    @njit(fastmath={"contract"})
    def muladd(a, b, c):
        return a * b + c

    # (1 + 2^-30)(1 - 2^-30) = 1 - 2^-60 rounds to 1 unless the product is kept exact
    return muladd(1.0 + 2.0**-30, 1.0 - 2.0**-30, -1.0) != 0.0


@pytest.fixture(scope="module")
def exact():
    return fuses_multiply_adds()


def assert_same_outputs(actual, expected, exact):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if exact:
        np.testing.assert_array_equal(actual, expected)
    else:
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(actual, expected, rtol=0,
                                   atol=4 * np.finfo(expected.dtype).eps * scale)


def expected_of(name):
    with np.load(os.path.join(HERE, f"{name}.expected.npz"), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def test_the_files_are_those_of_0_1_0():
    names = sorted(f[: -len(".npz")] for f in os.listdir(HERE)
                   if f.endswith(".npz") and not f.endswith(".expected.npz"))
    assert names == MODELS
    for name in MODELS:
        with np.load(os.path.join(HERE, f"{name}.npz"), allow_pickle=False) as data:
            # format 1, as 0.1.0 wrote it: no array a later format added
            assert int(data["format_version"]) == 1
            assert set(data.files) <= {"format_version", "config", "params", "classes",
                                       "metadata"}


@pytest.mark.parametrize("name", MODELS)
def test_a_0_1_0_file_loads_and_predicts_the_same_bits(name, exact):
    net = fastmlp.MLP.load(os.path.join(HERE, f"{name}.npz"))
    expected = expected_of(name)
    assert_same_outputs(net.predict(expected["X"]), expected["predict"], exact)
    if name in CLASSIFIERS:
        assert net.classes_.tolist() == CLASSIFIERS[name]
        assert net.classes_.dtype.kind == "U"
        np.testing.assert_array_equal(net.classes_, expected["classes"])
        assert_same_outputs(net.predict_proba(expected["X"]), expected["predict_proba"], exact)
        np.testing.assert_array_equal(net.predict_classes(expected["X"]),
                                      expected["predict_classes"])
    else:
        assert net.classes_ is None
    assert net.metadata == METADATA.get(name, {})


def test_the_configuration_comes_back():
    load = lambda name: fastmlp.MLP.load(os.path.join(HERE, f"{name}.npz"))  # noqa: E731
    f32 = load("regression_float32")
    assert (f32.dtype, f32.params.dtype) == (np.float32, np.float32)
    assert f32.activations == ("logistic", "identity")
    assert (f32.init, f32.init_scale, f32.bias_init) == ("normal", 0.3, 0.05)
    elu = load("elu_leaky_relu")
    assert (elu.leaky_relu_slope, elu.elu_alpha) == (0.23, 0.65)
    assert elu.activation_params == (0.23, 0.65, 0.0)
    deep = load("deep")
    assert deep.layer_sizes == (7, 12, 11, 10, 9, 8, 7, 6, 2)
    assert deep.activations == ("tanh", "arctan", "softsign", "relu", "elu", "leaky_relu",
                                "sigmoid", "tanh")
    assert load("softmax_cross_entropy").loss_name == "cross_entropy"
    assert load("step_untrained").activations == ("step", "identity")


@pytest.mark.parametrize("name", ["regression_float32", "binary_strings_with_metadata"])
def test_a_0_1_0_network_saved_again_keeps_everything(name, tmp_path, exact):
    old = fastmlp.MLP.load(os.path.join(HERE, f"{name}.npz"))
    old.save(tmp_path / "again.npz")
    with np.load(tmp_path / "again.npz", allow_pickle=False) as data:
        assert int(data["format_version"]) == persistence.FORMAT_VERSION
    new = fastmlp.MLP.load(tmp_path / "again.npz")
    assert new.config() == old.config()
    np.testing.assert_array_equal(new.params, old.params)
    assert new.params.dtype == old.params.dtype
    np.testing.assert_array_equal(new.classes_ if new.classes_ is not None else [],
                                  old.classes_ if old.classes_ is not None else [])
    assert new.metadata == old.metadata
    expected = expected_of(name)
    assert_same_outputs(new.predict(expected["X"]), expected["predict"], exact)


def test_a_0_1_0_network_trains_on(tmp_path):
    net = fastmlp.MLP.load(os.path.join(HERE, "regression_float64.npz"))
    before = net.params.copy()
    X = expected_of("regression_float64")["X"]
    net.fit(X, np.zeros((len(X), 3)), epochs=1, seed=0)
    assert not np.array_equal(net.params, before)
    np.testing.assert_array_equal(net.weights[0].ravel(), net.params[: net.weights[0].size])


def test_the_command_line_reads_a_0_1_0_model(tmp_path):
    # the classifier's metadata is that of `fastmlp train`: predict scales the table's
    # columns with it and names the classes
    model = os.path.join(HERE, "binary_strings_with_metadata.npz")
    meta = METADATA["binary_strings_with_metadata"]
    raw = np.random.default_rng(0).normal(size=(12, 3)) * 3
    table = tmp_path / "rows.csv"
    table.write_text("length,links,caps\n" + "".join(",".join(repr(float(v)) for v in row)
                                                     + "\n" for row in raw), encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "fastmlp", *args], capture_output=True, text=True, check=True,
        encoding="utf-8", env=env).stdout
    info = run("info", model)
    assert "classes: jamón, spam" in info
    assert [line.split(":")[0].strip() for line in info.splitlines()[-3:]] == [
        "length", "links", "caps"]
    predicted = run("predict", model, str(table)).splitlines()
    net = fastmlp.MLP.load(model)
    scaled = (raw - np.asarray(meta["x_mean"])) / np.asarray(meta["x_scale"])
    assert predicted == ["predicted kind"] + net.predict_classes(scaled).tolist()
    assert set(predicted[1:]) <= {"jamón", "spam"}


def test_the_expected_outputs_are_not_trivial():
    # the files would prove little if the networks predicted constants
    for name in MODELS:
        out = expected_of(name)["predict"]
        assert out.shape[0] == 40 and np.all(np.isfinite(out))
        assert np.ptp(out, axis=0).min() > 1e-3, name
    for name in CLASSIFIERS:
        assert len(set(expected_of(name)["predict_classes"].tolist())) > 1, name
